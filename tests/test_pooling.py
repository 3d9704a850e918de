import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skimage.color import label2rgb

from sealseg import superpixel_mean


def _labels():
    return np.array([[0, 0, 1, 1],
                     [0, 0, 1, 1],
                     [2, 2, 2, 1]])


def test_known_means_grey():
    values = np.arange(12, dtype=np.float64).reshape(3, 4)
    pooled = superpixel_mean(values, _labels())
    # label 0: 0, 1, 4, 5 -> 2.5; label 1: 2, 3, 6, 7, 11 -> 5.8; label 2: 8, 9, 10 -> 9
    expected = np.array([[2.5, 2.5, 5.8, 5.8],
                         [2.5, 2.5, 5.8, 5.8],
                         [9.0, 9.0, 9.0, 5.8]])
    assert_allclose(pooled, expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtype_is_kept(dtype):
    values = np.arange(12, dtype=dtype).reshape(3, 4)
    pooled = superpixel_mean(values, _labels())
    assert pooled.dtype == dtype
    assert_allclose(pooled[0, 0], 2.5)


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, np.bool_])
def test_integer_values_give_float64_means(dtype):
    values = (np.arange(12) % 2).reshape(3, 4).astype(dtype)
    pooled = superpixel_mean(values, _labels())
    assert pooled.dtype == np.float64
    # label 2 holds 0, 1, 0 -> 1/3: not an integer
    assert_allclose(pooled[2, 0], 1 / 3)


def test_channels_are_pooled_separately():
    rng = np.random.default_rng(0)
    values = rng.random((3, 4, 5))
    labels = _labels()
    pooled = superpixel_mean(values, labels)
    assert pooled.shape == values.shape
    for c in range(5):
        assert_allclose(pooled[..., c], superpixel_mean(values[..., c], labels))


def test_negative_sparse_labels_are_superpixels_like_any_other():
    values = np.arange(12, dtype=np.float64).reshape(3, 4)
    dense = superpixel_mean(values, _labels())
    for mapping in ([-5, 0, 7], [-10**12, 3, 10**12], [-1, -2, -3]):
        labels = np.asarray(mapping)[_labels()]
        assert_allclose(superpixel_mean(values, labels), dense)


def test_matches_label2rgb_avg_when_no_background_label_is_present():
    rng = np.random.default_rng(1)
    image = rng.random((20, 30, 3))
    labels = rng.integers(-3, 40, size=(20, 30))
    expected = label2rgb(labels, image, kind="avg", bg_label=-1000)
    assert_allclose(superpixel_mean(image, labels), expected)


def test_one_superpixel_and_one_pixel_superpixels():
    rng = np.random.default_rng(2)
    values = rng.random((4, 6))
    assert_allclose(superpixel_mean(values, np.full((4, 6), 3)), np.full((4, 6), values.mean()))
    assert_array_equal(superpixel_mean(values, np.arange(24).reshape(4, 6)), values)


def test_input_is_not_modified():
    values = np.arange(12, dtype=np.float64).reshape(3, 4)
    copy = values.copy()
    superpixel_mean(values, _labels())
    assert_array_equal(values, copy)


@pytest.mark.parametrize("values, labels, error, match", [
    (np.zeros((3, 5)), _labels(), ValueError, "shape of labels"),
    (np.zeros((3,)), _labels(), ValueError, "2-D"),
    (np.zeros((3, 4, 2, 2)), _labels(), ValueError, "2-D"),
    (np.zeros((0, 4)), np.zeros((0, 4), int), ValueError, "empty"),
    (np.full((3, 4), np.nan), _labels(), ValueError, "NaN"),
    (np.full((3, 4), np.inf), _labels(), ValueError, "NaN"),
    (np.zeros((3, 4), complex), _labels(), TypeError, "real numbers"),
    (np.array([["a"] * 4] * 3), _labels(), TypeError, "real numbers"),
    (np.zeros((3, 4)), _labels() + 0.5, TypeError, "labels"),
    (np.zeros((3, 4)), None, TypeError, "labels"),
])
def test_bad_input(values, labels, error, match):
    with pytest.raises(error, match=match):
        superpixel_mean(values, labels)


@pytest.mark.parametrize("value, dtype", [(1.7e308, np.float64), (-1.7e308, np.float64),
                                          (60000, np.float16), (1e-310, np.float64),
                                          (np.longdouble("1e400"), np.longdouble)])
def test_means_near_the_limits_of_the_dtype_do_not_overflow(value, dtype):
    values = np.full((3, 4), value, dtype=dtype)
    values[0, 0] = 0
    pooled = superpixel_mean(values, np.zeros((3, 4), int))
    assert pooled.dtype == dtype
    assert np.all(np.isfinite(pooled))
    assert_allclose(pooled[0, 0] / values[1, 1], 11 / 12, rtol=1e-3)
