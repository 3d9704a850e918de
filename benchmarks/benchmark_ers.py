"""Benchmarks of ERS (asv style; also runs as a plain script).

    python benchmarks/benchmark_ers.py

prints time and peak memory of ``sealseg.ers`` at 0.15, 0.6 and 2.1 Mpx and
the ratio to ``skimage.segmentation.slic`` on the same image and n_segments,
measured in the same run.
"""
import sys
from pathlib import Path

from skimage import data, transform, util
from skimage.segmentation import slic

from sealseg import ers

if __package__:
    from ._common import median_seconds, peak_rss_mb
else:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._common import median_seconds, peak_rss_mb

# (height, width): BSDS500, 0.6 Mpx, Cityscapes.
SIZES = {"0.15Mpx": (321, 481), "0.6Mpx": (642, 962), "2.1Mpx": (1024, 2048)}


def make_image(size):
    height, width = SIZES[size]
    return util.img_as_ubyte(transform.resize(data.astronaut(), (height, width), order=1))


class ERSSuite:
    params = (list(SIZES), [600])
    param_names = ["size", "n_segments"]
    timeout = 300

    def setup(self, size, n_segments):
        self.image = make_image(size)

    def time_ers_8(self, size, n_segments):
        ers(self.image, n_segments, connectivity=8)

    def time_ers_4(self, size, n_segments):
        ers(self.image, n_segments, connectivity=4)

    def time_slic(self, size, n_segments):
        slic(self.image, n_segments, start_label=1)

    def peakmem_ers_8(self, size, n_segments):
        ers(self.image, n_segments, connectivity=8)


class ERSSegmentsSuite:
    params = ([100, 600, 1200, 6000],)
    param_names = ["n_segments"]

    def setup(self, n_segments):
        self.image = make_image("2.1Mpx")

    def time_ers_8(self, n_segments):
        ers(self.image, n_segments)


def peak_memory_mb(size, n_segments):
    """Peak RSS (MB) of a fresh process during one ers call, and its rise over the input."""
    return peak_rss_mb("benchmark_ers", size, f"ers(image, {n_segments})")


def main():
    n_segments = 600
    print(f"{'size':>8} {'n':>5} {'ers8 s':>8} {'ers4 s':>8} {'slic s':>8} "
          f"{'ers8/slic':>9} {'peak MB':>8} {'ers MB':>7}")
    for size in SIZES:
        image = make_image(size)
        repeat = 5 if size == "0.15Mpx" else 3
        t8 = median_seconds(lambda: ers(image, n_segments, connectivity=8), repeat)
        t4 = median_seconds(lambda: ers(image, n_segments, connectivity=4), repeat)
        ts = median_seconds(lambda: slic(image, n_segments, start_label=1), repeat)
        peak, extra = peak_memory_mb(size, n_segments)
        print(f"{size:>8} {n_segments:>5} {t8:8.3f} {t4:8.3f} {ts:8.3f} {t8 / ts:9.2f} "
              f"{peak:8.0f} {extra:7.0f}")
    image = make_image("2.1Mpx")
    for n in (100, 1200, 6000):
        print(f"  2.1Mpx n={n}: ers8 {median_seconds(lambda: ers(image, n), 1):.3f} s")


if __name__ == "__main__":
    main()
