"""Boundary metrics of superpixels: recall, precision and the share of boundary pixels.

Part of :mod:`sealseg.metrics`, which re-exports every public name; the
transition pixels (thin or thick boundaries) come from the Cython kernel
``sealseg._ext._metrics.boundary_map``.
"""
import numpy as np

from ._ext import _metrics
from ._metric_inputs import _check_groundtruths, _check_labels
from ._validation import check_tolerance

__all__ = ["boundary_recall", "boundary_precision", "boundary_share"]


def _check_boundary(boundary):
    if not isinstance(boundary, str) or boundary not in ("thin", "thick"):
        raise ValueError(f"boundary must be 'thin' or 'thick', got {boundary!r}")
    return boundary == "thick"


def _boundary_scores(labels, groundtruth, tolerance, boundary, recall):
    labels = _check_labels(labels)
    maps = _check_groundtruths(groundtruth, labels.shape)
    tolerance = check_tolerance(tolerance)
    thick = _check_boundary(boundary)
    sp_boundary = _metrics.boundary_map(labels, thick)
    if recall:
        near_sp = _metrics.dilate_square(sp_boundary, tolerance)
    scores = []
    for g in maps:
        gt_boundary = _metrics.boundary_map(g, thick)
        if recall:
            hits, total = _metrics.count_hits(gt_boundary, near_sp)
        else:
            near_gt = _metrics.dilate_square(gt_boundary, tolerance)
            hits, total = _metrics.count_hits(sp_boundary, near_gt)
        scores.append(1.0 if total == 0 else hits / total)
    return float(np.mean(scores))


_BOUNDARY_NOTES = """
    A pixel (y, x) is a boundary pixel of a label map L, with
    ``boundary='thin'``, if L(y, x) != L(y, x+1) or L(y, x) != L(y+1, x)
    (right and lower neighbours only), as the SEAL and SSN papers evaluate;
    with ``boundary='thick'`` if any of its four neighbours differs, as the
    superpixel benchmark of Stutz et al., SpixelFCN and AINet evaluate.  Thick
    boundaries are two pixels wide, so the two give different numbers (thick
    is higher); compare figures only under the same setting.  The square
    neighbourhood is clipped at the image border.
"""


def boundary_recall(labels, groundtruth, tolerance=1, *, boundary="thin"):
    """Fraction of ground-truth boundary pixels near a superpixel boundary.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    groundtruth : (M, N) ndarray of int, or list of them
        Ground-truth segmentation, or several annotations of the same image.
    tolerance : int, optional
        ``r``: a ground-truth boundary pixel counts as recalled if a
        superpixel boundary pixel lies in the (2r+1) x (2r+1) square around
        it.  1 on BSDS500, 3 on Cityscapes.
    boundary : {'thin', 'thick'}, optional
        Which pixels are boundary pixels (see Notes).

    Returns
    -------
    recall : float
        In ``[0, 1]``; 1.0 for a ground truth without boundary; the mean over
        the annotations when ``groundtruth`` is a list.

    Raises
    ------
    TypeError
        If a label map is not an integer array or ``tolerance`` not an integer.
    ValueError
        If the shapes differ, ``tolerance < 0``, ``boundary`` is unknown or
        ``groundtruth`` is an empty list.

    Notes
    -----%s
    References
    ----------
    .. [1] W.-C. Tu et al., "Learning superpixels with segmentation-aware
           affinity loss", CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
    .. [2] D. Stutz, A. Hermans, B. Leibe, "Superpixels: an evaluation of the
           state-of-the-art", CVIU 166, 2018. :DOI:`10.1016/j.cviu.2017.03.007`

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import boundary_recall
    >>> groundtruth = np.array([[1, 1, 2, 2, 2]] * 3)
    >>> labels = np.array([[1, 1, 1, 2, 2]] * 3)
    >>> boundary_recall(labels, groundtruth, tolerance=0)
    0.0
    >>> boundary_recall(labels, groundtruth, tolerance=1)
    1.0
    """
    return _boundary_scores(labels, groundtruth, tolerance, boundary, recall=True)


def boundary_precision(labels, groundtruth, tolerance=1, *, boundary="thin"):
    """Fraction of superpixel boundary pixels near a ground-truth boundary.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    groundtruth : (M, N) ndarray of int, or list of them
        Ground-truth segmentation, or several annotations of the same image.
    tolerance : int, optional
        ``r``: a superpixel boundary pixel counts as correct if a ground-truth
        boundary pixel lies in the (2r+1) x (2r+1) square around it.
    boundary : {'thin', 'thick'}, optional
        Which pixels are boundary pixels (see Notes).

    Returns
    -------
    precision : float
        In ``[0, 1]``; 1.0 when the superpixels have no boundary (no false
        positive); the mean over the annotations when ``groundtruth`` is a
        list.  ``boundary_precision(S, G) == boundary_recall(G, S)``.

    Raises
    ------
    TypeError
        If a label map is not an integer array or ``tolerance`` not an integer.
    ValueError
        If the shapes differ, ``tolerance < 0``, ``boundary`` is unknown or
        ``groundtruth`` is an empty list.

    Notes
    -----%s
    References
    ----------
    .. [1] D. Stutz, A. Hermans, B. Leibe, "Superpixels: an evaluation of the
           state-of-the-art", CVIU 166, 2018. :DOI:`10.1016/j.cviu.2017.03.007`

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import boundary_precision
    >>> groundtruth = np.array([[1, 1, 2, 2]] * 2)
    >>> labels = np.array([[1, 2, 3, 4]] * 2)
    >>> round(boundary_precision(labels, groundtruth, tolerance=0), 4)
    0.3333
    """
    return _boundary_scores(labels, groundtruth, tolerance, boundary, recall=False)


def boundary_share(labels, *, boundary="thin"):
    """Share of the pixels that lie on a superpixel boundary.

    Boundary recall rises with boundary length: a method that draws longer
    boundaries recalls more at the same number of superpixels.  Comparing
    recall at equal boundary share (see
    :func:`sealseg.evaluation.br_at_share`) takes that out.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    boundary : {'thin', 'thick'}, optional
        Which pixels are boundary pixels (see Notes).

    Returns
    -------
    share : float
        Boundary pixels / all pixels, in ``[0, 1]``; 0.0 for a map of one
        label.

    Raises
    ------
    TypeError
        If ``labels`` is not an integer array.
    ValueError
        If ``labels`` is not 2-D or is empty, or ``boundary`` is unknown.

    Notes
    -----%s
    With ``boundary='thin'`` these are the transition pixels that the SSN
    anchor of the results page counts (its ``boundary_share``), the pixels
    :func:`boundary_precision` scores.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import boundary_share
    >>> labels = np.array([[1, 1, 2, 2]] * 3)
    >>> boundary_share(labels)        # the 3 pixels left of the edge, of 12
    0.25
    >>> boundary_share(labels, boundary="thick")
    0.5
    """
    labels = _check_labels(labels)
    thick = _check_boundary(boundary)
    return float(np.count_nonzero(_metrics.boundary_map(labels, thick)) / labels.size)


if boundary_recall.__doc__:  # None under python -OO
    boundary_recall.__doc__ = boundary_recall.__doc__ % _BOUNDARY_NOTES
    boundary_precision.__doc__ = boundary_precision.__doc__ % _BOUNDARY_NOTES
    boundary_share.__doc__ = boundary_share.__doc__ % _BOUNDARY_NOTES
