"""The cost of a fresh process's first ``seal_ers``, and of the command line's exit.

    python benchmarks/benchmark_first_call.py --processes 5 --breakdown

Each of ``--processes`` fresh interpreters imports sealseg, calls
``seal_ers`` on a 481x321 image at n = 600 once (the first call, which
imports torch and loads the net), then three more times (warm calls; the
median is kept).  Another set of fresh interpreters times ``import torch``
alone (after numpy, which sealseg imports first).  The goal (issue 20): the
first call costs at most 0.3 s more than a warm call plus torch's import::

    overhead = first call - warm call - import torch

``--breakdown`` times the steps of a first call in further fresh processes:
``import sealseg``, ``import torch``, loading the net with its SHA-256 check
(``pan.pretrained.get_model``), the first and a second forward pass, the
first and a second ERS on the affinities.

``--cli`` (on by default) runs ``python -m sealseg segment --example
astronaut`` in fresh processes and measures the time from the line it
prints when its outputs are written to the end of the process, once through
the entry point (``run``: ``os._exit`` after a segment) and once through
``sys.exit(main())`` (Python's normal shutdown, torch's teardown included).

Figures are medians over the processes; the machine's load average is
printed beside them.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHAPE = (321, 481)
N_SEGMENTS = 600

_CHILD_FIRST_CALL = """
import json, sys, time
import numpy as np
image = np.load(sys.argv[1])
t0 = time.perf_counter()
import sealseg
t1 = time.perf_counter()
sealseg.seal_ers(image, {n})
t2 = time.perf_counter()
warm = []
for _ in range(3):
    s = time.perf_counter(); sealseg.seal_ers(image, {n}); warm.append(time.perf_counter() - s)
warm.sort()
print(json.dumps({{"import_sealseg": t1 - t0, "first_call": t2 - t1, "warm_call": warm[1]}}))
"""

_CHILD_TORCH = """
import json, time
import numpy as np
t0 = time.perf_counter()
import torch
print(json.dumps({"import_torch": time.perf_counter() - t0}))
"""

_CHILD_BREAKDOWN = """
import json, sys, time
import numpy as np
image = np.load(sys.argv[1])
out = {{}}
def step(name, call):
    s = time.perf_counter(); result = call(); out[name] = time.perf_counter() - s
    return result
step("import_sealseg", lambda: __import__("sealseg"))
import sealseg
from sealseg.pan import pretrained
from sealseg.pan.inference import _predict_affinities
step("import_torch", lambda: __import__("torch"))
step("model_load_and_hash_check", lambda: pretrained.get_model("bsds500", None))
rgb = image.astype(np.float64) / 255.0
aff = step("first_forward", lambda: _predict_affinities(rgb, "bsds500", None, None))
step("second_forward", lambda: _predict_affinities(rgb, "bsds500", None, None))
aff = aff.astype(np.float64)
step("first_ers", lambda: sealseg.ers(None, {n}, affinities=aff))
step("second_ers", lambda: sealseg.ers(None, {n}, affinities=aff))
print(json.dumps(out))
"""


def _load():
    return os.getloadavg()


def _child(code, *args):
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _medians(rows):
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def _cli_exit_seconds(argv, out_dir):
    """Seconds from the segment command's printed line to the end of its process."""
    proc = subprocess.Popen(argv + ["segment", "--example", "astronaut", "-n", str(N_SEGMENTS),
                                    "-o", str(out_dir / "o.png")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    start = time.perf_counter()
    line = proc.stdout.readline()
    printed = time.perf_counter()
    proc.wait()
    ended = time.perf_counter()
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"segment failed ({proc.returncode}): {proc.stderr.read()}")
    return ended - printed, ended - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--no-cli", dest="cli", action="store_false")
    args = parser.parse_args(argv)

    import numpy as np
    from skimage import data, transform, util

    image = util.img_as_ubyte(transform.resize(data.astronaut(), SHAPE, order=1))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "image.npy"
        np.save(path, image)
        print(f"load average before: {_load()[0]:.2f} {_load()[1]:.2f} {_load()[2]:.2f}")
        code = _CHILD_FIRST_CALL.format(n=N_SEGMENTS)
        first = _medians([_child(code, str(path)) for _ in range(args.processes)])
        torch = _medians([_child(_CHILD_TORCH) for _ in range(args.processes)])
        overhead = first["first_call"] - first["warm_call"] - torch["import_torch"]
        print(f"seal_ers {SHAPE[1]}x{SHAPE[0]} n={N_SEGMENTS}, median of {args.processes} "
              f"fresh processes:")
        print(f"  import sealseg   {first['import_sealseg']:.3f} s")
        print(f"  first call       {first['first_call']:.3f} s")
        print(f"  warm call        {first['warm_call']:.3f} s")
        print(f"  import torch     {torch['import_torch']:.3f} s (alone, after numpy)")
        print(f"  overhead = first - warm - import torch: {overhead:.3f} s (goal <= 0.3 s)")
        if args.breakdown:
            code = _CHILD_BREAKDOWN.format(n=N_SEGMENTS)
            steps = _medians([_child(code, str(path)) for _ in range(args.processes)])
            print(f"breakdown of a first call, median of {args.processes} fresh processes:")
            for key, value in steps.items():
                print(f"  {key:<27} {value:.3f} s")
        if args.cli:
            fast = [_cli_exit_seconds([sys.executable, "-m", "sealseg"], tmp)
                    for _ in range(args.processes)]
            slow = [_cli_exit_seconds([sys.executable, "-c",
                                       "import sys; from sealseg.__main__ import main; "
                                       "sys.exit(main())"], tmp)
                    for _ in range(args.processes)]
            print(f"CLI segment --example astronaut (512x512, seal_ers), median of "
                  f"{args.processes} processes: printed line -> process end")
            print(f"  python -m sealseg (os._exit):  {statistics.median(f for f, _ in fast):.3f} s"
                  f" (whole run {statistics.median(t for _, t in fast):.2f} s)")
            print(f"  sys.exit(main()) (shutdown):   {statistics.median(f for f, _ in slow):.3f} s"
                  f" (whole run {statistics.median(t for _, t in slow):.2f} s)")
        print(f"load average after: {_load()[0]:.2f} {_load()[1]:.2f} {_load()[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
