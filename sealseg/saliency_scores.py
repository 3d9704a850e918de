"""Scores of a saliency map against a binary salient-object mask.

Mean absolute error and the weighted F-beta measure of Margolin et al.
(CVPR 2014), the two scores of the SEAL paper's salient-object experiment.
"""

import math

import numpy as np
from scipy import ndimage as ndi

from ._validation import as_array, check_positive_real

__all__ = ["mean_absolute_error", "weighted_fbeta"]


def _check_saliency_and_mask(saliency, mask):
    """``saliency`` as float64 in [0, 1] and ``mask`` as bool, both (M, N)."""
    saliency = as_array(saliency, "saliency")
    if saliency.dtype != np.bool_ and not np.issubdtype(saliency.dtype, np.floating):
        raise TypeError(f"saliency must be a float (or bool) array with values in [0, 1], "
                        f"got dtype {saliency.dtype}; divide an 8-bit map by 255 first")
    if saliency.ndim != 2:
        raise ValueError(f"saliency must be a 2-D (M, N) map, got shape {saliency.shape}")
    if saliency.size == 0:
        raise ValueError(f"saliency is empty: shape {saliency.shape}")
    with np.errstate(over="ignore", invalid="ignore"):   # long double beyond float64
        saliency = saliency.astype(np.float64)
    if not np.all(np.isfinite(saliency)):
        raise ValueError("saliency holds NaN or infinite values")
    if saliency.min() < 0.0 or saliency.max() > 1.0:
        raise ValueError(f"saliency must lie in [0, 1], got values from "
                         f"{saliency.min():g} to {saliency.max():g}")
    mask = as_array(mask, "mask")
    if mask.dtype != np.bool_:
        if not (np.issubdtype(mask.dtype, np.integer) or np.issubdtype(mask.dtype, np.floating)):
            raise TypeError(f"mask must be a binary array (bool, or numbers 0 and 1), got "
                            f"dtype {mask.dtype}")
        if mask.size and not np.all((mask == 0) | (mask == 1)):
            raise ValueError("mask must hold only 0 and 1 (or False and True); convert a 0/255 "
                             "mask with mask > 127")
    if mask.shape != saliency.shape:
        raise ValueError(f"mask has shape {mask.shape} but saliency has shape "
                         f"{saliency.shape}; they must be maps of the same (M, N) grid")
    return saliency, mask.astype(bool)


def mean_absolute_error(saliency, mask):
    """Mean absolute difference of a saliency map and a binary mask.

    Parameters
    ----------
    saliency : (M, N) array_like of float or bool
        Saliency map with values in [0, 1].
    mask : (M, N) array_like of bool, or of numbers 0 and 1
        Ground-truth salient-object mask.

    Returns
    -------
    mae : float
        ``mean(|saliency - mask|)``, in [0, 1]; lower is better.

    Raises
    ------
    TypeError, ValueError
        If ``saliency`` is not a finite float map in [0, 1], ``mask`` holds
        values other than 0 and 1, or their shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.saliency import mean_absolute_error
    >>> mask = np.array([[0, 1], [1, 1]])
    >>> mean_absolute_error(np.array([[0.5, 1.0], [0.5, 1.0]]), mask)
    0.25
    """
    saliency, mask = _check_saliency_and_mask(saliency, mask)
    return float(np.mean(np.abs(saliency - mask)))


def _gaussian_window(size=7, sigma=5.0):
    """Normalised ``size`` x ``size`` Gaussian, as MATLAB's ``fspecial``."""
    half = size // 2
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    window = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma ** 2))
    return window / window.sum()


def weighted_fbeta(saliency, mask, *, beta=1.0):
    """Weighted F-beta measure of a saliency map (Margolin et al.).

    Parameters
    ----------
    saliency : (M, N) array_like of float or bool
        Saliency map with values in [0, 1].
    mask : (M, N) array_like of bool, or of numbers 0 and 1
        Ground-truth salient-object mask, with at least one foreground pixel.
    beta : float, optional
        Weight of recall against precision: ``beta = 1`` (the default, as in
        the authors' code) weighs them equally.

    Returns
    -------
    score : float
        Weighted F-beta in [0, 1]; higher is better.

    Raises
    ------
    TypeError, ValueError
        If ``saliency`` is not a finite float map in [0, 1], ``mask`` holds
        values other than 0 and 1 or no foreground pixel (the measure is
        undefined there), their shapes differ, or ``beta`` is not a positive
        real.

    Notes
    -----
    The measure of [1]_: the absolute error ``E = |saliency - mask|`` is
    made dependent among neighbours (inside the object, an error is replaced
    by its 7x7 Gaussian-weighted average, ``sigma = 5``, with zero padding,
    when that is smaller; outside, errors are first replaced by the error of
    the nearest object pixel so that the averaging sees the object's edge),
    then weighted by pixel importance (an error outside the object at
    distance ``d`` from it weighs ``2 - exp(alpha d)``,
    ``alpha = ln(0.5) / 5``).  With the weighted errors ``Ew``, recall is
    ``1 - mean(Ew inside)``, precision ``TPw / (TPw + FPw)`` with
    ``TPw = |object| - sum(Ew inside)`` and ``FPw = sum(Ew outside)``, and
    the score is ``(1 + beta**2) P R / (beta**2 P + R)``.  A machine epsilon
    in the denominators follows the authors' code.

    References
    ----------
    .. [1] R. Margolin, L. Zelnik-Manor, A. Tal, "How to evaluate foreground
           maps?", CVPR 2014. :DOI:`10.1109/CVPR.2014.39`

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.saliency import weighted_fbeta
    >>> mask = np.zeros((20, 20), dtype=bool)
    >>> mask[5:15, 5:15] = True
    >>> round(weighted_fbeta(mask.astype(float), mask), 6)
    1.0
    >>> round(weighted_fbeta(np.full((20, 20), 0.5), mask), 3)
    0.281
    """
    saliency, mask = _check_saliency_and_mask(saliency, mask)
    beta = check_positive_real(beta, "beta")
    if not mask.any():
        raise ValueError("mask has no foreground pixel; the weighted F-beta measure is "
                         "undefined without an object")
    error = np.abs(saliency - mask)
    background = ~mask
    # Distance of every pixel to the nearest object pixel, and that pixel.
    distance, nearest = ndi.distance_transform_edt(background, return_indices=True)
    extended = error.copy()
    extended[background] = error[nearest[0][background], nearest[1][background]]
    averaged = ndi.correlate(extended, _gaussian_window(), mode="constant", cval=0.0)
    dependent = np.where(mask & (averaged < error), averaged, error)
    importance = np.ones_like(error)
    importance[background] = 2.0 - np.exp(math.log(0.5) / 5.0 * distance[background])
    weighted = dependent * importance

    eps = np.finfo(np.float64).eps
    true_positive = mask.sum() - weighted[mask].sum()
    false_positive = weighted[background].sum()
    recall = 1.0 - weighted[mask].mean()
    precision = true_positive / (eps + true_positive + false_positive)
    b2 = beta * beta
    return float((1.0 + b2) * recall * precision / (eps + b2 * precision + recall))
