"""Pooling of per-pixel values over superpixels.

:func:`superpixel_mean` replaces every pixel's value by the mean over its
superpixel: what :func:`skimage.color.label2rgb` does with ``kind="avg"`` for
colours, for any per-pixel array (features, class probabilities, saliency).
"""

import numpy as np

from ._validation import as_array, check_label_image

__all__ = ["superpixel_mean"]

# Magnitudes whose sums over a superpixel cannot overflow in float64 (2**1000 * any
# pixel count is finite), nor lose their low bits to subnormals.
_LARGE = 2.0 ** 1000
_SMALL = 2.0 ** -1000


def _magnitude(scale):
    """A non-negative float scalar as a Python float (inf past float64's range)."""
    with np.errstate(over="ignore"):
        return float(scale)


def _dense_labels(labels):
    """``labels`` (int64) as consecutive indices 0..n-1 and the count n.

    A direct offset when the label range is compact (no sort), otherwise the
    inverse of :func:`numpy.unique`.
    """
    flat = labels.ravel()
    lo, hi = int(flat.min()), int(flat.max())
    span = hi - lo + 1
    if span <= 2 * flat.size + 1024:
        index = flat - lo
        present = np.bincount(index, minlength=span) > 0
        if present.all():
            return index, span
        # Close the gaps so n counts only the labels that are there.
        remap = np.cumsum(present) - 1
        return remap[index], int(present.sum())
    _, inverse = np.unique(flat, return_inverse=True)
    inverse = inverse.ravel()
    return inverse, int(inverse.max()) + 1


def superpixel_mean(values, labels):
    """Set every superpixel's pixels to the mean of ``values`` over it.

    Parameters
    ----------
    values : (M, N) or (M, N, C) array_like
        Per-pixel values: a grey or colour image, features, class
        probabilities.  Float arrays keep their dtype (the sums are taken in
        float64, then cast back).  Integer and boolean arrays are averaged in
        float64 and give a float64 result, since the mean of integers is
        rarely an integer.
    labels : (M, N) array_like of int
        Superpixel label map of the same (M, N) grid.  Every distinct value,
        negative and zero included, is one superpixel; values need not be
        consecutive.  No label is treated as background.

    Returns
    -------
    pooled : ndarray
        Array of the shape of ``values``: at each pixel, the mean of
        ``values`` over the pixel's superpixel (per channel for
        (M, N, C) values).  Float ``values`` keep their dtype; other real
        dtypes give float64.

    Raises
    ------
    TypeError
        If ``values`` is not of a real numeric dtype, or ``labels`` is not an
        integer map.
    ValueError
        If ``values`` is not 2-D or 3-D, is empty, holds NaN or infinity, or
        if its first two dimensions differ from the shape of ``labels``.

    Notes
    -----
    The means are sums and counts of one :func:`numpy.bincount` per channel,
    so the cost is linear in the number of pixels whatever the number of
    superpixels.  Up to rounding, the result equals
    ``skimage.color.label2rgb(labels, values, kind="avg", bg_label=b)`` for
    (M, N, 3) colour values and any ``b`` not in ``labels`` (``label2rgb``
    paints its background label, 0 by default, in ``bg_color`` instead).

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg import superpixel_mean
    >>> values = np.array([[1.0, 3.0, 10.0],
    ...                    [5.0, 7.0, 20.0]])
    >>> labels = np.array([[0, 0, 2],
    ...                    [0, 0, 2]])
    >>> superpixel_mean(values, labels)
    array([[ 4.,  4., 15.],
           [ 4.,  4., 15.]])

    Class probabilities (M, N, C) are pooled per channel:

    >>> probabilities = np.zeros((2, 3, 2), dtype=np.float32)
    >>> probabilities[..., 0] = [[1, 1, 0], [0, 1, 1]]
    >>> probabilities[..., 1] = 1 - probabilities[..., 0]
    >>> pooled = superpixel_mean(probabilities, labels)
    >>> pooled.dtype
    dtype('float32')
    >>> pooled[0, 0]
    array([0.75, 0.25], dtype=float32)
    """
    values = as_array(values, "values")
    if not (values.dtype == np.bool_ or np.issubdtype(values.dtype, np.integer)
            or np.issubdtype(values.dtype, np.floating)):
        raise TypeError(f"values must be an array of real numbers (bool, integer or "
                        f"float), got dtype {values.dtype}")
    if values.ndim not in (2, 3):
        raise ValueError(f"values must be 2-D (M, N) or 3-D (M, N, C), got shape "
                         f"{values.shape}")
    if values.size == 0:
        raise ValueError(f"values is empty: shape {values.shape}")
    labels = check_label_image(labels, name="labels")
    if values.shape[:2] != labels.shape:
        raise ValueError(f"values has shape {values.shape} but labels has shape "
                         f"{labels.shape}; the first two dimensions of values must be "
                         "the shape of labels")
    floating = np.issubdtype(values.dtype, np.floating)
    if floating and not np.all(np.isfinite(values)):
        raise ValueError("values holds NaN or infinity; superpixel means need finite "
                         "values")
    out_dtype = values.dtype if floating else np.dtype(np.float64)

    index, n = _dense_labels(labels)
    counts = np.bincount(index, minlength=n).astype(np.float64)
    channels = values.reshape(labels.size, -1)
    pooled = np.empty(channels.shape, dtype=out_dtype)
    for c in range(channels.shape[1]):
        channel = channels[:, c]
        # Sums of values near the float64 limit would overflow: average them scaled
        # to at most 1 in magnitude, in their own dtype (wider floats too).
        scale = np.max(np.abs(channel)) if floating else None
        if scale is not None and not _SMALL <= _magnitude(scale) <= _LARGE and scale > 0:
            channel = channel / scale
        else:
            scale = None
        sums = np.bincount(index, weights=channel.astype(np.float64, copy=False),
                           minlength=n)
        means = (sums / counts).astype(out_dtype)
        pooled[:, c] = means[index] if scale is None else means[index] * scale
    return pooled.reshape(values.shape)
