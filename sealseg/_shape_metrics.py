"""The shape of superpixels: the share of pixels in strips (:func:`strip_share`).

Re-exported by :mod:`sealseg.metrics`, the metrics' public home.
"""
import numpy as np

from ._validation import check_label_image, check_positive_int

__all__ = ["strip_share", "thin_superpixels"]


def thin_superpixels(labels, width=3):
    """The labels of the superpixels that contain no ``width`` x ``width`` square.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values.
    width : int, optional
        Side of the square, in pixels, >= 1.

    Returns
    -------
    thin : ndarray
        The labels (sorted) of the superpixels none of whose pixels is the
        top-left corner of a ``width`` x ``width`` square of pixels of the
        same label.

    Raises
    ------
    TypeError
        If ``labels`` is not an integer array or ``width`` not an integer.
    ValueError
        If ``labels`` is not 2-D or is empty, or ``width`` < 1.

    See Also
    --------
    strip_share : the share of the pixels in these superpixels.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import thin_superpixels
    >>> labels = np.array([[1, 1, 1, 2],
    ...                    [1, 1, 1, 2],
    ...                    [1, 1, 1, 2]])
    >>> thin_superpixels(labels)
    array([2])
    """
    labels = check_label_image(labels, name="labels")
    width = check_positive_int(width, "width")
    height, span = labels.shape
    if height < width or span < width:
        return np.unique(labels)
    corner = labels[:height - width + 1, :span - width + 1]
    square = np.ones(corner.shape, bool)
    for dy in range(width):
        for dx in range(width):
            if dy or dx:
                square &= labels[dy:dy + corner.shape[0], dx:dx + corner.shape[1]] == corner
    return np.setdiff1d(np.unique(labels), corner[square])


def strip_share(labels, width=3):
    """Share of the pixels that lie in superpixels thinner than ``width`` pixels.

    A superpixel is *thinner than* ``width`` pixels when it contains no
    ``width`` x ``width`` square of its own pixels: a strip one or two pixels
    wide, a diagonal staircase, a ragged fringe.  Such superpixels follow no
    image structure of their own and make a segmentation look wrong, which
    :func:`compactness` (an average) does not single out.

    Parameters
    ----------
    labels : (M, N) ndarray of int
        Superpixel label map; any integer values (pixels of one value are one
        superpixel, connected or not).
    width : int, optional
        Side of the square, in pixels, >= 1 (1: no superpixel is thin).

    Returns
    -------
    share : float
        Pixels in thin superpixels / all pixels, in ``[0, 1]``.

    Raises
    ------
    TypeError
        If ``labels`` is not an integer array or ``width`` not an integer.
    ValueError
        If ``labels`` is not 2-D or is empty, or ``width`` < 1.

    See Also
    --------
    thin_superpixels : which superpixels are thin.
    compactness : the mean isoperimetric quotient of the superpixels.

    Notes
    -----
    With the Euclidean distance transform ``d`` of a superpixel (the
    distance of each of its pixels to the nearest pixel outside it, pixels
    beyond the image border counting as outside), a superpixel is thinner
    than 3 pixels exactly when ``max d < 2``: ``d(p) >= 2`` holds when the
    3 x 3 square around ``p`` lies inside.  For other widths the square
    is the definition.  An image smaller than the square has every
    superpixel thin.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.metrics import strip_share
    >>> labels = np.zeros((6, 6), dtype=int)
    >>> labels[:, 4:] = 1          # a strip 2 pixels wide: 12 of the 36 pixels
    >>> round(strip_share(labels), 4)
    0.3333
    """
    labels = check_label_image(labels, name="labels")
    thin = thin_superpixels(labels, width)
    if thin.size == 0:
        return 0.0
    return float(np.count_nonzero(np.isin(labels, thin)) / labels.size)
