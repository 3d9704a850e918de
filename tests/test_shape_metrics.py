"""Tests of the strip share (sealseg._shape_metrics, public in sealseg.metrics) on known shapes."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import ndimage as ndi

from sealseg.metrics import strip_share, thin_superpixels


def _thin_by_distance(labels):
    """Reference for width 3: max of the distance transform < 2 (border counts as outside)."""
    thin = []
    for value in np.unique(labels):
        inside = np.pad(labels == value, 1)  # the padding is outside
        if ndi.distance_transform_edt(inside).max() < 2:
            thin.append(value)
    return np.array(thin, dtype=labels.dtype)


@pytest.mark.parametrize("strip_width, thin", [(1, True), (2, True), (3, False), (5, False)])
def test_vertical_strips(strip_width, thin):
    labels = np.zeros((9, 12), dtype=int)
    labels[:, 12 - strip_width:] = 7
    share = strip_share(labels)
    assert share == pytest.approx(9 * strip_width / labels.size if thin else 0.0)
    assert_array_equal(thin_superpixels(labels), [7] if thin else [])


def test_diagonal_staircase_two_pixels_wide_is_thin():
    yy, xx = np.mgrid[:20, :20]
    labels = np.where((xx - yy >= 0) & (xx - yy < 2), 1, 0)
    labels[(xx - yy) >= 2] = 2
    assert_array_equal(thin_superpixels(labels), [1])
    assert strip_share(labels) == pytest.approx(np.count_nonzero(labels == 1) / 400)


def test_a_three_by_three_block_is_not_thin_and_its_corner_does_not_matter():
    labels = np.zeros((8, 8), dtype=np.int32)
    labels[2:5, 5:8] = 3          # exactly 3 x 3, at the border
    labels[0, 0] = 4              # a single pixel
    assert_array_equal(thin_superpixels(labels), [4])
    assert strip_share(labels) == pytest.approx(1 / 64)


def test_checkerboard_is_all_thin_and_width_one_never_is():
    labels = (np.indices((6, 7)).sum(axis=0) % 2).astype(np.int64)
    assert strip_share(labels) == 1.0
    assert strip_share(labels, width=1) == 0.0


def test_image_smaller_than_the_square_is_all_thin():
    assert strip_share(np.zeros((2, 10), dtype=int)) == 1.0
    assert strip_share(np.zeros((4, 4), dtype=int), width=5) == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_width_three_agrees_with_the_distance_transform(seed):
    rng = np.random.default_rng(seed)
    labels = ndi.zoom(rng.integers(-3, 6, (6, 7)), 3, order=0)
    labels[rng.random(labels.shape) < 0.05] = 9  # scattered thin pixels
    assert_array_equal(thin_superpixels(labels), _thin_by_distance(labels))


def test_bad_arguments():
    with pytest.raises(TypeError, match="labels"):
        strip_share(np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="width"):
        strip_share(np.zeros((3, 3), int), width=0)
    with pytest.raises(TypeError, match="width"):
        strip_share(np.zeros((3, 3), int), width=2.0)
    with pytest.raises(ValueError):
        strip_share(np.zeros((3, 3, 3), int))
