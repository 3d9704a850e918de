"""Graph-based superpixel segmenters on a pixel graph: ERS and Felzenszwalb-Huttenlocher.

The edge weights come from colours or from given affinities; this module
knows nothing of networks (:func:`sealseg.seal_ers`, in :mod:`sealseg.seal`,
composes the Pixel Affinity Net with :func:`ers`).  The public functions
check their arguments and run the kernels; the checks and the run that
:func:`ers` shares with :func:`sealseg.seal_ers` live in
:mod:`sealseg._ers_core`.
"""

import numpy as np

from ._ers_core import (
    RELAX_DEFAULT,
    check_ers_settings,
    check_slic_options,
    check_start_label_with_mask,
    colour_weights_maker,
    graph_connectivity,
    run_ers_on_affinities,
    run_ers_on_weights,
    shift_labels,
    smooth,
)
from ._ext import _ers_weights, _fh
from ._validation import (
    as_array,
    check_affinities,
    check_connectivity,
    check_image,
    check_mask,
    check_nonnegative_int,
    check_positive_real,
    check_start_label,
    check_bool,
    check_volume,
    image_is_volume,
)
from ._slic_arguments import warn_without_effect
from ._spatial_prior import prior_strength

__all__ = ["ers", "felzenszwalb_affinity"]


# Colour space of colour ERS when ``convert2lab`` is None, and the default
# ``color_sigma`` of each.  RGB, the space of the reference implementation,
# stays the default: see doc/coming_from_slic.rst for the Lab measurement.
_DEFAULT_LAB = False
_DEFAULT_COLOR_SIGMA = {False: 15.0, True: 3.0}

def _colour_space(convert2lab, n_channels, channel_axis):
    """True for Lab, False for the image's own channels."""
    if convert2lab is None:
        return _DEFAULT_LAB and channel_axis is not None and n_channels == 3
    convert2lab = check_bool(convert2lab, "convert2lab")
    if convert2lab and (channel_axis is None or n_channels != 3):
        raise ValueError(f"convert2lab=True needs an RGB image (3 channels), got "
                         f"{n_channels} channel(s); pass convert2lab=False")
    return convert2lab


def ers(image, n_segments=100, compactness=0.0, max_num_iter=10, sigma=0, spacing=None,
        convert2lab=None, enforce_connectivity=True, min_size_factor=0.5, max_size_factor=3,
        slic_zero=False, start_label=1, mask=None, *, channel_axis=-1, lam=0.5,
        connectivity=None, affinities=None, color_sigma=None, relax=RELAX_DEFAULT):
    """Segment an image or a volume into superpixels by Entropy Rate Superpixels (ERS).

    ERS grows superpixels greedily on the pixel graph, each time joining the
    two clusters whose join most increases the entropy rate of a random walk
    on the graph plus ``lam`` times a term that favours clusters of equal size.
    Edge weights come from colour differences or, when ``affinities`` is
    given, from learned or hand-made pixel affinities.  The signature is
    :func:`skimage.segmentation.slic`'s, followed by ERS's own keywords, so
    that a slic call runs unchanged (see :doc:`/coming_from_slic`), on
    images and on volumes.

    Parameters
    ----------
    image : (M, N[, C]) or (P, M, N[, C]) ndarray or None
        Input image, grey or with a channel axis holding any number of
        channels ``C`` >= 1 (2, 4 or 16 are fine: the colour distance sums
        over them).  Image or volume by slic's rule: a 2-D array, or a 3-D
        one with a ``channel_axis``, is an image; a 3-D array with
        ``channel_axis=None`` is a grey volume (P, M, N), and a 4-D array a
        volume with channels on ``channel_axis``.  Put on the [0, 1] scale by one rule for every dtype
        (:func:`sealseg._validation.image_to_unit_range`): integers holding
        0-255 values as ``v / 255``, floats in [0, 1] as they are, any other
        range (12-, 16-bit data, float TIFFs) rescaled by the image's own
        minimum and maximum, as slic does.  Views of any strides and byte
        order are accepted.  May be None when ``affinities`` is given.
    n_segments : int or sequence of int, optional
        Number of superpixels; the result has exactly this many labels
        (supervoxels in a volume).  A sequence (list, tuple, range or 1-D
        array) of distinct counts gives a stack of label maps, one per
        count in the order given, from one run of the greedy (see Notes):
        the superpixels of a smaller count are unions of those of a larger
        one.  It must be non-empty, hold each count once, and needs
        ``compactness`` at most 1.
    compactness : float, optional
        Regularity of the superpixels, >= 0.  0 (the default): no grid prior.
        Larger values weaken the graph's edges away from a regular grid of
        ``n_segments`` seeds, so superpixels follow the grid more and the
        image less; the scale is calibrated so that a value gives about the
        mean compactness (:func:`sealseg.compactness`) slic gives at the
        same value on BSDS500 images.
    max_num_iter : int, optional
        slic's number of k-means iterations, an integer >= 0.  No effect
        (ERS is not iterative); a value other than 10 gives a
        ``UserWarning``.
    sigma : float or (2,) or (3,) sequence of float, optional
        Width of the Gaussian that smooths the image before segmentation,
        per spatial axis, as in slic: a scalar is in the units of
        ``spacing`` (divided by it along each axis), a sequence in pixels.
        0 (the default): no smoothing.  At most the image's size along
        each axis, in pixels.  With ``affinities``, no effect (a
        ``UserWarning`` when not 0).
    spacing : (2,) or (3,) sequence of float, optional
        Pixel (voxel) size along each spatial axis, 2 numbers for an image
        and 3 for a volume (default all 1): scales a scalar ``sigma`` and
        the distances of the ``compactness`` prior, as in slic.  Edge
        weights do not depend on it (see Notes).
    convert2lab : bool or None, optional
        Measure colour differences in CIELAB (True; needs 3 channels) or in
        the image's own channels (False).  None: the image's own channels
        (RGB won on BSDS500 val, see Notes).
    enforce_connectivity : bool, optional
        Only True is meaningful: every ERS superpixel is connected.  False
        gives a ``UserWarning`` (and connected superpixels).
    min_size_factor, max_size_factor : float, optional
        slic's bounds of its connectivity pass, numbers >= 0.  No effect
        (a ``UserWarning`` when not 0.5 and 3).
    slic_zero : bool, optional
        slic's SLICO mode.  No effect (a ``UserWarning`` when True).
    start_label : int, optional
        Label of the first superpixel (labels run ``start_label`` to
        ``start_label + n_segments - 1``).  Any integer from 0 to 2**62 (so
        that every label fits int64).
    mask : (M, N) or (P, M, N) ndarray of bool, optional
        Only pixels where ``mask`` is True are segmented; the others get label
        0 (so ``start_label`` must then be at least 1).
    channel_axis : int or None, optional
        Axis of ``image`` holding the channels; None for a grey image or a
        grey (P, M, N) volume.
    lam : float, optional
        Weight of the balancing term (``lambda`` of the paper), >= 0.  Higher
        values give superpixels of more equal size.
    connectivity : {4, 8, 6} or None, optional
        Pixel graph of an image: 4 (right and down neighbours) or 8 (also
        diagonals); of a volume: 6 (the face neighbours; 18 and 26 are
        refused).  None (the default): 8 for an image, 6 for a volume.
        Every superpixel is one connected region under this connectivity.

        .. versionchanged:: 0.1
           The default is None (8 for images, as before).
    affinities : (2, M, N) or (3, P, M, N) ndarray, optional
        Pixel affinities in [0, 1] used as edge weights instead of colours:
        ``affinities[0, y, x]`` joins (x, y) to (x+1, y), ``affinities[1, y, x]``
        joins (x, y) to (x, y+1); the last column of ``[0]`` and last row of
        ``[1]`` are ignored.  Diagonal weights (``connectivity=8``) are the
        smaller of the two mean affinities of the paths around the diagonal,
        divided by sqrt(2).  A volume's affinities follow the same order,
        from the last axis back: ``affinities[0, z, y, x]`` joins voxel
        (z, y, x) to (z, y, x+1) (along N), ``[1]`` to (z, y+1, x) (along M)
        and ``[2]`` to (z+1, y, x) (along P), so ``affinities[:2, z]`` are
        the image affinities of plane ``z``.
    color_sigma : float or None, optional
        Width of the Gaussian that turns the L1 colour distance ``d`` of two
        neighbours (summed over channels) into an edge weight
        ``exp(-d**2 / (2 * color_sigma**2))``, in 0-255 colour units for the
        image's own channels, in Lab units with ``convert2lab=True``.  None:
        15 (the reference implementation's) for RGB, 3 for Lab.  With
        ``affinities``, no effect (a ``UserWarning`` when given).

        .. versionchanged:: 0.1
           Was ``sigma``, which now means pre-smoothing as in slic.
    relax : float or None, optional
        Boundary relaxation after the greedy, >= 0 (see Notes): boundaries
        get shorter where the pixels on either side look alike, more so for
        larger values; the count stays exact, superpixels connected.  None:
        plain ERS.  Volumes and sequences of counts (stacks) are not relaxed.

    Returns
    -------
    labels : (M, N) or (P, M, N) ndarray of int64
        Superpixel labels, numbered in raster order of each superpixel's first
        pixel (voxel, in C order for a volume).  (K, M, N) or (K, P, M, N)
        for a sequence of K counts, ``labels[k]`` the map of
        ``n_segments[k]``.

    Raises
    ------
    ValueError
        ``n_segments`` < 1 or larger than the number of pixels to segment, an
        empty image, NaN or infinite values, affinities of the wrong shape or
        outside [0, 1], ``connectivity`` not 4 or 8 (6 for a volume), a
        4-D image with ``channel_axis=None``, a negative ``compactness``,
        ``sigma`` or ``relax``, ``spacing`` not positive or of the wrong
        length, ``convert2lab=True`` on an image without 3 channels, a mask
        of the wrong shape, with no pixel, or with more separate regions than
        ``n_segments``.
    TypeError
        Arguments of the wrong type (e.g. a float ``n_segments``).

    Notes
    -----
    The graph has one vertex per pixel; edge weights are normalised by their
    total and every vertex keeps a self-loop with its unused weight.  Joins
    are chosen greedily (lazy greedy on a max-heap) by the gain in entropy
    rate plus ``beta`` times the gain in cluster-size entropy, with
    ``beta = lam * n_segments * max ER gain / max balancing gain`` at the
    start, until ``n_segments`` clusters remain.  The result is deterministic.
    The queue orders joins by their gains rounded to about 2**-8 (relative;
    the time this saves and what it costs: :doc:`/speed`), and joins of
    equal rounded gain come out in the queue's own order (last in, first
    out, the edges first pushed in raster order), so symmetries of the input
    carry over to the result only where no two such gains meet: swapping
    ``affinities[0]`` and ``affinities[1]`` and transposing both mostly
    transposes the segmentation of plain ERS (``relax=None``; 291 of 300
    small random problems with continuous affinities did), but need not, and
    with quantised affinities, a flat image or the relaxation (it visits
    pixels in raster order) it often does not.  The kernels use 64-bit indices throughout (no
    32-bit limit on the image size); memory is the limit (bytes per pixel
    at the peak: :doc:`/speed`, "Memory").

    A volume is the 6-connected voxel graph, with the kernel and its
    guarantees unchanged: the same exact count, connected supervoxels
    (6-connected), mask and start label rules, and about the memory per
    voxel that an image takes per pixel with 8-connectivity (each voxel
    stores 4 edge slots, 3 used; :doc:`/speed`, "Memory").  The 6-connected graph is the one whose edges are all of
    length 1 (no diagonal weights to derive, as the 8-connected image
    graph's are); 26-connectivity would take 16 edge slots per voxel (13
    used) and four times the memory.  Edge weights follow the colour
    (or affinity) of each pair of voxels alone, not ``spacing``: as in 2-D
    and in slic, spacing acts through ``sigma`` and through the
    ``compactness`` grid, which is regular in physical units (so
    ``compactness`` > 0 with ``spacing=(4, 1, 1)`` gives supervoxels about a
    quarter as many voxels deep along P as wide).  Weighing edges by their
    length too would count the voxel size twice where the data already show
    it (neighbours far apart differ more), and would make ``spacing`` change
    plain ERS on images, whose labels stay as they were.  The compactness
    scale of volumes reuses the images' calibration; it was not measured
    against slic on volumes.

    A sequence of counts runs the greedy once, from the pixels down to the
    smallest count, and takes the labels as it passes each count.  ``beta``
    is that of the largest count until it is reached, then that of each
    next count in turn (the queue is keyed again at each count, so the
    lazy evaluation stays sound): the largest count's map is the one a call
    with that count alone and ``relax=None`` gives (a sequence is not
    relaxed, so that the maps nest), and the others are nested in it, in
    about 1.6 times the time of one call with the smallest count (8 counts
    at 481x321).  Their scores on BSDS500 val against separate
    calls are on :doc:`/results`, its time on :doc:`/speed`.

    ``relax`` lowers ``sum over cut edges of s * (relax + w) + sum over superpixels of (A -
    A0)**2 / mean A0`` by moving pixels, in at most 10 passes (``w`` an edge's weight, ``s``
    1/sqrt(2) on diagonals, else 1, ``A0`` the area after the greedy), each only to a superpixel
    it touches along an axis and when its own stays connected (figures: :doc:`/results`).

    ``compactness`` is a static prior on the graph: seeds on a regular grid
    of step ``S = sqrt(area / n_segments)`` (in the units of ``spacing``,
    over the mask when there is one), and each edge weight multiplied by
    ``exp(-k * u**2)``, ``u`` the distance of the edge's midpoint to its
    nearest seed over ``S``, ``k`` increasing with ``compactness``.  The
    greedy then runs unchanged on the reweighted graph, so its guarantees
    hold as they are (gains only decrease as clusters grow, which its lazy
    evaluation relies on).

    References
    ----------
    .. [1] M.-Y. Liu, O. Tuzel, S. Ramalingam and R. Chellappa, "Entropy rate
           superpixel segmentation", CVPR 2011. :DOI:`10.1109/CVPR.2011.5995323`

    Examples
    --------
    >>> from skimage import data
    >>> from sealseg import ers
    >>> image = data.astronaut()[::4, ::4]
    >>> labels = ers(image, n_segments=50)
    >>> labels.shape, labels.min(), labels.max()
    ((128, 128), np.int64(1), np.int64(50))

    A slic call runs unchanged; ``compactness`` makes superpixels more regular:

    >>> from sealseg import compactness
    >>> loose = ers(image, n_segments=50, compactness=0)
    >>> regular = ers(image, n_segments=50, compactness=30, start_label=1)
    >>> bool(compactness(regular) > compactness(loose))
    True

    Several counts from one run, nested (each of the 20 superpixels is a
    union of some of the 50):

    >>> stack = ers(image, n_segments=[50, 20])
    >>> stack.shape, [int(level.max()) for level in stack]
    ((2, 128, 128), [50, 20])
    >>> pairs = np.unique(stack.reshape(2, -1), axis=1)
    >>> pairs.shape[1]
    50

    A grey volume, as slic takes it (``channel_axis=None``), with voxels twice
    as long along the first axis:

    >>> import numpy as np
    >>> volume = np.random.default_rng(0).random((10, 12, 14))
    >>> labels = ers(volume, n_segments=20, spacing=(2, 1, 1), channel_axis=None)
    >>> labels.shape, labels.min(), labels.max()
    ((10, 12, 14), np.int64(1), np.int64(20))
    """
    if affinities is not None:
        affinities = as_array(affinities, "affinities")
        volume = affinities.ndim == 4
    else:
        volume = image_is_volume(image, channel_axis)
    n_spatial = 3 if volume else 2
    compactness, spacing, smoothing = check_slic_options(
        compactness, max_num_iter, sigma, spacing, enforce_connectivity, min_size_factor,
        max_size_factor, slic_zero, n_spatial)
    connectivity = graph_connectivity(connectivity, volume)
    check_any_image = check_volume if volume else check_image
    # Checked here, whatever the path: with affinities it is only read for a
    # warning, and ``if convert2lab:`` on an array raised numpy's ambiguity error.
    if convert2lab is not None:
        convert2lab = check_bool(convert2lab, "convert2lab")
    if affinities is not None:
        affinities = check_affinities(affinities, n_spatial=n_spatial)
        shape = affinities.shape[1:]
        if image is not None:
            image_shape = check_any_image(image, channel_axis).shape[:-1]
            if image_shape != shape:
                raise ValueError(f"image has spatial shape {image_shape} but affinities "
                                 f"have {shape}; they must match")
        reason = "the edge weights come from affinities, not from the image"
        if any(smoothing):
            warn_without_effect("sigma", sigma, 0, reason)
        if convert2lab:
            warn_without_effect("convert2lab", convert2lab, False, reason)
        if color_sigma is not None:
            check_positive_real(color_sigma, "color_sigma")
            warn_without_effect("color_sigma", color_sigma, None, reason)
    elif image is None:
        raise TypeError("ers needs an image or affinities; both are None")
    else:
        unit = check_any_image(image, channel_axis)
        lab = _colour_space(convert2lab, unit.shape[-1], channel_axis)
        if color_sigma is None:
            color_sigma = _DEFAULT_COLOR_SIGMA[lab]
        color_sigma = check_positive_real(color_sigma, "color_sigma")
        if lab:
            from skimage.color import rgb2lab

            colours = smooth(np.ascontiguousarray(rgb2lab(unit)), smoothing)
        else:
            colours = smooth(unit, smoothing) * 255.0
        shape = colours.shape[:-1]
    strength = prior_strength(compactness, "colour" if affinities is None else "affinities")
    settings = check_ers_settings(shape, n_segments, connectivity, lam, start_label, mask,
                                  strength=strength, relax=relax)
    if affinities is not None:
        return run_ers_on_affinities(affinities, settings, strength=strength, spacing=spacing)
    colours = np.ascontiguousarray(colours)
    if volume:
        weights = _ers_weights.edge_weights_from_volume(colours, color_sigma)
    else:
        weights = _ers_weights.edge_weights_from_image(colours, color_sigma, settings.connectivity)
    make_weights = colour_weights_maker(colours, color_sigma, settings, strength)
    # The float copies of the image are not needed past the weights: freed
    # here, they are not held through the peak of the kernel (doc/speed.rst).
    del colours, unit
    return run_ers_on_weights(weights, shape, settings, strength=strength, spacing=spacing,
                              make_weights=make_weights)


def felzenszwalb_affinity(affinities, scale=1.0, *, min_size=20, connectivity=4,
                          start_label=1, mask=None):
    """Segment a pixel graph by Felzenszwalb-Huttenlocher on pixel affinities.

    The graph-based segmentation of Felzenszwalb and Huttenlocher (FH), with
    the dissimilarity ``1 - affinity`` of neighbouring pixels as edge weight
    instead of a colour distance: the segmenter of the SEAL paper's
    supplementary results when given learned affinities
    (``felzenszwalb_affinity(learn_affinities(image), scale)``).  Like
    :func:`skimage.segmentation.felzenszwalb`, the number of segments is not
    chosen directly; ``scale`` sets it.

    Parameters
    ----------
    affinities : (2, M, N) ndarray
        Pixel affinities in [0, 1] (1: same segment): ``affinities[0, y, x]``
        joins (x, y) to (x+1, y), ``affinities[1, y, x]`` joins (x, y) to
        (x, y+1); the last column of ``[0]`` and last row of ``[1]`` are
        ignored.  float32 and float64 are used as given, other real types are
        converted to float64.
    scale : float, optional
        ``k`` of the paper, >= 0: higher means fewer, larger segments.  It is
        in units of dissimilarity times pixels: a segment of ``s`` pixels
        absorbs an edge up to ``scale / s`` above its internal difference, so
        with weights in [0, 1], two single pixels always join when
        ``scale >= 1``.  (:func:`skimage.segmentation.felzenszwalb` measures
        its ``scale`` on the 0-255 colour scale instead.)
    min_size : int, optional
        Segments smaller than this are joined to a neighbour afterwards
        (0 or 1: no joining).  A piece of the mask smaller than ``min_size``
        stays one smaller segment.
    connectivity : {4, 8}, optional
        Pixel graph: 4 (right and down neighbours) or 8 (also diagonals).  A
        diagonal's affinity is the smaller of the two mean affinities of the
        paths around it through a horizontal and a vertical edge, e.g. for
        (x, y)-(x+1, y+1): ``min((A[0,y,x] + A[0,y+1,x]) / 2, (A[1,y,x] +
        A[1,y,x+1]) / 2)``: the rule of :func:`ers`, without its 1/sqrt(2)
        factor (FH compares weights with internal differences, and a
        diagonal is no weaker a link than the paths it stands for).  Every
        segment is one connected region under this connectivity.
    start_label : int, optional
        Label of the first segment, from 0 to 2**62 (so that every label
        fits int64).
    mask : (M, N) ndarray of bool, optional
        Only pixels where ``mask`` is True are segmented, with the edges
        between two of them; the others get label 0 (so ``start_label`` must
        then be at least 1).

    Returns
    -------
    labels : (M, N) ndarray of int64
        Segment labels from ``start_label``, consecutive, numbered in raster
        order of each segment's first pixel; 0 outside ``mask``.

    Raises
    ------
    ValueError
        Affinities not of shape (2, M, N), empty, with NaN or infinite values
        or values outside [0, 1]; a negative or non-finite ``scale``; a
        negative ``min_size``; ``connectivity`` not 4 or 8; a negative
        ``start_label``; a mask of the wrong shape or with no pixel;
        ``start_label=0`` with a mask.
    TypeError
        Arguments of the wrong type (e.g. a float ``min_size``, a complex or
        object array).

    See Also
    --------
    ers : entropy rate superpixels, with an exact number of segments.
    skimage.segmentation.felzenszwalb : FH on colour distances.

    Notes
    -----
    Edges are sorted by increasing weight ``w`` (a stable sort: ties keep the
    raster order of their first pixel, then right, down, down-right,
    up-right) and each joins its two components C1, C2 when
    ``w <= min(Int(C1) + scale / |C1|, Int(C2) + scale / |C2|)``, with
    ``Int(C)`` the largest weight of C's minimum spanning tree (0 for a single
    pixel).  A second pass over the same order joins the two ends of any edge
    one of whose components has fewer than ``min_size`` pixels, as
    :func:`skimage.segmentation.felzenszwalb` does (which, unlike the paper
    and this function, joins only when ``w`` is strictly smaller and does not
    break ties by position).  The result is deterministic; the kernel runs
    without the GIL, with 64-bit indices.

    References
    ----------
    .. [1] P. F. Felzenszwalb and D. P. Huttenlocher, "Efficient graph-based
           image segmentation", IJCV 59(2), 2004.
           :DOI:`10.1023/B:VISI.0000022288.19776.77`
    .. [2] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
           J. Kautz, "Learning superpixels with segmentation-aware affinity
           loss", CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`

    Examples
    --------
    Two flat halves with a weak link between them give two segments:

    >>> import numpy as np
    >>> from sealseg import felzenszwalb_affinity
    >>> affinities = np.ones((2, 4, 6))
    >>> affinities[0, :, 2] = 0.1              # edges (2, y)-(3, y)
    >>> felzenszwalb_affinity(affinities, scale=1.0, min_size=0)
    array([[1, 1, 1, 2, 2, 2],
           [1, 1, 1, 2, 2, 2],
           [1, 1, 1, 2, 2, 2],
           [1, 1, 1, 2, 2, 2]])

    On hand-crafted colour affinities of a photograph:

    >>> from skimage import data
    >>> from sealseg import rgb_affinities
    >>> labels = felzenszwalb_affinity(rgb_affinities(data.astronaut()[::4, ::4]), 5.0)
    >>> labels.shape, labels.min()
    ((128, 128), np.int64(1))
    """
    affinities = check_affinities(affinities)
    scale = check_positive_real(scale, "scale", allow_zero=True)
    min_size = check_nonnegative_int(min_size, "min_size")
    connectivity = check_connectivity(connectivity)
    start_label = check_start_label(start_label)
    shape = affinities.shape[1:]
    mask = check_mask(mask, shape)
    check_start_label_with_mask(start_label, mask)
    mask_u8 = None if mask is None else mask.view(np.uint8)

    weights, edges = _fh.edge_dissimilarities(affinities, connectivity, mask_u8)
    order = np.argsort(weights, kind="stable")
    labels, _ = _fh.felzenszwalb_segmentation(weights[order], edges[order], shape[0],
                                              shape[1], connectivity, scale, min_size,
                                              mask_u8)
    return shift_labels(labels, start_label, mask_u8)
