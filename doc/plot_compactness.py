"""ASA and boundary recall against mean compactness: slic, ERS and SEAL-ERS on BSDS500 val.

Each method runs at several ``compactness`` values (slic: 1, 3, 10, 30, 100;
ers and seal_ers: 0 and the same values) at n_segments 200 and 600; every
point is the mean over the images (ASA and BR first averaged over each
image's annotations, BR at tolerance 1).  Writes
``doc/_static/results/compactness.csv`` and ``compactness_n{200,600}.png``::

    python doc/plot_compactness.py --images 12          # run, then plot
    python doc/plot_compactness.py --plot-only          # plot the CSV again

Resumable: images already in the CSV are skipped.
"""
import argparse
import csv
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "_static" / "results"
CSV = OUT / "compactness.csv"
FIELDS = ["image", "method", "compactness", "n_segments", "mean_compactness", "asa", "br"]
SLIC_VALUES = [1, 3, 10, 30, 100]
ERS_VALUES = [0, 1, 3, 10, 30, 100]
N_SEGMENTS = (200, 600)


def run(n_images):
    import sealseg
    from skimage.segmentation import slic

    data = sealseg.load_bsds500(split="val")
    done = set()
    if CSV.exists():
        with open(CSV) as f:
            done = {row["image"] for row in csv.DictReader(f)}
    new_file = not CSV.exists()
    OUT.mkdir(parents=True, exist_ok=True)
    with open(CSV, "a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new_file:
            writer.writeheader()
        for index in range(min(n_images, len(data))):
            sample = data[index]
            if sample.name in done:
                continue
            image, gts = sample.image, sample.groundtruths
            runs = [("slic", c, lambda n, c=c: slic(image, n, c, start_label=1))
                    for c in SLIC_VALUES]
            runs += [("ers", c, lambda n, c=c: sealseg.ers(image, n, c)) for c in ERS_VALUES]
            # seal_ers(image, n, c) is ers on these affinities as float64 (see
            # its Notes): the net runs once per image, not once per call.
            affinities = sealseg.learn_affinities(image).astype(np.float64)
            runs += [("seal_ers", c, lambda n, c=c: sealseg.ers(None, n, c,
                                                                affinities=affinities))
                     for c in ERS_VALUES]
            rows = []
            for method, c, segment in runs:
                for n in N_SEGMENTS:
                    labels = segment(n)
                    rows.append({
                        "image": sample.name, "method": method, "compactness": c,
                        "n_segments": n, "mean_compactness": sealseg.compactness(labels),
                        "asa": np.mean([sealseg.asa(labels, g) for g in gts]),
                        "br": np.mean([sealseg.boundary_recall(labels, g, 1) for g in gts]),
                    })
            writer.writerows(rows)     # one image at a time: a killed run resumes
            f.flush()
            print(index, sample.name, flush=True)


def summary():
    """{(method, compactness, n): (n_images, mean compactness, asa, br)}."""
    with open(CSV) as f:
        rows = list(csv.DictReader(f))
    groups = {}
    for row in rows:
        key = (row["method"], float(row["compactness"]), int(row["n_segments"]))
        groups.setdefault(key, []).append(
            [float(row["mean_compactness"]), float(row["asa"]), float(row["br"])])
    return {key: (len(v), *np.mean(v, axis=0)) for key, v in groups.items()}


def table(stats):
    lines = ["method    compactness  n    images  mean_compactness  ASA     BR"]
    for (method, c, n), (count, co, asa, br) in sorted(stats.items(),
                                                       key=lambda kv: (kv[0][2], kv[0][0],
                                                                       kv[0][1])):
        lines.append(f"{method:<9} {c:>11g}  {n:<4} {count:>6}  {co:16.3f}  "
                     f"{asa:.4f}  {br:.4f}")
    return "\n".join(lines)


def plot(stats):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for n in N_SEGMENTS:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
        for method, style in (("slic", "s--"), ("ers", "o-"), ("seal_ers", "^-")):
            keys = sorted(k for k in stats if k[0] == method and k[2] == n)
            co = [stats[k][1] for k in keys]
            for ax, column, label in ((axes[0], 2, "ASA"), (axes[1], 3, "boundary recall")):
                ax.plot(co, [stats[k][column] for k in keys], style, label=method)
                for k, x in zip(keys, co):
                    ax.annotate(f"{k[1]:g}", (x, stats[k][column]), fontsize=6,
                                textcoords="offset points", xytext=(2, 3))
                ax.set_xlabel("mean compactness")
                ax.set_ylabel(label)
        count = max(stats[k][0] for k in stats if k[2] == n)
        axes[0].legend()
        fig.suptitle(f"BSDS500 val, {count} images, n_segments={n} "
                     "(labels: the compactness argument)")
        fig.tight_layout()
        fig.savefig(OUT / f"compactness_n{n}.png", dpi=110)
        plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12, help="first N val images")
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args()
    if not args.plot_only:
        run(args.images)
    stats = summary()
    plot(stats)
    print(table(stats))


if __name__ == "__main__":
    main()
