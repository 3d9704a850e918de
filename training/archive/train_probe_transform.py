"""Exploration on BSDS500 *train* images: pointwise transforms of the learned affinities."""
import sys
import numpy as np, torch
torch.set_num_threads(1)
from sealseg import ers, asa, boundary_recall
from sealseg import learn_affinities
from sealseg.datasets import load_bsds500

ds = load_bsds500(split="train")
n_images = int(sys.argv[1]) if len(sys.argv) > 1 else 20
ns = (100, 200, 600, 1200)
tf = {"pow0.25": lambda a: a ** 0.25, "pow0.5": lambda a: a ** 0.5, "pow2": lambda a: a ** 2,
      "floor0.1": lambda a: 0.1 + 0.9 * a, "lam0.25": None, "lam1.0": None}
res = {k: {n: [] for n in ns} for k in tf}
step = max(1, len(ds) // n_images)
for i in list(range(0, len(ds), step))[:n_images]:
    s = ds[i]
    img = s.image
    la = learn_affinities(img).astype(np.float64)
    print(i, "affinity quantiles", np.round(np.quantile(la, [0.01, 0.05, 0.1, 0.25, 0.5]), 3), flush=True)
    for k, f in tf.items():
        for n in ns:
            if k.startswith("lam"):
                lab = ers(img, n, affinities=la, lam=float(k[3:]))
            else:
                lab = ers(img, n, affinities=f(la))
            for gt in s.groundtruths:
                res[k][n].append((asa(lab, gt), boundary_recall(lab, gt)))
for k in tf:
    print(f"{k:18s}", " ".join(f"n{n}: {np.mean([r[0] for r in res[k][n]]):.4f}/{np.mean([r[1] for r in res[k][n]]):.4f}" for n in ns), flush=True)
