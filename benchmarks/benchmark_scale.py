"""Scale: ERS from 0.15 to 8.4 Mpx, a Cityscapes-sized image, and batch throughput.

asv style; also a plain script::

    python benchmarks/benchmark_scale.py [--quick] [--skip-batch]

prints ERS time and peak memory per image size with the exponent ``b`` of the
fit ``time ~ pixels ** b``; ``ers`` and ``seal_ers`` on a 2048x1024 image with
6000 superpixels (time, peak memory); and the throughput (images per second)
of ``segment_collection`` on 20 BSDS500 val images with 1 and 2 worker
processes and a Dask ``LocalCluster`` of 2 single-threaded workers.
``seal_ers`` uses the shipped weights when present, else a randomly
initialised net of the same architecture (speed does not depend on values).
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from skimage import data, transform, util

from sealseg import ers, seal_ers, segment_collection

if __package__:
    from ._common import bsds500_root, median_seconds, peak_rss_mb, timing_weights
else:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._common import bsds500_root, median_seconds, peak_rss_mb, timing_weights

#: (height, width): BSDS500, 0.6 Mpx, Cityscapes, 2x and 4x Cityscapes.
SIZES = {"0.15Mpx": (321, 481), "0.6Mpx": (642, 962), "2.1Mpx": (1024, 2048),
         "4.2Mpx": (1448, 2896), "8.4Mpx": (2048, 4096)}
N_BATCH = 20


def make_image(size):
    height, width = SIZES[size]
    return util.img_as_ubyte(transform.resize(data.astronaut(), (height, width), order=1))


class ERSScaling:
    """ERS (8-connected, colour) at fixed n_segments over image sizes."""

    params = (list(SIZES),)
    param_names = ["size"]
    quick_params = (["0.15Mpx", "0.6Mpx"],)
    timeout = 900

    def setup(self, size):
        self.image = make_image(size)

    def time_ers(self, size):
        ers(self.image, 600)

    def peakmem_ers(self, size):
        ers(self.image, 600)


class LargeImage:
    """ers and seal_ers on a 2048x1024 (Cityscapes) image, 6000 superpixels."""

    timeout = 900

    def setup(self):
        self.image = make_image("2.1Mpx")
        self.weights, _ = timing_weights()

    def time_ers_6000(self):
        ers(self.image, 6000)

    def peakmem_ers_6000(self):
        ers(self.image, 6000)

    def time_seal_ers_6000(self):
        seal_ers(self.image, 6000, weights=self.weights, device="cpu")

    def peakmem_seal_ers_6000(self):
        seal_ers(self.image, 6000, weights=self.weights, device="cpu")


def batch_images(n=N_BATCH):
    """The first ``n`` BSDS500 val images (read in place, never copied), or None."""
    root = bsds500_root()
    if root is None:
        return None
    return sorted((root / "data" / "images" / "val").glob("*.jpg"))[:n]


def batch_throughput(paths, *, jobs=1, client=None, n_segments=600):
    """Images per second of a fresh ``segment_collection`` run of ``paths``."""
    out = Path(tempfile.mkdtemp(prefix="sealseg_batch_"))
    try:
        summary = segment_collection(paths, out, n_segments, jobs=jobs, client=client,
                                     progress=False)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    assert not summary.failed, summary.failed
    return summary.images_per_second


class Batch:
    """segment_collection (ers, n=600) on 20 BSDS500 val images: images per second."""

    params = (["jobs=1", "jobs=2", "LocalCluster(2x1)"],)
    param_names = ["runner"]
    timeout = 600

    def setup(self, runner):
        self.paths = batch_images()
        if not self.paths:
            raise NotImplementedError("BSDS500 not found")

    def track_images_per_second(self, runner):
        if runner.startswith("jobs="):
            return batch_throughput(self.paths, jobs=int(runner[5:]))
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            return batch_throughput(self.paths, client=client)

    track_images_per_second.unit = "images/s"


def peak_memory_mb(size, call, warmup=""):
    """(peak RSS, rise over the RSS before the call) in MB, in a fresh process."""
    return peak_rss_mb("benchmark_scale", size, call, warmup)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 0.6 Mpx only")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args(argv)
    sizes = list(SIZES)[:2] if args.quick else list(SIZES)

    print(f"{'size':>8} {'pixels':>9} {'ers s':>7} {'peak MB':>8} {'ers MB':>7}")
    pixels, seconds = [], []
    for size in sizes:
        image = make_image(size)
        t = median_seconds(lambda: ers(image, 600), 3 if image.size < 4e6 * 3 else 1)
        peak, rise = peak_memory_mb(size, "ers(image, 600)")
        pixels.append(image.shape[0] * image.shape[1])
        seconds.append(t)
        print(f"{size:>8} {pixels[-1]:9d} {t:7.2f} {peak:8.0f} {rise:7.0f}", flush=True)
    slope = np.polyfit(np.log(pixels), np.log(seconds), 1)[0]
    print(f"time ~ pixels ** {slope:.2f} (least squares on log-log, n_segments=600)")

    if not args.skip_large:
        image = make_image("2.1Mpx")
        weights, kind = timing_weights()
        t = median_seconds(lambda: ers(image, 6000), 3)
        peak, rise = peak_memory_mb("2.1Mpx", "ers(image, 6000)")
        print(f"ers      2048x1024 n=6000: {t:6.2f} s, peak {peak:5.0f} MB "
              f"(+{rise:.0f} MB over the loaded image)")
        seal_ers(image[:64, :64], 10, weights=weights, device="cpu")   # load the net
        t = median_seconds(lambda: seal_ers(image, 6000, weights=weights, device="cpu"), 2)
        warm = f"seal_ers(image[:64, :64], 10, weights={str(weights)!r}, device='cpu')"
        peak, rise = peak_memory_mb("2.1Mpx", f"seal_ers(image, 6000, weights="
                                    f"{str(weights)!r}, device='cpu')", warmup=warm)
        print(f"seal_ers 2048x1024 n=6000: {t:6.2f} s, peak {peak:5.0f} MB "
              f"(+{rise:.0f} MB; {kind} weights, CPU, default tile budget)")

    paths = None if args.skip_batch else batch_images()
    if paths:
        print(f"batch: ers n=600 on {len(paths)} BSDS500 val images")
        for jobs in (1, 2):
            print(f"  jobs={jobs}: {batch_throughput(paths, jobs=jobs):.2f} images/s",
                  flush=True)
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            batch_throughput(paths[:2], client=client)   # workers import sealseg
            rate = batch_throughput(paths, client=client)
        print(f"  LocalCluster(2 workers x 1 thread): {rate:.2f} images/s")


if __name__ == "__main__":
    main()
