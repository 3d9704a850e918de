"""Where seal_ers's ASA falls short of SSN's on BSDS500 val: by distance to the border and to GT.

A pixel is an ASA error of a label map when it lies outside the largest
ground-truth segment of its superpixel (ASA is one minus their share).  For
each val image, ``seal_ers``'s ERS (``sealseg.seal.ers_as_seal_ers``) runs on
the cached affinities of ``tools/ers_val_scan.py`` at SSN's own count of the
image, and its errors and those of SSN's saved map are counted per pair by
the pixel's distance to the image border and to the annotation's nearest
boundary::

    python tools/asa_gap_where.py --n 600 --cache AFFINITIES --shard 0/2 --out a.npz
    python tools/asa_gap_where.py --n 600 --cache AFFINITIES --shard 1/2 --out b.npz
    python tools/asa_gap_where.py --summarize a.npz b.npz

The summary prints each method's errors as a share of all (pixel, pair)
counts per distance bin, their difference, and the images that carry the
most of the difference.
"""
import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from anchor_count_scan import ANCHOR, add_anchor_scan_arguments
from ers_val_scan import _affinities

BORDER_BINS = [0, 2, 5, 10, 20]        # px to the image border: [0, 2), [2, 5), ...
BOUNDARY_BINS = [0, 1, 2, 3, 5, 10]    # px to the nearest annotated boundary


def asa_errors(labels, groundtruth):
    """Boolean map of the pixels outside the largest GT segment of their superpixel."""
    _, sp = np.unique(labels.ravel(), return_inverse=True)
    _, gt = np.unique(groundtruth.ravel(), return_inverse=True)
    overlap = np.zeros((sp.max() + 1, gt.max() + 1), np.int64)
    np.add.at(overlap, (sp, gt), 1)
    return (gt != overlap.argmax(1)[sp]).reshape(labels.shape)


def _binned(values, bins, weights):
    return np.bincount(np.digitize(values, bins).ravel() - 1, weights.ravel(), len(bins))


def scan(args):
    from PIL import Image
    from scipy import ndimage as ndi

    from sealseg.datasets import load_bsds500
    from sealseg.seal import ers_as_seal_ers

    with open(Path(args.anchor) / "ssn_val.csv") as f:
        anchor = {(r["image"], int(r["n_asked"])): r for r in csv.DictReader(f)}
    data = load_bsds500(split="val")
    k, of = (int(v) for v in args.shard.split("/"))
    sums = {f"{who}_{where}": np.zeros(len(bins)) for who in ("ours", "ssn", "all")
            for where, bins in (("border", BORDER_BINS), ("gt", BOUNDARY_BINS))}
    names, gaps = [], []
    for index in range(k, len(data), of):
        sample = data[index]
        ours = ers_as_seal_ers(_affinities(sample, args.cache),
                               int(anchor[(sample.name, args.n)]["n_actual"]))
        ssn = np.array(Image.open(Path(args.anchor) / "labels" / f"{sample.name}_n{args.n}.png"))
        height, width = ours.shape
        yy, xx = np.mgrid[:height, :width]
        to_border = np.minimum(np.minimum(yy, height - 1 - yy), np.minimum(xx, width - 1 - xx))
        gap = 0
        for gt in sample.groundtruths:
            edge = np.zeros(gt.shape, bool)
            edge[:, :-1] |= gt[:, :-1] != gt[:, 1:]
            edge[:-1, :] |= gt[:-1, :] != gt[1:, :]
            to_gt = ndi.distance_transform_edt(~edge)
            mine, theirs = asa_errors(ours, gt), asa_errors(ssn, gt)
            ones = np.ones(gt.shape)
            for where, dist, bins in (("border", to_border, BORDER_BINS),
                                      ("gt", to_gt, BOUNDARY_BINS)):
                sums[f"ours_{where}"] += _binned(dist, bins, mine)
                sums[f"ssn_{where}"] += _binned(dist, bins, theirs)
                sums[f"all_{where}"] += _binned(dist, bins, ones)
            gap += (mine.sum() - theirs.sum()) / mine.size
        names.append(sample.name)
        gaps.append(gap / len(sample.groundtruths))   # the image's ASA gap, mean over its pairs
        print(f"{index} {sample.name}", file=sys.stderr, flush=True)
    np.savez(args.out, names=np.array(names), gaps=np.array(gaps), **sums)


def summarize(paths):
    parts = [np.load(p) for p in paths]
    total = {key: sum(p[key] for p in parts) for key in parts[0].files
             if key not in ("names", "gaps")}
    pixels = total["all_border"].sum()
    for where, bins in (("border", BORDER_BINS), ("gt", BOUNDARY_BINS)):
        print(f"distance to the {'image border' if where == 'border' else 'nearest GT boundary'}"
              f" (px, bins from {bins})")
        for key in ("all", "ours", "ssn"):
            print(f"  {key:5s}", " ".join(f"{v / pixels:.5f}" for v in total[f"{key}_{where}"]))
        diff = (total[f"ours_{where}"] - total[f"ssn_{where}"]) / pixels
        print("  diff ", " ".join(f"{v:+.5f}" for v in diff), f" sum {diff.sum():+.5f}")
    names = np.concatenate([p["names"] for p in parts])
    gaps = np.concatenate([p["gaps"] for p in parts])
    order = np.argsort(gaps)[::-1]
    print(f"images: {len(names)}; seal_ers below SSN on {int((gaps > 0).sum())}; the ten largest "
          f"gaps carry {gaps[order[:10]].sum() / gaps.sum():.0%} of the sum:",
          ", ".join(f"{names[i]} ({gaps[i]:+.4f})" for i in order[:10]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, choices=(200, 600, 1200), default=600,
                        help="SSN's n asked; seal_ers runs at SSN's count of each image")
    add_anchor_scan_arguments(parser, "asa_gap.npz")
    args = parser.parse_args(argv)
    if args.summarize:
        summarize(args.summarize)
    else:
        scan(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
