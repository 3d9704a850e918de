"""Test-time flips: learned affinities averaged over the image and its flips.

On BSDS500 *train* images 0 .. N-1 (sorted by name), all annotations, 8-connected
ERS at n = 100 ... 1200: the plain affinities, the mean over the image and its
180-degree rotation (``tta2``, two net passes) and over all four flips
(``tta4``), each raised to 1.5 and 2.  WEIGHTS must have exponent 1.

    python training/archive/train_probe_tta.py WEIGHTS OUT.csv N
    python training/archive/train_probe_tta.py --table OUT.csv   # ASA/BR vs plain^1.5
"""
import csv
import os
import sys
from collections import defaultdict
from multiprocessing import Pool

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
NS = (100, 200, 400, 600, 800, 1200)


def unflip(a, fy, fx):
    """Affinities predicted on a flipped image, in the original image's frame."""
    out = np.ones_like(a)
    a0, a1 = a[0], a[1]
    if fy:
        a0 = a0[::-1]
        # the link (y, y+1) of the original is the link (H-2-y, H-1-y) of the flip
        a1 = np.concatenate([a1[-2::-1], a1[-1:]], 0)
    if fx:
        a0 = np.concatenate([a0[:, -2::-1], a0[:, -1:]], 1)
        a1 = a1[:, ::-1]
    out[0], out[1] = a0, a1
    out[0, :, -1] = 1
    out[1, -1, :] = 1
    return out


def work(args):
    i, weights = args
    import torch
    torch.set_num_threads(1)
    from sealseg import asa, boundary_recall, ers, learn_affinities, load_bsds500

    s = load_bsds500(split="train")[i]
    preds = {}
    for fy in (0, 1):
        for fx in (0, 1):
            im = s.image[::-1] if fy else s.image
            im = im[:, ::-1] if fx else im
            a = learn_affinities(np.ascontiguousarray(im), weights=weights)
            preds[fy, fx] = unflip(a.astype(np.float64), fy, fx)
    variants = {"plain": preds[0, 0], "tta2": (preds[0, 0] + preds[1, 1]) / 2,
                "tta4": sum(preds.values()) / 4}
    rows = []
    for name, a in variants.items():
        for p in (1.5, 2.0):
            for n in NS:
                labels = ers(None, n, affinities=a ** p)
                rows += [(s.name, f"{name}^{p}", n, asa(labels, g), boundary_recall(labels, g, 1))
                         for g in s.groundtruths]
    return rows


def table(path, base="plain^1.5"):
    sums = defaultdict(lambda: np.zeros(3))
    for r in csv.DictReader(open(path)):
        sums[r["config"], int(r["n"])] += (float(r["asa"]), float(r["br"]), 1)
    m = {k: v[:2] / v[2] for k, v in sums.items()}
    configs = sorted({k[0] for k in m})
    for j, label in ((0, "ASA"), (1, "BR")):
        print(f"{label} - {base:<8}" + "".join(f"{n:>9}" for n in NS))
        for c in configs:
            print(f"{c:<14}" + "".join(f"{m[c, n][j] - m[base, n][j]:+9.4f}" for n in NS))


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(sys.argv[2])
        sys.exit()
    weights, out, n_images = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Pool(2) as pool, open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image", "config", "n", "asa", "br"])
        for rows in pool.imap(work, [(i, weights) for i in range(n_images)]):
            w.writerows(rows)
