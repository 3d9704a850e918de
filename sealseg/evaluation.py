"""Compare superpixel methods on a dataset: methods x n_segments x images -> CSV and plots.

``evaluate`` segments every image of a dataset with every method at every
requested number of superpixels, scores each (image, annotation) pair with
:func:`sealseg.metrics.asa` and :func:`sealseg.metrics.boundary_recall`, and
writes

- ``results.csv``: one row per (method, image, annotation, n_segments), appended
  and flushed as the run goes, so an interrupted run resumes where it stopped;
- ``summary.csv``: means over (image, annotation) pairs per (method, n_segments);
- ``asa.png``, ``br.png``, ``asa_br.png``: ASA and BR against the number of
  superpixels, and mean ASA against mean BR over all n (the layout of Figure 6
  of the SEAL paper).

Command line: ``python -m sealseg evaluate --dataset bsds500 --split val
--methods ers slic --n 100 200 400 --out DIR [--jobs K] [--limit M]``.
"""
import argparse
import csv
import importlib
import importlib.util
import io
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from ._ext import _metrics
from ._validation import check_label_image, check_n_segments, check_tolerance
from .metrics import asa, boundary_recall

__all__ = ["evaluate", "available_methods", "add_evaluate_parser", "run_evaluate",
           "DEFAULT_N_SEGMENTS"]

DEFAULT_N_SEGMENTS = (100, 200, 400, 600, 800, 1200)
RESULT_FIELDS = ["method", "image", "annotation", "annotations", "n_segments",
                 "n_obtained", "asa", "br", "seconds"]
SUMMARY_FIELDS = ["method", "n_segments", "images", "pairs", "n_obtained", "asa", "br",
                  "seconds_median"]
_OPENCV_HINT = ("OpenCV contrib (cv2.ximgproc) is not installed; "
                "pip install opencv-contrib-python-headless")


# --------------------------------------------------------------------------- methods
# A runner is a module-level function (image, n, groundtruths) -> labels or
# (labels, seconds); module level so that worker processes can unpickle it.

def _run_ers(image, n, groundtruths):
    from .segmentation import ers
    return ers(image, n)


def _run_ers4(image, n, groundtruths):
    from .segmentation import ers
    return ers(image, n, connectivity=4)


def _run_seal_ers(image, n, groundtruths):
    from . import seal
    return seal.seal_ers(image, n)


def _run_seal_ers4(image, n, groundtruths):
    from . import seal
    return seal.seal_ers(image, n, connectivity=4)


def _run_oracle(image, n, groundtruths):
    from .affinity import affinities_from_labels
    from .segmentation import ers
    return ers(None, n, affinities=affinities_from_labels(list(groundtruths)))


class _SealErsWeights:
    """seal_ers with a weight file of one's own (method name ``seal_ers@WEIGHTS``)."""

    def __init__(self, weights):
        self.weights = weights

    def __call__(self, image, n, groundtruths):
        from . import seal
        return seal.seal_ers(image, n, weights=self.weights)


def _canny_affinities(image):
    """Affinities from Canny edges: 1 - smoothed edge map (the paper's Fig. 4 baseline).

    Canny (``skimage.feature.canny`` on the grey image, sigma 1, hysteresis
    thresholds 0.1/0.2: the settings of the PAN's edge channel), blurred by a
    Gaussian of sigma 1 pixel so that nearby edges still weaken an edge, scaled
    to a maximum of 1.  An edge between two pixels takes 1 - the larger
    strength of its two ends.
    """
    from skimage.color import rgb2gray
    from skimage.feature import canny
    from skimage.filters import gaussian
    from skimage.util import img_as_float

    image = img_as_float(image)
    grey = rgb2gray(image) if image.ndim == 3 else image
    strength = gaussian(canny(grey, sigma=1.0, low_threshold=0.1,
                              high_threshold=0.2).astype(np.float64), sigma=1.0)
    if strength.max() > 0:
        strength /= strength.max()
    affinities = np.ones((2,) + strength.shape)
    affinities[0, :, :-1] = 1.0 - np.maximum(strength[:, :-1], strength[:, 1:])
    affinities[1, :-1, :] = 1.0 - np.maximum(strength[:-1, :], strength[1:, :])
    return affinities


def _run_canny_ers(image, n, groundtruths):
    from .segmentation import ers
    return ers(None, n, affinities=_canny_affinities(image))


def _run_slic(image, n, groundtruths):
    from skimage.segmentation import slic
    return slic(image, n_segments=n, compactness=10, start_label=1)


def _run_slico(image, n, groundtruths):
    from skimage.segmentation import slic
    return slic(image, n_segments=n, slic_zero=True, start_label=1)


def _count(labels):
    return _metrics.relabel_dense(np.ascontiguousarray(labels, dtype=np.int64).ravel())[1]


def _search_scale(segment, n, initial_scale, *, max_calls=12, rel_tol=0.02):
    """Search the ``scale`` of an FH segmenter so its count lands near ``n``.

    ``segment(scale) -> labels`` is called at most ``max_calls`` times,
    starting at ``initial_scale``.  The count falls roughly as a power of
    ``scale``: secant steps in log-log space, kept inside the bracket found so
    far (bisection otherwise); the search stops within ``max(1, rel_tol * n)``
    of ``n``.  Returns ``(labels, seconds)`` of the call whose count is
    closest to ``n``.
    """
    tol = max(1.0, rel_tol * n)
    lo, hi = -math.inf, math.inf        # log scale with count > n / count < n
    x = math.log(max(initial_scale, 1e-3))
    best = None
    previous = None
    for _ in range(max_calls):
        start = time.perf_counter()
        labels = segment(math.exp(x))
        seconds = time.perf_counter() - start
        k = _count(labels)
        if best is None or abs(k - n) < abs(best[1] - n):
            best = (labels, k, seconds)
        if abs(k - n) <= tol:
            break
        if k > n:
            lo = max(lo, x)
        else:
            hi = min(hi, x)
        y = math.log(k)
        slope = -1.0
        if previous is not None and previous[1] != y and previous[0] != x:
            slope = (y - previous[1]) / (x - previous[0])
            if slope >= -0.05:
                slope = -1.0
        previous = (x, y)
        step = (math.log(n) - y) / slope
        step = max(-3.0, min(3.0, step))
        new = x + step
        if math.isfinite(lo) and math.isfinite(hi) and not lo < new < hi:
            new = 0.5 * (lo + hi)
        if new == x:
            break
        x = new
    return best[0], best[2]


def _run_felzenszwalb(image, n, groundtruths, *, max_calls=12, rel_tol=0.02):
    """skimage's felzenszwalb with ``scale`` searched so the count lands near ``n``.

    See :func:`_search_scale`; the time reported is that of the call whose
    count is closest to ``n``.
    """
    from skimage.segmentation import felzenszwalb

    def segment(scale):
        return felzenszwalb(image, scale=scale, sigma=0.8, min_size=20)

    n_pixels = image.shape[0] * image.shape[1]
    return _search_scale(segment, n, 0.5 * n_pixels / n, max_calls=max_calls,
                         rel_tol=rel_tol)


def _run_seal_fh(image, n, groundtruths, *, max_calls=12, rel_tol=0.02):
    """FH on the learned affinities (shipped weights), ``scale`` searched as for felzenszwalb.

    The affinities are computed once per call; the time reported is that of
    the net plus the FH call whose count is closest to ``n`` (seal_ers's time
    includes the net too).
    """
    from .pan.inference import learn_affinities
    from .segmentation import felzenszwalb_affinity

    start = time.perf_counter()
    affinities = learn_affinities(image)
    net_seconds = time.perf_counter() - start

    def segment(scale):
        return felzenszwalb_affinity(affinities, scale, min_size=20)

    # Learned dissimilarities are larger than skimage's colour distances
    # (whose scale is on the 0-255 range): about 0.01 * pixels / n lands near
    # n on BSDS500.
    n_pixels = image.shape[0] * image.shape[1]
    labels, seconds = _search_scale(segment, n, 0.01 * n_pixels / n, max_calls=max_calls,
                                    rel_tol=rel_tol)
    return labels, net_seconds + seconds


def _seeds_setting(h, w, n):
    """(requested count, levels) of OpenCV SEEDS whose grid count is closest to n.

    SEEDS lays out a grid of blocks whose sizes are powers of two, so the count
    it returns jumps (on 321x481 with 4 levels: 60, 150, 260, 600, 2400) and
    always lands below the request.  Its grid is fixed at construction, so
    trying a few settings costs no iteration; ties prefer more levels (the
    SEEDS default, 4, first).
    """
    import cv2
    best = None
    for levels in (4, 3, 2):
        for factor in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0):
            request = max(1, int(round(n * factor)))
            count = cv2.ximgproc.createSuperpixelSEEDS(w, h, 3, request, levels, 2,
                                                       5).getNumberOfSuperpixels()
            if best is None or abs(count - n) < best[0]:
                best = (abs(count - n), request, levels)
    return best[1], best[2]


def _run_seeds(image, n, groundtruths):
    import cv2
    h, w = image.shape[:2]
    hsv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2HSV)
    request, levels = _seeds_setting(h, w, int(n))
    seeds = cv2.ximgproc.createSuperpixelSEEDS(w, h, 3, request, levels, 2, 5)
    seeds.iterate(hsv, 10)
    return seeds.getLabels()


def _run_lsc(image, n, groundtruths):
    import cv2
    h, w = image.shape[:2]
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2Lab)
    region_size = max(2, int(round(math.sqrt(h * w / n))))
    lsc = cv2.ximgproc.createSuperpixelLSC(lab, region_size, 0.075)
    lsc.iterate(10)
    lsc.enforceLabelConnectivity(25)
    return lsc.getLabels()


def _run_snic(image, n, groundtruths):
    from pysnic.algorithms.snic import snic
    from skimage.color import rgb2lab
    labels, _, _ = snic(rgb2lab(image).tolist(), int(n), 10.0)
    return np.asarray(labels, dtype=np.int64)


def _needs_module(module, hint):
    def check():
        # find_spec: no import (importing pysnic or torch costs seconds).
        return None if importlib.util.find_spec(module) is not None else hint
    return check


def _needs_opencv():
    try:
        import cv2
    except ImportError:
        return _OPENCV_HINT
    return None if hasattr(cv2, "ximgproc") else _OPENCV_HINT


def _learned_method_missing(function, method):
    """Why a method on learned affinities cannot run (``sealseg.<function>``, torch)."""
    try:
        from . import seal, segmentation
    except ImportError as exc:  # pragma: no cover - the package itself is broken
        return f"sealseg.segmentation cannot be imported: {exc}"
    if not any(hasattr(module, function) for module in (seal, segmentation)):
        return f"sealseg.{function} is not available in this version"
    if importlib.util.find_spec("torch") is None:
        return f"{method} needs torch; pip install torch"
    return None


def _needs_learned(function, method):
    """Check for a method on the shipped weights: the function, torch, the weights."""
    def check():
        reason = _learned_method_missing(function, method)
        if reason is not None:
            return reason
        try:
            from .pan.pretrained import weights_path
            path = weights_path("bsds500")
        except Exception as exc:  # the registry is another module's business
            return f"{method} weights cannot be located: {exc}"
        if not Path(path).is_file():
            return f"the shipped {method} weights {path} are not present"
        return None
    return check


_needs_seal_ers = _needs_learned("seal_ers", "seal_ers")
_needs_seal_fh = _needs_learned("felzenszwalb_affinity", "seal_fh")


def _always():
    return None


_METHODS = {
    "ers": (_run_ers, _always),
    "seal_ers": (_run_seal_ers, _needs_seal_ers),
    "slic": (_run_slic, _always),
    "slico": (_run_slico, _always),
    "felzenszwalb": (_run_felzenszwalb, _always),
    "seeds": (_run_seeds, _needs_opencv),
    "lsc": (_run_lsc, _needs_opencv),
    "snic": (_run_snic, _needs_module("pysnic", "pysnic is not installed; pip install pysnic")),
    "oracle": (_run_oracle, _always),
    "canny_ers": (_run_canny_ers, _always),
    "seal_fh": (_run_seal_fh, _needs_seal_fh),
    "ers4": (_run_ers4, _always),
    "seal_ers4": (_run_seal_ers4, _needs_seal_ers),
}


def available_methods():
    """Names of the built-in methods and whether each can run here.

    Returns
    -------
    methods : dict
        ``name -> None`` when available, else the reason it is not (with the
        command that installs what is missing).

    Examples
    --------
    >>> from sealseg.evaluation import available_methods
    >>> available_methods()["slic"] is None
    True
    """
    return {name: check() for name, (_, check) in _METHODS.items()}


class _UserMethod:
    """A callable ``f(image, n_segments) -> labels`` used as a runner."""

    def __init__(self, func):
        self.func = func

    def __call__(self, image, n, groundtruths):
        return self.func(image, n)


def _callable_name(func):
    return getattr(func, "__name__", None) or type(func).__name__


def _resolve_methods(methods):
    """Return ``([(name, runner)], [(name, reason)])`` for available and skipped ones."""
    if isinstance(methods, (str, bytes)) or callable(methods):
        methods = [methods]
    if isinstance(methods, dict):
        items = list(methods.items())
    else:
        items = [(m if isinstance(m, str) else _callable_name(m), m) for m in list(methods)]
    if not items:
        raise ValueError("methods is empty; give at least one of "
                         f"{', '.join(_METHODS)} or a callable f(image, n_segments)")
    resolved, skipped, seen = [], [], set()
    for name, method in items:
        if name in seen:
            raise ValueError(f"method {name!r} is given twice")
        seen.add(name)
        if callable(method):
            resolved.append((name, _UserMethod(method)))
        elif isinstance(method, str) and method in _METHODS:
            runner, check = _METHODS[method]
            reason = check()
            if reason is None:
                resolved.append((name, runner))
            else:
                skipped.append((name, reason))
        elif isinstance(method, str) and method.startswith("seal_ers@"):
            weights = method.partition("@")[2]
            # The shipped weights are not needed, only seal_ers and torch.
            reason = _learned_method_missing("seal_ers", "seal_ers")
            if reason is not None:
                skipped.append((name, reason))
                continue
            try:
                from .pan.pretrained import weights_path
                path = weights_path(weights)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"method {method!r}: {exc}") from None
            if not Path(path).is_file():
                raise ValueError(f"method {method!r}: no weight file at {path}")
            resolved.append((name, _SealErsWeights(weights)))
        elif isinstance(method, str) and ":" in method:
            module, _, attr = method.partition(":")
            try:
                func = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise ValueError(f"method {method!r}: cannot import {attr} from "
                                 f"{module}: {exc}") from None
            if not callable(func):
                raise ValueError(f"method {method!r} is not callable")
            resolved.append((name, _UserMethod(func)))
        else:
            raise ValueError(f"unknown method {method!r}; known: {', '.join(_METHODS)}, "
                             "'seal_ers@WEIGHTS', 'module:function', or a callable "
                             "f(image, n_segments)")
    return resolved, skipped


def _check_n_list(n_segments):
    if isinstance(n_segments, (int, np.integer)) and not isinstance(n_segments, bool):
        n_segments = [n_segments]
    n_list = list(n_segments)
    if not n_list:
        raise ValueError("n_segments is empty; give at least one number of superpixels")
    out = []
    for n in n_list:
        n = check_n_segments(n)
        if n not in out:
            out.append(n)
    return out


# --------------------------------------------------------------------------- scoring

def _score(dataset, index, method, runner, n_list, tolerance):
    """Segment sample ``index`` with one method at each n; yield lists of result rows."""
    sample = dataset[index]
    image, gts = sample.image, sample.groundtruths
    for n in n_list:
        start = time.perf_counter()
        out = runner(image, n, gts)
        seconds = time.perf_counter() - start
        if isinstance(out, tuple):
            out, seconds = out
        labels = check_label_image(out, name=f"labels returned by method {method!r}",
                                   shape=image.shape[:2])
        n_obtained = _count(labels)
        rows = []
        for k, g in enumerate(gts):
            rows.append({
                "method": method, "image": sample.name, "annotation": k,
                "annotations": len(gts), "n_segments": n, "n_obtained": n_obtained,
                "asa": asa(labels, g), "br": boundary_recall(labels, g, tolerance),
                "seconds": seconds,
            })
        yield rows


def _score_all(dataset, index, method, runner, n_list, tolerance):
    """Worker-process entry point: all n for one (image, method)."""
    return list(_score(dataset, index, method, runner, n_list, tolerance))


# --------------------------------------------------------------------------- files

def _format_row(row):
    values = []
    for field in RESULT_FIELDS:
        v = row[field]
        values.append(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _parse_row(record):
    row = dict(zip(RESULT_FIELDS, record))
    for field in ("annotation", "annotations", "n_segments", "n_obtained"):
        row[field] = int(row[field])
    for field in ("asa", "br", "seconds"):
        row[field] = float(row[field])
    return row


def _write_atomic(path, write):
    """Write through ``write(tmp_path)`` then rename onto ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_text_atomic(path, text):
    def write(tmp):
        with open(tmp, "w", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    _write_atomic(path, write)


def _load_results(path):
    """Complete result rows of ``path``; rewrites the file if it held broken lines."""
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
        _write_text_atomic(path, _format_header() + "".join(_format_row(r) for r in complete))
    return complete


def _format_header():
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(RESULT_FIELDS)
    return buf.getvalue()


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
        images), ``asa, br`` (means over pairs) and ``seconds_median`` (median
        over images of one call).
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
                "seconds_median": float(statistics.median(
                    r["seconds"] for r in per_image.values())),
            })
    return summary


def _summary_csv(summary):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SUMMARY_FIELDS)
    for s in summary:
        writer.writerow([s["method"], s["n_segments"], s["images"], s["pairs"],
                         f"{s['n_obtained']:.1f}", f"{s['asa']:.6f}", f"{s['br']:.6f}",
                         f"{s['seconds_median']:.4f}"])
    return buf.getvalue()


def summary_table(summary):
    """The summary as a Markdown table (for notes and READMEs)."""
    lines = ["| method | n | obtained | ASA | BR | pairs | s/call |",
             "|---|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| {s['method']} | {s['n_segments']} | {s['n_obtained']:.0f} | "
                     f"{s['asa']:.4f} | {s['br']:.4f} | {s['pairs']} | "
                     f"{s['seconds_median']:.2f} |")
    return "\n".join(lines)


def _plot(summary, out, title, prefix=""):
    """``prefix`` + asa.png, br.png and asa_br.png in ``out``.

    Drawn on matplotlib's Agg canvas, without pyplot.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    methods = list(dict.fromkeys(s["method"] for s in summary))
    by_method = {m: [s for s in summary if s["method"] == m] for m in methods}
    markers = "os^vD<>ph*x+"

    def save(fig, name):
        FigureCanvasAgg(fig)
        _write_atomic(out / (prefix + name), lambda tmp: fig.savefig(tmp, format="png", dpi=100))

    for key, label, name in (("asa", "ASA", "asa.png"), ("br", "Boundary recall", "br.png")):
        fig = Figure(figsize=(5, 4))
        ax = fig.add_subplot()
        for i, m in enumerate(methods):
            rows = by_method[m]
            ax.plot([r["n_obtained"] for r in rows], [r[key] for r in rows],
                    marker=markers[i % len(markers)], label=m)
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
        ax.plot([br], [a], linestyle="none", marker=markers[i % len(markers)], markersize=8,
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


# --------------------------------------------------------------------------- evaluate

def _load_dataset(dataset, split, root, labels):
    from . import datasets
    if not isinstance(dataset, str):
        return dataset, getattr(dataset, "name", type(dataset).__name__)
    if dataset == "bsds500":
        return datasets.load_bsds500(root, split=split), "bsds500"
    if dataset == "cityscapes":
        return datasets.load_cityscapes(root, split=split), "cityscapes"
    if dataset == "folder":
        if root is None or labels is None:
            raise ValueError("dataset 'folder' needs root (the images folder) and labels "
                             "(the label maps folder)")
        return datasets.load_folder(root, labels), "folder"
    raise ValueError(f"unknown dataset {dataset!r}; known: bsds500, cityscapes, folder")


def evaluate(dataset, methods, n_segments=DEFAULT_N_SEGMENTS, out=None, *, split="val",
             root=None, labels=None, tolerance=None, jobs=1, limit=None, progress=True,
             plots=True, log=None):
    """Score superpixel methods on a dataset at several numbers of superpixels.

    Parameters
    ----------
    dataset : {'bsds500', 'cityscapes', 'folder'} or Dataset
        A dataset name (read with ``root``/``split``/``labels``) or a sequence
        of samples as returned by :mod:`sealseg.datasets`.
    methods : list of str or callable, or dict
        Built-in names (``ers``, ``seal_ers``, ``slic``, ``slico``,
        ``felzenszwalb``, ``seeds``, ``lsc``, ``snic``, ``oracle``,
        ``canny_ers``: ERS on 1 - smoothed Canny edges, ``seal_fh``:
        Felzenszwalb-Huttenlocher on the learned affinities, see
        :func:`sealseg.felzenszwalb_affinity`, ``ers4`` and ``seal_ers4``:
        ``ers`` and ``seal_ers`` on the 4-connected pixel graph), ``'seal_ers@WEIGHTS'``
        (seal_ers with a registered name or a weight file of one's own, e.g. a
        ``model.pt`` of ``python -m sealseg train``), ``'module:function'``
        strings, or callables ``f(image, n_segments) -> labels``; a dict maps
        display names to any of these.  Built-in methods whose optional
        dependency is missing are skipped with a message.
    n_segments : sequence of int, optional
        Numbers of superpixels to ask for.
    out : str or path-like, optional
        Output folder for ``results.csv``, ``summary.csv`` and the plots.  Rows
        already present there are not computed again.  ``None`` keeps results
        in memory only.
    split : str, optional
        Dataset split, for a dataset given by name.
    root, labels : str or path-like, optional
        Dataset folder (``labels``: label-map folder of the ``'folder'``
        dataset).
    tolerance : int, optional
        Boundary recall tolerance; 3 on Cityscapes, 1 otherwise.
    jobs : int, optional
        Worker processes (images in parallel).  Callables must be picklable
        when ``jobs > 1``.
    limit : int, optional
        Use only the first ``limit`` images.
    progress : bool, optional
        Show a tqdm progress bar.
    plots : bool, optional
        Write the PNG plots (needs ``out``).
    log : callable, optional
        Receives one-line messages (skipped methods, files written); default
        prints to stderr.

    Returns
    -------
    summary : list of dict
        One dict per (method, n_segments), see :func:`summarize`.

    Raises
    ------
    ValueError
        Unknown method or dataset, empty or non-positive ``n_segments``,
        ``jobs``/``limit`` < 1, or no method available; unreadable data.
    FileNotFoundError
        If the dataset is not found.

    Notes
    -----
    Each image is segmented once per (method, n) and scored against each of
    its annotations; ASA and BR (thin boundaries) follow
    :mod:`sealseg.metrics`.  ``seconds`` is the wall time of one call
    (felzenszwalb and seal_fh: the call whose count was closest to n, after
    searching its ``scale``; seal_fh adds the one run of the net).

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.datasets import Dataset, Sample
    >>> from sealseg.evaluation import evaluate
    >>> class Tiny(list):
    ...     name = "tiny"
    >>> image = np.zeros((8, 8, 3), np.uint8); image[:, 4:] = 255
    >>> gt = np.zeros((8, 8), int); gt[:, 4:] = 1
    >>> halves = lambda image, n: (image[..., 0] > 0).astype(int)
    >>> summary = evaluate(Tiny([Sample("a", image, [gt])]), {"halves": halves}, [2],
    ...                    progress=False)
    >>> summary[0]["asa"], summary[0]["br"]
    (1.0, 1.0)
    """
    if log is None:
        def log(message):
            print(message, file=sys.stderr)
    n_list = _check_n_list(n_segments)
    jobs = check_n_segments(jobs, name="jobs")
    if limit is not None:
        limit = check_n_segments(limit, name="limit")
    resolved, skipped = _resolve_methods(methods)
    for name, reason in skipped:
        log(f"skipping {name}: {reason}")
    if not resolved:
        raise ValueError("no method can run here: "
                         + "; ".join(f"{n}: {r}" for n, r in skipped))
    data, dataset_name = _load_dataset(dataset, split, root, labels)
    if tolerance is None:
        tolerance = 3 if dataset_name == "cityscapes" else 1
    tolerance = check_tolerance(tolerance)
    n_images = len(data) if limit is None else min(limit, len(data))
    names = [data.names[i] for i in range(n_images)] if hasattr(data, "names") else \
        [data[i].name for i in range(n_images)]

    rows, results_file = [], None
    if out is not None:
        out = Path(os.fspath(out))
        out.mkdir(parents=True, exist_ok=True)
        config = {"dataset": dataset_name, "split": split if isinstance(dataset, str) else None,
                  "tolerance": tolerance, "boundary": "thin"}
        config_path = out / "config.json"
        if config_path.exists():
            previous = json.loads(config_path.read_text())
            if previous != config:
                raise ValueError(f"{out} holds results of another evaluation ({previous}); "
                                 f"this one is {config}; choose another output folder")
        else:
            _write_text_atomic(config_path, json.dumps(config, indent=1) + "\n")
        results_path = out / "results.csv"
        rows = _load_results(results_path)
        if not results_path.exists():
            _write_text_atomic(results_path, _format_header())
        results_file = open(results_path, "a", newline="")

    done = {(r["method"], r["image"], r["n_segments"]) for r in rows}
    tasks = []  # (method, runner, index, [n...]), method-major so methods finish in turn
    for method, runner in resolved:
        for index, name in enumerate(names):
            todo = [n for n in n_list if (method, name, n) not in done]
            if todo:
                tasks.append((method, runner, index, todo))

    def record(group):
        rows.extend(group)
        if results_file is not None:
            results_file.write("".join(_format_row(r) for r in group))
            results_file.flush()

    from tqdm import tqdm
    total = sum(len(t[3]) for t in tasks)
    try:
        with tqdm(total=total, disable=not progress or total == 0, unit="seg",
                  desc="evaluate", dynamic_ncols=True) as bar:
            if jobs == 1:
                for method, runner, index, todo in tasks:
                    bar.set_postfix_str(f"{method} {names[index]}", refresh=False)
                    for group in _score(data, index, method, runner, todo, tolerance):
                        record(group)
                        bar.update(1)
            else:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor, as_completed
                context = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                    futures = {pool.submit(_score_all, data, index, method, runner, todo,
                                           tolerance): (method, index)
                               for method, runner, index, todo in tasks}
                    try:
                        for future in as_completed(futures):
                            groups = future.result()
                            for group in groups:
                                record(group)
                            bar.update(len(groups))
                    except BaseException:
                        for f in futures:
                            f.cancel()
                        raise
    finally:
        if results_file is not None:
            results_file.close()

    summary = summarize(rows, [m for m, _ in resolved])
    if out is not None:
        _write_text_atomic(out / "summary.csv", _summary_csv(summary))
        if plots and summary:
            _plot(summary, out, f"{dataset_name} {config['split'] or ''}".strip())
        log(f"results: {out / 'results.csv'}; summary: {out / 'summary.csv'}"
            + ("; plots: asa.png, br.png, asa_br.png" if plots and summary else ""))
    return summary


# --------------------------------------------------------------------------- command line

def add_evaluate_parser(subparsers):
    """Add the ``evaluate`` subcommand to an argparse ``subparsers`` object."""
    parser = subparsers.add_parser(
        "evaluate", help="score superpixel methods on a dataset (CSV tables and plots)",
        description="Segment every image of a dataset with each method at each number of "
                    "superpixels; write results.csv (one row per method, image, annotation "
                    "and n), summary.csv (means over image/annotation pairs) and plots. "
                    "Re-running with the same --out skips rows already computed.")
    _add_evaluate_arguments(parser)
    return parser


def _add_evaluate_arguments(parser):
    parser.add_argument("--dataset", default="bsds500",
                        help="bsds500 (default), cityscapes or folder")
    parser.add_argument("--root", help="dataset folder (default for bsds500: "
                        "$SEALSEG_DATA/BSDS500, then ../shared/datasets/BSDS500); "
                        "for 'folder', the images folder")
    parser.add_argument("--labels", help="label-map folder of the 'folder' dataset")
    parser.add_argument("--split", default="val", help="dataset split (default: val)")
    parser.add_argument("--methods", nargs="*", default=["ers", "slic"],
                        help=f"methods to compare: {', '.join(_METHODS)}, "
                             "seal_ers@WEIGHTS (a weight file or registered name) or "
                             "module:function (default: ers slic)")
    parser.add_argument("--n", nargs="*", type=int, dest="n_segments",
                        default=list(DEFAULT_N_SEGMENTS),
                        help="numbers of superpixels (default: 100 200 400 600 800 1200)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes, images in parallel (default: 1)")
    parser.add_argument("--limit", type=int, help="use only the first M images")
    parser.add_argument("--tolerance", type=int,
                        help="boundary recall tolerance in pixels (default: 1; cityscapes: 3)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_evaluate, func=run_evaluate)


def run_evaluate(args):
    """Run the ``evaluate`` subcommand; bad input -> one-line error and exit code 2."""
    prog = "python -m sealseg evaluate"
    try:
        summary = evaluate(args.dataset, args.methods, args.n_segments, args.out,
                           split=args.split, root=args.root, labels=args.labels,
                           tolerance=args.tolerance, jobs=args.jobs, limit=args.limit,
                           progress=not args.no_progress)
    except (ValueError, TypeError, OSError, KeyError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2) from None
    print(summary_table(summary))
    return 0


def main(argv=None):
    """``python -m sealseg.evaluation ...``: the evaluate command on its own."""
    parser = argparse.ArgumentParser(prog="python -m sealseg.evaluation",
                                     description=add_evaluate_parser.__doc__)
    _add_evaluate_arguments(parser)
    args = parser.parse_args(argv)
    return run_evaluate(args)


if __name__ == "__main__":
    sys.exit(main())
