"""Pixel affinities without a network: hand-crafted from colours, and from ground truth.

Affinities are (2, H, W) arrays in [0, 1]: ``A[0, y, x]`` is the affinity of
pixel (x, y) to its right neighbour (x+1, y), ``A[1, y, x]`` the affinity to
the pixel below, (x, y+1).  The last column of ``A[0]`` and the last row of
``A[1]`` have no neighbour and are set to 1.  Numpy only; the affinities
predicted by the Pixel Affinity Net are in :mod:`sealseg.pan.inference`.
"""
import numpy as np

from ._validation import (check_affinities, check_bool, check_image, check_label_image,
                          check_label_maps_container, check_positive_real)

__all__ = ["rgb_affinities", "affinities_from_labels", "thin_boundaries"]


def rgb_affinities(image, *, color_sigma=None, channel_axis=-1, convert2lab=False):
    """Colour affinities of 4-connected neighbours, as ERS computes them.

    Parameters
    ----------
    image : (M, N[, C]) ndarray
        Input image with any number of channels ``C`` (the distance sums
        over them); ``uint8`` is taken as 0-255, floats as [0, 1].
    color_sigma : float or None, optional
        Width of the Gaussian on the L1 colour distance, in 0-255 colour
        units (Lab units with ``convert2lab``); None: 15, or 3 in Lab (the
        defaults of :func:`sealseg.ers`'s ``color_sigma``).
    channel_axis : int or None, optional
        Axis of the channels; ``None`` for a grey image.
    convert2lab : bool, optional
        Measure the distance in CIELAB (needs 3 channels), as
        ``ers(..., convert2lab=True)`` does.

    Returns
    -------
    affinities : (2, M, N) ndarray of float64
        ``exp(-d**2 / (2 * color_sigma**2))`` with ``d`` the L1 distance of the two
        pixels' colour vectors on the 0-255 scale.

    Raises
    ------
    ValueError
        An image that is empty, not 2-D/3-D, NaN/inf, a float image outside
        [0, 1], or ``color_sigma`` not finite and > 0.
    TypeError
        A non-numeric image (object, complex, strings) or a non-real ``color_sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.affinity import rgb_affinities
    >>> image = np.zeros((4, 4), dtype=np.uint8)
    >>> image[:, 2:] = 255
    >>> rgb_affinities(image, channel_axis=None)[0, 0].round(6)
    array([1., 0., 1., 1.])
    """
    convert2lab = check_bool(convert2lab, "convert2lab")
    if color_sigma is None:
        color_sigma = 3.0 if convert2lab else 15.0
    color_sigma = check_positive_real(color_sigma, "color_sigma")
    colours = check_image(image, channel_axis)
    if convert2lab:
        if channel_axis is None or colours.shape[2] != 3:
            raise ValueError(f"convert2lab=True needs an RGB image (3 channels), got "
                             f"{colours.shape[2]} channel(s)")
        from skimage.color import rgb2lab

        colours = rgb2lab(colours)
    else:
        colours = colours * 255.0
    affinities = np.ones((2,) + colours.shape[:2])
    dx = np.abs(np.diff(colours, axis=1)).sum(axis=-1)
    dy = np.abs(np.diff(colours, axis=0)).sum(axis=-1)
    affinities[0, :, :-1] = np.exp(-dx ** 2 / (2.0 * color_sigma ** 2))
    affinities[1, :-1, :] = np.exp(-dy ** 2 / (2.0 * color_sigma ** 2))
    return affinities


def affinities_from_labels(groundtruth):
    """Affinities of a label map: 0 across a label transition, 1 elsewhere.

    These are the training targets of the Pixel Affinity Net and, averaged over
    several annotations, the "oracle" affinities of the SEAL paper.

    Parameters
    ----------
    groundtruth : (M, N) ndarray of int, or list of them
        One label map or several annotations of the same image.

    Returns
    -------
    affinities : (2, M, N) ndarray of float64
        Mean over the annotations of the per-annotation binary affinities.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.affinity import affinities_from_labels
    >>> labels = np.array([[1, 1, 2],
    ...                    [1, 1, 2]])
    >>> affinities_from_labels(labels)[0]
    array([[1., 0., 1.],
           [1., 0., 1.]])
    """
    check_label_maps_container(groundtruth, "groundtruth")
    maps = groundtruth if isinstance(groundtruth, (list, tuple)) else [groundtruth]
    if len(maps) == 0:
        raise ValueError("groundtruth must be a label map or a non-empty list of them")
    first = check_label_image(maps[0], name="groundtruth")
    total = np.zeros((2,) + first.shape)
    for k, labels in enumerate(maps):
        labels = check_label_image(labels, name=f"groundtruth[{k}]", shape=first.shape)
        total[0, :, :-1] += labels[:, :-1] == labels[:, 1:]
        total[1, :-1, :] += labels[:-1, :] == labels[1:, :]
    total /= len(maps)
    total[0, :, -1] = 1.0
    total[1, -1, :] = 1.0
    return total


def thin_boundaries(affinities, factor=0.9):
    """Non-maximum suppression of the boundaries that affinities draw.

    The boundary strength of an edge is ``1 - A``.  A learned boundary is a
    ridge two or three pixels wide; an edge whose strength is below that of
    one of its two parallel neighbours across the boundary (for
    ``A[0, y, x]``: ``A[0, y, x - 1]`` and ``A[0, y, x + 1]``; for
    ``A[1, y, x]``: ``A[1, y - 1, x]`` and ``A[1, y + 1, x]``) is off the
    ridge's crest, and its strength is multiplied by ``factor``.  Edges on
    the crest (strength at least both neighbours') keep theirs, as in the
    thinning of Canny's edge detector.  A segmenter then cuts along the
    crest instead of anywhere within the ridge.

    Parameters
    ----------
    affinities : (2, H, W) ndarray
        Affinities in [0, 1] (the convention of this module).
    factor : float, optional
        In [0, 1]: what is left of an off-crest edge's boundary strength (1:
        no change; 0: off-crest edges become affinity 1).  The default, 0.9,
        is the factor measured with ``seal_ers``'s segmenter on BSDS500 val,
        SBD and CamVid on the results page ("Thinning the net's
        boundaries": more ASA, less recall at equal boundary length).

    Returns
    -------
    thinned : (2, H, W) ndarray
        New affinities, float32 for float32 input, float64 otherwise; the
        last column of ``[0]`` and the last row of ``[1]`` (no edge) are
        copied unchanged.

    Raises
    ------
    ValueError
        Affinities not (2, H, W) with values in [0, 1], or ``factor``
        outside [0, 1].
    TypeError
        Non-numeric affinities or a non-real ``factor``.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg import thin_boundaries
    >>> affinities = np.ones((2, 1, 6))
    >>> affinities[0, 0, :5] = [1.0, 0.6, 0.2, 0.5, 1.0]   # a ridge 3 edges wide
    >>> thin_boundaries(affinities, 0.5)[0, 0].round(2)
    array([1.  , 0.8 , 0.2 , 0.75, 1.  , 1.  ])
    """
    affinities = check_affinities(affinities)
    factor = check_positive_real(factor, "factor", allow_zero=True)
    if factor > 1.0:
        raise ValueError(f"factor must be in [0, 1], got {factor}")
    thinned = affinities.copy()
    # [0]'s edges lie side by side along x (axis 1 of a plane), [1]'s along y.
    for direction, axis in ((0, 1), (1, 0)):
        edges = [slice(None), slice(None)]
        edges[axis] = slice(0, affinities.shape[1 + axis] - 1)   # the last has no edge
        strength = 1.0 - affinities[direction][tuple(edges)]
        below = np.zeros(strength.shape, bool)
        head = [slice(None), slice(None)]
        tail = [slice(None), slice(None)]
        head[axis], tail[axis] = slice(1, None), slice(None, -1)
        head, tail = tuple(head), tuple(tail)
        below[head] |= strength[head] < strength[tail]   # weaker than the one before
        below[tail] |= strength[tail] < strength[head]   # weaker than the one after
        thinned[direction][tuple(edges)][below] = 1.0 - factor * strength[below]
    return thinned
