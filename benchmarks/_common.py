"""Helpers shared by the benchmark suites (not a suite itself)."""
import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Set by ``python benchmarks/run.py --quick``: suites use fewer images.
QUICK_ENV = "SEALSEG_BENCH_QUICK"


def quick():
    """True in a quick run (``run.py --quick``)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def bsds500_root():
    """BSDS500 folder ($SEALSEG_DATA/BSDS500, then ../shared/datasets/BSDS500
    next to the repository), or None when neither exists."""
    candidates = []
    if os.environ.get("SEALSEG_DATA"):
        candidates.append(Path(os.environ["SEALSEG_DATA"]) / "BSDS500")
    candidates.append(REPO.parent / "shared" / "datasets" / "BSDS500")
    for path in candidates:
        if path.is_dir():
            return path
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
