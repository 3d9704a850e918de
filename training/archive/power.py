import sys, numpy as np, torch
from sealseg import ers, asa, boundary_recall, load_bsds500, learn_affinities, rgb_affinities
torch.set_num_threads(1)
W = sys.argv[1]; N_IMG = int(sys.argv[2]); ns = [200, 600]
res = {}
for k, s in enumerate(load_bsds500(split="val")):
    if k < 10: continue           # different images from diag.py
    if k >= 10 + N_IMG: break
    img = s.image; gts = s.groundtruths
    A = learn_affinities(img, weights=W).astype(np.float64)
    R = rgb_affinities(img)
    variants = {"ers": lambda n: ers(img, n)}
    for p in (1, 2, 4):
        variants[f"a^{p}"] = (lambda p: lambda n: ers(None, n, affinities=A**p))(p)
    variants["a*rgb"] = lambda n: ers(None, n, affinities=A*R)
    variants["a^2*rgb"] = lambda n: ers(None, n, affinities=A**2*R)
    for name, f in variants.items():
        for n in ns:
            l = f(n)
            res.setdefault((name, n), []).append((asa(l, gts), boundary_recall(l, gts)))
for (name, n), v in sorted(res.items(), key=lambda t: (t[0][1], t[0][0])):
    v = np.array(v); print(f"{name:10s} n={n:4d} ASA {v[:,0].mean():.4f} BR {v[:,1].mean():.4f}")
