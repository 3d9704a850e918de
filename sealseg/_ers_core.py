"""ERS's checked core: its arguments checked once, and the kernel run on them.

:func:`sealseg.ers` (in :mod:`sealseg.segmentation`) and
:func:`sealseg.seal_ers` (in :mod:`sealseg.seal`) both check their
arguments here and then call :func:`run_ers_on_affinities` or
:func:`run_ers_on_weights`, which check nothing: an :class:`ERSSettings`
is the proof that the arguments of ERS other than the graph were checked
for a graph of its shape.
"""
import dataclasses
import functools
import logging
import numbers

import numpy as np
from scipy import ndimage as ndi

from ._ext import _ers, _ers_weights, _relax
from ._spatial_prior import apply_spatial_prior
from ._validation import (
    check_bool,
    check_connectivity,
    check_mask,
    check_n_segments,
    check_nonnegative_int,
    check_positive_real,
    check_start_label,
)
from ._slic_arguments import (check_smoothing_sigma, check_smoothing_width, check_spacing,
                              warn_without_effect)

__all__ = ["RELAX_DEFAULT", "JOIN_SLACK_NET", "ERSSettings", "check_ers_settings",
           "check_n_segments_levels", "check_relax", "check_slic_options",
           "colour_weights_maker", "graph_connectivity", "run_ers_on_affinities",
           "run_ers_on_weights", "shift_labels", "smooth",
           "check_start_label_with_mask"]

# Progress of a long call (INFO; silent unless the caller shows it, as
# ``python -m sealseg segment`` does).
_log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ERSSettings:
    """ERS's arguments other than the graph, checked for a graph of one shape.

    Made by :func:`check_ers_settings` only.

    Attributes
    ----------
    n_segments : int or tuple of int
        Number of superpixels, at most the number of pixels to segment; a
        tuple (distinct counts, in the caller's order) when the caller
        asked for a stack of label maps.
    connectivity : int
        4 or 8 for an image, 6 for a volume.
    lam : float
        Weight of the balancing term, >= 0.
    start_label : int
        Label of the first superpixel.
    mask_u8 : ndarray of uint8 or None
        The mask as a C-contiguous uint8 view, or None.
    relax : float or None
        Length cost of the boundary relaxation after the greedy, or None
        for no relaxation; None for a volume or a sequence of counts, where
        the pass does not run (see :func:`check_relax`).
    """

    n_segments: object
    connectivity: int
    lam: float
    start_label: int
    mask_u8: np.ndarray = None
    relax: object = None

    @property
    def stacked(self):
        """True when the caller gave a sequence of counts (the result is a stack)."""
        return isinstance(self.n_segments, tuple)

    @property
    def counts(self):
        """The counts as a tuple, in the caller's order."""
        return self.n_segments if self.stacked else (self.n_segments,)


def shift_labels(labels, start_label, mask_u8):
    """Kernel labels (0.., -1 outside the mask) -> start_label.., 0 outside the mask."""
    if mask_u8 is None:
        labels += start_label
    else:
        inside = labels >= 0
        labels[inside] += start_label
        labels[~inside] = 0
    return labels


def check_start_label_with_mask(start_label, mask):
    """ValueError when a mask is given with ``start_label=0`` (0 marks the outside)."""
    if mask is not None and start_label == 0:
        raise ValueError("start_label must be >= 1 when a mask is given: "
                         "pixels outside the mask take label 0")


def graph_connectivity(connectivity, volume):
    """The kernel's connectivity: 4 or 8 for an image (None: 8), 6 for a volume (None: 6)."""
    if not volume:
        return check_connectivity(8 if connectivity is None else connectivity)
    integral = isinstance(connectivity, numbers.Integral) \
        and not isinstance(connectivity, (bool, np.bool_))
    if connectivity is None or (integral and connectivity == 6):
        return 6
    if integral and connectivity in (18, 26):
        raise ValueError(f"connectivity={connectivity} is not supported: ERS on volumes uses the "
                         "6-connected graph (connectivity=6 or None); the kernel stores a power "
                         "of two of edges per voxel, and 13 would take 16 slots per voxel")
    raise ValueError(f"connectivity must be 6 (or None) for a volume, got {connectivity!r} "
                     "(4 and 8 are the graphs of 2-D images)")


def _is_sequence(n_segments):
    """True for a list, tuple, range or 1-D array (of counts); False for a scalar."""
    if isinstance(n_segments, np.ndarray):
        if n_segments.ndim > 1:
            raise ValueError(f"n_segments must be an integer or a 1-D sequence of integers, "
                             f"got an array of shape {n_segments.shape}")
        return n_segments.ndim == 1
    return isinstance(n_segments, (list, tuple, range))


def check_n_segments_levels(n_segments, n_pixels):
    """``n_segments`` checked: an int, or a tuple of distinct ints (a stack).

    A list, tuple, range or 1-D array of integers asks for one label map per
    entry; it must be non-empty, hold each count once, and every count must
    be a positive integer of at most ``n_pixels``.
    """
    if not _is_sequence(n_segments):
        if isinstance(n_segments, (set, frozenset, dict)):
            raise TypeError(f"n_segments must be an integer or a sequence of integers in the "
                            f"order wanted (list, tuple, range or 1-D array), got a "
                            f"{type(n_segments).__name__}, which has no order")
        return check_n_segments(n_segments, n_pixels)
    counts = list(n_segments.tolist() if isinstance(n_segments, np.ndarray) else n_segments)
    if not counts:
        raise ValueError("n_segments is an empty sequence; give at least one count")
    counts = tuple(check_n_segments(n, n_pixels, name=f"n_segments[{i}]")
                   for i, n in enumerate(counts))
    seen = set()
    for i, n in enumerate(counts):
        if n in seen:
            raise ValueError(f"n_segments holds {n} more than once (n_segments[{i}]); give "
                             "each count once")
        seen.add(n)
    return counts


# The boundary relaxation (``sealseg._ext._relax``): the weight of its area
# term and its number of passes, fixed; the length cost is ``relax``, whose
# default ers and seal_ers share.  Chosen on BSDS500 val (the first 20
# images, n_segments 300-1000; doc/results.rst, "The shape of the superpixels").
RELAX_DEFAULT = 0.35
# seal_ers's default length cost: the net's affinities already put weak links
# on edges, and 0.35 cost them recall at equal boundary length.  First chosen
# (0.15) after looking at all 100 BSDS500 val images (n_segments 100-1200,
# doc/results.rst, "The shape of the superpixels"): the smallest of the costs
# measured there that kept strips under 1% and boundary share under 18% at
# n_segments 600; 0.3 since seal_ers's join slack of 256 (next).
RELAX_DEFAULT_NET = 0.3
# seal_ers's join slack in the ERS kernel (``JOIN_SLACK`` there, 64, is
# ers's): 256 and the cost 0.3 above, chosen together on all 100 BSDS500 val
# images by rules written before their scans (doc/results.rst, "The ERS
# kernel's join slack"; first 128 with 0.2): at equal boundary length they
# recall 0.008-0.014 more than (128, 0.2) at every n_segments from 100 to
# 1200, with strips under 1% and boundary share under 18% at 600.
JOIN_SLACK_NET = 256
RELAX_AREA_WEIGHT = 1.0
RELAX_PASSES = 10


def check_relax(relax):
    """``relax`` checked: None (no relaxation) or a real number >= 0."""
    if relax is None:
        return None
    return check_positive_real(relax, "relax", allow_zero=True)


def check_ers_settings(shape, n_segments, connectivity, lam, start_label, mask, *,
                       strength=0.0, relax=None):
    """Check every argument of ERS but the image/affinities, for a graph of ``shape``.

    ``shape`` is (H, W), or (P, M, N) for a volume, whose ``connectivity``
    is 6 (from :func:`graph_connectivity`).  ``strength`` is the prior's
    (:func:`sealseg._spatial_prior.prior_strength`), checked against a
    sequence of counts.  ``relax`` (:func:`check_relax`) is kept for a
    single count on an image only: moving pixels level by level would break
    the nesting of a stack, and the pass is 2-D.  Returns an
    :class:`ERSSettings`.
    """
    relax = check_relax(relax)
    if len(shape) == 2:
        connectivity = check_connectivity(connectivity)
    start_label = check_start_label(start_label)
    lam = check_positive_real(lam, "lam", allow_zero=True)
    mask = check_mask(mask, shape)
    n_pixels = int(np.prod(shape, dtype=np.int64)) if mask is None else int(mask.sum())
    n_segments = check_n_segments_levels(n_segments, n_pixels)
    if isinstance(n_segments, tuple) and strength > 0:
        raise ValueError("a sequence of n_segments needs compactness at most 1 (no grid "
                         "prior): the prior's grid depends on the count, so the levels would "
                         "not nest; call once per count instead")
    if len(shape) != 2 or isinstance(n_segments, tuple):
        relax = None
    if mask is None:
        return ERSSettings(n_segments, connectivity, lam, start_label, None, relax)
    # ndimage's default structure is 4-connected in 2-D, 6-connected in 3-D.
    structure = np.ones((3, 3), bool) if connectivity == 8 else None
    _, n_pieces = ndi.label(mask, structure=structure)
    fewest = min(n_segments) if isinstance(n_segments, tuple) else n_segments
    if n_pieces > fewest:
        raise ValueError(f"mask has {n_pieces} separate {connectivity}-connected regions, "
                         f"more than n_segments={fewest}; every superpixel is one "
                         "connected region, so ask for at least that many")
    check_start_label_with_mask(start_label, mask)
    return ERSSettings(n_segments, connectivity, lam, start_label, mask.view(np.uint8), relax)


def run_ers_on_weights(weights, shape, settings, *, strength=0.0, spacing=(1.0, 1.0),
                       make_weights=None, join_slack=-1):
    """ERS on kernel edge weights (consumed) of a graph of ``shape``; no checks.

    ``settings`` from :func:`check_ers_settings` for that shape.
    ``strength`` and ``spacing``: the compactness prior
    (``sealseg._spatial_prior``), applied to ``weights`` first; 0 leaves
    them as they are.  The boundary relaxation (when ``settings.relax`` is
    not None) runs on the weights without the prior: with ``strength`` 0 the
    ones the kernel gives back in ``weights``; otherwise ``make_weights``
    (a function that makes them again, required then) makes them after the
    greedy, where a copy kept through it would add to its peak memory.
    ``join_slack``: the kernel's (-1: its ``JOIN_SLACK``; ``seal_ers`` passes
    :data:`JOIN_SLACK_NET`).
    """
    _log.info("ERS into %d superpixels on %.2f Mpx", settings.n_segments, np.prod(shape) / 1e6)
    mask_u8 = settings.mask_u8
    mask = None if mask_u8 is None else mask_u8.view(bool)
    if not settings.stacked:
        apply_spatial_prior(weights, shape, settings.connectivity, settings.n_segments,
                            strength, spacing, mask)
    # The kernel takes an image as one plane, a volume as P planes, and its
    # mask as (P * M, N).
    depth, height, width = shape if len(shape) == 3 else (1,) + tuple(shape)
    kernel_mask = None if mask_u8 is None else mask_u8.reshape(-1, width)
    if not settings.stacked:
        labels, _ = _ers.entropy_rate_segmentation(weights, height, width,
                                                   settings.connectivity, settings.n_segments,
                                                   settings.lam, kernel_mask, depth=depth,
                                                   join_slack=join_slack)
        if settings.relax is not None:
            if strength > 0:
                del weights  # with the prior: free before the copy without it
                weights = make_weights()
            _relax.relax_boundaries(labels, weights, settings.connectivity,
                                    settings.relax, RELAX_AREA_WEIGHT, RELAX_PASSES)
        return shift_labels(labels, settings.start_label, mask_u8)
    # One run, stopped at each count from the largest down (the kernel's levels).
    levels = sorted(settings.counts, reverse=True)
    stack, _ = _ers.entropy_rate_segmentation(weights, height, width, settings.connectivity,
                                              np.array(levels, np.int64), settings.lam,
                                              kernel_mask, depth=depth, join_slack=join_slack)
    if list(settings.counts) != levels:
        where = {n: i for i, n in enumerate(levels)}
        stack = stack[[where[n] for n in settings.counts]]
    return shift_labels(stack, settings.start_label, mask_u8)


def colour_weights_maker(colours, color_sigma, settings, strength):
    """The ``make_weights`` of :func:`run_ers_on_weights` for an image's colours, or None.

    None when ``settings.relax`` is None or ``strength`` (the prior's) is 0,
    where the relaxation needs no remade weights.  It keeps a float32 copy
    of ``colours`` (12 bytes a pixel through the kernel, where the caller
    frees its float64 copies; exact for 8-bit colours).
    """
    if settings.relax is None or strength == 0:
        return None
    return functools.partial(_ers_weights.edge_weights_from_image, colours.astype(np.float32),
                             color_sigma, settings.connectivity)


def run_ers_on_affinities(affinities, settings, *, strength=0.0, spacing=(1.0, 1.0),
                          join_slack=-1):
    """ERS on C-contiguous float32/float64 (2, H, W) affinities in [0, 1]; no checks.

    (3, P, M, N) affinities for a volume; ``settings`` from
    :func:`check_ers_settings` for their spatial shape; ``join_slack`` as in
    :func:`run_ers_on_weights`.
    """
    if affinities.ndim == 4:
        weights = _ers_weights.edge_weights_from_volume_affinities(affinities)
        return run_ers_on_weights(weights, affinities.shape[1:], settings, strength=strength,
                                  spacing=spacing, join_slack=join_slack)

    def make_weights():
        return _ers_weights.edge_weights_from_affinities(affinities, settings.connectivity)

    return run_ers_on_weights(make_weights(), affinities.shape[1:], settings,
                              strength=strength, spacing=spacing, make_weights=make_weights,
                              join_slack=join_slack)


_NOT_ITERATIVE = "ERS is a greedy graph clustering, not an iterative one"
_ALWAYS_CONNECTED = "every ERS superpixel is one connected region"
_NO_SIZE_PASS = "ERS gives exactly n_segments connected superpixels without a size pass"


def check_slic_options(compactness, max_num_iter, sigma, spacing, enforce_connectivity,
                       min_size_factor, max_size_factor, slic_zero, n_spatial=2):
    """Validate the arguments ERS shares with slic; warn about those without effect.

    ``n_spatial`` is 2 for an image, 3 for a volume.  Returns
    ``compactness`` as a float, the spacing and the per-axis smoothing
    widths in pixels.
    """
    compactness = check_positive_real(compactness, "compactness", allow_zero=True)
    enforce_connectivity = check_bool(enforce_connectivity, "enforce_connectivity")
    slic_zero = check_bool(slic_zero, "slic_zero")
    # Checked as slic would take them, although they do nothing here: a value
    # slic refuses is a caller's mistake the warning alone would hide.
    max_num_iter = check_nonnegative_int(max_num_iter, "max_num_iter")
    min_size_factor = check_positive_real(min_size_factor, "min_size_factor", allow_zero=True)
    max_size_factor = check_positive_real(max_size_factor, "max_size_factor", allow_zero=True)
    # Called by ers and seal_ers: the warnings point at their caller's line.
    warn_without_effect("max_num_iter", max_num_iter, 10, _NOT_ITERATIVE, stacklevel=3)
    warn_without_effect("enforce_connectivity", enforce_connectivity, True, _ALWAYS_CONNECTED,
                        stacklevel=3)
    warn_without_effect("min_size_factor", min_size_factor, 0.5, _NO_SIZE_PASS, stacklevel=3)
    warn_without_effect("max_size_factor", max_size_factor, 3, _NO_SIZE_PASS, stacklevel=3)
    warn_without_effect("slic_zero", slic_zero, False,
                        "SLICO adapts slic's compactness per superpixel; ERS's compactness "
                        "is a prior on the graph, set it with compactness", stacklevel=3)
    spacing = check_spacing(spacing, n_spatial)
    smoothing = check_smoothing_sigma(sigma, spacing)
    return compactness, spacing, smoothing


def smooth(image, smoothing):
    """Gaussian pre-smoothing of an (H, W, C) image or (P, M, N, C) volume per spatial axis, as slic does."""
    if not any(smoothing):
        return image
    check_smoothing_width(smoothing, image.shape[:-1])
    from skimage.filters import gaussian

    return gaussian(image, sigma=list(smoothing) + [0], mode="reflect")
