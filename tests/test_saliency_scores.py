import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sealseg.saliency_scores import mean_absolute_error, weighted_fbeta


def _block(shape, rows, cols):
    mask = np.zeros(shape, dtype=bool)
    mask[rows, cols] = True
    return mask


def test_mean_absolute_error_by_hand():
    mask = np.array([[0, 1], [1, 1]])
    saliency = np.array([[0.5, 1.0], [0.75, 0.0]])
    assert_allclose(mean_absolute_error(saliency, mask), (0.5 + 0 + 0.25 + 1) / 4)
    assert mean_absolute_error(mask.astype(float), mask.astype(bool)) == 0.0
    assert mean_absolute_error(1.0 - mask, mask) == 1.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.bool_])
def test_saliency_dtypes(dtype):
    mask = _block((8, 8), slice(2, 5), slice(2, 5))
    saliency = mask.astype(dtype)
    assert mean_absolute_error(saliency, mask) == 0.0
    assert_allclose(weighted_fbeta(saliency, mask), 1.0)


def test_weighted_fbeta_of_a_perfect_map_is_one():
    mask = _block((20, 30), slice(5, 12), slice(8, 20))
    assert_allclose(weighted_fbeta(mask.astype(float), mask), 1.0)


def test_weighted_fbeta_false_positive_is_weighted_by_its_distance():
    # One false positive at distance 5 from the object: importance 2 - 0.5 ** (5 / 5).
    # Errors outside are replaced by the (zero) error of the nearest object pixel
    # before the averaging, so nothing inside changes: recall 1.
    mask = _block((20, 20), slice(2, 4), slice(2, 4))
    saliency = mask.astype(float)
    saliency[3, 8] = 1.0
    precision = 4 / (4 + 1.5)
    assert_allclose(weighted_fbeta(saliency, mask), 2 * precision / (1 + precision))


def test_weighted_fbeta_hole_is_averaged_with_its_neighbours():
    # A missed pixel in the middle of a 3x3 object: its error 1 becomes the
    # Gaussian average over the 7x7 window, which is the window's centre weight.
    mask = _block((15, 15), slice(5, 8), slice(5, 8))
    saliency = mask.astype(float)
    saliency[6, 6] = 0.0
    offsets = np.arange(-3, 4)
    centre_weight = 1 / np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / 50).sum()
    recall = 1 - centre_weight / 9
    precision = 1.0
    assert_allclose(weighted_fbeta(saliency, mask), 2 * recall * precision / (recall + precision))


def test_weighted_fbeta_beta_weighs_recall():
    mask = _block((20, 20), slice(2, 4), slice(2, 4))
    saliency = mask.astype(float)
    saliency[3, 8] = 1.0
    precision = 4 / 5.5
    assert_allclose(weighted_fbeta(saliency, mask, beta=2.0),
                    5 * precision / (4 * precision + 1))
    assert weighted_fbeta(saliency, mask, beta=2.0) > weighted_fbeta(saliency, mask)


def test_weighted_fbeta_ranks_maps():
    mask = _block((30, 30), slice(8, 22), slice(8, 22))
    rng = np.random.default_rng(0)
    good = np.clip(mask + rng.normal(0, 0.1, mask.shape), 0, 1)
    bad = np.clip(mask + rng.normal(0, 0.4, mask.shape), 0, 1)
    assert weighted_fbeta(good, mask) > weighted_fbeta(bad, mask) > weighted_fbeta(1.0 - mask,
                                                                                   mask)


def test_mask_of_numbers_and_bool_agree():
    mask = _block((10, 10), slice(2, 6), slice(3, 7))
    saliency = np.random.default_rng(1).random((10, 10))
    assert weighted_fbeta(saliency, mask) == weighted_fbeta(saliency, mask.astype(np.uint8))
    assert weighted_fbeta(saliency, mask) == weighted_fbeta(saliency, mask.astype(float))


def test_all_foreground_mask():
    mask = np.ones((6, 6), dtype=bool)
    score = weighted_fbeta(np.ones((6, 6)), mask)
    assert math.isclose(score, 1.0)


@pytest.mark.parametrize("function", [mean_absolute_error, weighted_fbeta])
@pytest.mark.parametrize("saliency, mask, error, match", [
    (np.zeros((4, 4)), np.full((4, 4), 255), ValueError, "0 and 1"),
    (np.zeros((4, 4)), np.zeros((4, 5)), ValueError, "shape"),
    (np.zeros((4, 4), dtype=np.uint8), np.ones((4, 4)), TypeError, "255"),
    (np.full((4, 4), 1.5), np.ones((4, 4)), ValueError, r"\[0, 1\]"),
    (np.full((4, 4), np.nan), np.ones((4, 4)), ValueError, "NaN"),
    (np.zeros((4,)), np.ones((4,)), ValueError, "2-D"),
    (np.zeros((0, 4)), np.ones((0, 4)), ValueError, "empty"),
    (np.zeros((4, 4)), np.full((4, 4), "a"), TypeError, "mask"),
    (None, np.ones((4, 4)), TypeError, "saliency"),
])
def test_bad_input(function, saliency, mask, error, match):
    with pytest.raises(error, match=match):
        function(saliency, mask)


def test_weighted_fbeta_refuses_an_empty_object_and_a_bad_beta():
    with pytest.raises(ValueError, match="no foreground"):
        weighted_fbeta(np.zeros((4, 4)), np.zeros((4, 4)))
    with pytest.raises((ValueError, TypeError), match="beta"):
        weighted_fbeta(np.zeros((4, 4)), np.ones((4, 4)), beta=0)
