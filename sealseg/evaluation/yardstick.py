"""Boundary recall at equal boundary share: recall compared where the boundaries are equally long.

Boundary recall rises with the length of the superpixel boundaries, so a
method that draws longer boundaries recalls more at the same number of
superpixels.  Here a method's recall is read off its own sweep over n at
the boundary share (:func:`sealseg.metrics.boundary_share`) of a reference
method, so that both are compared at the same boundary length.
"""
import math

import numpy as np

__all__ = ["br_at_share", "br_at_equal_share", "add_equal_share", "metric_at"]


def _sweep(summary, method, along="boundary_share", metric="br"):
    """The (``along``, ``metric``) points of ``method``'s rows, sorted by ``along``."""
    rows = [s for s in summary if s["method"] == method]
    if not rows:
        known = ", ".join(dict.fromkeys(s["method"] for s in summary)) or "none"
        raise ValueError(f"method {method!r} is not in the summary (methods: {known})")
    points = sorted((float(s[along]), float(s[metric])) for s in rows)
    return np.array([p[0] for p in points]), np.array([p[1] for p in points])


def metric_at(summary, method, metric, along, at):
    """A method's mean ``metric`` at ``along == at``, linear over its sweep over n.

    The general form of :func:`br_at_share`; e.g. ASA at another method's
    mean number of superpixels obtained: ``metric_at(summary, "ers", "asa",
    "n_obtained", 213.2)``.  NaN where the sweep does not bracket ``at``.

    Parameters
    ----------
    summary : list of dict
        Rows as returned by :func:`sealseg.evaluation.summarize`.
    method : str
        The method whose values are read.
    metric, along : str
        Keys of the rows: the value read and the one it is read along.
    at : float
        Where along ``along`` to read it.

    Returns
    -------
    value : float
        The interpolated value, or NaN outside the range of ``along``.

    Raises
    ------
    ValueError
        If ``method`` has no row in ``summary``.

    Examples
    --------
    >>> from sealseg.evaluation import metric_at
    >>> summary = [{"method": "m", "n_obtained": 100, "asa": 0.90},
    ...            {"method": "m", "n_obtained": 300, "asa": 0.94}]
    >>> round(metric_at(summary, "m", "asa", "n_obtained", 150), 6)
    0.91
    """
    xs, ys = _sweep(summary, method, along, metric)
    at = float(at)
    if not (xs[0] <= at <= xs[-1]):
        return float("nan")
    return float(np.interp(at, xs, ys))


def br_at_share(summary, method, share):
    """A method's boundary recall at a given boundary share, from its sweep over n.

    The method's mean BR against its mean boundary share, one point per
    number of superpixels in ``summary``, interpolated linearly in the
    boundary share.  This needs the sweep to bracket ``share``: the method
    must have been run at an n whose boundary share is at or below it and
    at one at or above it.  Outside that range the answer is NaN (no
    extrapolation).

    Parameters
    ----------
    summary : list of dict
        Rows with keys ``method``, ``boundary_share`` and ``br``, as returned
        by :func:`sealseg.evaluation.summarize`.
    method : str
        The method whose recall is read.
    share : float
        The boundary share (boundary pixels / pixels) to read it at.

    Returns
    -------
    br : float
        The interpolated boundary recall, or NaN when ``share`` lies outside
        the method's range of boundary shares.

    Raises
    ------
    ValueError
        If ``method`` has no row in ``summary`` or ``share`` is not a finite
        number in [0, 1].

    Examples
    --------
    >>> from sealseg.evaluation import br_at_share
    >>> summary = [{"method": "m", "boundary_share": 0.10, "br": 0.70},
    ...            {"method": "m", "boundary_share": 0.20, "br": 0.80}]
    >>> round(br_at_share(summary, "m", 0.15), 6)
    0.75
    >>> br_at_share(summary, "m", 0.25)
    nan
    """
    try:
        share = float(share)
    except (TypeError, ValueError):
        raise ValueError(f"share must be a number in [0, 1], got {share!r}") from None
    if not (math.isfinite(share) and 0.0 <= share <= 1.0):
        raise ValueError(f"share must be a number in [0, 1], got {share!r}")
    return metric_at(summary, method, "br", "boundary_share", share)


def br_at_equal_share(summary, method, reference):
    """A method's boundary recall at a reference method's boundary share, per n.

    For each number of superpixels ``n`` of ``reference``: the reference's
    mean boundary share at ``n``, and ``method``'s BR there by
    :func:`br_at_share` (linear in the boundary share over ``method``'s
    sweep over n; NaN where that sweep does not bracket the share, so sweep
    the method over a wider range of n than the reference).

    Parameters
    ----------
    summary : list of dict
        Rows with keys ``method``, ``n_segments``, ``boundary_share`` and
        ``br``, as returned by :func:`sealseg.evaluation.summarize`.
    method, reference : str
        The method whose recall is read, and the method whose boundary
        share it is read at.

    Returns
    -------
    table : dict
        ``n -> (reference_share, reference_br, method_br_at_that_share)``.

    Raises
    ------
    ValueError
        If either method has no row in ``summary``.

    Examples
    --------
    >>> from sealseg.evaluation import br_at_equal_share
    >>> summary = [{"method": "ref", "n_segments": 200, "boundary_share": 0.15, "br": 0.74},
    ...            {"method": "m", "n_segments": 100, "boundary_share": 0.10, "br": 0.70},
    ...            {"method": "m", "n_segments": 400, "boundary_share": 0.20, "br": 0.80}]
    >>> share, ref_br, br = br_at_equal_share(summary, "m", "ref")[200]
    >>> round(br - ref_br, 6)
    0.01
    """
    _sweep(summary, method)
    table = {}
    for row in summary:
        if row["method"] == reference:
            share = float(row["boundary_share"])
            table[row["n_segments"]] = (share, float(row["br"]),
                                        br_at_share(summary, method, share))
    if not table:
        _sweep(summary, reference)  # raises, naming the methods there are
    return table


def add_equal_share(summary, reference):
    """Add ``reference`` and ``br_at_ref_share`` to each summary row (in place).

    ``br_at_ref_share`` of a row (method, n) is the method's BR at the
    reference's boundary share at the same n (:func:`br_at_share`); NaN
    when the reference has no row at that n or the method's sweep does not
    bracket the share.

    Returns
    -------
    summary : list of dict
        The same list.
    """
    ref_share = {s["n_segments"]: s["boundary_share"] for s in summary
                 if s["method"] == reference}
    for row in summary:
        row["reference"] = reference
        share = ref_share.get(row["n_segments"])
        row["br_at_ref_share"] = (float("nan") if share is None or not math.isfinite(share)
                                  else br_at_share(summary, row["method"], share))
    return summary
