"""Where seal_ers and ers miss ground-truth boundaries on one val image (n=200).

usage: failure_map.py VAL_INDEX [OUT.png]
"""
import sys
import numpy as np, torch, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from scipy import ndimage as ndi
torch.set_num_threads(1)
from sealseg import ers, boundary_recall
from sealseg import learn_affinities
from sealseg.datasets import load_bsds500
from skimage.segmentation import find_boundaries
ds = load_bsds500(split="val")
s = ds[int(sys.argv[1])]
img = s.image; gt = s.groundtruths[0]
la = learn_affinities(img)
amap = np.minimum(la[0], la[1])
n = 200
ls, lc = ers(img, n, affinities=la), ers(img, n)
def bnd(l):
    b = np.zeros(l.shape, bool); b[:, :-1] |= l[:, :-1] != l[:, 1:]; b[:-1] |= l[:-1] != l[1:]; return b
gb = bnd(gt)
rec = lambda l: ndi.binary_dilation(bnd(l), np.ones((3, 3)))
ms, mc = gb & ~rec(ls), gb & ~rec(lc)
print("BR seal", boundary_recall(ls, gt), "ers", boundary_recall(lc, gt), "gt px", gb.sum(), "missed seal", ms.sum(), "ers", mc.sum(), "both", (ms & mc).sum())
# affinity at GT boundary pixels missed by seal only vs recalled
only_s = ms & ~mc
print("affinity min at gt boundary: missed by seal only %.3f, recalled by seal %.3f, interior %.3f" % (amap[only_s].mean(), amap[gb & ~ms].mean(), amap[~ndi.binary_dilation(gb, np.ones((5,5)))].mean()))
fig, ax = plt.subplots(2, 2, figsize=(12, 8))
ax[0,0].imshow(img); ax[0,0].set_title(s.name)
ax[0,1].imshow(amap, cmap="gray", vmin=0, vmax=1); ax[0,1].set_title("learned affinity min(h,v)")
def ov(l, m):
    o = img.copy() // 2 + 64; o[bnd(l)] = (255, 255, 0); o[m] = (255, 0, 0); o[gb & ~m] = (0, 255, 0); return o
ax[1,0].imshow(ov(ls, ms)); ax[1,0].set_title("seal_ers n=200: red = GT boundary missed")
ax[1,1].imshow(ov(lc, mc)); ax[1,1].set_title("ers n=200: red = GT boundary missed")
for a in ax.ravel(): a.axis("off")
plt.tight_layout(); plt.savefig(sys.argv[2] if len(sys.argv) > 2 else "failure_map.png", dpi=70)
