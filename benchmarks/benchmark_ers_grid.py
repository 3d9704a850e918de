"""ERS over image size x number of superpixels, against skimage's SLIC.

asv style; also a plain script (``python benchmarks/benchmark_ers_grid.py
[--quick]``).  ``track_ers_over_slic`` times ERS and
``skimage.segmentation.slic`` on the same image and ``n_segments`` in the same
process and returns the ratio of the two (>1: ERS is slower).  The images are
``benchmark_ers.make_image``: the astronaut resized to 0.15, 0.6 and 2.1 Mpx.
"""
import sys
import time
from pathlib import Path

from skimage.segmentation import slic

from sealseg import ers

if __package__:
    from .benchmark_ers import SIZES, make_image
else:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.benchmark_ers import SIZES, make_image


class ERSGrid:
    """ERS (8-connected, colour affinities) and SLIC at every size and n."""

    params = (list(SIZES), [100, 600, 1200, 6000])
    param_names = ["size", "n_segments"]
    quick_params = (["0.15Mpx"], [100, 600, 6000])
    timeout = 900

    def setup(self, size, n_segments):
        self.image = make_image(size)

    def time_ers(self, size, n_segments):
        ers(self.image, n_segments)

    def time_slic(self, size, n_segments):
        slic(self.image, n_segments, start_label=1)

    def peakmem_ers(self, size, n_segments):
        ers(self.image, n_segments)

    def track_ers_over_slic(self, size, n_segments):
        start = time.perf_counter()
        ers(self.image, n_segments)
        middle = time.perf_counter()
        slic(self.image, n_segments, start_label=1)
        end = time.perf_counter()
        return (middle - start) / (end - middle)

    track_ers_over_slic.unit = "ratio"


if __name__ == "__main__":
    from benchmarks.run import main
    sys.exit(main(["--only", "benchmark_ers_grid"] + sys.argv[1:]))
