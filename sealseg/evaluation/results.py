"""Result files of an evaluation: ``results.csv`` rows and resume, ``summary.csv``, ``config.json``.

Rows are appended and flushed as a run goes; a run that was stopped resumes
from the complete rows it left (a line cut short by a kill, or a (method,
image, n) group missing an annotation, is dropped and computed again).
Files that are rewritten are written atomically (``sealseg._io``).
"""
import csv
import io
import json
import os
import statistics
from collections import defaultdict

import numpy as np

from .._io import atomic_write_text

__all__ = ["RESULT_FIELDS", "SUMMARY_FIELDS", "format_header", "format_row", "load_results",
           "check_config", "summarize", "summary_csv", "summary_table"]

RESULT_FIELDS = ["method", "image", "annotation", "annotations", "n_segments",
                 "n_obtained", "asa", "br", "bp", "boundary_share", "miou", "seconds"]
SUMMARY_FIELDS = ["method", "n_segments", "images", "pairs", "n_obtained", "asa", "br",
                  "bp", "boundary_share", "miou", "reference", "br_at_ref_share",
                  "seconds_median"]


def _csv_line(values):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def format_header():
    """The header line of ``results.csv``."""
    return _csv_line(RESULT_FIELDS)


def format_row(row):
    """One result row as a CSV line (floats as ``repr``, so they read back exactly)."""
    values = []
    for field in RESULT_FIELDS:
        v = row[field]
        values.append(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v))
    return _csv_line(values)


def _parse_row(record):
    row = dict(zip(RESULT_FIELDS, record))
    for field in ("annotation", "annotations", "n_segments", "n_obtained"):
        row[field] = int(row[field])
    for field in ("asa", "br", "bp", "boundary_share", "miou", "seconds"):
        row[field] = float(row[field])
    return row


def load_results(path):
    """Complete result rows of ``path``; rewrites the file if it held broken lines.

    Raises
    ------
    ValueError
        If ``path`` is not a results file (its header is not :data:`RESULT_FIELDS`).
    """
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    broken = False
    if lines and not lines[-1].endswith("\n"):
        lines.pop()  # interrupted mid-write
        broken = True
    rows = []
    records = list(csv.reader(lines))
    if not records or records[0] != RESULT_FIELDS:
        raise ValueError(f"{path} is not a results file of this evaluation (unexpected "
                         "header); choose another output folder")
    for record in records[1:]:
        try:
            if len(record) != len(RESULT_FIELDS):
                raise ValueError
            rows.append(_parse_row(record))
        except ValueError:
            broken = True
    groups = defaultdict(list)
    for row in rows:
        groups[(row["method"], row["image"], row["n_segments"])].append(row)
    complete = []
    for group in groups.values():
        if sorted(r["annotation"] for r in group) == list(range(group[0]["annotations"])):
            complete.extend(group)
        else:
            broken = True
    if broken:
        atomic_write_text(path, format_header() + "".join(format_row(r) for r in complete))
    return complete


def check_config(out, config, written_here=()):
    """Write ``out/config.json``, or check that the one there is ``config``.

    A key the file lacks (one written by an earlier version) is added, not
    taken as a difference.

    Raises
    ------
    ValueError
        If ``out`` holds the results of another evaluation, or, without a
        ``config.json``, any of the files ``written_here`` (an evaluation
        writes them; there they are someone else's and would be replaced).
    """
    path = out / "config.json"
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except ValueError:
            previous = None
        if not isinstance(previous, dict):
            raise ValueError(f"{out / 'config.json'} is not the config file of an evaluation; "
                             "choose another output folder")
        if any(previous[key] != value for key, value in config.items() if key in previous) \
                or set(previous) - set(config):
            raise ValueError(f"{out} holds results of another evaluation ({previous}); "
                             f"this one is {config}; choose another output folder")
        if previous != config:
            atomic_write_text(path, json.dumps(config, indent=1) + "\n")
    else:
        present = [name for name in written_here if os.path.lexists(out / name)]
        if present:
            raise ValueError(f"{out} holds {', '.join(present)} but no config.json: files this "
                             "command did not write, which it would replace; choose another "
                             "output folder")
        atomic_write_text(path, json.dumps(config, indent=1) + "\n")


def summarize(rows, methods=None):
    """Means over (image, annotation) pairs per (method, n_segments).

    Parameters
    ----------
    rows : iterable of dict
        Result rows as written to ``results.csv``.
    methods : list of str, optional
        Order of the methods in the output (others follow, sorted).

    Returns
    -------
    summary : list of dict
        Keys ``method, n_segments, images, pairs, n_obtained`` (mean over
        images), ``asa, br, bp`` (means over pairs), ``boundary_share`` and
        ``miou`` (means over images; ``miou`` NaN without class maps) and
        ``seconds_median`` (median over images of one call).  BR at a
        reference's boundary share is added by
        :func:`sealseg.evaluation.add_equal_share`.

    Examples
    --------
    >>> from sealseg.evaluation import summarize
    >>> rows = [dict(method="m", image=i, annotation=0, n_segments=2, n_obtained=2,
    ...              asa=a, br=1.0, bp=0.5, boundary_share=0.1, miou=float("nan"),
    ...              seconds=0.1) for i, a in (("x", 0.5), ("y", 1.0))]
    >>> summarize(rows)[0]["asa"]
    0.75
    """
    groups = defaultdict(list)
    # Sorted so that the means do not depend on the order rows were computed in.
    for row in sorted(rows, key=lambda r: (r["image"], r["annotation"])):
        groups[(row["method"], row["n_segments"])].append(row)
    order = list(methods or [])
    order += sorted({m for m, _ in groups} - set(order))
    summary = []
    for method in order:
        for n in sorted(n for m, n in groups if m == method):
            group = groups[(method, n)]
            per_image = {r["image"]: r for r in group}
            summary.append({
                "method": method, "n_segments": n, "images": len(per_image),
                "pairs": len(group),
                "n_obtained": float(np.mean([r["n_obtained"] for r in per_image.values()])),
                "asa": float(np.mean([r["asa"] for r in group])),
                "br": float(np.mean([r["br"] for r in group])),
                "bp": float(np.mean([r["bp"] for r in group])),
                "boundary_share": float(np.mean(
                    [r["boundary_share"] for r in per_image.values()])),
                "miou": float(np.mean([r["miou"] for r in per_image.values()])),
                "seconds_median": float(statistics.median(
                    r["seconds"] for r in per_image.values())),
            })
    return summary


def summary_csv(summary):
    """The text of ``summary.csv``."""
    lines = [_csv_line(SUMMARY_FIELDS)]
    for s in summary:
        lines.append(_csv_line(
            [s["method"], s["n_segments"], s["images"], s["pairs"], f"{s['n_obtained']:.1f}"]
            + [f"{s[k]:.6f}" for k in ("asa", "br", "bp", "boundary_share", "miou")]
            + [s.get("reference", ""), f"{s.get('br_at_ref_share', float('nan')):.6f}",
               f"{s['seconds_median']:.4f}"]))
    return "".join(lines)


def summary_table(summary):
    """The summary as a Markdown table (for notes and READMEs)."""
    reference = next((s["reference"] for s in summary if s.get("reference")), None)
    at_share = f"BR at {reference}'s share" if reference else "BR at ref. share"
    lines = [f"| method | n | obtained | ASA | BR | {at_share} | BP | boundary share | "
             "mIoU | pairs | s/call |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| {s['method']} | {s['n_segments']} | {s['n_obtained']:.0f} | "
                     f"{s['asa']:.4f} | {s['br']:.4f} | "
                     f"{s.get('br_at_ref_share', float('nan')):.4f} | {s['bp']:.4f} | "
                     f"{s['boundary_share']:.4f} | {s['miou']:.4f} | {s['pairs']} | "
                     f"{s['seconds_median']:.2f} |")
    return "\n".join(lines)
