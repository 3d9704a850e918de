"""The shape table of the results page: plain against relaxed ERS on BSDS500 val, with SSN.

Reads the per-image rows of ``tools/ers_val_scan.py`` (variants ``plain``
and ``separate``, sources colour and learned) and SSN's label maps
(``../shared/anchors/ssn_bsds500_val``), and prints per source and n: ASA,
BR (r = 1), strip share, boundary share, and BR at equal boundary share
(each variant's BR read off its own sweep over n at the other variant's
share, and at SSN's)::

    python tools/ers_val_scan.py --variants plain separate --n 100 200 300 400 600 800 1000 1200 \\
        --cache AFFINITIES --out scan.csv
    python tools/shape_table.py scan.csv --ssn ../shared/anchors/ssn_bsds500_val
"""
import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np


def _means(paths):
    sums = defaultdict(lambda: defaultdict(float))
    for path in paths:
        with open(path) as f:
            for row in csv.DictReader(f):
                s = sums[(row["variant"], row["source"], int(row["n"]))]
                s["pairs"] += int(row["pairs"])
                s["images"] += 1
                for key in ("asa", "br"):
                    s[key] += float(row[key])
                for key in ("strip", "bshare"):
                    s[key] += float(row[key])
    return {key: {"asa": s["asa"] / s["pairs"], "br": s["br"] / s["pairs"],
                  "strip": s["strip"] / s["images"], "bshare": s["bshare"] / s["images"],
                  "images": s["images"]}
            for key, s in sums.items()}


def _ssn(root):
    """SSN's mean ASA, BR, strip share and boundary share per n asked."""
    from PIL import Image

    from sealseg import boundary_share
    from sealseg.metrics import strip_share

    sums = defaultdict(lambda: defaultdict(float))
    with open(Path(root) / "ssn_val.csv") as f:
        for row in csv.DictReader(f):
            n = int(row["n_asked"])
            labels = np.array(Image.open(Path(root) / "labels" / f"{row['image']}_n{n}.png"))
            s = sums[n]
            s["pairs"] += int(row["n_pairs"])
            s["images"] += 1
            s["asa"] += float(row["asa_sum"])
            s["br"] += float(row["br_sum"])
            s["n_actual"] += int(row["n_actual"])
            s["strip"] += strip_share(labels.astype(np.int64))
            s["bshare"] += boundary_share(labels)
    return {n: {"asa": s["asa"] / s["pairs"], "br": s["br"] / s["pairs"],
                "strip": s["strip"] / s["images"], "bshare": s["bshare"] / s["images"],
                "n_actual": s["n_actual"] / s["images"]} for n, s in sums.items()}


def _br_at(means, variant, source, share):
    """The variant's BR read off its sweep over n at ``share`` (NaN outside the sweep)."""
    from sealseg.evaluation import metric_at

    sweep = [{"method": variant, "bshare": m["bshare"], "br": m["br"]}
             for (v, s, _), m in means.items() if v == variant and s == source]
    return metric_at(sweep, variant, "br", "bshare", share)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scans", nargs="+", metavar="CSV")
    parser.add_argument("--old", default="plain")
    parser.add_argument("--new", default="separate")
    parser.add_argument("--ssn", default=None, help="the SSN anchor folder")
    args = parser.parse_args(argv)
    means = _means(args.scans)
    ssn = _ssn(args.ssn) if args.ssn else {}
    print("source,variant,n,images,asa,br,strip_pct,bshare_pct,br_at_other_share,"
          "br_at_ssn_share")
    for source in ("colour", "learned"):
        counts = sorted({n for (v, s, n) in means if s == source})
        for n in counts:
            for variant, other in ((args.old, args.new), (args.new, args.old)):
                m = means.get((variant, source, n))
                if m is None:
                    continue
                mo = means.get((other, source, n))
                at_other = _br_at(means, variant, source, mo["bshare"]) if mo else float("nan")
                at_ssn = (_br_at(means, variant, source, ssn[n]["bshare"]) if n in ssn
                          else float("nan"))
                print(f"{source},{variant},{n},{m['images']:.0f},{m['asa']:.4f},{m['br']:.4f},"
                      f"{100 * m['strip']:.2f},{100 * m['bshare']:.1f},{at_other:.4f},"
                      f"{at_ssn:.4f}")
    for n, m in sorted(ssn.items()):
        print(f"ssn,ssn,{n},100,{m['asa']:.4f},{m['br']:.4f},{100 * m['strip']:.2f},"
              f"{100 * m['bshare']:.1f},,{m['br']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
