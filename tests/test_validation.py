"""Tests of the shared argument checks (sealseg._validation)."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sealseg import _validation as V


@pytest.mark.parametrize("check, name", [(V.check_positive_int, "jobs"),
                                         (V.check_optional_positive_int, "tile")])
def test_positive_int(check, name):
    assert check(3, name) == 3 and type(check(np.int64(3), name)) is int
    with pytest.raises(ValueError, match=f"{name} must be .*a positive integer, got 0"):
        check(0, name)
    for bad in (2.0, True, "3"):
        with pytest.raises(TypeError, match=f"{name} must be"):
            check(bad, name)


def test_optional_positive_int_accepts_none_only_when_optional():
    assert V.check_optional_positive_int(None, "tile") is None
    with pytest.raises(TypeError, match="jobs must be a positive integer"):
        V.check_positive_int(None, "jobs")


def test_tolerance():
    assert V.check_tolerance(0) == 0 and V.check_tolerance(np.uint8(3)) == 3
    with pytest.raises(ValueError, match=r"tolerance must be a non-negative integer \(pixels\), "
                                         "got -1"):
        V.check_tolerance(-1)
    with pytest.raises(TypeError, match="tolerance must be a non-negative integer"):
        V.check_tolerance(1.0)


def test_n_segments_against_the_pixel_count():
    assert V.check_n_segments(4, 4) == 4
    with pytest.raises(ValueError, match="n_segments=5 is larger than the number of pixels"):
        V.check_n_segments(5, 4)


def test_rgb_image():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = V.check_rgb_image(grey, None)
    assert rgb.shape == (3, 4, 3) and rgb.dtype == np.float64 and rgb.flags.c_contiguous
    assert_array_equal(rgb[..., 0], rgb[..., 2])
    assert_array_equal(V.check_rgb_image(grey[..., None]), rgb)
    first = np.moveaxis(np.dstack([grey] * 3), -1, 0)
    assert_array_equal(V.check_rgb_image(first, channel_axis=0), rgb)
    for channels in (2, 4):
        with pytest.raises(ValueError, match=f"grey or RGB .*got {channels} channels"):
            V.check_rgb_image(np.zeros((3, 4, channels)))
