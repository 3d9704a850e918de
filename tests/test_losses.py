"""Tests of the affinity targets and losses (sealseg.training.losses) and the SEAL gamma kernel."""
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")

from sealseg.training import losses as L  # noqa: E402


# --------------------------------------------------------------------------- targets, losses

def test_targets_from_labels():
    gt = np.array([[1, 1, 2],
                   [1, 1, 2],
                   [3, 3, 3]])
    t = L.targets_from_labels(gt)
    assert t.dtype == np.float32
    assert_array_equal(t[0], [[1, 0, 1], [1, 0, 1], [1, 1, 1]])
    assert_array_equal(t[1], [[1, 1, 1], [0, 0, 0], [1, 1, 1]])
    assert L.targets_from_labels(np.stack([gt, gt])).shape == (2, 2, 3, 3)


def test_bce_half_is_ln2_and_borders_excluded():
    a = torch.full((1, 2, 3, 4), 0.5, requires_grad=True)
    t = torch.zeros(1, 2, 3, 4)
    loss = L.bce(a, t)
    assert math.isclose(loss.item(), math.log(2), rel_tol=1e-6)
    loss.backward()
    assert torch.all(a.grad[0, 0, :, -1] == 0) and torch.all(a.grad[0, 1, -1, :] == 0)
    assert torch.all(a.grad[0, 0, :, :-1] != 0)


def test_bce_hand_case():
    a = torch.tensor([0.9, 0.2, 1.0, 0.6, 0.3, 1.0]).reshape(1, 1, 2, 3).expand(1, 2, 2, 3)
    a = a.clone()
    t = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 1.0]).reshape(1, 1, 2, 3).expand(1, 2, 2, 3)
    # valid: channel 0 columns 0-1 (4 pairs), channel 1 row 0 (3 pairs, last one a=1, t=1)
    h = [-math.log(0.9), -math.log(0.8), -math.log(0.4), -math.log(0.3)]
    v = [-math.log(0.9), -math.log(0.8), -math.log(1.0)]
    expected = (sum(h) + sum(v)) / 7
    assert math.isclose(L.bce(a, t).item(), expected, rel_tol=1e-5)


def test_balanced_bce_hand_case():
    # 2x2 image: valid pairs are [0][:, 0] (2) and [1][0, :] (2): 4 pairs, one boundary.
    a = torch.full((1, 2, 2, 2), 0.5)
    t = torch.ones(1, 2, 2, 2)
    t[0, 0, 0, 0] = 0.0
    beta = 1 / 4
    expected = (1 - beta) * math.log(2) / 4 + 3 * beta * math.log(2) / 4
    assert math.isclose(L.balanced_bce(a, t).item(), expected, rel_tol=1e-6)


def test_seal_loss_reduces_to_bce_and_weights_boundaries():
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.uniform(0.05, 0.95, (1, 2, 4, 5)).astype(np.float32))
    t = torch.from_numpy((rng.random((1, 2, 4, 5)) > 0.3).astype(np.float32))
    zero = np.zeros((1, 2, 4, 5), np.float32)
    assert math.isclose(L.seal_loss(a, t, zero).item(), L.bce(a, t).item(), rel_tol=1e-6)
    gamma = zero.copy()
    gamma[0, 0, 1, 2] = 3.0
    y = -(t[0, 0, 1, 2] * torch.log(a[0, 0, 1, 2]) + (1 - t[0, 0, 1, 2])
          * torch.log(1 - a[0, 0, 1, 2])).item()
    m = 2 * 4 * 5 - 4 - 5
    expected = L.bce(a, t).item() + 3.0 * y / m
    assert math.isclose(L.seal_loss(a, t, gamma).item(), expected, rel_tol=1e-5)
    gamma[0, 0, 1, 4] = 100.0          # last column: excluded
    assert math.isclose(L.seal_loss(a, t, gamma).item(), expected, rel_tol=1e-5)


def test_losses_clamp_extremes():
    a = torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 2).expand(1, 2, 2, 2).clone()
    a.requires_grad_(True)
    t = torch.tensor([1.0, 0.0]).reshape(1, 1, 1, 2).expand(1, 2, 2, 2)
    for fn in (L.bce, L.balanced_bce):
        loss = fn(a, t)
        assert torch.isfinite(loss)
    loss = L.seal_loss(a, t, np.ones((1, 2, 2, 2), np.float32))
    loss.backward()
    assert torch.isfinite(loss) and torch.all(torch.isfinite(a.grad))


def test_loss_shape_errors():
    a = torch.full((1, 2, 3, 3), 0.5)
    with pytest.raises(ValueError, match="targets"):
        L.bce(a, torch.ones(1, 2, 3, 4))
    with pytest.raises(ValueError, match="gamma"):
        L.seal_loss(a, torch.ones(1, 2, 3, 3), np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="affinities"):
        L.bce(torch.full((2, 3, 3), 0.5), torch.ones(2, 3, 3))


# --------------------------------------------------------------------------- gamma kernel

def test_gamma_straddling_superpixels():
    gt = np.array([[1, 1, 2, 2]] * 4)
    sp = np.array([[0, 0, 0, 0]] * 2 + [[5, 5, 5, 5]] * 2)
    gamma = L.seal_gamma(sp, gt, normalize=None)
    expected = np.zeros((2, 4, 4))
    expected[0, :, 1] = 4           # each superpixel: 8 pixels, 4 outside its G_j
    assert_array_equal(gamma, expected)


def test_gamma_perfect_superpixels_are_zero():
    gt = np.array([[1, 1, 2], [1, 3, 2], [3, 3, 2]])
    assert_array_equal(L.seal_gamma(gt * 7, gt, normalize=None), 0)


def test_gamma_unequal_overlaps_and_vertical():
    gt = np.array([[1, 1, 1],
                   [1, 1, 1],
                   [2, 2, 2]])
    sp = np.array([[0, 0, 1],
                   [0, 0, 1],
                   [0, 1, 1]])
    # S0: 5 pixels, 4 in G1 -> w=1; S1: 4 pixels, 2 in G1 and 2 in G2 -> w=2.
    gamma = L.seal_gamma(sp, gt, normalize=None)
    expected = np.zeros((2, 3, 3))
    expected[1, 1] = [1, 1, 2]       # vertical transitions between rows 1 and 2
    assert_array_equal(gamma, expected)
    assert_allclose(L.seal_gamma(sp, gt, normalize="mean_size"), expected / (9 / 2))
    size = np.array([[5, 5, 4]])
    assert_allclose(L.seal_gamma(sp, gt, normalize="size"), expected / size[None], rtol=1e-6)


def test_gamma_kernel_direct_and_errors():
    from sealseg._ext import _seal

    sp = np.zeros((2, 2), np.int64)
    gt = np.array([[0, 1], [0, 1]], np.int64)
    gamma, err, size = _seal.seal_gamma(sp, gt, 1, 2)
    assert_array_equal(err, [2]) and assert_array_equal(size, [4]) is None
    assert_array_equal(gamma[0, :, 0], [2, 2])
    with pytest.raises(ValueError, match="out of range"):
        _seal.seal_gamma(sp, gt, 1, 1)
    with pytest.raises(ValueError, match="same shape"):
        _seal.seal_gamma(sp, np.zeros((2, 3), np.int64), 1, 1)
    with pytest.raises(ValueError, match="equal"):
        L.seal_gamma(sp, np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match="normalize"):
        L.seal_gamma(sp, gt, normalize="max")


def test_default_n_segments_scales_with_area():
    assert L.default_n_segments(321, 481) == 300
    assert L.default_n_segments(128, 128) == round(300 * 128 * 128 / (481 * 321))
    assert L.default_n_segments(4, 4) == 2
