"""Losses for affinity learning: BCE, HED's class-balanced BCE, and SEAL.

All losses take predicted affinities ``a`` of shape (B, 2, H, W) (channel 0
horizontal, (x, y)-(x+1, y); channel 1 vertical, (x, y)-(x, y+1)) and targets
``t`` of the same shape with 0 across a ground-truth transition and 1
elsewhere.  The last column of channel 0 and the last row of channel 1 have no
neighbour: they are excluded from every loss (zero gradient).  Affinities are
clamped to ``[eps, 1 - eps]`` before the logarithms.

SEAL weights.  The paper weights a boundary pixel of superpixel S_k by the raw
over-segmentation error ``w_k = |S_k| - |S_k n G_j|`` (a pixel count).  Raw
counts scale with the superpixel size, i.e. with the crop area over the
number of superpixels, so the same error weighs differently for a different
crop; ``normalize="mean_size"`` (the default of ``seal_gamma``; ``sealseg train``
defaults to the paper's raw counts, ``--gamma-norm raw``) divides
w_k by the mean superpixel area N/K, which makes gamma "the error in units of
one average superpixel" and keeps the loss scale independent of crop size.
``normalize=None`` gives the paper's raw counts.  ``sealseg train`` logs, per
logging window, the mean of the non-zero gammas and the largest gamma (columns
``gamma_mean`` and ``gamma_max`` of ``log.csv``).
"""
import numpy as np
import torch

__all__ = ["targets_from_labels", "valid_mask", "bce", "balanced_bce", "seal_loss",
           "seal_gamma", "superpixels_for_loss", "EPS"]

#: Clamp of the affinities before the logarithms.
EPS = 1e-6

#: Superpixels per 481x321 image used in the loss (scaled with the crop area).
N_SEGMENTS_BSDS = 300
BSDS_AREA = 481 * 321


def targets_from_labels(groundtruth):
    """Binary affinity targets (2, H, W) float32 of one label map (or (B, 2, H, W) of a batch).

    0 where the label changes between (x, y) and (x+1, y) (channel 0) or
    (x, y) and (x, y+1) (channel 1), 1 elsewhere; the last column of channel 0
    and the last row of channel 1 are 1 (and excluded from the losses).
    """
    from ..affinity import affinities_from_labels

    gt = np.asarray(groundtruth)
    if gt.ndim == 3:
        return np.stack([targets_from_labels(g) for g in gt])
    return affinities_from_labels(gt).astype(np.float32)


def valid_mask(shape, device=None):
    """(1, 2, H, W) bool tensor: False on the last column of [0] and last row of [1]."""
    h, w = shape[-2:]
    m = torch.ones((1, 2, h, w), dtype=torch.bool, device=device)
    m[:, 0, :, -1] = False
    m[:, 1, -1, :] = False
    return m


def _check(affinities, targets):
    if not torch.is_tensor(affinities) or affinities.ndim != 4 or affinities.shape[1] != 2:
        raise ValueError("affinities must be a (B, 2, H, W) tensor, got "
                         f"{getattr(affinities, 'shape', type(affinities))}")
    return _like_affinities(targets, affinities, "targets")


def _like_affinities(values, affinities, name):
    """``values`` as a tensor of ``affinities``' dtype, device and (B, 2, H, W) shape."""
    values = torch.as_tensor(values, dtype=affinities.dtype, device=affinities.device)
    if values.ndim == 3:
        values = values[None]
    if values.shape != affinities.shape:
        raise ValueError(f"{name} have shape {tuple(values.shape)}, expected "
                         f"{tuple(affinities.shape)}")
    return values


def _log_terms(affinities, targets, eps):
    a = affinities.clamp(eps, 1.0 - eps)
    return targets * torch.log(a) + (1.0 - targets) * torch.log1p(-a)


def bce(affinities, targets, *, eps=EPS):
    """Binary cross-entropy (paper Eq. 1), mean over the M valid pixel pairs."""
    targets = _check(affinities, targets)
    valid = valid_mask(affinities.shape, affinities.device).expand_as(affinities)
    terms = _log_terms(affinities, targets, eps)
    return -(terms[valid]).mean()


def balanced_bce(affinities, targets, *, eps=EPS):
    """HED's class-balanced BCE (Xie & Tu 2015), mean over the M valid pairs.

    Boundary pairs (target 0) are weighted by the share of non-boundary pairs
    and non-boundary pairs by the share of boundary pairs (over the batch).
    """
    targets = _check(affinities, targets)
    valid = valid_mask(affinities.shape, affinities.device).expand_as(affinities)
    t = targets[valid]
    terms = _log_terms(affinities, targets, eps)[valid]
    n_boundary = (t < 0.5).sum()
    beta = n_boundary.to(terms.dtype) / t.numel()          # share of boundary pairs
    weight = torch.where(t < 0.5, 1.0 - beta, beta)
    return -(weight * terms).mean()


def superpixels_for_loss(affinities, n_segments):
    """4-connected ERS superpixels (labels from 0) of (2, H, W) numpy affinities."""
    from ..segmentation import ers

    a = np.ascontiguousarray(np.clip(affinities, 0.0, 1.0), dtype=np.float64)
    return ers(None, int(n_segments), affinities=a, connectivity=4, start_label=0)


def default_n_segments(height, width):
    """Superpixels for a crop: 300 per 481x321 image, scaled with the area (at least 2)."""
    return max(2, int(round(N_SEGMENTS_BSDS * height * width / BSDS_AREA)))


def seal_gamma(superpixels, groundtruth, *, normalize="mean_size"):
    """SEAL weights gamma (2, H, W) float32 from superpixels and a ground-truth label map.

    Parameters
    ----------
    superpixels : (H, W) int ndarray
    groundtruth : (H, W) int ndarray
    normalize : {"mean_size", "size", None}
        ``None``: raw w_k (paper).  ``"mean_size"``: w_k / (N / K) with K the
        number of superpixels.  ``"size"``: w_k / |S_k| (fraction in [0, 1)).

    Returns
    -------
    gamma : (2, H, W) float32
    """
    from .._ext import _seal

    sp = np.asarray(superpixels)
    gt = np.asarray(groundtruth)
    if sp.shape != gt.shape or sp.ndim != 2:
        raise ValueError(f"superpixels {sp.shape} and groundtruth {gt.shape} must be equal 2-D")
    if normalize not in ("mean_size", "size", None):
        raise ValueError(f"normalize must be 'mean_size', 'size' or None, got {normalize!r}")
    _, sp_dense = np.unique(sp, return_inverse=True)
    _, gt_dense = np.unique(gt, return_inverse=True)
    sp_dense = np.ascontiguousarray(sp_dense.reshape(sp.shape), dtype=np.int64)
    gt_dense = np.ascontiguousarray(gt_dense.reshape(gt.shape), dtype=np.int64)
    n_sp = int(sp_dense.max()) + 1
    n_gt = int(gt_dense.max()) + 1
    gamma, errors, sizes = _seal.seal_gamma(sp_dense, gt_dense, n_sp, n_gt)
    if normalize == "mean_size":
        gamma /= sp.size / n_sp
    elif normalize == "size":
        per_pixel = sizes[sp_dense].astype(np.float64)
        gamma /= per_pixel[None]
    return gamma.astype(np.float32)


def seal_loss(affinities, targets, gamma, *, eps=EPS):
    """SEAL loss (paper Eq. 3): -(1/M) sum (1 + gamma) [t ln a + (1 - t) ln(1 - a)].

    Parameters
    ----------
    affinities : (B, 2, H, W) tensor
        Predicted affinities in (0, 1).
    targets : (B, 2, H, W) array or tensor
        Ground-truth affinities (0 across a transition).
    gamma : (B, 2, H, W) array or tensor
        SEAL weights from :func:`seal_gamma` on superpixels of the current
        predictions (no gradient flows through them).
    """
    targets = _check(affinities, targets)
    gamma = _like_affinities(gamma, affinities, "gamma")
    valid = valid_mask(affinities.shape, affinities.device).expand_as(affinities)
    terms = _log_terms(affinities, targets, eps)
    return -((1.0 + gamma.detach()) * terms)[valid].mean()
