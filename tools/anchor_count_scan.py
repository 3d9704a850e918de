"""ERS variants on BSDS500 val at SSN's own count of each image: ASA paired with SSN.

"ASA at SSN's count" on the results page is read along a method's sweep over
n at SSN's *mean* count; ERS gives exactly the count it is asked for, so it
can also be run at SSN's count of each image (``n_actual`` in the anchor's
CSV) and compared image by image, with no interpolation.  Each variant is
``seal_ers``'s ERS (its join slack and relaxation cost unless the variant
says otherwise) on the cached affinities of ``tools/ers_val_scan.py``
(float32, the default net, ``--cache``), changed by the variant's settings::

    python tools/anchor_count_scan.py --variant default \\
        --variant plain:relax=none --variant lam0.4:lam=0.4 --shard 0/2 --out a.csv
    python tools/anchor_count_scan.py ... --shard 1/2 --out b.csv
    python tools/anchor_count_scan.py --summarize a.csv b.csv

A variant is ``NAME`` or ``NAME:key=value,...`` with keys ``lam``,
``relax`` (a cost or ``none``), ``slack`` (the ERS kernel's join slack),
``power`` (raised to on the cached affinities, which already carry the
net's exponent 2), ``colour_sigma`` (> 0: multiplied by
:func:`sealseg.affinity.rgb_affinities` of that width) and
``connectivity`` (4 or 8), ``thin`` (< 1: an edge whose boundary strength
``1 - a`` is not a local maximum across the edge, among its two parallel
neighbours, has that strength multiplied by ``thin``, a non-maximum
suppression of the net's boundaries).  The summary prints, per variant and n asked of
SSN, the mean count, ASA and BR (r = 1) over the 546 pairs and their
differences to SSN's.
"""
import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from ers_val_scan import _affinities

ANCHOR = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "ssn_bsds500_val"
KEYS = {"thin": float, "lam": float, "relax": lambda v: None if v == "none" else float(v), "slack": int,
        "power": float, "colour_sigma": float, "connectivity": int}


def parse_variant(text):
    """``NAME[:key=value,...]`` -> (name, settings); a usage error names the bad part."""
    name, _, rest = text.partition(":")
    settings = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in KEYS:
            raise argparse.ArgumentTypeError(
                f"variant {text!r}: {item!r} is not key=value with a key of {sorted(KEYS)}")
        try:
            settings[key] = KEYS[key](value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"variant {text!r}: bad value in {item!r}")
    return name, settings


def thinned(affinities, factor):
    """Affinities with non-maximal boundary strengths scaled by ``factor`` (module docstring).

    The cached affinities carry the exponent 2: the strength is taken of
    their square root, and the result squared again.
    """
    a = np.sqrt(affinities)
    out = a.copy()
    for axis, direction in ((1, 0), (0, 1)):   # [0] joins x to x+1: compared along x
        strength = 1.0 - a[direction]
        last = [slice(None)] * 2
        last[axis] = -1
        strength[tuple(last)] = 0.0    # no edge beyond the last column (row): never a maximum
        before = np.roll(strength, 1, axis=axis)
        after = np.roll(strength, -1, axis=axis)
        # No neighbour beyond the border: compare with the edge itself there.
        index = [slice(None)] * 2
        index[axis] = 0
        before[tuple(index)] = strength[tuple(index)]
        index[axis] = -1
        after[tuple(index)] = strength[tuple(index)]
        weak = (strength < before) | (strength < after)
        weak[tuple(last)] = False
        out[direction][weak] = 1.0 - factor * strength[weak]
    return out ** 2


def segment(sample, affinities, n, settings):
    """``seal_ers``'s ERS on ``affinities`` at ``n``, changed by ``settings``."""
    from sealseg.affinity import rgb_affinities
    from sealseg.seal import ers_as_seal_ers

    if settings.get("thin", 1.0) != 1.0:
        affinities = thinned(affinities, settings["thin"])
    if settings.get("power", 1.0) != 1.0:
        affinities = affinities ** settings["power"]
    if settings.get("colour_sigma", 0.0) > 0:
        affinities = affinities * rgb_affinities(sample.image,
                                                 color_sigma=settings["colour_sigma"])
    options = {key: settings[key] for key in ("lam", "relax", "connectivity") if key in settings}
    if "slack" in settings:
        options["join_slack"] = settings["slack"]
    return ers_as_seal_ers(affinities, n, **options)


def scan(args):
    from sealseg.datasets import load_bsds500
    from sealseg.metrics import asa, boundary_recall

    with open(Path(args.anchor) / "ssn_val.csv") as f:
        anchor = {(r["image"], int(r["n_asked"])): r for r in csv.DictReader(f)}
    data = load_bsds500(split="val")
    k, of = (int(v) for v in args.shard.split("/"))
    fields = ["variant", "image", "n_asked", "n", "pairs", "asa", "br", "ssn_asa", "ssn_br"]
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        for index in range(k, len(data), of):
            sample = data[index]
            affinities = _affinities(sample, args.cache).astype(np.float64)
            gts = sample.groundtruths
            for n_asked in (200, 600, 1200):
                ssn = anchor[(sample.name, n_asked)]
                n = int(ssn["n_actual"])
                for name, settings in args.variant:
                    labels = segment(sample, affinities, n, settings)
                    writer.writerow({"variant": name, "image": sample.name, "n_asked": n_asked,
                                     "n": n, "pairs": len(gts),
                                     "asa": sum(asa(labels, g) for g in gts),
                                     "br": sum(boundary_recall(labels, g, 1) for g in gts),
                                     "ssn_asa": ssn["asa_sum"], "ssn_br": ssn["br_sum"]})
            f.flush()
            print(f"{index} {sample.name}", file=sys.stderr, flush=True)


def summarize(paths):
    sums = defaultdict(lambda: defaultdict(float))
    for path in paths:
        with open(path) as f:
            for row in csv.DictReader(f):
                s = sums[(row["variant"], int(row["n_asked"]))]
                s["images"] += 1
                for key in ("n", "pairs", "asa", "br", "ssn_asa", "ssn_br"):
                    s[key] += float(row[key])
    print("variant,n_asked,images,mean_n,asa,asa_minus_ssn,br,br_minus_ssn")
    for (name, n_asked), s in sorted(sums.items()):
        p = s["pairs"]
        print(f"{name},{n_asked},{s['images']:.0f},{s['n'] / s['images']:.1f},"
              f"{s['asa'] / p:.5f},{(s['asa'] - s['ssn_asa']) / p:+.5f},"
              f"{s['br'] / p:.4f},{(s['br'] - s['ssn_br']) / p:+.4f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", type=parse_variant, default=[],
                        metavar="NAME[:key=value,...]")
    parser.add_argument("--shard", default="0/1")
    parser.add_argument("--cache", default="/tmp/sealseg-val-affinities",
                        help="the affinities of tools/ers_val_scan.py (computed when absent)")
    parser.add_argument("--anchor", default=str(ANCHOR), help="SSN's anchor folder")
    parser.add_argument("--out", default="anchor_count.csv")
    parser.add_argument("--summarize", nargs="+", metavar="CSV")
    args = parser.parse_args(argv)
    if args.summarize:
        summarize(args.summarize)
        return 0
    if not args.variant:
        parser.error("give at least one --variant (e.g. --variant default)")
    scan(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
