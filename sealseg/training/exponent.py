"""Choose the affinity exponent of a weight file on BSDS500, and write it.

The net is trained on the sigmoid of its logits; ERS reads the affinities
``sigmoid(logits) ** exponent`` (``PixelAffinityNet(exponent=...)``).  This
script scores 8-connected ERS (lam 0.5) on the learned affinities raised to
each candidate exponent, and on colour affinities (plain ``ers``), over the
first ``--images`` images of ``--split`` (sorted by name) with all their
annotations, at n = 100, 200, 400, 600, 800, 1200; it prints ASA and boundary
recall (tolerance 1) minus those of ``ers``, means over (image, annotation)
pairs, for each exponent the smallest margin over the release bar, and the
exponent the release rule picks (``pick_exponent``).

The train split is the net's own training data, on which its boundary
recall is higher than on unseen images (``training/README.md``); the val
split is the selection split.

This is the last step of the recipe of the shipped default weights
(``training/README.md``); it lives in the package, beside the training code,
so that it is tested as any module is.

Usage (package installed)::

    python -m sealseg.training.exponent WEIGHTS --split val --images 100 --csv scan.csv
    python -m sealseg.training.exponent WEIGHTS --write OUT.pt --exponent 1.5
"""
import argparse
import csv
import os
from collections import defaultdict
from multiprocessing import Pool

import numpy as np

__all__ = ["scan", "pick_exponent", "bar_margin", "write", "print_table", "main",
           "N_SEGMENTS", "EXPONENTS", "BAR_ASA", "BAR_BR", "TIE"]

N_SEGMENTS = (100, 200, 400, 600, 800, 1200)
EXPONENTS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5)
# The release bar of issue 5, as gains over ``ers`` at N_SEGMENTS: the paper
# model's ASA margin, and boundary recall no more than 0.005 below (n <= 200)
# or not below (n >= 400) that of ``ers``.
BAR_ASA = (0.019, 0.012, 0.007, 0.005, 0.004, 0.003)
BAR_BR = (-0.005, -0.005, 0.0, 0.0, 0.0, 0.0)
TIE = 0.0002


def _score_image(args):
    index, weights, split = args
    import torch

    torch.set_num_threads(1)
    from ..datasets import load_bsds500
    from ..metrics import asa, boundary_recall
    from ..pan.inference import learn_affinities
    from ..segmentation import ers

    sample = load_bsds500(split=split)[index]
    # the plain sigmoid (scan() refuses files with another exponent); each
    # candidate exponent is applied below
    affinities = learn_affinities(sample.image, weights=weights).astype(np.float64)
    rows = []
    for exponent in (None,) + EXPONENTS:
        for n in N_SEGMENTS:
            if exponent is None:
                labels = ers(sample.image, n)
            else:
                labels = ers(None, n, affinities=affinities ** exponent)
            for g in sample.groundtruths:
                rows.append((sample.name, "ers" if exponent is None else exponent, n,
                             asa(labels, g), boundary_recall(labels, g, 1)))
    return rows


def scan(weights, n_images, csv_path=None, jobs=2, split="train"):
    """Mean ASA and BR per (config, n) over the first ``n_images`` images of ``split``."""
    from ..pan.pretrained import read_weight_file

    if read_weight_file(weights).exponent != 1.0:
        raise ValueError("scan a weight file with exponent 1 (the trained net)")
    sums = defaultdict(lambda: np.zeros(3))
    out = open(csv_path, "w", newline="") if csv_path else None
    writer = csv.writer(out) if out else None
    if writer:
        writer.writerow(["image", "config", "n", "asa", "br"])
    with Pool(jobs) as pool:
        for rows in pool.imap(_score_image, [(i, weights, split) for i in range(n_images)]):
            for name, config, n, a, b in rows:
                sums[config, n] += (a, b, 1)
                if writer:
                    writer.writerow([name, config, n, a, b])
    if out:
        out.close()
    return {key: (s[0] / s[2], s[1] / s[2]) for key, s in sums.items()}


def print_table(means):
    for j, label in ((0, "ASA - ers"), (1, "BR - ers")):
        print(f"{label:<12}" + "".join(f"{n:>9}" for n in N_SEGMENTS))
        for exponent in EXPONENTS:
            print(f"{'a^' + str(exponent):<12}" + "".join(
                f"{means[exponent, n][j] - means['ers', n][j]:+9.4f}" for n in N_SEGMENTS))
    print(f"{'ers':<12}" + "".join(f"{means['ers', n][0]:.4f}/{means['ers', n][1]:.4f} "
                                   for n in N_SEGMENTS))
    print("smallest margin over the bar (ASA and BR gains minus BAR_ASA, BAR_BR):")
    for exponent in EXPONENTS:
        print(f"{'a^' + str(exponent):<12}{bar_margin(means, exponent):+9.5f}")
    print(f"rule's pick: {pick_exponent(means)}")


def pick_exponent(means, tie=TIE):
    """The exponent with the largest smallest margin over the bar.

    Margins within ``tie`` of the largest count as equal (this scan computes
    the power in float64, the package in float32); among those, the larger
    mean boundary-recall gain over ``ers`` wins.
    """
    margins = {e: bar_margin(means, e) for e in EXPONENTS}
    best = max(margins.values())
    tied = [e for e in EXPONENTS if margins[e] >= best - tie]
    return max(tied, key=lambda e: sum(means[e, n][1] - means["ers", n][1] for n in N_SEGMENTS))


def bar_margin(means, exponent):
    """Smallest of the 12 gains over ``ers`` minus the bar; >= 0 means the bar is met."""
    margins = []
    for n, bar_asa, bar_br in zip(N_SEGMENTS, BAR_ASA, BAR_BR):
        margins.append(means[exponent, n][0] - means["ers", n][0] - bar_asa)
        margins.append(means[exponent, n][1] - means["ers", n][1] - bar_br)
    return min(margins)


def write(weights, exponent, out):
    """Copy the weight file ``weights`` to ``out`` with ``config['exponent']`` set."""
    import torch

    from .._io import atomic_write
    from ..pan.pretrained import model_file_payload, read_weight_file

    payload = model_file_payload(read_weight_file(weights))
    payload["config"]["exponent"] = float(exponent)
    atomic_write(out, lambda handle: torch.save(payload, handle))
    read_weight_file(out)  # the written file loads and its exponent is valid


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sealseg.training.exponent",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("weights")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--split", choices=("train", "val"), default="train")
    parser.add_argument("--csv", default=None, help="per (image, annotation) scores")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write", metavar="OUT", default=None)
    parser.add_argument("--exponent", type=float, default=None)
    args = parser.parse_args(argv)
    if args.write:
        if args.exponent is None:
            parser.error("--write needs --exponent")
        write(args.weights, args.exponent, args.write)
        return
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print_table(scan(args.weights, args.images, args.csv, args.jobs, args.split))


if __name__ == "__main__":
    main()
