"""Checks of the arguments ``ers`` and ``seal_ers`` share with ``skimage.segmentation.slic``.

``spacing`` and ``sigma`` as slic reads them (physical units, per axis), and
the warning for a slic argument that has no effect here.  A leaf: it builds
on ``_validation`` only.
"""
import warnings

import numpy as np

from ._validation import check_positive_real

__all__ = ["check_spacing", "check_smoothing_sigma", "check_smoothing_width",
           "warn_without_effect"]


def check_spacing(spacing, n_spatial=2):
    """Return ``spacing`` as a tuple of ``n_spatial`` floats > 0 (None: all 1)."""
    if spacing is None:
        return (1.0,) * n_spatial
    return _per_axis(spacing, n_spatial, "spacing", "None or a sequence of", allow_zero=False)


def _per_axis(values, n_spatial, name, what, *, allow_zero):
    """``values``, a sequence of one real per spatial axis, as a tuple of floats."""
    if isinstance(values, (str, bytes)) or _ndim(values) != 1:
        raise TypeError(f"{name} must be {what} {n_spatial} numbers (one per spatial axis), "
                        f"got {values!r}")
    values = tuple(values)
    if len(values) != n_spatial:
        raise ValueError(f"{name} must have {n_spatial} elements (one per spatial axis), "
                         f"got {len(values)}")
    return tuple(check_positive_real(v, name, allow_zero=allow_zero) for v in values)


def _ndim(value):
    """``np.ndim(value)``, or None for what numpy cannot make an array of (ragged lists)."""
    try:
        return np.ndim(value)
    except (ValueError, TypeError):
        return None


def check_smoothing_width(smoothing, shape):
    """Refuse per-axis smoothing widths (pixels) wider than the image along their axis.

    The Gaussian's kernel spans 8 widths, and its cost is the number of
    pixels times that span: a width of 1e150 (a valid real) asked for a
    kernel that never finished.  A Gaussian as wide as the image already
    spreads every pixel over all of it, so nothing is lost.
    """
    for axis, (width, size) in enumerate(zip(smoothing, shape)):
        if width > size:
            raise ValueError(f"sigma gives a smoothing width of {width:g} pixels along axis "
                             f"{axis}, wider than the image ({size} pixels); at most the "
                             "image's size along each axis is accepted")


def check_smoothing_sigma(sigma, spacing):
    """Per-axis Gaussian pre-smoothing widths, in pixels, as slic computes them.

    A scalar ``sigma`` is a width in the physical units of ``spacing`` and is
    divided by it along each axis; a sequence gives each axis's width in
    pixels.  Returns a tuple of floats >= 0 (all 0: no smoothing).
    """
    n_spatial = len(spacing)
    if _ndim(sigma) == 0:
        value = check_positive_real(sigma, "sigma", allow_zero=True)
        return tuple(value / s for s in spacing)
    return _per_axis(sigma, n_spatial, "sigma", "a number or a sequence of", allow_zero=True)


def warn_without_effect(name, value, default, reason, *, stacklevel=2):
    """UserWarning when a slic argument that does nothing here is not at its default.

    ``stacklevel`` counts as ``warnings.warn``'s does, from the function that
    calls this one: 2 (default) points the warning at that function's
    caller, the user's line when a public function calls this directly; a
    private helper between them passes 3.
    """
    if not _same(value, default):
        warnings.warn(f"{name}={value!r} has no effect: {reason}", UserWarning,
                      stacklevel=stacklevel + 1)


def _same(value, default):
    """``value == default`` as one bool, False for values that do not compare so.

    ``True == 1`` is not the same (a flag is not a count), and an array
    compared elementwise is not the scalar default.
    """
    if value is default:
        return True
    if isinstance(value, (bool, np.bool_)) != isinstance(default, bool) or _ndim(value) != 0:
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False
