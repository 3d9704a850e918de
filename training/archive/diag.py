"""Compare diagonal rules / combinations for learned affinities on a few val images."""
import sys, time, numpy as np, torch
from sealseg import ers, asa, boundary_recall, load_bsds500, learn_affinities
from sealseg._ext import _ers
torch.set_num_threads(1)
W = sys.argv[1]; N_IMG = int(sys.argv[2]); ns = [200, 600]
S2 = 1/np.sqrt(2)

def weights_path_rule(A):
    # diagonal = best 2-step path (max over the two paths of the min along it) / sqrt2
    H, Wd = A.shape[1:]
    w = np.full((H, Wd, 4), -1.0)
    w[:, :-1, 0] = A[0, :, :-1]; w[:-1, :, 1] = A[1, :-1, :]
    # down-right (x,y)-(x+1,y+1): path R then D: min(A0[y,x], A1[y,x+1]); D then R: min(A1[y,x], A0[y+1,x])
    p1 = np.minimum(A[0, :-1, :-1], A[1, :-1, 1:]); p2 = np.minimum(A[1, :-1, :-1], A[0, 1:, :-1])
    w[:-1, :-1, 2] = np.maximum(p1, p2) * S2
    # up-right (x,y)-(x+1,y-1): R then U: min(A0[y,x], A1[y-1,x+1]); U then R: min(A1[y-1,x], A0[y-1,x])
    p1 = np.minimum(A[0, 1:, :-1], A[1, :-1, 1:]); p2 = np.minimum(A[1, :-1, :-1], A[0, :-1, :-1])
    w[1:, :-1, 3] = np.maximum(p1, p2) * S2
    return w.ravel().astype(np.float64)

def seg_w(w, shape, n, conn=8):
    l, _ = _ers.entropy_rate_segmentation(w.copy(), shape[0], shape[1], conn, n, 0.5)
    return l

res = {}
for k, s in enumerate(load_bsds500(split="val")):
    if k >= N_IMG: break
    img = s.image; gts = s.groundtruths; shape = img.shape[:2]
    A = learn_affinities(img, weights=W).astype(np.float64)
    variants = {
        "ers": lambda n: ers(img, n),
        "learned_meanmin": lambda n: ers(None, n, affinities=A),
        "learned_path": lambda n: seg_w(weights_path_rule(A), shape, n),
        "learned_4": lambda n: ers(None, n, affinities=A, connectivity=4),
        "learned_sq_path": lambda n: seg_w(weights_path_rule(A**2), shape, n),
    }
    for name, f in variants.items():
        for n in ns:
            l = f(n)
            res.setdefault((name, n), []).append((asa(l, gts), boundary_recall(l, gts)))
for (name, n), v in sorted(res.items(), key=lambda t: (t[0][1], t[0][0])):
    v = np.array(v); print(f"{name:18s} n={n:4d} ASA {v[:,0].mean():.4f} BR {v[:,1].mean():.4f}")
