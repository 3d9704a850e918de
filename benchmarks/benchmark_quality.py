"""Quality tracked over time: mean ASA and boundary recall on BSDS500 val.

asv ``track_*`` benchmarks; also a plain script (``python
benchmarks/benchmark_quality.py [--quick]``).  Scores are means over
(image, annotation) pairs of the val images present (the first 3 in a quick
run), boundary recall at r = 1.  The data is looked up at
``$SEALSEG_DATA/BSDS500``, then ``../shared/datasets/BSDS500`` next to the
repository; without it the suite is skipped, as is ``seal_ers`` without the
shipped weights.  SLIC is tracked for reference.
"""
import sys
from pathlib import Path

import numpy as np
from skimage.segmentation import slic

import sealseg

if __package__:
    from ._common import bsds500_root, quick, shipped_weights_present
else:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._common import bsds500_root, quick, shipped_weights_present

_SCORES = {}


def _segment(method, image, n):
    if method == "ers":
        return sealseg.ers(image, n)
    if method == "seal_ers":
        return sealseg.seal_ers(image, n)
    return slic(image, n, start_label=1)


def _scores(method, n):
    """(mean ASA, mean BR) of ``method`` at ``n``, computed once per process."""
    limit = 3 if quick() else None
    key = (method, n, limit)
    if key not in _SCORES:
        dataset = sealseg.load_bsds500(bsds500_root(), split="val")
        count = len(dataset) if limit is None else min(limit, len(dataset))
        asas, brs = [], []
        for i in range(count):
            sample = dataset[i]
            labels = _segment(method, sample.image, n)
            for groundtruth in sample.groundtruths:
                asas.append(sealseg.asa(labels, groundtruth))
                brs.append(sealseg.boundary_recall(labels, groundtruth, 1))
        _SCORES[key] = (float(np.mean(asas)), float(np.mean(brs)))
    return _SCORES[key]


class BSDS500Val:
    """ASA and BR at 200 and 600 superpixels."""

    params = (["seal_ers", "ers", "slic"], [200, 600])
    param_names = ["method", "n_segments"]
    quick_params = (["seal_ers", "ers", "slic"], [200])
    timeout = 1800

    def setup(self, method, n_segments):
        if bsds500_root() is None:
            raise NotImplementedError("BSDS500 not found")
        if method == "seal_ers" and not shipped_weights_present():
            raise NotImplementedError("shipped weights not in the package")

    def track_asa(self, method, n_segments):
        return _scores(method, n_segments)[0]

    track_asa.unit = "ASA"

    def track_br(self, method, n_segments):
        return _scores(method, n_segments)[1]

    track_br.unit = "BR"


if __name__ == "__main__":
    from benchmarks.run import main
    sys.exit(main(["--only", "benchmark_quality"] + sys.argv[1:]))
