"""Helpers shared by the benchmark suites (not a suite itself)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Set by ``python benchmarks/run.py --quick``: suites use fewer images.
QUICK_ENV = "SEALSEG_BENCH_QUICK"


def quick():
    """True in a quick run (``run.py --quick``)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def bsds500_root():
    """BSDS500 folder (``sealseg.datasets.bsds500_root``: $SEALSEG_DATA/BSDS500, then
    ../shared/datasets/BSDS500), or None when there is none.

    The search is relative to the repository, whatever folder asv runs in.
    """
    from sealseg.datasets import bsds500_root as find

    try:
        return find()
    except FileNotFoundError:
        pass
    try:
        return find(REPO.parent / "shared" / "datasets" / "BSDS500")
    except FileNotFoundError:
        return None


def tile_by_mirroring(base, shape):
    """``base`` (H, W, ...) tiled to ``shape`` (height, width), every other copy
    mirrored so that no seam shows: the texture of the base image at its own
    scale, at any size (resizing a small image up smooths it instead)."""
    import math

    import numpy as np

    reps = [math.ceil(shape[i] / base.shape[i]) for i in (0, 1)]
    rows = [np.concatenate([base[::(-1) ** i, ::(-1) ** j] for j in range(reps[1])], axis=1)
            for i in range(reps[0])]
    return np.ascontiguousarray(np.concatenate(rows, axis=0)[:shape[0], :shape[1]])


def shipped_weights_present():
    """Whether the default net's weight file is in the package."""
    try:
        from sealseg.pan.registry import DEFAULT
    except ImportError:
        return False
    return DEFAULT.path.is_file()


#: The architecture of the default net (``sealseg.pan.registry.DEFAULT``).
SHIPPED_CONFIG = {"width": 32, "use_edges": False, "dilations": [1, 2, 4]}

#: Net designs timed against the shipped one (``build_model`` configs), by name.
NET_DESIGNS = {"pan": SHIPPED_CONFIG,
               "pan-w16": dict(SHIPPED_CONFIG, width=16),
               "pan-two-output": dict(SHIPPED_CONFIG, one_way=False),
               "pan-w16-two-output": dict(SHIPPED_CONFIG, width=16, one_way=False)}

_RANDOM_WEIGHTS = {}


def random_weights(config):
    """Path of a weight file holding a randomly initialised net of ``config``
    (``sealseg.pan.model.build_model``), written once per config to a
    temporary folder: for timing designs that were never trained (the speed
    does not depend on the weight values)."""
    key = repr(sorted(config.items()))
    if key not in _RANDOM_WEIGHTS:
        import torch

        from sealseg.pan.model import build_model
        from sealseg.pan.pretrained import model_file_payload

        torch.manual_seed(0)
        model = build_model(config).eval()
        folder = Path(tempfile.mkdtemp(prefix="sealseg_bench_"))
        path = folder / f"random_init_{len(_RANDOM_WEIGHTS)}.pt"
        torch.save(model_file_payload(model), path)
        _RANDOM_WEIGHTS[key] = str(path)
    return _RANDOM_WEIGHTS[key]


def timing_weights():
    """Weights for speed benchmarks and a word saying which they are.

    The default net's weights when present; otherwise a randomly
    initialised net of the same architecture (``random_weights``).
    """
    if shipped_weights_present():
        from sealseg.pan.registry import DEFAULT

        return DEFAULT.name, "shipped"
    return random_weights(SHIPPED_CONFIG), "random-init"


_PEAK_CODE = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.{module} import make_image
from sealseg import ers, seal_ers

def rss_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

image = make_image({size!r})
{warmup}
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
before = rss_kb("VmRSS:")
{call}
print(before, rss_kb("VmHWM:"))
"""


def peak_rss_mb(module, size, call, warmup=""):
    """(peak RSS, rise over the RSS before the call) in MB of ``call`` run in a
    fresh process, on ``image = benchmarks.<module>.make_image(size)``.

    A fresh process, so the peak is the call's own and not an earlier
    benchmark's; Linux only (/proc/self/clear_refs resets VmHWM).
    """
    code = _PEAK_CODE.format(root=str(REPO), module=module, size=size, call=call,
                             warmup=warmup)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    before, peak = (int(v) / 1024 for v in out[-2:])
    return peak, peak - before


def median_seconds(func, repeat):
    """Median wall time (s) of ``repeat`` calls of ``func()``."""
    return statistics.median(seconds(func) for _ in range(repeat))


def seconds(call):
    """Wall time of one ``call()``."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def ratio_of_pairs(call_a, call_b, pairs):
    """Median over ``pairs`` of time(call_a) / time(call_b), each pair run back
    to back, so that the ratio holds when the machine's speed drifts."""
    return statistics.median(seconds(call_a) / seconds(call_b) for _ in range(pairs))


def stream_memory(stop):
    """A neighbour that competes for memory bandwidth and the shared cache, as
    a second user's job would: it sweeps 256 MB over and over until ``stop``."""
    import numpy as np

    block = np.ones(32 << 20)
    while not stop.is_set():
        block *= 1.0000001


def spin(stop):
    """A neighbour that keeps one core busy (pure CPU, little memory) until ``stop``."""
    x = 0
    while not stop.is_set():
        for _ in range(10000):
            x += 1


def slowdown_beside(call, neighbour, pairs):
    """Median over ``pairs`` of the time of ``call()`` while ``neighbour(stop)``
    runs in another process / its time alone."""
    import multiprocessing

    ratios = []
    for _ in range(pairs):
        alone = seconds(call)
        stop = multiprocessing.Event()
        other = multiprocessing.Process(target=neighbour, args=(stop,), daemon=True)
        other.start()
        try:
            time.sleep(0.5)  # let it start (and allocate)
            busy = seconds(call)
        finally:
            stop.set()
            other.join()
        ratios.append(busy / alone)
    return statistics.median(ratios)
