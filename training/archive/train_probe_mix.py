"""Exploration on BSDS500 *train* images: mixing learned and colour affinities."""
import sys, time
import numpy as np, torch
torch.set_num_threads(1)
from sealseg import ers, asa, boundary_recall
from sealseg import learn_affinities, rgb_affinities
from sealseg.datasets import load_bsds500

ds = load_bsds500(split="train")
n_images = int(sys.argv[1]) if len(sys.argv) > 1 else 20
ns = (100, 200, 600, 1200)
settings = {"learned": None, "rgb_aff": None, "mix0.5": 0.5, "mix0.7": 0.7, "prod": "prod", "ers_colour": None}
res = {k: {n: [] for n in ns} for k in settings}
step = max(1, len(ds) // n_images)
for i in range(0, len(ds), step)[:n_images]:
    s = ds[i]
    img = s.image
    la = learn_affinities(img).astype(np.float64)
    ra = rgb_affinities(img)
    for k, a in settings.items():
        if k == "learned": aff = la
        elif k == "rgb_aff": aff = ra
        elif a == "prod": aff = la * ra
        elif k == "ers_colour": aff = None
        else: aff = la ** a * ra ** (1 - a)
        for n in ns:
            lab = ers(img, n, affinities=aff) if aff is not None else ers(img, n)
            for gt in s.groundtruths:
                res[k][n].append((asa(lab, gt), boundary_recall(lab, gt)))
    print(i, flush=True)
for k in settings:
    print(k, " ".join(f"n{n}: {np.mean([r[0] for r in res[k][n]]):.4f}/{np.mean([r[1] for r in res[k][n]]):.4f}" for n in ns), flush=True)
