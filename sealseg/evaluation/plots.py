"""Plots of evaluation summaries: ASA and BR against n, BR against boundary share, ASA against BR."""
from pathlib import Path

import numpy as np

from .._io import atomic_write

__all__ = ["plot_summary", "PLOT_FILES"]

#: File names written by :func:`plot_summary` (after its ``prefix``).
PLOT_FILES = ("asa.png", "br.png", "asa_br.png", "br_share.png")
_MARKERS = "os^vD<>ph*x+"


def plot_summary(summary, out, title, prefix=""):
    """Write ``prefix`` + ``asa.png``, ``br.png``, ``asa_br.png`` and ``br_share.png`` into ``out``.

    ASA and boundary recall against the mean number of superpixels obtained,
    one line per method, and each method's mean ASA against its mean BR over
    all n (the layout of Figure 6 of the SEAL paper); ``br_share.png`` (when
    the rows have ``boundary_share``): BR against n beside BR against the
    mean boundary share, one line per method over its n sweep (recall at
    equal boundary length).  Drawn on
    matplotlib's Agg canvas (no pyplot, no display needed) and written
    atomically.

    Parameters
    ----------
    summary : list of dict
        Rows with keys ``method``, ``n_segments``, ``n_obtained``, ``asa``,
        ``br`` and, for ``br_share.png``, ``boundary_share``, as returned by
        :func:`sealseg.evaluation.summarize`.
    out : str or path-like
        Folder to write into.
    title : str
        Shown in each plot's title (e.g. ``"bsds500 val"``).
    prefix : str, optional
        Prepended to the file names.

    Returns
    -------
    paths : list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> from sealseg.evaluation import plot_summary
    >>> rows = [{"method": "m", "n_segments": n, "n_obtained": n, "asa": 0.9, "br": 0.8,
    ...          "boundary_share": n / 1000} for n in (100, 200)]
    >>> [p.name for p in plot_summary(rows, tempfile.mkdtemp(), "demo")]
    ['asa.png', 'br.png', 'asa_br.png', 'br_share.png']
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out)
    methods = list(dict.fromkeys(s["method"] for s in summary))
    by_method = {m: [s for s in summary if s["method"] == m] for m in methods}
    written = []

    def save(fig, name):
        FigureCanvasAgg(fig)
        path = out / (prefix + name)
        atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=100))
        written.append(path)

    for key, label, name in (("asa", "ASA", "asa.png"), ("br", "Boundary recall", "br.png")):
        fig = Figure(figsize=(5, 4))
        ax = fig.add_subplot()
        for i, m in enumerate(methods):
            rows = by_method[m]
            ax.plot([r["n_obtained"] for r in rows], [r[key] for r in rows],
                    marker=_MARKERS[i % len(_MARKERS)], label=m)
        ax.set_xlabel("number of superpixels (mean obtained)")
        ax.set_ylabel(label)
        ax.set_title(f"{label} — {title}")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        save(fig, name)

    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    for i, m in enumerate(methods):
        rows = by_method[m]
        br, a = np.mean([r["br"] for r in rows]), np.mean([r["asa"] for r in rows])
        ax.plot([br], [a], linestyle="none", marker=_MARKERS[i % len(_MARKERS)], markersize=8,
                label=m)
        ax.annotate(m, (br, a), textcoords="offset points", xytext=(5, 5), fontsize="small")
    ns = sorted({s["n_segments"] for s in summary})
    ax.set_xlabel("mean boundary recall")
    ax.set_ylabel("mean ASA")
    ax.set_title(f"means over n = {ns[0]}..{ns[-1]} — {title}" if ns else title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    save(fig, "asa_br.png")

    if not all("boundary_share" in r for r in summary):
        return written  # tables without boundary shares (older results)
    fig = Figure(figsize=(9, 4))
    for panel, (key, xlabel) in enumerate((
            ("n_obtained", "number of superpixels (mean obtained)"),
            ("boundary_share", "boundary share (boundary pixels / pixels)"))):
        ax = fig.add_subplot(1, 2, panel + 1)
        for i, m in enumerate(methods):
            rows = sorted(by_method[m], key=lambda r: r[key])
            ax.plot([r[key] for r in rows], [r["br"] for r in rows],
                    marker=_MARKERS[i % len(_MARKERS)], label=m)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Boundary recall")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    fig.suptitle(f"Boundary recall against n and against boundary length — {title}")
    fig.tight_layout()
    save(fig, "br_share.png")
    return written
