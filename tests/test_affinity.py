"""Tests of the network-free affinities (sealseg.affinity)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sealseg import affinities_from_labels, ers, rgb_affinities


def test_rgb_affinities_hand_case():
    image = np.zeros((2, 3, 2), np.uint8)
    image[:, 1] = [10, 20]          # L1 distance 30 to both neighbours of column 1
    image[1, :] += np.array([0, 5], np.uint8)   # and 5 to the row below
    a = rgb_affinities(image, sigma=10.0)
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
