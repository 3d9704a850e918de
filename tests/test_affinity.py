"""Tests of the network-free affinities (sealseg.affinity)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bad_input_cases import IMG, LAB, bad_input_test, image_cases
from sealseg import affinities_from_labels, ers, rgb_affinities


def test_rgb_affinities_hand_case():
    image = np.zeros((2, 3, 2), np.uint8)
    image[:, 1] = [10, 20]          # L1 distance 30 to both neighbours of column 1
    image[1, :] += np.array([0, 5], np.uint8)   # and 5 to the row below
    a = rgb_affinities(image, color_sigma=10.0)
    assert a.shape == (2, 2, 3) and a.dtype == np.float64
    assert_allclose(a[0, :, :2], np.exp(-30.0 ** 2 / 200.0))
    assert_allclose(a[1, 0], np.exp(-5.0 ** 2 / 200.0))
    assert_array_equal(a[0, :, -1], 1) and assert_array_equal(a[1, -1, :], 1)


def test_rgb_affinities_float_and_uint8_agree_and_grey():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    assert_allclose(rgb_affinities(image / 255.0), rgb_affinities(image), atol=1e-12)
    grey = image[..., 0]
    assert_allclose(rgb_affinities(grey, channel_axis=None),
                    rgb_affinities(grey[..., None]))


def test_rgb_affinities_are_the_edge_weights_of_colour_ers():
    # 4-connected ERS on the colours is ERS on these affinities.
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert_array_equal(ers(image, 15, connectivity=4),
                       ers(None, 15, affinities=rgb_affinities(image), connectivity=4))


def test_affinities_from_labels_mean_over_annotations():
    a = np.array([[1, 1, 2],
                  [3, 3, 2]])
    b = np.array([[1, 1, 1],
                  [1, 1, 1]])
    mean = affinities_from_labels([a, b])
    assert_array_equal(mean[0], [[1.0, 0.5, 1.0], [1.0, 0.5, 1.0]])
    assert_array_equal(mean[1], [[0.5, 0.5, 1.0], [1.0, 1.0, 1.0]])
    assert_array_equal(affinities_from_labels((a,)), affinities_from_labels(a))


def test_affinities_from_labels_errors():
    with pytest.raises(ValueError, match="non-empty list"):
        affinities_from_labels([])
    with pytest.raises(ValueError, match=r"groundtruth\[1\] has shape"):
        affinities_from_labels([np.zeros((3, 3), int), np.zeros((3, 4), int)])


# Bad inputs of the numpy-only affinities (the learn_affinities rows are in test_inference.py).
BAD_INPUTS = (
    image_cases("rgb_affinities", rgb_affinities)
    + [
        ("rgb_affinities-color_sigma-str", lambda: rgb_affinities(IMG, color_sigma="15"),
         TypeError, "color_sigma must be a real number, got '15'"),
        ("rgb_affinities-color_sigma-negative", lambda: rgb_affinities(IMG, color_sigma=-2),
         ValueError, "color_sigma must be a finite number > 0"),
        ("affinities_from_labels-empty-list", lambda: affinities_from_labels([]), ValueError,
         "groundtruth must be a label map or a non-empty list"),
        ("affinities_from_labels-float", lambda: affinities_from_labels(LAB + 0.5), TypeError,
         "groundtruth must be an integer label array"),
        ("affinities_from_labels-shape-mismatch",
         lambda: affinities_from_labels([LAB, LAB[:3]]), ValueError,
         "groundtruth[1] has shape (3, 10), expected (12, 10)"),
    ]
)

test_bad_input = bad_input_test(BAD_INPUTS)
