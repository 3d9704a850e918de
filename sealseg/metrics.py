"""Superpixel quality metrics.

Achievable segmentation accuracy, undersegmentation error, boundary recall and
precision, the share of boundary pixels, the achievable mIoU of a class map,
explained variation, compactness and the strip share (the shape measures
live in ``sealseg._shape_metrics``).  Label maps may hold any
integer values (negative, sparse, non-consecutive); a ``groundtruth`` argument
may be one label map or a list of annotations of the same image, in which case
the result is the mean over the annotations (BSDS500 figures are means over
(image, annotation) pairs).

The definitions of ASA and boundary recall are those of the SEAL paper
(Tu et al., CVPR 2018), as written out in each function's docstring; the
heavy lifting is done by the Cython kernels in ``sealseg._ext._metrics``.
The boundary metrics live in ``sealseg._boundary_metrics`` and are
re-exported here.
"""

import numpy as np

from ._ext import _metrics
from ._boundary_metrics import boundary_precision, boundary_recall, boundary_share
from ._metric_inputs import _check_groundtruths, _check_labels, _dense
from ._shape_metrics import strip_share, thin_superpixels
from ._validation import check_image, check_label_image

__all__ = [
    "asa",
    "undersegmentation_error",
    "boundary_recall",
    "boundary_precision",
    "boundary_share",
    "achievable_miou",
    "explained_variation",
    "compactness",
    "strip_share",
    "thin_superpixels",
]


# --------------------------------------------------------------------------- region metrics

def _overlap_sums(labels, groundtruth):
    """Yield ``(asa_sum, np_sum)`` per ground-truth map."""
    labels = _check_labels(labels)
    maps = _check_groundtruths(groundtruth, labels.shape)
    sp, n_sp = _dense(labels)
    out = []
    for g in maps:
        gt, n_gt = _dense(g)
        out.append(_metrics.overlap_sums(sp, n_sp, gt, n_gt))
    return out, labels.size


def asa(labels, groundtruth):
    """Achievable segmentation accuracy of superpixels against a ground truth.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    groundtruth : (M, N) ndarray of int, or list of them
        Ground-truth segmentation, or several annotations of the same image.

    Returns
    -------
    asa : float
        ``(1/N) * sum over superpixels s of max over segments g of |s & g|``,
        in ``(0, 1]``; the mean over the annotations when ``groundtruth`` is a
        list.

    Raises
    ------
    TypeError
        If a label map is not an integer array.
    ValueError
        If a label map is not 2-D, is empty, or the shapes differ, or
        ``groundtruth`` is an empty list.

    Notes
    -----
    ASA is the accuracy of the best segmentation that can be built by giving
    each superpixel one ground-truth label: each superpixel takes the segment
    it overlaps most.  ``1 - asa`` is the corrected undersegmentation error.

    References
    ----------
    .. [1] M.-Y. Liu, O. Tuzel, S. Ramalingam, R. Chellappa, "Entropy rate
           superpixel segmentation", CVPR 2011. :DOI:`10.1109/CVPR.2011.5995323`
    .. [2] W.-C. Tu et al., "Learning superpixels with segmentation-aware
           affinity loss", CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import asa
    >>> groundtruth = np.array([[1, 1, 2, 2],
    ...                         [1, 1, 2, 2]])
    >>> asa(groundtruth * 7, groundtruth)
    1.0
    >>> asa(np.zeros((2, 4), dtype=int), groundtruth)
    0.5
    """
    sums, n_pix = _overlap_sums(labels, groundtruth)
    return float(np.mean([a / n_pix for a, _ in sums]))


def undersegmentation_error(labels, groundtruth, kind="corrected"):
    """Undersegmentation error of superpixels against a ground truth.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    groundtruth : (M, N) ndarray of int, or list of them
        Ground-truth segmentation, or several annotations of the same image.
    kind : {'corrected', 'np'}, optional
        ``'corrected'`` (CUSE): ``1 - asa(labels, groundtruth)``.
        ``'np'`` (Neubert & Protzel 2012):
        ``(1/N) * sum over segments g, sum over superpixels s overlapping g of
        min(|s & g|, |s - g|)``.

    Returns
    -------
    error : float
        Lower is better: in ``[0, 1)`` for ``'corrected'``, in ``[0, 1]``
        for ``'np'`` (1 when each superpixel covers several segments evenly:
        one superpixel over three equal segments); the mean over the
        annotations when ``groundtruth`` is a list.

    Raises
    ------
    TypeError
        If a label map is not an integer array.
    ValueError
        If the shapes differ, a map is not 2-D, ``groundtruth`` is an empty
        list or ``kind`` is unknown.

    Notes
    -----
    Both measure how much superpixels leak across ground-truth segments.  The
    Neubert-Protzel form charges each leaking superpixel the smaller of its
    inside and outside parts, so it does not punish a superpixel that barely
    touches a segment as heavily as the original Levinshtein form.

    References
    ----------
    .. [1] P. Neubert, P. Protzel, "Superpixel benchmark and comparison",
           Forum Bildverarbeitung 2012.
    .. [2] D. Stutz, A. Hermans, B. Leibe, "Superpixels: an evaluation of the
           state-of-the-art", CVIU 166, 2018. :DOI:`10.1016/j.cviu.2017.03.007`

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import undersegmentation_error
    >>> groundtruth = np.array([[1, 1, 2, 2]])
    >>> labels = np.array([[5, 5, 5, 9]])
    >>> undersegmentation_error(labels, groundtruth)
    0.25
    >>> undersegmentation_error(labels, groundtruth, kind="np")
    0.5
    """
    if not isinstance(kind, str) or kind not in ("corrected", "np"):
        raise ValueError(f"kind must be 'corrected' or 'np', got {kind!r}")
    sums, n_pix = _overlap_sums(labels, groundtruth)
    if kind == "corrected":
        return float(np.mean([1.0 - a / n_pix for a, _ in sums]))
    return float(np.mean([b / n_pix for _, b in sums]))


def achievable_miou(labels, classes, *, void=None):
    """Achievable mean intersection over union of superpixels against a class map.

    The semantic counterpart of :func:`asa`: each superpixel is given the
    class most of its non-void pixels have, and the resulting class map is
    scored by its mIoU against ``classes``.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    classes : (M, N) ndarray of int
        The class of each pixel; any integer values.
    void : int, optional
        The value of ``classes`` that marks pixels without a class (CamVid:
        11): they do not vote and are not scored.  None: every value is a
        class.

    Returns
    -------
    miou : float
        Mean over the classes present in ``classes`` (void excepted) of
        ``|predicted c & true c| / |predicted c | true c|`` over non-void
        pixels, in ``[0, 1]``.

    Raises
    ------
    TypeError
        If a map is not an integer array or ``void`` not an integer.
    ValueError
        If a map is not 2-D or is empty, the shapes differ, or every pixel
        is void.

    Notes
    -----
    The majority is taken as :func:`sealseg.superpixel_mean` of the one-hot
    class map (void pixels all zero) followed by the arg-max over classes; a
    tie goes to the smaller class value.  Only classes present in the image
    count in the mean; for a data set, average over images.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import achievable_miou
    >>> classes = np.array([[0, 0, 1, 1]])
    >>> achievable_miou(np.array([[1, 1, 2, 2]]), classes)
    1.0
    >>> labels = np.array([[1, 1, 1, 2]])   # superpixel 1 takes class 0
    >>> round(achievable_miou(labels, classes), 4)  # (2/3 + 1/2) / 2
    0.5833
    >>> achievable_miou(labels, np.array([[0, 0, 9, 1]]), void=9)
    1.0
    """
    from .pooling import superpixel_mean

    labels = _check_labels(labels)
    classes = check_label_image(classes, name="classes")
    if classes.shape != labels.shape:
        raise ValueError(f"classes has shape {classes.shape} but labels has shape "
                         f"{labels.shape}; they must be maps of the same (H, W) grid")
    if void is not None and (isinstance(void, bool) or not isinstance(void, (int, np.integer))):
        raise TypeError(f"void must be an integer class value or None, got {void!r}")
    valid = np.ones(labels.shape, bool) if void is None else classes != void
    if not valid.any():
        raise ValueError(f"classes is void ({void}) everywhere; nothing to score")
    values, index = np.unique(classes[valid], return_inverse=True)
    onehot = np.zeros(labels.shape + (values.size,), np.float32)
    onehot[valid, index] = 1.0
    predicted = np.argmax(superpixel_mean(onehot, labels), axis=-1)[valid]
    n_classes = values.size
    intersection = np.bincount(index[predicted == index], minlength=n_classes)
    union = (np.bincount(index, minlength=n_classes)
             + np.bincount(predicted, minlength=n_classes) - intersection)
    return float(np.mean(intersection / union))


def explained_variation(labels, image, *, channel_axis=-1):
    """Fraction of the image's colour variance explained by the superpixels.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    image : (M, N[, C]) ndarray
        The segmented image, put on one scale by the rule of
        :func:`sealseg.ers` (the result does not depend on it).
    channel_axis : int or None, optional
        Axis of the channels; ``None`` for a grey image.

    Returns
    -------
    ev : float
        ``sum_s |s| * ||mean_s - mean||^2 / sum_p ||x_p - mean||^2`` in
        ``[0, 1]`` (colour vectors, squared Euclidean norm).  1.0 for a
        constant image, which has no variance to explain.

    Raises
    ------
    TypeError
        If ``labels`` is not an integer array or ``image`` not numeric.
    ValueError
        If the shapes differ or the image has NaN or infinite values.

    Notes
    -----
    Explained variation replaces each pixel by the mean colour of its
    superpixel and measures how much of the total variance survives; it needs
    no ground truth.

    References
    ----------
    .. [1] A. P. Moore, S. J. D. Prince, J. Warrell, U. Mohammed, G. Jones,
           "Superpixel lattices", CVPR 2008. :DOI:`10.1109/CVPR.2008.4587471`

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import explained_variation
    >>> image = np.array([[0, 0, 255, 255]], dtype=np.uint8)
    >>> explained_variation(np.array([[1, 1, 2, 2]]), image, channel_axis=None)
    1.0
    >>> explained_variation(np.array([[1, 1, 1, 1]]), image, channel_axis=None)
    0.0
    """
    labels = _check_labels(labels)
    pixels = check_image(image, channel_axis)
    if pixels.shape[:2] != labels.shape:
        raise ValueError(f"image has spatial shape {pixels.shape[:2]} but labels has "
                         f"shape {labels.shape}; they must be of the same (H, W) grid")
    flat = pixels.reshape(-1, pixels.shape[2])
    if np.all(flat == flat[0]):
        return 1.0
    sp, n_sp = _dense(labels)
    between, total = _metrics.explained_variation_sums(sp, n_sp, flat)
    return float(min(between / total, 1.0))


def compactness(labels):
    """Compactness of superpixels (Schick et al. 2012).

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.

    Returns
    -------
    co : float
        ``sum over s of |s|/N * 4*pi*area(s) / perimeter(s)**2``.  The
        perimeter is the number of 4-connected pixel edges between ``s`` and
        other superpixels or the image border; a square superpixel scores
        pi/4.

    Raises
    ------
    TypeError
        If ``labels`` is not an integer array.
    ValueError
        If ``labels`` is not 2-D or is empty.

    Notes
    -----
    Each superpixel's isoperimetric quotient (1 for a disc in the continuous
    plane) weighted by its share of the image.  Pixels with the same label are
    one superpixel even when they are not connected.

    References
    ----------
    .. [1] A. Schick, M. Fischer, R. Stiefelhagen, "Measuring and evaluating
           the compactness of superpixels", ICPR 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import compactness
    >>> round(compactness(np.zeros((4, 4), dtype=int)), 6)
    0.785398
    """
    labels = _check_labels(labels)
    dense, n_sp = _dense(labels)
    area, perimeter = _metrics.area_perimeter(dense.reshape(labels.shape), n_sp)
    area = area.astype(np.float64)
    perimeter = perimeter.astype(np.float64)
    return float(np.sum(4.0 * np.pi * area * area / (perimeter * perimeter)) / labels.size)
