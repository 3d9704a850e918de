"""Tests of sealseg._slic_arguments: slic's spacing and sigma, the no-effect warning.

Found by tests/test_fuzz.py.
"""
import numpy as np
import pytest

import sealseg
from sealseg._slic_arguments import warn_without_effect


@pytest.mark.parametrize("name, value", [
    ("spacing", ((1.0, 2.0), [])), ("spacing", [[1], [1, 2]]), ("sigma", [(1, 2), 3]),
])
def test_ragged_per_axis_sequences_are_a_type_error_naming_the_argument(name, value):
    # Was: numpy's "inhomogeneous shape" ValueError from np.ndim, naming nothing.
    with pytest.raises(TypeError, match=f"{name} must be"):
        sealseg.ers(np.zeros((6, 7)), 5, channel_axis=None, **{name: value})


@pytest.mark.parametrize("sigma", [1e150, 8.0, (1.0, 8.0)])
def test_smoothing_wider_than_the_image_is_refused_not_computed(sigma):
    # Was: sigma=1e150 (inside REAL_RANGE) asked scipy for a Gaussian kernel of
    # 8e150 taps, and the call never returned.
    for call in (sealseg.ers, sealseg.seal_ers):
        with pytest.raises(ValueError, match="sigma gives a smoothing width of .* wider than "
                                             "the image"):
            call(np.zeros((6, 7, 3)), 5, sigma=sigma)


def test_smoothing_as_wide_as_the_image_is_taken():
    labels = sealseg.ers(np.random.default_rng(0).random((6, 7)), 5, sigma=6.0,
                         channel_axis=None)
    assert np.unique(labels).size == 5


@pytest.mark.parametrize("value", [np.array([]), np.array([1, 2]), [[1], [1, 2]]])
def test_no_effect_warning_compares_arrays_and_ragged_lists_safely(value):
    with pytest.warns(UserWarning, match="has no effect"):
        warn_without_effect("x", value, 10, "why")
