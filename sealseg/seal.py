"""SEAL-ERS: Entropy Rate Superpixels on the affinities of a Pixel Affinity Net.

A thin composition of :func:`sealseg.learn_affinities` (in
:mod:`sealseg.pan.inference`) and :func:`sealseg.ers` (in
:mod:`sealseg.segmentation`): :func:`seal_ers` checks each argument once
and calls the two unchecked cores.  Importing this module does not import
torch.
"""
import numpy as np

from ._validation import check_optional_positive_int, check_rgb_image
from .pan.inference import _predict_affinities
from .segmentation import _check_ers_arguments, _ers_on_affinities

__all__ = ["seal_ers"]


def seal_ers(image, n_segments=100, *, connectivity=8, lam=0.5, channel_axis=-1,
             start_label=1, mask=None, weights="bsds500", device=None,
             max_pixels_per_tile=None):
    """Segment an image into superpixels by SEAL-ERS: ERS on predicted affinities.

    A trained Pixel Affinity Net predicts the affinities of neighbouring
    pixels (:func:`sealseg.learn_affinities`); Entropy Rate Superpixels then
    segments the pixel graph weighted by them (:func:`sealseg.ers`).  The
    default net, ``"bsds500"``, is trained with HED's class-balanced
    cross-entropy, not with the paper's segmentation-aware affinity loss
    (SEAL), and read with the affinity exponent 2; the SEAL loss is
    implemented and its net ships as ``weights="bsds500-seal"``.

    Parameters
    ----------
    image : (M, N[, 3]) ndarray
        RGB or grey image; ``uint8`` is taken as 0-255, floats as [0, 1].
        Images with 2, 4 or more channels are refused (the net was trained on
        RGB; see :func:`sealseg.learn_affinities`).
    n_segments : int, optional
        Number of superpixels; the result has exactly this many labels.
    connectivity : {4, 8}, optional
        Pixel graph of ERS.  With 8, the diagonal weights are formed from the
        4-connected affinities (see :func:`sealseg.ers`).
    lam : float, optional
        Weight of ERS's balancing term, >= 0.
    channel_axis : int or None, optional
        Axis of ``image`` holding the channels; None for a grey image.
    start_label : int, optional
        Label of the first superpixel.
    mask : (M, N) ndarray of bool, optional
        Only pixels where ``mask`` is True are segmented; the others get 0.
    weights : str or path, optional
        Network weights: a registered name or a weight file saved by
        ``sealseg train``.  ``"bsds500"`` (default): residual blocks dilated
        1, 2, 4, HED's class-balanced loss, exponent 2.  ``"bsds500-seal"``:
        the paper's net and SEAL loss, exponent 1.  On BSDS500 val the
        default gives the higher ASA and boundary recall of the two at every
        number of superpixels (see :func:`sealseg.learn_affinities`).
    device : str or torch.device, optional
        Where the net runs; None picks CUDA when available, else the CPU.
    max_pixels_per_tile : int or None, optional
        Memory budget of the net: larger images are processed in exactly
        stitched overlapping tiles (see :func:`sealseg.learn_affinities`).

        .. versionadded:: 0.1

    Returns
    -------
    labels : (M, N) ndarray of int64
        Superpixel labels from ``start_label``; 0 outside ``mask``.

    Raises
    ------
    ValueError
        Invalid ``n_segments``, ``lam``, ``connectivity``, ``mask``, image,
        or weights (see :func:`sealseg.learn_affinities` and
        :func:`sealseg.ers`).
    FileNotFoundError
        A weight file that does not exist.
    TypeError
        Arguments of the wrong type.

    See Also
    --------
    sealseg.ers : ERS on colour affinities, or on affinities of your own.

    Notes
    -----
    ``seal_ers(image, n, ...)`` gives the labels of ``ers(None, n,
    affinities=learn_affinities(image, ...).astype(np.float64), ...)``, with
    every argument checked once and before the net is loaded (ERS on the
    float32 affinities themselves can differ with ``connectivity=8``: the
    diagonal weights are then summed in float32).  Training with the SEAL
    loss runs 4-connected ERS on 300 superpixels per 481x321 image (the
    class-balanced loss of the default net runs none); the predicted
    affinities are applied unchanged at any ``n_segments``.  With
    the default weights, on BSDS500 val, ``seal_ers`` has a higher ASA than
    colour :func:`sealseg.ers` at every number of superpixels (+0.020 at
    100, +0.004 at 1200) and a higher boundary recall (+0.001 at 100,
    +0.024 at 1200); tables in ``doc/results.rst``.

    References
    ----------
    .. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
           J. Kautz, "Learning superpixels with segmentation-aware affinity
           loss", CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
    .. [2] M.-Y. Liu, O. Tuzel, S. Ramalingam and R. Chellappa, "Entropy rate
           superpixel segmentation", CVPR 2011. :DOI:`10.1109/CVPR.2011.5995323`

    Examples
    --------
    >>> from skimage import data
    >>> from sealseg import seal_ers
    >>> labels = seal_ers(data.astronaut()[::4, ::4], n_segments=50)
    >>> labels.shape, labels.min(), labels.max()
    ((128, 128), np.int64(1), np.int64(50))
    """
    rgb = check_rgb_image(image, channel_axis)
    checked = _check_ers_arguments(rgb.shape[:2], n_segments, connectivity, lam,
                                   start_label, mask)
    max_pixels_per_tile = check_optional_positive_int(max_pixels_per_tile,
                                                      "max_pixels_per_tile")
    affinities = _predict_affinities(rgb, weights, device, max_pixels_per_tile)
    # The kernel takes float32 too, but it sums the two affinities of each
    # diagonal path in the input's precision: on float32 the 8-connected
    # diagonal weights differ in the last bits (up to 2e-8) and so, after
    # near-tied joins, do the labels (2 of the first 10 BSDS500 val images
    # at every n).  The float64 copy keeps seal_ers's labels as they were.
    return _ers_on_affinities(affinities.astype(np.float64), *checked)
