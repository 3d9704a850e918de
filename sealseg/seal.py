"""SEAL-ERS: Entropy Rate Superpixels on the affinities of a Pixel Affinity Net.

A thin composition of :func:`sealseg.learn_affinities` (in
:mod:`sealseg.pan.inference`) and :func:`sealseg.ers` (whose checks and run
are in :mod:`sealseg._ers_core`): :func:`seal_ers` checks each argument once
and calls the two unchecked cores.  Importing this module does not import
torch.
"""
import inspect
import logging
import time

import numpy as np

from ._spatial_prior import prior_strength
from ._slic_arguments import warn_without_effect
from ._validation import as_array, check_affinities, check_bool, check_nonnegative_int, \
    check_optional_positive_int, check_rgb_image, image_is_volume
from ._ers_core import (JOIN_SLACK_NET, RELAX_DEFAULT_NET, check_ers_settings,
                        check_slic_options, run_ers_on_affinities, smooth)
from .pan.inference import _predict_affinities, check_precision

__all__ = ["seal_ers"]

_LOG = logging.getLogger(__name__)
# From this many pixels on, seal_ers logs (INFO) each of its two steps: a
# 4000x3000 photo took over a minute on two CPU cores, which without a
# word looks like a hang.
LOG_ABOVE_PIXELS = 4_000_000


def _refuse_volume(image, channel_axis):
    """ValueError with what to do instead when ``image`` is a volume (slic's rule)."""
    if image_is_volume(image, channel_axis):
        shape = as_array(image, "image").shape
        raise ValueError(
            f"seal_ers segments 2-D images, and image of shape {shape} with "
            f"channel_axis={channel_axis!r} is a volume (slic's rule: (P, M, N) with "
            "channel_axis=None, or 4-D); the shipped Pixel Affinity Net is 2-D. For a volume "
            "use sealseg.ers(image, n_segments, channel_axis=...) on its values, or "
            "sealseg.ers(None, n_segments, affinities=A) with (3, P, M, N) affinities A of "
            "your own; for a stack of separate 2-D images call seal_ers on each")


def seal_ers(image, n_segments=100, compactness=0.0, max_num_iter=10, sigma=0, spacing=None,
             convert2lab=None, enforce_connectivity=True, min_size_factor=0.5,
             max_size_factor=3, slic_zero=False, start_label=1, mask=None, *,
             channel_axis=-1, lam=0.5, connectivity=8, weights=None, device=None,
             max_pixels_per_tile=None, precision="auto", relax=RELAX_DEFAULT_NET):
    """Segment an image into superpixels by SEAL-ERS: ERS on predicted affinities.

    A trained Pixel Affinity Net predicts the affinities of neighbouring
    pixels (:func:`sealseg.learn_affinities`); Entropy Rate Superpixels then
    segments the pixel graph weighted by them (:func:`sealseg.ers`).  The
    default net is trained with HED's class-balanced
    cross-entropy, not with the paper's segmentation-aware affinity loss
    (SEAL), and read with the affinity exponent 2; the SEAL loss is
    implemented and its net ships as ``weights="bsds500-seal"``.  The
    signature is :func:`skimage.segmentation.slic`'s, followed by SEAL-ERS's
    own keywords, so that a slic call runs unchanged (see
    :doc:`/coming_from_slic`).

    Parameters
    ----------
    image : (M, N[, 3]) ndarray
        RGB or grey image, put on the [0, 1] scale by the rule of
        :func:`sealseg.ers` (8-bit values as ``v / 255``, other ranges by
        their own minimum and maximum).  Images with 2, 4 or more channels
        are refused (the net was trained on RGB; for RGBA use
        :func:`skimage.color.rgba2rgb`).
    n_segments : int or sequence of int, optional
        Number of superpixels; the result has exactly this many labels.  A
        sequence of distinct counts gives a stack of nested label maps, one
        per count in the order given, from one run of the net and of ERS
        (as :func:`sealseg.ers`); it needs ``compactness`` at most 1.
    compactness : float, optional
        Regularity of the superpixels, >= 0; 0 (the default): no grid
        prior.  The grid prior of :func:`sealseg.ers`, on the predicted
        affinities, calibrated so that a value gives about the regularity
        slic gives at that value (up to about 30; SEAL-ERS without it is
        already about as regular as slic at 10, so values up to 3 change
        nothing).
    max_num_iter : int, optional
        An integer >= 0, without effect (a ``UserWarning`` when not 10):
        ERS is not iterative.
    sigma : float or (2,) sequence of float, optional
        Gaussian pre-smoothing of the image before the net, as in slic (a
        scalar in the units of ``spacing``, a sequence in pixels); 0: none.
        At most the image's size along each axis, in pixels.
    spacing : (2,) sequence of float, optional
        Pixel size along each axis: scales ``sigma`` and the grid of the
        ``compactness`` prior.
    convert2lab : bool or None, optional
        No effect: the net reads RGB.  True gives a ``UserWarning``.
    enforce_connectivity : bool, optional
        Only True is meaningful (every superpixel is connected); False gives
        a ``UserWarning``.
    min_size_factor, max_size_factor : float, optional
        Numbers >= 0, without effect (a ``UserWarning`` when not 0.5 and 3).
    slic_zero : bool, optional
        No effect (a ``UserWarning`` when True).
    start_label : int, optional
        Label of the first superpixel, from 0 to 2**62 (so that every label
        fits int64).
    mask : (M, N) ndarray of bool, optional
        Only pixels where ``mask`` is True are segmented; the others get 0.
    channel_axis : int or None, optional
        Axis of ``image`` holding the channels; None for a grey image.
    lam : float, optional
        Weight of ERS's balancing term, >= 0.
    connectivity : {4, 8}, optional
        Pixel graph of ERS.  With 8, the diagonal weights are formed from the
        4-connected affinities (see :func:`sealseg.ers`).
    weights : None, str or path, optional
        Network weights: None (default) for the default net, a shipped
        net's name (:func:`sealseg.list_weights`) or a weight file saved by
        ``sealseg train``; see :func:`sealseg.learn_affinities`.
    device : str or torch.device, optional
        Where the net runs; None picks CUDA when available, else the CPU.
    max_pixels_per_tile : int or None, optional
        Memory budget of the net: larger images are processed in exactly
        stitched overlapping tiles (see :func:`sealseg.learn_affinities`).

        .. versionadded:: 0.1
    precision : {"auto", "float32", "bfloat16"}, optional
        Arithmetic of the net's convolutions: bfloat16 where the CPU computes
        it natively, float32 elsewhere (``"auto"``), or as given (see
        :func:`sealseg.learn_affinities`).  Pass ``"float32"`` for labels
        that do not depend on the CPU.

        .. versionadded:: 0.1
    relax : float or None, optional
        Boundary relaxation after ERS, a real number >= 0 (see
        :func:`sealseg.ers`): boundaries move off flat areas and onto the
        net's edges, and get shorter; larger values smooth more.  None: no
        relaxation (plain SEAL-ERS).  Not applied to a sequence of counts.
        The default, 0.3, is lower than :func:`sealseg.ers`'s 0.35: chosen
        on BSDS500 val for the net's affinities together with the ERS
        kernel's join slack, which ``seal_ers`` sets looser than ``ers``
        (see the results page, "The ERS kernel's join slack"); so
        ``seal_ers`` is not ``ers(None, n, affinities=learn_affinities(image),
        relax=0.3)`` bit for bit.

        .. versionadded:: 0.1

    Returns
    -------
    labels : (M, N) ndarray of int64
        Superpixel labels from ``start_label``; 0 outside ``mask``.
        (K, M, N) for a sequence of K counts.

    Raises
    ------
    ValueError
        A volume (3-D with ``channel_axis=None``, or 4-D: the message says
        to use :func:`sealseg.ers`, whose volumes take colours or
        affinities of shape (3, P, M, N)).  Invalid ``n_segments``, ``lam``,
        ``connectivity``, ``compactness``, ``sigma``, ``spacing``, ``mask``,
        image (RGBA: the message says how to convert it), or weights (see
        :func:`sealseg.learn_affinities` and :func:`sealseg.ers`).
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
    affinities are applied unchanged at any ``n_segments``.  How
    ``seal_ers`` compares with colour :func:`sealseg.ers` and other methods
    on BSDS500 val is on the results page (``doc/results.rst``).

    On images of 4 million pixels or more, ``seal_ers`` logs each of its
    two steps at the INFO level on the ``sealseg.seal`` logger (shown with,
    e.g., ``logging.basicConfig(level=logging.INFO)``): such a call can take
    a minute on a CPU.

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
    _refuse_volume(image, channel_axis)
    compactness, spacing, smoothing = check_slic_options(
        compactness, max_num_iter, sigma, spacing, enforce_connectivity, min_size_factor,
        max_size_factor, slic_zero)
    if convert2lab is not None and check_bool(convert2lab, "convert2lab"):
        warn_without_effect("convert2lab", convert2lab, False,
                            "the affinity net reads RGB, not Lab")
    rgb = smooth(check_rgb_image(image, channel_axis), smoothing)
    strength = prior_strength(compactness, "affinities")
    settings = check_ers_settings(rgb.shape[:2], n_segments, connectivity, lam,
                                  start_label, mask, strength=strength, relax=relax)
    max_pixels_per_tile = check_optional_positive_int(max_pixels_per_tile,
                                                      "max_pixels_per_tile")
    precision = check_precision(precision)
    height, width = rgb.shape[:2]
    talk = height * width >= LOG_ABOVE_PIXELS
    if talk:
        _LOG.info("seal_ers: %dx%d image (%.1f Mpx): predicting affinities, then ERS; on a "
                  "CPU this takes a while", width, height, height * width / 1e6)
        start = time.perf_counter()
    affinities = _predict_affinities(rgb, weights, device, max_pixels_per_tile, precision)
    if talk:
        _LOG.info("seal_ers: affinities in %.1f s; running ERS", time.perf_counter() - start)
    labels = _segment(affinities, settings, strength, spacing)
    if talk:
        _LOG.info("seal_ers: done in %.1f s", time.perf_counter() - start)
    return labels


def _segment(affinities, settings, strength=0.0, spacing=(1.0, 1.0), join_slack=JOIN_SLACK_NET):
    """seal_ers's ERS on the net's (2, H, W) affinities; ``settings`` checked already."""
    # The kernel takes float32 too, but it sums the two affinities of each
    # diagonal path in the input's precision: on float32 the 8-connected
    # diagonal weights differ in the last bits (up to 2e-8) and so, after
    # near-tied joins, do the labels (2 of the first 10 BSDS500 val images
    # at every n).  The float64 copy keeps seal_ers's labels as they were.
    return run_ers_on_affinities(affinities.astype(np.float64), settings, strength=strength,
                                 spacing=spacing, join_slack=join_slack)


def ers_as_seal_ers(affinities, n_segments, *, join_slack=JOIN_SLACK_NET, **options):
    """ERS on given affinities exactly as :func:`seal_ers` runs it after its net.

    The one home of "seal_ers's segmenter on affinities computed
    elsewhere" (an affinity cache, a scan of the segmenter's settings): the
    same checks and the same kernel settings as :func:`seal_ers`, so that
    the labels are those :func:`seal_ers` gives for an image whose net
    output is ``affinities``.

    Parameters
    ----------
    affinities : (2, H, W) ndarray
        A net's affinities in [0, 1], as :func:`sealseg.learn_affinities`
        returns them (checked as :func:`sealseg.ers` checks them).
    n_segments : int or sequence of int
        As in :func:`seal_ers`.
    join_slack : int, optional
        The ERS kernel's join slack, 0 to 2**31; :func:`seal_ers` uses
        ``sealseg._ers_core.JOIN_SLACK_NET``.  Other values are for scans of
        the segmenter.
    **options
        :func:`seal_ers`'s ERS keywords (``connectivity``, ``lam``,
        ``start_label``, ``mask``, ``relax``); left out, :func:`seal_ers`'s
        defaults, read off its signature.

    Returns
    -------
    labels : (H, W) or (L, H, W) ndarray of int64
        As :func:`seal_ers` returns them (without ``compactness``).

    Raises
    ------
    TypeError
        A keyword that is not one of seal_ers's ERS keywords.
    ValueError
        Affinities not (2, H, W) in [0, 1], or an ERS keyword as
        :func:`seal_ers` refuses it.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.seal import ers_as_seal_ers
    >>> affinities = np.ones((2, 8, 8))
    >>> affinities[0, :, 3] = 0.0          # a vertical cut between columns 3 and 4
    >>> ers_as_seal_ers(affinities, 2)[0]
    array([1, 1, 1, 1, 2, 2, 2, 2])
    """
    unknown = sorted(set(options) - set(_ERS_OPTIONS))
    if unknown:
        raise TypeError(f"ers_as_seal_ers got {unknown[0]!r}; it takes seal_ers's ERS "
                        f"keywords {list(_ERS_OPTIONS)}")
    affinities = check_affinities(affinities)
    join_slack = check_nonnegative_int(join_slack, "join_slack")
    if join_slack > _JOIN_SLACK_MAX:
        raise ValueError(f"join_slack must be at most {_JOIN_SLACK_MAX} (the kernel's keys are "
                         f"64-bit), got {join_slack}")
    options = dict(_seal_ers_ers_defaults(), **options)
    settings = check_ers_settings(affinities.shape[1:], n_segments, options["connectivity"],
                                  options["lam"], options["start_label"], options["mask"],
                                  relax=options["relax"])
    return _segment(affinities, settings, join_slack=join_slack)


# Far beyond any useful slack (the keys' steps; 256 is seal_ers's) and far
# below where key + slack could overflow the kernel's unsigned 64-bit keys.
_JOIN_SLACK_MAX = 2 ** 31
_ERS_OPTIONS = ("connectivity", "lam", "start_label", "mask", "relax")


def _seal_ers_ers_defaults():
    """seal_ers's defaults of its ERS keywords, read off its signature (one home)."""
    parameters = inspect.signature(seal_ers).parameters
    return {name: parameters[name].default for name in _ERS_OPTIONS}
