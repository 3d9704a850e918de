import sys, numpy as np, torch
from sealseg import ers, asa, boundary_recall, load_bsds500, learn_affinities
torch.set_num_threads(1)
res = {}
for k, s in enumerate(load_bsds500(split="val")):
    if k < 10: continue
    if k >= 22: break
    img = s.image; gts = s.groundtruths
    A = learn_affinities(img)
    for lam in (0.1, 0.5, 2.0):
        for n in (200, 600):
            l = ers(None, n, affinities=A, lam=lam)
            res.setdefault((f"seal lam={lam}", n), []).append((asa(l, gts), boundary_recall(l, gts)))
            if lam != 0.5: 
                l = ers(img, n, lam=lam)
                res.setdefault((f"ers lam={lam}", n), []).append((asa(l, gts), boundary_recall(l, gts)))
for (name, n), v in sorted(res.items(), key=lambda t: (t[0][1], t[0][0])):
    v = np.array(v); print(f"{name:16s} n={n:4d} ASA {v[:,0].mean():.4f} BR {v[:,1].mean():.4f}")
