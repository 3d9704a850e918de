"""Salient-object detection on ECSSD with slic, ers and seal_ers superpixels.

The SEAL paper's downstream experiment (its Table 2): two saliency methods
(:func:`sealseg.saliency.robust_background`, SO, and
:func:`sealseg.saliency.manifold_ranking`, GMR) run on 200 superpixels of each
method, scored by mean absolute error and weighted F-beta against the ECSSD
masks.  SO also runs with the extra steps of its authors' released code
(``sealseg.saliency._AUTHORS_CODE``), which the paper does not describe.

Usage (from the repository root)::

    nice -n 5 python benchmarks/downstream_saliency.py --out ecssd.csv \\
        --cache /tmp/ecssd-labels --jobs 2
    python benchmarks/downstream_saliency.py --out ecssd.csv --table

With ``--so-steps`` (and, say, ``--methods slic``) the first command instead
writes SO's paper version and that version with one change at a time (the
readings its paper leaves open and the steps of its authors' code, listed in
``SO_STEPS``), and ``--so-steps --table`` prints their means.

The first command writes one CSV row per (image, superpixel method, saliency
method) and resumes where an earlier run stopped (images already in the CSV
are skipped); ``--cache`` keeps every label map (``.npy``), so a rerun of the
saliency methods does not recompute the superpixels.  The second prints the
table of means over the images in the CSV.  ECSSD is found as by
:func:`sealseg.datasets.load_ecssd` (``--root``, ``SEALSEG_DATA``, or
``../shared/datasets/ECSSD``).  Never train on ECSSD.
"""
import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

SUPERPIXELS = ("slic", "ers", "seal_ers")
#: slic with n_segments raised, per image, until it returns about as many
#: superpixels as asked for (skimage's slic returns fewer than n_segments).
MATCHED = "slic_matched"
SALIENCY = ("SO", "SO (authors' code)", "GMR")
FIELDS = ["image", "superpixels", "saliency", "n_superpixels", "mae", "wfbeta"]


#: The net of the results page's table: the default of seal_ers when it was run.
WEIGHTS = "bsds500-trainval"


def superpixels(method, image, n_segments, weights=WEIGHTS):
    """Label map of ``image`` by ``method`` with ``n_segments`` requested."""
    if method in ("slic", MATCHED):
        from skimage.segmentation import slic
        labels = slic(image, n_segments=n_segments, start_label=1)
        if method == MATCHED:
            # A few secant steps on the requested number; the closest count wins.
            request, best = n_segments, labels
            for _ in range(4):
                count = labels.max()
                if count == n_segments:
                    break
                request = max(1, round(request * n_segments / count))
                labels = slic(image, n_segments=request, start_label=1)
                if abs(labels.max() - n_segments) < abs(best.max() - n_segments):
                    best = labels
            labels = best
        return labels
    import sealseg
    if method == "ers":
        return sealseg.ers(image, n_segments)
    return sealseg.seal_ers(image, n_segments, weights=weights)


#: SO's paper version with one change each: (what changes, graph change,
#: overrides of ``sealseg.saliency._PAPER``).  The graph changes: ``pixel_lab``
#: colours as the mean of the pixels' Lab values (not the Lab of the mean RGB),
#: ``band8`` the boundary superpixels those in an 8-pixel band (the authors'
#: code), not those touching the 1-pixel border.
SO_STEPS = (
    ("paper version", None, {}),
    ("colours: mean of the pixels' Lab", "pixel_lab", {}),
    ("boundary: 8-pixel band (code)", "band8", {}),
    ("border pairs not linked", None, dict(link_border=False)),
    ("Gaussians cut at 3 sigma (code)", None, dict(cut_weights=True)),
    ("smoothness pairs counted twice", None, dict(smoothness_pairs_twice=True)),
    ("sigma_spa 0.4 (code)", None, dict(sigma_spatial=0.4)),
    ("clipped edge lengths (code)", None, dict(clip_lengths=True)),
    ("Otsu-thresholded contrast (code)", None, dict(threshold_contrast=True)),
    ("background term x5 (code)", None, dict(background_scale=5.0)),
    ("mu 0 (paper: 0.1)", None, dict(mu=0.0)),
)


def so_step_maps(image, labels):
    """SO maps of ``image`` on ``labels`` for each entry of ``SO_STEPS``, by name."""
    from skimage.color import rgb2lab
    from skimage.util import img_as_float
    from sealseg import saliency
    maps = {}
    for name, graph_change, overrides in SO_STEPS:
        graph = saliency._SuperpixelGraph(image, labels)
        if graph_change == "pixel_lab":
            lab = rgb2lab(img_as_float(graph_image(image)))
            flat = graph.index.ravel()
            counts = np.bincount(flat, minlength=graph.n)
            graph.lab = np.stack([np.bincount(flat, weights=lab[..., c].ravel(),
                                              minlength=graph.n) / counts
                                  for c in range(3)], axis=1)
        elif graph_change == "band8":
            index, band = graph.index, 8
            graph.border = np.unique(np.concatenate([
                index[:band].ravel(), index[-band:].ravel(),
                index[:, :band].ravel(), index[:, -band:].ravel()]))
        maps[name] = saliency._robust_background(graph, **{**saliency._PAPER, **overrides})
    return maps


def graph_image(image):
    """``image`` as (M, N, 3) RGB, grey repeated (what the saliency graph reads)."""
    image = np.asarray(image)
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


def saliency_maps(image, labels):
    """The three saliency maps of ``image`` on ``labels``, by name."""
    from sealseg import saliency
    graph = saliency._SuperpixelGraph(image, labels)
    return {"SO": saliency._robust_background(graph, **saliency._PAPER),
            "SO (authors' code)": saliency._robust_background(graph,
                                                               **saliency._AUTHORS_CODE),
            "GMR": saliency.manifold_ranking(image, labels)}


def _labels(method, sample, n_segments, cache):
    path = cache / method / f"{sample.name}.npy" if cache else None
    if path is not None and path.exists():
        return np.load(path)
    labels = superpixels(method, sample.image, n_segments)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, labels.astype(np.int32))
        os.replace(tmp, path)
    return labels


def score_image(task):
    """CSV rows of one image (run in a worker)."""
    from sealseg.saliency_scores import mean_absolute_error, weighted_fbeta
    dataset, i, n_segments, cache, methods, so_steps = task
    sample = dataset[i]
    mask = sample.groundtruths[0]
    rows = []
    maker = so_step_maps if so_steps else saliency_maps
    for method in methods:
        labels = _labels(method, sample, n_segments, cache)
        n = len(np.unique(labels))
        for name, saliency in maker(sample.image, labels).items():
            rows.append(dict(image=sample.name, superpixels=method, saliency=name,
                             n_superpixels=n, mae=f"{mean_absolute_error(saliency, mask):.6f}",
                             wfbeta=f"{weighted_fbeta(saliency, mask):.6f}"))
    return rows


def _init_worker():
    # One thread per worker: the jobs are the parallelism.
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass


def run(args):
    from sealseg.datasets import load_ecssd
    dataset = load_ecssd(args.root)
    out = Path(args.out)
    done = set()
    if out.exists():
        with open(out, newline="") as f:
            done = {row["image"] for row in csv.DictReader(f)}
    names = dataset.names
    wanted = [i for i, name in enumerate(names) if args.first <= int(name) <= args.last]
    todo = [i for i in wanted if names[i] not in done]
    print(f"{len(wanted)} images in range, {len(todo)} to do", file=sys.stderr)
    cache = Path(args.cache) if args.cache else None
    methods = tuple(args.methods.split(","))
    tasks = [(dataset, i, args.n_segments, cache, methods, args.so_steps) for i in todo]
    new = not out.exists()
    start = time.time()
    with open(out, "a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new:
            writer.writeheader()
        if args.jobs == 1:
            _init_worker()
            results = map(score_image, tasks)
        else:
            import multiprocessing
            pool = multiprocessing.Pool(args.jobs, initializer=_init_worker)
            results = pool.imap_unordered(score_image, tasks)
        for k, rows in enumerate(results, 1):
            writer.writerows(rows)
            f.flush()
            if k % 10 == 0:
                print(f"{k}/{len(tasks)} images, {time.time() - start:.0f} s", file=sys.stderr)
    print(f"done: {len(tasks)} images in {time.time() - start:.0f} s", file=sys.stderr)


def table(path, methods=SUPERPIXELS, names=SALIENCY):
    """An RST table of the means over the images in the CSV at ``path``."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    width = max(20, *(len(name) for name in names))
    images = sorted({r["image"] for r in rows})
    complete = [i for i in images
                if sum(r["image"] == i for r in rows) == len(methods) * len(names)]
    rule = "=" * width + "  " + "  ".join(["=" * 13] * len(methods))
    lines = [f"{len(complete)} images ({complete[0]}-{complete[-1]}); MAE / weighted F-beta",
             "", rule,
             f"{'saliency method':{width}s}  " + "  ".join(f"{m:13s}" for m in methods), rule]
    for name in names:
        cells = []
        for method in methods:
            sel = [r for r in rows if r["saliency"] == name and r["superpixels"] == method
                   and r["image"] in complete]
            mae = np.mean([float(r["mae"]) for r in sel])
            wf = np.mean([float(r["wfbeta"]) for r in sel])
            cells.append(f"{mae:.4f} / {wf:.4f}".replace("0.", "."))
        lines.append(f"{name:{width}s}  " + "  ".join(f"{c:13s}" for c in cells))
    counts = {m: np.mean([int(r["n_superpixels"]) for r in rows if r["superpixels"] == m
                          and r["image"] in complete]) for m in methods}
    lines += [rule, "", "mean number of superpixels: "
              + ", ".join(f"{m} {c:.1f}" for m, c in counts.items())]
    return "\n".join(line.rstrip() for line in lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="CSV of per-image scores (appended to)")
    parser.add_argument("--root", default=None, help="the ECSSD folder")
    parser.add_argument("--first", type=int, default=1, help="first image number (1)")
    parser.add_argument("--last", type=int, default=500, help="last image number (500)")
    parser.add_argument("--n-segments", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1, choices=(1, 2))
    parser.add_argument("--cache", default=None, help="folder for the label maps")
    parser.add_argument("--methods", default=",".join(SUPERPIXELS),
                        help=f"superpixel methods, comma-separated (default and {MATCHED})")
    parser.add_argument("--so-steps", action="store_true",
                        help="SO's paper version with one change at a time (SO_STEPS)")
    parser.add_argument("--table", action="store_true", help="print the table of --out")
    args = parser.parse_args(argv)
    if args.table:
        names = tuple(step[0] for step in SO_STEPS) if args.so_steps else SALIENCY
        print(table(args.out, tuple(args.methods.split(",")), names))
    else:
        run(args)


if __name__ == "__main__":
    main()
