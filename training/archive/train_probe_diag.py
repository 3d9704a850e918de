"""Exploration on BSDS500 *train* images: how diagonal weights are formed from 4-conn affinities."""
import sys
import numpy as np, torch
torch.set_num_threads(1)
from sealseg import ers, asa, boundary_recall
from sealseg._ext import _ers
from sealseg import learn_affinities, rgb_affinities
from sealseg.datasets import load_bsds500

def weights(A, rule):
    H, W = A.shape[1:]
    w = np.full((H, W, 4), -1.0)
    w[:, :-1, 0] = A[0, :, :-1]
    w[:-1, :, 1] = A[1, :-1, :]
    if rule == "four":
        return w[:, :, :2].ravel().copy(), 4
    # down-right (x,y)->(x+1,y+1)
    p1a, p1b = A[0, :-1, :-1], A[1, :-1, 1:]      # right then down
    p2a, p2b = A[1, :-1, :-1], A[0, 1:, :-1]      # down then right
    # up-right (x,y)->(x+1,y-1), y>=1
    q1a, q1b = A[0, 1:, :-1], A[1, :-1, 1:]       # right (row y) then up (x+1)
    q2a, q2b = A[1, :-1, :-1], A[0, :-1, :-1]     # up (col x) then right (row y-1)
    def comb(a, b, c, d):
        if rule == "current":
            return np.minimum((a + d) / 2, (b + c) / 2) / np.sqrt(2)  # not used
        if rule == "prod":
            return np.maximum(a * b, c * d)
        if rule == "prod_mean":
            return (a * b + c * d) / 2
        if rule == "minmax":
            return np.maximum(np.minimum(a, b), np.minimum(c, d))
        if rule == "prod_sq":
            return np.maximum(a * b, c * d) ** 2
        if rule == "prod_s2":
            return np.maximum(a * b, c * d) / np.sqrt(2)
        raise ValueError(rule)
    w[:-1, :-1, 2] = comb(p1a, p1b, p2a, p2b)
    w[1:, :-1, 3] = comb(q1a, q1b, q2a, q2b)
    return w.ravel(), 8

ds = load_bsds500(split="train")
n_images = int(sys.argv[1]) if len(sys.argv) > 1 else 20
ns = (100, 200, 600, 1200)
rules = ["learned_current", "learned_four", "learned_prod", "learned_prod_mean", "learned_minmax", "learned_prod_sq", "learned_prod_s2", "rgb_prod", "rgb_prod_sq"]
res = {k: {n: [] for n in ns} for k in rules}
step = max(1, len(ds) // n_images)
for i in list(range(0, len(ds), step))[:n_images]:
    s = ds[i]
    img = s.image
    H, W = img.shape[:2]
    la = learn_affinities(img).astype(np.float64)
    ra = rgb_affinities(img)
    for k in rules:
        src, rule = k.split("_", 1)
        A = la if src == "learned" else ra
        for n in ns:
            if rule == "current":
                lab = ers(img, n, affinities=A)
            else:
                w, conn = weights(A, rule)
                lab, _ = _ers.entropy_rate_segmentation(w, H, W, conn, n, 0.5)
            for gt in s.groundtruths:
                res[k][n].append((asa(lab, gt), boundary_recall(lab, gt)))
    print(i, flush=True)
for k in rules:
    print(f"{k:18s}", " ".join(f"n{n}: {np.mean([r[0] for r in res[k][n]]):.4f}/{np.mean([r[1] for r in res[k][n]]):.4f}" for n in ns), flush=True)
