"""Tests of the network-free affinities (sealseg.affinity)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bad_input_cases import IMG, LAB, bad_input_test, image_cases
from sealseg import affinities_from_labels, ers, rgb_affinities, thin_boundaries


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


def _brute_thin(affinities, factor):
    """thin_boundaries edge by edge: the definition in its docstring, with loops."""
    out = affinities.astype(np.float64).copy()
    _, h, w = affinities.shape
    for d, (dy, dx) in enumerate(((0, 1), (1, 0))):
        for y in range(h - dy):
            for x in range(w - dx):
                s = 1.0 - affinities[d, y, x]
                neighbours = [(y - dy, x - dx), (y + dy, x + dx)]
                off_crest = any(0 <= yy < h - dy and 0 <= xx < w - dx
                                and 1.0 - affinities[d, yy, xx] > s for yy, xx in neighbours)
                if off_crest:
                    out[d, y, x] = 1.0 - factor * s
    return out


@pytest.mark.parametrize("factor", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("shape", [(7, 9), (1, 5), (6, 1), (1, 1)])
def test_thin_boundaries_matches_its_definition(factor, shape):
    rng = np.random.default_rng(sum(shape))
    # Values on a coarse grid, so that ties (which keep their strength) occur.
    affinities = rng.integers(0, 5, (2,) + shape) / 4.0
    np.testing.assert_allclose(thin_boundaries(affinities, factor),
                               _brute_thin(affinities, factor), rtol=0, atol=1e-12)


def test_thin_boundaries_keeps_the_crest_dtype_and_input():
    affinities = np.ones((2, 4, 6), np.float32)
    affinities[0, :, 1:4] = [0.6, 0.1, 0.7]      # a vertical boundary, three edges wide
    kept = affinities.copy()
    thinned = thin_boundaries(affinities, 0.25)
    assert thinned.dtype == np.float32
    np.testing.assert_array_equal(affinities, kept)
    np.testing.assert_allclose(thinned[0, :, 1:4], [[0.9, 0.1, 0.925]] * 4, rtol=1e-6)
    np.testing.assert_array_equal(thinned[1], affinities[1])   # flat along y: untouched
    np.testing.assert_array_equal(thin_boundaries(affinities, 1.0), affinities)


@pytest.mark.parametrize("affinities, factor, error, match", [
    (np.ones((2, 3, 3)), 1.5, ValueError, r"factor must be in \[0, 1\]"),
    (np.ones((2, 3, 3)), -0.1, ValueError, "factor"),
    (np.ones((2, 3, 3)), "half", TypeError, "factor"),
    (np.ones((3, 3)), 0.5, ValueError, r"shape \(2, H, W\)"),
    (np.full((2, 3, 3), 1.5), 0.5, ValueError, r"\[0, 1\]"),
    (np.full((2, 3, 3), "a"), 0.5, TypeError, "real-valued"),
])
def test_thin_boundaries_refuses_bad_input(affinities, factor, error, match):
    with pytest.raises(error, match=match):
        thin_boundaries(affinities, factor)
