"""Exploration on BSDS500 *train* images: thin the learned boundaries (non-minimum suppression)."""
import sys
import numpy as np, torch
torch.set_num_threads(1)
from scipy import ndimage as ndi
from sealseg import ers, asa, boundary_recall
from sealseg import learn_affinities
from sealseg.datasets import load_bsds500

def nms(la, mode):
    out = la.copy()
    for d, axis in ((0, 1), (1, 0)):
        a = la[d]
        prev = np.roll(a, 1, axis=axis); nxt = np.roll(a, -1, axis=axis)
        # edges of the image: compare with self
        if axis == 1: prev[:, 0] = a[:, 0]; nxt[:, -1] = a[:, -1]
        else: prev[0] = a[0]; nxt[-1] = a[-1]
        is_min = (a <= prev) & (a <= nxt)
        hi = np.maximum(prev, nxt)
        if mode == "max": rep = np.maximum(a, hi)
        else: rep = 0.5 * (a + np.maximum(a, hi))
        out[d] = np.where(is_min, a, rep)
    return out
ds = load_bsds500(split="train")
n_images = int(sys.argv[1]) if len(sys.argv) > 1 else 20
ns = (100, 200, 600, 1200)
tf = {"learned": lambda a: a, "nms_max": lambda a: nms(a, "max"), "nms_mid": lambda a: nms(a, "mid")}
res = {k: {n: [] for n in ns} for k in tf}
thin = {k: [] for k in tf}
step = max(1, len(ds) // n_images)
for i in list(range(0, len(ds), step))[:n_images]:
    s = ds[i]
    img = s.image
    la = learn_affinities(img).astype(np.float64)
    for k, f in tf.items():
        a = f(la)
        for n in ns:
            lab = ers(img, n, affinities=a)
            if n == 200:
                thin[k] += [min(o[0].stop - o[0].start, o[1].stop - o[1].start) <= 3 for o in ndi.find_objects(lab) if o]
            for gt in s.groundtruths:
                res[k][n].append((asa(lab, gt), boundary_recall(lab, gt)))
    if i == 0:
        lab = ers(img, 200)
        print("colour ers thin<=3px frac", np.mean([min(o[0].stop - o[0].start, o[1].stop - o[1].start) <= 3 for o in ndi.find_objects(lab) if o]), flush=True)
    print(i, flush=True)
for k in tf:
    print(f"{k:14s}", " ".join(f"n{n}: {np.mean([r[0] for r in res[k][n]]):.4f}/{np.mean([r[1] for r in res[k][n]]):.4f}" for n in ns),
          "thin<=3px %.3f" % np.mean(thin[k]), flush=True)
