"""Benchmarks of the superpixel metrics on a BSDS500-sized (321 x 481) pair.

asv style (``setup`` builds the inputs, ``time_*`` methods are timed); also
runnable as a plain script, which prints a table of milliseconds per call::

    python benchmarks/benchmark_metrics.py

The target is under 5 ms per metric and pair.  The label maps are synthetic
(no data needed): ~600 superpixels from a jittered grid and a ~20-segment
ground truth, both with non-consecutive label values.
"""
import timeit

import numpy as np

from sealseg.metrics import (
    asa,
    boundary_precision,
    boundary_recall,
    compactness,
    explained_variation,
    undersegmentation_error,
)


def _voronoi(rng, shape, n, cell):
    """Label map of ``n`` random seeds by nearest seed, computed on a coarse grid."""
    h, w = shape
    ch, cw = -(-h // cell), -(-w // cell)
    seeds = rng.random((n, 2)) * (ch, cw)
    yy, xx = np.mgrid[:ch, :cw] + 0.5
    d = (yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2
    coarse = np.argmin(d, axis=-1)
    fine = np.repeat(np.repeat(coarse, cell, axis=0), cell, axis=1)[:h, :w]
    return np.ascontiguousarray(fine)


class Metrics:
    """Each metric on one 321 x 481 (labels, ground truth) pair."""

    params = [["consecutive", "sparse"]]
    param_names = ["label_values"]

    def setup(self, label_values):
        rng = np.random.default_rng(0)
        shape = (321, 481)
        self.labels = _voronoi(rng, shape, 600, 2)
        self.groundtruth = _voronoi(rng, shape, 20, 3) + 1
        if label_values == "sparse":
            self.labels = rng.choice(2 ** 40, 600, replace=False)[self.labels] - 2 ** 39
            self.groundtruth = self.groundtruth * 7919
        self.image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)

    def time_asa(self, label_values):
        asa(self.labels, self.groundtruth)

    def time_undersegmentation_error_np(self, label_values):
        undersegmentation_error(self.labels, self.groundtruth, kind="np")

    def time_boundary_recall(self, label_values):
        boundary_recall(self.labels, self.groundtruth, 1)

    def time_boundary_recall_thick_r3(self, label_values):
        boundary_recall(self.labels, self.groundtruth, 3, boundary="thick")

    def time_boundary_precision(self, label_values):
        boundary_precision(self.labels, self.groundtruth, 1)

    def time_explained_variation(self, label_values):
        explained_variation(self.labels, self.image)

    def time_compactness(self, label_values):
        compactness(self.labels)


def main():
    print(f"{'metric':<34} {'label values':<12} {'ms/call':>8}")
    print("-" * 56)
    for values in Metrics.params[0]:
        suite = Metrics()
        suite.setup(values)
        for name in sorted(n for n in dir(suite) if n.startswith("time_")):
            func = getattr(suite, name)
            number = 20
            best = min(timeit.repeat(lambda: func(values), number=number, repeat=5)) / number
            print(f"{name[5:]:<34} {values:<12} {best * 1e3:8.2f}")


if __name__ == "__main__":
    main()
