"""Scan ERS variants on the BSDS500 val images: ASA and boundary recall at every n.

The shipped net's affinities are computed once per image and cached (npz in
``--cache``), so a scan after the first reruns ERS alone.  Each variant
segments an image at every n of ``--n``, on colours (``ers``) and on the
cached learned affinities (``seal_ers``'s ERS); the scores are means over
the (image, annotation) pairs, as on the results page::

    python tools/ers_val_scan.py --variants separate stack --shard 0/2 --out a.csv
    python tools/ers_val_scan.py --variants separate stack --shard 1/2 --out b.csv
    python tools/ers_val_scan.py --summarize a.csv b.csv

``separate``: one call per n, default arguments (for the learned source,
``seal_ers``'s defaults, so its ``relax`` and its join slack); ``plain``: the same with
``relax=None`` (plain ERS, without the boundary relaxation); ``stack``: one
call with the whole list of n (nested levels).  ``--cache`` must hold the
affinities of the net whose figures are wanted (delete it when the default
net changes; ``--weights`` fills an empty one with another net's); they
are computed in float32 whatever the CPU, so that a scan on a CPU with
native bfloat16 scores the same affinities, or with ``--precision
bfloat16`` in bfloat16 (cached apart).  ``--join-slack K [K ...]`` runs
every variant once per value of the ERS kernel's join slack
(``JOIN_SLACK`` in ``sealseg/_ext/_ers.pyx`` for the colour source, the
``join_slack`` of ``sealseg.seal.ers_as_seal_ers`` for the learned one),
the variant named ``NAME@K``; ``--relax COST [COST ...]`` once per
relaxation cost, named ``NAME/rCOST``; ``--lam L [L ...]`` once per
balancing weight ``lam``, named ``NAME/lamL``; ``--thin F [F ...]``
(learned source) once per factor of :func:`sealseg.thin_boundaries`
applied to the net's affinities first, named ``NAME/thinF``.
"""
import argparse
import csv
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

N_LIST = [100, 200, 300, 400, 600, 800, 1000, 1200]


def _affinities(sample, cache, precision="float32", weights=None):
    suffix = "" if precision == "float32" else f"-{precision}"
    path = Path(cache) / f"{sample.name}{suffix}.npz"
    if path.exists():
        return np.load(path)["affinities"]
    from sealseg import learn_affinities

    affinities = learn_affinities(sample.image, weights=weights, precision=precision)
    np.savez(path, affinities=affinities)
    return affinities


def _separate(image, affinities, n_list, kwargs):
    from sealseg import ers
    from sealseg.seal import ers_as_seal_ers

    if affinities is None:
        return [ers(image, n, **kwargs) for n in n_list]
    # The learned source stands for seal_ers: its ERS settings, not ers's.
    return [ers_as_seal_ers(affinities, n, **kwargs) for n in n_list]


def _plain(image, affinities, n_list, kwargs):
    return _separate(image, affinities, n_list, dict(kwargs, relax=None))


def _stack(image, affinities, n_list, kwargs):
    from sealseg import ers
    from sealseg.seal import ers_as_seal_ers

    if affinities is None:
        return list(ers(image, list(n_list), **kwargs))
    return list(ers_as_seal_ers(affinities, list(n_list), **kwargs))


VARIANTS = {"separate": _separate, "plain": _plain, "stack": _stack}


def _shape_scores(labels):
    """Strip share (sealseg.metrics) and boundary share of a label map."""
    from sealseg.metrics import boundary_share, strip_share

    return {"strip": strip_share(labels), "bshare": boundary_share(labels)}


def scan(args):
    from sealseg.datasets import load_bsds500
    from sealseg.metrics import asa, boundary_recall

    from sealseg._ext import _ers

    ers_slack = _ers.JOIN_SLACK
    data = load_bsds500(split="val")
    from sealseg.affinity import thin_boundaries

    runs = [(variant, slack, relax, lam, thin) for variant in args.variants
            for slack in (args.join_slack or [None]) for relax in (args.relax or [None])
            for lam in (args.lam or [None]) for thin in (args.thin or [None])]
    k, of = (int(v) for v in args.shard.split("/"))
    indices = [i for i in range(args.skip, len(data)) if i % of == k][: args.limit]
    os.makedirs(args.cache, exist_ok=True)
    fields = ["variant", "source", "image", "n", "n_obtained", "pairs", "asa", "br", "seconds",
              "strip", "bshare"]
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        for index in indices:
            sample = data[index]
            aff = _affinities(sample, args.cache, args.precision,
                              args.weights).astype(np.float64)
            for source in args.sources:
                for variant, slack, relax, lam, thin in runs:
                    if thin is not None and source != "learned":
                        continue
                    kwargs = {} if relax is None else {"relax": relax}
                    if lam is not None:
                        kwargs["lam"] = lam
                    if source == "learned":
                        # seal_ers's ERS (ers_as_seal_ers): its own join slack unless scanned.
                        if slack is not None:
                            kwargs["join_slack"] = slack
                    else:
                        _ers.JOIN_SLACK = ers_slack if slack is None else slack
                    start = time.perf_counter()
                    learned = None
                    if source == "learned":
                        learned = aff if thin is None else thin_boundaries(aff, thin)
                    maps = VARIANTS[variant](sample.image, learned, args.n, kwargs)
                    seconds = time.perf_counter() - start
                    name = variant if slack is None else f"{variant}@{slack}"
                    name = name if relax is None else f"{name}/r{relax:g}"
                    name = name if lam is None else f"{name}/lam{lam:g}"
                    name = name if thin is None else f"{name}/thin{thin:g}"
                    for n, labels in zip(args.n, maps):
                        gts = sample.groundtruths
                        row = {"variant": name, "source": source, "image": sample.name,
                               "n": n, "n_obtained": len(np.unique(labels)),
                               "pairs": len(gts),
                               "asa": sum(asa(labels, g) for g in gts),
                               "br": sum(boundary_recall(labels, g, 1) for g in gts),
                               "seconds": seconds, "strip": "", "bshare": ""}
                        row.update(_shape_scores(labels))
                        writer.writerow(row)
            f.flush()
            print(f"{index} {sample.name}", file=sys.stderr, flush=True)


def summarize(paths):
    sums = defaultdict(lambda: defaultdict(float))
    for path in paths:
        with open(path) as f:
            for row in csv.DictReader(f):
                key = (row["variant"], row["source"], int(row["n"]))
                s = sums[key]
                s["pairs"] += int(row["pairs"])
                s["images"] += 1
                s["asa"] += float(row["asa"])
                s["br"] += float(row["br"])
                s["n_obtained"] += int(row["n_obtained"])
                if row["strip"]:
                    s["strip"] += float(row["strip"])
                    s["bshare"] += float(row["bshare"])
    print("variant,source,n,images,pairs,mean_n_obtained,asa,br,strip,bshare")
    for (variant, source, n), s in sorted(sums.items()):
        strip = f"{s['strip'] / s['images']:.4f}" if "strip" in s else ""
        bshare = f"{s['bshare'] / s['images']:.4f}" if "bshare" in s else ""
        print(f"{variant},{source},{n},{s['images']:.0f},{s['pairs']:.0f},"
              f"{s['n_obtained'] / s['images']:.1f},{s['asa'] / s['pairs']:.5f},"
              f"{s['br'] / s['pairs']:.5f},{strip},{bshare}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["separate"], choices=list(VARIANTS))
    parser.add_argument("--sources", nargs="+", default=["colour", "learned"],
                        choices=["colour", "learned"])
    parser.add_argument("--n", nargs="+", type=int, default=N_LIST)
    parser.add_argument("--shard", default="0/1")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--skip", type=int, default=0, help="start at this image index")
    parser.add_argument("--cache", default="/tmp/sealseg-val-affinities")
    parser.add_argument("--out", default="scan.csv")
    parser.add_argument("--weights", default=None,
                        help="the net whose affinities fill an empty --cache (default: the "
                             "default net); a cache holds one net's")
    parser.add_argument("--precision", choices=["float32", "bfloat16"], default="float32",
                        help="precision of the net's affinities (learned source)")
    parser.add_argument("--join-slack", nargs="+", type=int, default=None, metavar="K",
                        help="run each variant with each of these ERS kernel JOIN_SLACK values")
    parser.add_argument("--relax", nargs="+", type=float, default=None, metavar="COST",
                        help="run each variant with each of these relax costs, named "
                             "NAME/rCOST (separate only: plain and stack are never relaxed)")
    parser.add_argument("--lam", nargs="+", type=float, default=None, metavar="L",
                        help="run each variant with each of these balancing weights lam, "
                             "named NAME/lamL")
    parser.add_argument("--thin", nargs="+", type=float, default=None, metavar="F",
                        help="learned source: thin the net's boundaries first by each of these "
                             "factors (sealseg.thin_boundaries), named NAME/thinF")
    parser.add_argument("--summarize", nargs="+", metavar="CSV")
    args = parser.parse_args(argv)
    if args.summarize:
        summarize(args.summarize)
    else:
        scan(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
