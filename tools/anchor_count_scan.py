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
``connectivity`` (4 or 8) and ``thin`` (the factor of
:func:`sealseg.thin_boundaries`, applied to the cached affinities
first).  The summary prints, per variant and n asked of
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
KEYS = {"lam": float, "relax": lambda v: None if v == "none" else float(v), "slack": int,
        "power": float, "colour_sigma": float, "connectivity": int, "thin": float}


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


def segment(sample, affinities, n, settings):
    """``seal_ers``'s ERS on ``affinities`` at ``n``, changed by ``settings``."""
    from sealseg.affinity import rgb_affinities, thin_boundaries
    from sealseg.seal import ers_as_seal_ers

    if settings.get("thin", 1.0) != 1.0:
        affinities = thin_boundaries(affinities, settings["thin"])
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


def add_anchor_scan_arguments(parser, out):
    """The options every scan against the SSN anchor takes (this tool's, asa_gap_where's)."""
    parser.add_argument("--shard", default="0/1", help="K/M: the images K, K + M, ...")
    parser.add_argument("--cache", default="/tmp/sealseg-val-affinities",
                        help="the affinities of tools/ers_val_scan.py (computed when absent)")
    parser.add_argument("--anchor", default=str(ANCHOR), help="SSN's anchor folder")
    parser.add_argument("--out", default=out)
    parser.add_argument("--summarize", nargs="+", metavar="FILE",
                        help="summarize these outputs of earlier runs instead")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", type=parse_variant, default=[],
                        metavar="NAME[:key=value,...]")
    add_anchor_scan_arguments(parser, "anchor_count.csv")
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
