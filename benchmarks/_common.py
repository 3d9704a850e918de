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


def shipped_weights_present():
    """Whether the registered ``"bsds500"`` weight file is in the package."""
    try:
        from sealseg.pan.pretrained import REGISTRY, WEIGHTS_DIR
    except ImportError:
        return False
    return (WEIGHTS_DIR / REGISTRY["bsds500"]).is_file()


_TIMING_WEIGHTS = {}


def timing_weights():
    """Weights for speed benchmarks and a word saying which they are.

    The shipped ``"bsds500"`` weights when present; otherwise a randomly
    initialised Pixel Affinity Net of the default architecture, written once
    to a temporary file (the speed does not depend on the weight values).
    """
    if shipped_weights_present():
        return "bsds500", "shipped"
    if "path" not in _TIMING_WEIGHTS:
        import torch

        from sealseg.pan.model import PixelAffinityNet
        from sealseg.pan.train import model_file_payload

        torch.manual_seed(0)
        model = PixelAffinityNet()
        path = Path(tempfile.mkdtemp(prefix="sealseg_bench_")) / "random_init.pt"
        torch.save(model_file_payload(model), path)
        _TIMING_WEIGHTS["path"] = str(path)
    return _TIMING_WEIGHTS["path"], "random-init"


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
