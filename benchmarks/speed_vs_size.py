"""Time of superpixel methods against image size, for the docs' speed page.

    python benchmarks/speed_vs_size.py            # run, then write CSV, PNG, machine file
    python benchmarks/speed_vs_size.py --replot   # redraw the PNG and table from the CSV

Methods: sealseg's ``ers``, ``seal_ers`` and ``felzenszwalb_affinity`` (on
``rgb_affinities``, which are timed with it), scikit-image's ``slic`` and
``felzenszwalb``, and, when their packages are installed, OpenCV's
``cv2.ximgproc`` SLIC (SLICO), LSC and SEEDS and ``fast_slic``.  None of
these is a dependency of sealseg: a method whose package is missing is
skipped, and the CSV and the machine file say so.

Images of 0.15, 0.5, 1, 2, 4 and 8 Mpx (3:2) are a BSDS500 val image tiled
by mirroring (the texture of a natural image at every size), or scikit-image's
astronaut resized when BSDS500 is absent.  ``n_segments`` grows with the
image: one superpixel per 257 pixels (600 at 481x321).  Each method runs once
before timing (the net's first load, imports); then the median of 3 calls up
to 1 Mpx and 1 call above.  A method is not run at a size where its time,
extrapolated linearly in pixels from the size below, exceeds ``--cap``
seconds; the CSV records it as skipped.

Outputs go to ``doc/_static/speed/``: ``speed_vs_size.csv``,
``speed_vs_size.png`` (log-log), ``speed_table.csv`` (seconds, a row per
method, for the docs) and ``machine.txt`` (CPU, cores, load
average and uptime before and after, versions, torch threads, image).
"""
import argparse
import csv
import importlib.metadata
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks._common import bsds500_root, median_seconds, tile_by_mirroring  # noqa: E402
OUT = REPO / "doc" / "_static" / "speed"
SIZES_MPX = (0.15, 0.5, 1.0, 2.0, 4.0, 8.0)
PIXELS_PER_SEGMENT = 257
FIELDS = ["method", "package", "version", "megapixels", "height", "width", "n_segments",
          "seconds", "repeats", "status", "load1"]


def _version(distribution):
    """The installed version of ``distribution`` (a PyPI name), or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _sealseg_methods():
    import sealseg

    return [
        ("ers", lambda im, n: sealseg.ers(im, n)),
        ("seal_ers", lambda im, n: sealseg.seal_ers(im, n)),
        ("felzenszwalb_affinity",
         lambda im, n: sealseg.felzenszwalb_affinity(sealseg.rgb_affinities(im))),
    ]


def _skimage_methods():
    from skimage.segmentation import felzenszwalb, slic

    return [
        ("slic", lambda im, n: slic(im, n, start_label=1)),
        ("felzenszwalb", lambda im, n: felzenszwalb(im, scale=100, sigma=0.5, min_size=50)),
    ]


def _opencv_methods():
    import cv2

    def region(im, n):
        return max(2, round(math.sqrt(im.shape[0] * im.shape[1] / n)))

    def slico(im, n):
        s = cv2.ximgproc.createSuperpixelSLIC(im, cv2.ximgproc.SLICO, region(im, n))
        s.iterate(10)
        return s.getLabels()

    def lsc(im, n):
        s = cv2.ximgproc.createSuperpixelLSC(im, region(im, n))
        s.iterate(10)
        return s.getLabels()

    def seeds(im, n):
        s = cv2.ximgproc.createSuperpixelSEEDS(im.shape[1], im.shape[0], im.shape[2], n, 4)
        s.iterate(im, 4)
        return s.getLabels()

    return [("cv2 SLICO", slico), ("cv2 LSC", lsc), ("cv2 SEEDS", seeds)]


def _fast_slic_methods():
    try:
        from fast_slic.avx2 import SlicAvx2 as Slic
    except ImportError:
        from fast_slic import Slic

    return [("fast_slic", lambda im, n: Slic(num_components=n).iterate(im))]


# (PyPI distribution, module, factory of (name, call) pairs); the factory
# raises ImportError when the package is missing.
PACKAGES = [
    ("sealseg", "sealseg", _sealseg_methods),
    ("scikit-image", "skimage", _skimage_methods),
    ("opencv-contrib-python-headless", "cv2", _opencv_methods),
    ("fast-slic", "fast_slic", _fast_slic_methods),
]


def shape_of(megapixels):
    height = round(math.sqrt(megapixels * 1e6 / 1.5))
    return height, round(1.5 * height)


def base_image():
    """A landscape uint8 RGB image, and a word saying which."""
    root = bsds500_root()
    if root is not None:
        from sealseg._io import read_image
        from sealseg.datasets import _bsds500_data_dir

        for path in sorted((_bsds500_data_dir(root) / "images" / "val").glob("*.jpg")):
            image = read_image(path)
            if image.shape[1] > image.shape[0]:
                return image, f"BSDS500 val {path.name}, tiled by mirroring"
    from skimage import data

    return data.astronaut(), "scikit-image astronaut, resized"


def image_of(base, source, shape):
    """``base`` at ``shape``: tiled with every other copy mirrored (no seams), or resized."""
    if source.startswith("BSDS500"):
        return tile_by_mirroring(base, shape)
    from skimage import transform, util

    return util.img_as_ubyte(transform.resize(base, shape, order=1))


def run(sizes, cap, only):
    base, source = base_image()
    images = {}
    rows = []
    missing = []
    for package, module, factory in PACKAGES:
        try:
            methods = factory()
        except ImportError as exc:
            missing.append(f"{package}: not installed ({exc}), skipped")
            print(missing[-1], flush=True)
            continue
        version = _version(package)
        for name, call in methods:
            if only and name not in only:
                continue
            previous = None   # (pixels, seconds) of the size below
            for mpx in sizes:
                shape = shape_of(mpx)
                if shape not in images:
                    images[shape] = image_of(base, source, shape)
                image = images[shape]
                n = max(2, round(shape[0] * shape[1] / PIXELS_PER_SEGMENT))
                row = {"method": name, "package": package, "version": version,
                       "megapixels": mpx, "height": shape[0], "width": shape[1],
                       "n_segments": n, "seconds": "", "repeats": 0, "status": "ok",
                       "load1": f"{os.getloadavg()[0]:.2f}"}
                if previous is not None:
                    predicted = previous[1] * shape[0] * shape[1] / previous[0]
                    if predicted > cap:
                        row["status"] = f"skipped: predicted {predicted:.0f} s > cap {cap:.0f} s"
                        rows.append(row)
                        print(f"{name:>22} {mpx:5.2f} Mpx  {row['status']}", flush=True)
                        continue
                if previous is None:
                    call(image, n)   # warm-up: imports, the net's first load
                repeats = 3 if mpx <= 1.0 else 1
                median = median_seconds(lambda: call(image, n), repeats)
                row["seconds"] = f"{median:.4f}"
                row["repeats"] = repeats
                rows.append(row)
                previous = (shape[0] * shape[1], median)
                print(f"{name:>22} {mpx:5.2f} Mpx n={n:<6} {median:8.3f} s "
                      f"(load {row['load1']})", flush=True)
    return rows, missing, source


def write_csv(rows, path):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def write_table(csv_path, table_path):
    """The CSV pivoted for the docs: a row per method, seconds per size ("-" when skipped)."""
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    sizes = list(dict.fromkeys(r["megapixels"] for r in rows))
    with open(table_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["method", "package"] + [f"{s} Mpx" for s in sizes])
        for name in dict.fromkeys(r["method"] for r in rows):
            mine = {r["megapixels"]: r for r in rows if r["method"] == name}
            cells = [f"{float(mine[s]['seconds']):.3g}" if s in mine and mine[s]["status"] == "ok"
                     else "-" for s in sizes]
            writer.writerow([name, next(iter(mine.values()))["package"]] + cells)


def plot(csv_path, png_path):
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for name in methods:
        mine = [r for r in rows if r["method"] == name]
        done = [r for r in mine if r["status"] == "ok"]
        skipped = [r for r in mine if r["status"] != "ok"]
        package = mine[0]["package"]
        label = {"sealseg": f"sealseg {name}", "scikit-image": f"skimage {name}"}.get(
            package, name)
        if skipped:
            label += f"; {', '.join(r['megapixels'] for r in skipped)} Mpx skipped (cap)"
        style = "-" if mine[0]["package"] == "sealseg" else "--"
        ax.plot([float(r["megapixels"]) for r in done], [float(r["seconds"]) for r in done],
                style, marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    sizes = sorted({float(r["megapixels"]) for r in rows})
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(sizes))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FixedFormatter([f"{s:g}" for s in sizes]))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("image size (megapixels); n_segments = pixels / 257")
    ax.set_ylabel("seconds per call (wall, median)")
    # The load is read from the run's rows, so that a replot states the
    # conditions of the run it draws.
    loads = [float(r["load1"]) for r in rows if r.get("load1")]
    load = f"load average {min(loads):.1f}-{max(loads):.1f}" if loads else "load not recorded"
    ax.set_title(f"Superpixels: time against image size ({load}; machine in machine.txt)",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    plt.close(fig)


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _flags():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = line.split()
                return " ".join(f for f in ("avx2", "avx512f", "fma") if f in flags)
    except OSError:
        pass
    return "unknown"


def _uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average %.2f %.2f %.2f" % os.getloadavg()


def _git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=REPO).stdout.strip()
    except OSError:
        return "unknown"


def machine_text(before, after, started, seconds, missing, source, cap, argv):
    versions = {"python": platform.python_version()}
    for distribution in ("numpy", "scikit-image", "torch", "opencv-contrib-python-headless",
                         "fast-slic", "sealseg"):
        versions[distribution] = _version(distribution) or "not installed"
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        threads = "n/a"
    lines = [
        f"command: python benchmarks/speed_vs_size.py {' '.join(argv)}".rstrip(),
        f"started: {started} UTC, took {seconds / 60:.1f} min; sealseg commit {_git_commit()}",
        f"cpu: {_cpu_model()} ({_flags()}), {os.cpu_count()} logical cores",
        f"os: {platform.platform()}",
        f"uptime before: {before}",
        f"uptime after:  {after}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"torch threads (seal_ers): {threads}",
        f"image: {source}; n_segments = pixels / {PIXELS_PER_SEGMENT}",
        f"timing: wall clock, median of 3 calls up to 1 Mpx, 1 call above, after one warm-up "
        f"call; per-call cap {cap:.0f} s (a size is skipped when the time extrapolated from "
        f"the size below exceeds it)",
    ]
    lines += [f"missing: {m}" for m in missing] or ["missing: none"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replot", action="store_true",
                        help="redraw the PNG and the table from the CSV")
    parser.add_argument("--sizes", type=float, nargs="+", default=SIZES_MPX, metavar="MPX")
    parser.add_argument("--cap", type=float, default=90.0,
                        help="per-call cap in seconds (default 90)")
    parser.add_argument("--methods", nargs="+", help="only these methods (names as in the CSV)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path = args.out / "speed_vs_size.csv"
    png_path = args.out / "speed_vs_size.png"
    if not args.replot:
        before = _uptime()
        started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        t0 = time.perf_counter()
        rows, missing, source = run(args.sizes, args.cap, args.methods)
        seconds = time.perf_counter() - t0
        write_csv(rows, csv_path)
        (args.out / "machine.txt").write_text(
            machine_text(before, _uptime(), started, seconds, missing, source, args.cap, argv))
    plot(csv_path, png_path)
    write_table(csv_path, args.out / "speed_table.csv")
    print(f"wrote {png_path} and {args.out / 'speed_table.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
