"""Exploration on BSDS500 *train* images: balance horizontal vs vertical affinities."""
import sys
import numpy as np, torch
torch.set_num_threads(1)
from scipy import ndimage as ndi
from sealseg import ers, asa, boundary_recall
from sealseg import learn_affinities
from sealseg.datasets import load_bsds500

def logit(a): a = np.clip(a, 1e-6, 1 - 1e-6); return np.log(a / (1 - a))
def sig(x): return 1 / (1 + np.exp(-x))
def hv_med(la):
    out = la.copy()
    lh, lv = logit(la[0][:, :-1]), logit(la[1][:-1])
    out[1] = sig(logit(la[1]) + np.median(lh) - np.median(lv))
    return out
def hv_mid(la):
    out = la.copy()
    lh, lv = logit(la[0][:, :-1]), logit(la[1][:-1])
    m = 0.5 * (np.median(lh) + np.median(lv))
    out[0] = sig(logit(la[0]) + m - np.median(lh))
    out[1] = sig(logit(la[1]) + m - np.median(lv))
    return out
ds = load_bsds500(split="train")
n_images = int(sys.argv[1]) if len(sys.argv) > 1 else 20
ns = (100, 200, 600, 1200)
tf = {"learned": lambda a: a, "hv_med": hv_med, "hv_mid": hv_mid, "hv_mid_pow2": lambda a: hv_mid(a) ** 2}
res = {k: {n: [] for n in ns} for k in tf}
ars = {k: [] for k in tf}
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
                ars[k] += [np.log2((o[1].stop - o[1].start) / (o[0].stop - o[0].start)) for o in ndi.find_objects(lab) if o]
            for gt in s.groundtruths:
                res[k][n].append((asa(lab, gt), boundary_recall(lab, gt)))
    print(i, flush=True)
for k in tf:
    print(f"{k:14s}", " ".join(f"n{n}: {np.mean([r[0] for r in res[k][n]]):.4f}/{np.mean([r[1] for r in res[k][n]]):.4f}" for n in ns),
          "aspect>4 %.3f" % np.mean(np.abs(ars[k]) > 2), flush=True)
