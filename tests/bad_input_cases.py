"""Shared pieces of the bad-input tables of the test modules (not a test module itself).

Each test module keeps a table of ``(id, call, exception, text the message must
contain)`` rows for the functions it tests, so the messages users get can be
listed from them; :func:`bad_input_test` turns a table into one test per row.
"""
import numpy as np
import pytest

_rng = np.random.default_rng(0)
IMG = _rng.random((12, 10, 3))                       # float RGB in [0, 1)
GREY = _rng.random((12, 10))
AFF = _rng.random((2, 12, 10))
LAB = np.repeat(np.arange(4), 30).reshape(12, 10)    # four horizontal bands
CHECKER = np.indices((12, 10)).sum(0) % 2 == 0       # 60 separate 4-connected pieces


def with_value(array, **where):
    """A float64 copy of ``array`` with ``where["value"]`` at flat index 3."""
    out = np.array(array, dtype=np.float64)
    out.flat[3] = where["value"]
    return out


def image_cases(name, func, *, volumes=False):
    """The bad images every function that takes an image must refuse the same way.

    ``volumes``: ``func`` takes volumes as slic does (a 4-D array, or 3-D with
    ``channel_axis=None``), so the rows that refuse those as images are left out.
    """
    cases = [
        (f"{name}-image-0d", lambda: func(np.float64(0.5)), ValueError, "image must be 2-D"),
        (f"{name}-image-1d", lambda: func(np.zeros(5)), ValueError, "image must be 2-D"),
        (f"{name}-image-4d", lambda: func(np.zeros((2, 3, 4, 3))), ValueError,
         "image must be 2-D (M, N) or 3-D (M, N, C)"),
        (f"{name}-image-empty-0xN", lambda: func(np.zeros((0, 5))), ValueError,
         "image is empty"),
        (f"{name}-image-empty-Nx0x3", lambda: func(np.zeros((5, 0, 3))), ValueError,
         "image is empty"),
        (f"{name}-image-object", lambda: func(GREY.astype(object)), TypeError,
         "image must be a real numeric array"),
        (f"{name}-image-complex", lambda: func(GREY.astype(complex)), TypeError,
         "image must be a real numeric array"),
        (f"{name}-image-str", lambda: func("astronaut.png"), TypeError,
         "image must be a real numeric array"),
        (f"{name}-image-nan", lambda: func(with_value(GREY, value=np.nan)), ValueError,
         "image contains NaN or infinite values"),
        (f"{name}-image-inf", lambda: func(with_value(GREY, value=np.inf)), ValueError,
         "image contains NaN or infinite values"),
        (f"{name}-channel_axis-out-of-range", lambda: func(IMG, channel_axis=3), ValueError,
         "channel_axis=3 is out of range"),
        (f"{name}-channel_axis-float", lambda: func(IMG, channel_axis=1.0), TypeError,
         "channel_axis must be an integer or None"),
        (f"{name}-channel_axis-None-with-3d", lambda: func(IMG, channel_axis=None), ValueError,
         "image must be 2-D when channel_axis is None"),
    ]
    if volumes:
        volume_ids = (f"{name}-image-4d", f"{name}-channel_axis-None-with-3d")
        cases = [case for case in cases if case[0] not in volume_ids]
    return cases


def bad_input_test(table):
    """A test function running each row of ``table``: the exact exception type and text."""
    ids = [row[0] for row in table]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"bad-input ids given twice: {duplicates}"

    @pytest.mark.parametrize("call, error, match", [row[1:] for row in table], ids=ids)
    def test_bad_input(call, error, match):
        with pytest.raises(error) as info:
            call()
        assert match in str(info.value)
        # Errors are ValueError/TypeError exactly, never a subclass from deep inside numpy.
        assert type(info.value) is error

    return test_bad_input
