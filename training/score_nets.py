"""Score nets on BSDS500 val for a ship rule: ASA, BR, BP and boundary share over an n sweep.

Usage::

    python training/score_nets.py --net twin=bsds500-dilated --net student=RUN/model_e2.pt \
        --net ers=colour --out scores.csv [--images 100] [--jobs 2]
    python training/score_nets.py --compare scores.csv --reference twin

One row per (net, image, n): the sums over the image's annotations of ASA, boundary recall and
precision (tolerance 1), the number of annotations, the actual count and the boundary share
(transition pixels / pixels). ERS is 8-connected, lam 0.5, as ``seal_ers``'s defaults, and plain
(``relax=None``): every ship rule so far was scored so, and the relaxation is the segmenter's
choice, not the net's. The net runs in float32 whatever the CPU (``precision="auto"``
would take bfloat16 on a CPU that has it natively, and the rules were scored in float32).
``--join-slack K`` sets the ERS kernel's ``JOIN_SLACK`` (``sealseg/_ext/_ers.pyx``; 0 is the
kernel of every rule scored before it came in). The
compare step prints, for each net and n of the ship rule, ASA minus the reference's at the
same n, and BR at the reference's boundary share (linear interpolation of the net's mean
(share, BR) curve over the sweep) minus the reference's BR.
"""
import argparse
import csv
import os
from collections import defaultdict
from multiprocessing import Pool

import numpy as np

SWEEP = (50, 100, 150, 200, 300, 400, 500, 600, 700, 800, 1000, 1200, 1400, 1600)
RULE_N = (100, 200, 400, 600, 800, 1200)


def _score(args):
    name, spec, index, cache, join_slack = args
    import torch

    torch.set_num_threads(1)
    from sealseg import (asa, boundary_precision, boundary_recall, boundary_share, ers,
                         learn_affinities, load_bsds500)
    from sealseg._ext import _ers

    if join_slack is not None:
        _ers.JOIN_SLACK = join_slack

    sample = load_bsds500(split="val")[index]
    image = np.asarray(sample.image)
    gts = [np.asarray(g) for g in sample.groundtruths]
    if spec == "colour":
        aff = None
    else:
        path = os.path.join(cache, f"{name}_{sample.name}.npy")
        if os.path.exists(path):
            aff = np.load(path)
        else:
            aff = learn_affinities(image, weights=spec, precision="float32")
            np.save(path, aff)
    rows = []
    for n in SWEEP:
        if aff is None:
            lab = ers(image, n, start_label=0, relax=None)
        else:
            lab = ers(None, n, affinities=aff, connectivity=8, lam=0.5, start_label=0,
                      relax=None)
        rows.append(dict(net=name, image=sample.name, n=n, n_actual=int(lab.max()) + 1,
                         asa_sum=sum(asa(lab, g) for g in gts),
                         br_sum=sum(boundary_recall(lab, g) for g in gts),
                         bp_sum=sum(boundary_precision(lab, g) for g in gts),
                         pairs=len(gts), share=boundary_share(lab)))
    return rows


def means(path):
    acc = defaultdict(lambda: defaultdict(float))
    with open(path) as f:
        for r in csv.DictReader(f):
            a = acc[(r["net"], int(r["n"]))]
            for k in ("asa_sum", "br_sum", "bp_sum", "pairs", "share", "n_actual"):
                a[k] += float(r[k])
            a["images"] += 1
    out = {}
    for key, a in acc.items():
        out[key] = dict(asa=a["asa_sum"] / a["pairs"], br=a["br_sum"] / a["pairs"],
                        bp=a["bp_sum"] / a["pairs"], share=a["share"] / a["images"],
                        n_actual=a["n_actual"] / a["images"], images=a["images"])
    return out


def br_at_share(m, net, share):
    pts = sorted((m[(net, n)]["share"], m[(net, n)]["br"]) for n in SWEEP if (net, n) in m)
    xs, ys = zip(*pts)
    if not xs[0] <= share <= xs[-1]:
        return float("nan")
    return float(np.interp(share, xs, ys))


def compare(path, reference):
    m = means(path)
    nets = sorted({k[0] for k in m})
    print(f"reference: {reference}; images per cell: {m[(reference, RULE_N[0])]['images']}")
    for net in nets:
        print(f"\n{net}: n, ASA, BR, BP, share | ASA - ref, BR at ref's share - ref BR")
        for n in SWEEP:
            c = m[(net, n)]
            r = m[(reference, n)]
            d_asa = c["asa"] - r["asa"]
            d_br = br_at_share(m, net, r["share"]) - r["br"]
            mark = "*" if n in RULE_N else " "
            print(f"{mark}{n:5d} {c['asa']:.4f} {c['br']:.4f} {c['bp']:.4f} {c['share']:.4f} | "
                  f"{d_asa:+.4f} {d_br:+.4f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--net", action="append", default=[], help="NAME=weights|colour")
    p.add_argument("--out")
    p.add_argument("--images", type=int, default=100)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--cache", default="/tmp/score_nets_cache")
    p.add_argument("--join-slack", type=int, default=None,
                   help="the ERS kernel's JOIN_SLACK (default: the kernel's own)")
    p.add_argument("--compare")
    p.add_argument("--reference", default="twin")
    a = p.parse_args()
    if a.compare:
        compare(a.compare, a.reference)
        return
    os.makedirs(a.cache, exist_ok=True)
    tasks = [(n.split("=", 1)[0], n.split("=", 1)[1], i, a.cache, a.join_slack) for n in a.net
             for i in range(a.images)]
    fields = ["net", "image", "n", "n_actual", "asa_sum", "br_sum", "bp_sum", "pairs", "share"]
    new = not os.path.exists(a.out) or os.path.getsize(a.out) == 0
    with open(a.out, "a", newline="") as f, Pool(a.jobs) as pool:
        w = csv.DictWriter(f, fieldnames=fields)
        if new:
            w.writeheader()
        for k, rows in enumerate(pool.imap_unordered(_score, tasks)):
            w.writerows(rows)
            f.flush()
            if k % 20 == 0:
                print(f"{k + 1}/{len(tasks)}", flush=True)


if __name__ == "__main__":
    main()
