"""``ers`` against ``slic`` at 0.15, 2 and 12 Mpx: time ratio and peak memory, in one run.

asv style (``ERSvsSlicSizes``); also a plain script::

    python benchmarks/ers_vs_slic_sizes.py [--pairs 3] [--cases 0.15Mpx 2Mpx 12Mpx]
                                           [--csv doc/_static/speed/ers_vs_slic_sizes.csv]

prints, per case, the median over back-to-back pairs of the ``ers`` / ``slic``
time ratio (both at their defaults, ``slic`` with ``start_label=1``), each
method's median time, and the peak resident memory of each method's call
in a fresh process (with its rise over the memory before the call), and
the load average before and after.  The goals these figures are read
against, and the figures of a run, are on the speed page (``doc/speed.rst``).

The images are BSDS500 val images (the first three of the split at 0.15
Mpx, the first one at the larger sizes) tiled by mirroring to each size,
so that every size has a photograph's texture at its own scale;
scikit-image's astronaut when BSDS500 is absent.
"""
import argparse
import os
import statistics
import sys
from pathlib import Path

import numpy as np

if __package__:
    from ._common import bsds500_root, peak_rss_mb, seconds, tile_by_mirroring
else:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._common import bsds500_root, peak_rss_mb, seconds, tile_by_mirroring

#: case -> ((height, width), n_segments, images timed)
CASES = {"0.15Mpx": ((321, 481), 600, 3),
         "2Mpx": ((1024, 2048), 6000, 1),
         "12Mpx": ((3000, 4000), 2000, 1)}


def _base_image(index):
    root = bsds500_root()
    if root is None:
        from skimage import data

        return data.astronaut()
    from sealseg.datasets import load_bsds500

    return load_bsds500(root, split="val")[index].image


def make_image(case, index=0):
    """Image ``index`` of ``case`` (a key of ``CASES``): tiled by mirroring to its size."""
    shape, _, _ = CASES[case]
    return tile_by_mirroring(_base_image(index), shape)


def _slic(image, n_segments):
    from skimage.segmentation import slic

    return slic(image, n_segments, start_label=1)


def _ers(image, n_segments):
    from sealseg import ers

    return ers(image, n_segments)


class ERSvsSlicSizes:
    params = (list(CASES),)
    param_names = ["case"]
    timeout = 600

    def setup(self, case):
        self.image = make_image(case)
        self.n_segments = CASES[case][1]

    def time_ers(self, case):
        _ers(self.image, self.n_segments)

    def time_slic(self, case):
        _slic(self.image, self.n_segments)

    def peakmem_ers(self, case):
        _ers(self.image, self.n_segments)

    def peakmem_slic(self, case):
        _slic(self.image, self.n_segments)


def measure(case, pairs):
    """Figures of one case: a dict of the printed fields."""
    _, n_segments, n_images = CASES[case]
    ers_times, slic_times, ratios = [], [], []
    for index in range(n_images):
        image = make_image(case, index)
        # Warm-up on a corner: first-call costs (imports, caches) are not the
        # figure, and a whole 12 Mpx call would double the run.
        _ers(image[:64, :64], 20)
        _slic(image[:64, :64], 20)
        for _ in range(pairs):
            a = seconds(lambda: _ers(image, n_segments))
            b = seconds(lambda: _slic(image, n_segments))
            ers_times.append(a)
            slic_times.append(b)
            ratios.append(a / b)
    module = "ers_vs_slic_sizes"
    ers_peak, ers_rise = peak_rss_mb(module, case, f"ers(image, {n_segments})")
    slic_peak, slic_rise = peak_rss_mb(
        module, case, "from skimage.segmentation import slic; "
        f"slic(image, {n_segments}, start_label=1)")
    return {"case": case, "n_segments": n_segments, "pairs": len(ratios),
            "ers_s": statistics.median(ers_times), "slic_s": statistics.median(slic_times),
            "ratio": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios),
            "ers_peak_mb": ers_peak, "ers_rise_mb": ers_rise,
            "slic_peak_mb": slic_peak, "slic_rise_mb": slic_rise,
            "peak_ratio": ers_peak / slic_peak}


FIELDS = ["case", "n_segments", "pairs", "ers_s", "slic_s", "ratio", "ratio_min", "ratio_max",
          "ers_peak_mb", "ers_rise_mb", "slic_peak_mb", "slic_rise_mb", "peak_ratio"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="back-to-back pairs per image")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--csv", help="also write the figures to this CSV file")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}", flush=True)
    rows = []
    for case in args.cases:
        row = measure(case, args.pairs)
        rows.append(row)
        print(f"{case}: ers/slic {row['ratio']:.2f} ({row['ratio_min']:.2f}-"
              f"{row['ratio_max']:.2f}, {row['pairs']} pairs), ers {row['ers_s']:.3f} s, "
              f"slic {row['slic_s']:.3f} s; peak ers {row['ers_peak_mb']:.0f} MB (+"
              f"{row['ers_rise_mb']:.0f}), slic {row['slic_peak_mb']:.0f} MB (+"
              f"{row['slic_rise_mb']:.0f}), ratio {row['peak_ratio']:.2f}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    if args.csv:
        with open(args.csv, "w") as f:
            f.write(",".join(FIELDS) + "\n")
            for row in rows:
                f.write(",".join(f"{row[k]:.3f}" if isinstance(row[k], float) else str(row[k])
                                 for k in FIELDS) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
