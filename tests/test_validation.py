"""Tests of the shared argument checks (sealseg._validation)."""
import warnings

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


# --------------------------------------------------------------------------- issue 19
# Numbers are range-checked before they reach a kernel's native types, and
# every array a user may pass is taken or refused with an error naming it.

import sealseg  # noqa: E402

_rng = np.random.default_rng(19)
IMG = _rng.random((12, 10, 3))
AFF = _rng.random((2, 12, 10))
LAB = np.repeat(np.arange(4), 30).reshape(12, 10)


@pytest.mark.parametrize("call", [
    lambda t: sealseg.boundary_recall(LAB, LAB, tolerance=t),
    lambda t: sealseg.boundary_precision(LAB, LAB[::-1], tolerance=t),
    lambda t: V.check_tolerance(t),
])
@pytest.mark.parametrize("tolerance", [2 ** 63 - 1, np.int64(2 ** 63 - 1), 2 ** 64,
                                       np.uint64(2 ** 64 - 1), 2 ** 31])
def test_tolerance_past_its_range_is_a_value_error_not_a_crash(call, tolerance):
    # Was a segfault (x + r overflowed in the dilation kernel) or an OverflowError.
    with pytest.raises(ValueError, match=r"tolerance must be .* up to 2147483647 \(2\*\*31 - 1\)"):
        call(tolerance)


def test_largest_tolerance_still_works():
    assert sealseg.boundary_recall(LAB, LAB, tolerance=V.MAX_TOLERANCE) == 1.0


@pytest.mark.parametrize("check", [V.check_nonnegative_int, V.check_positive_int,
                                   V.check_optional_positive_int])
def test_integers_past_py_ssize_t_name_the_argument(check):
    assert check(2 ** 63 - 1, "min_size") == 2 ** 63 - 1
    with pytest.raises(ValueError, match=r"min_size must be .* up to 9223372036854775807 "
                                         r"\(2\*\*63 - 1\), got 9223372036854775808"):
        check(2 ** 63, "min_size")


def test_min_size_past_py_ssize_t_is_a_value_error():
    # Was "OverflowError: Python int too large to convert to C ssize_t".
    with pytest.raises(ValueError, match="min_size must be"):
        sealseg.felzenszwalb_affinity(AFF, min_size=2 ** 63)


@pytest.mark.parametrize("call", [
    lambda s: sealseg.ers(IMG, 10, start_label=s),
    lambda s: sealseg.ers(None, 10, affinities=AFF, start_label=s),
    lambda s: sealseg.felzenszwalb_affinity(AFF, start_label=s),
])
@pytest.mark.parametrize("start_label", [2 ** 63 - 5, 2 ** 63, 2 ** 64, 2 ** 62 + 1])
def test_start_label_that_could_overflow_int64_is_refused(call, start_label):
    # 2**63 - 5 wrapped to negative labels; 2**63 gave an OverflowError.
    with pytest.raises(ValueError, match=r"start_label must be at most 2\*\*62"):
        call(start_label)


def test_largest_start_label_gives_exact_labels():
    labels = sealseg.ers(IMG, 10, start_label=V.MAX_START_LABEL)
    assert_array_equal(np.unique(labels), V.MAX_START_LABEL + np.arange(10))


@pytest.mark.parametrize("sigma", [1e-200, 1e-160, 5e-324, 1e151, 1e200])
def test_sigma_whose_square_underflows_or_overflows_is_refused(sigma):
    # A flat image with sigma=1e-170 gave 120 labels instead of 10 (0 * -inf = NaN
    # weights); rgb_affinities gave NaN, or an OverflowError for 1e200.
    flat = np.zeros((12, 10, 3))
    for call in (lambda: sealseg.ers(flat, 10, color_sigma=sigma),
                 lambda: sealseg.rgb_affinities(flat, color_sigma=sigma)):
        with pytest.raises(ValueError, match=r"sigma must be a finite number > 0, got .*"
                                             r"accepted: 1e-150 to 1e\+150"):
            call()


def test_sigma_at_the_ends_of_its_range_is_exact():
    flat = np.zeros((12, 10, 3))
    for sigma in V.REAL_RANGE:
        assert len(np.unique(sealseg.ers(flat, 10, color_sigma=sigma))) == 10
        assert np.all(sealseg.rgb_affinities(flat, color_sigma=sigma) == 1.0)


@pytest.mark.parametrize("name, call", [
    ("lam", lambda v: sealseg.ers(IMG, 5, lam=v)),
    ("scale", lambda v: sealseg.felzenszwalb_affinity(AFF, v)),
])
def test_reals_past_their_range_are_refused_zero_allowed(name, call):
    call(0.0)
    for value in (1e-200, 1e300, 5e-324):
        with pytest.raises(ValueError, match=f"{name} must be a finite number >= 0, got .*"
                                             r"accepted: 0 or 1e-150 to 1e\+150"):
            call(value)


@pytest.mark.parametrize("value", [1e300, -1e19, 2.0 ** 63, -2.0 ** 64])
def test_float_labels_beyond_int64_are_a_value_error(value):
    # Collapsed to one label with only a RuntimeWarning (uint64 ones were refused).
    labels = LAB * 0.0
    labels[0, 0] = value
    for call in (lambda: sealseg.asa(labels, LAB), lambda: sealseg.compactness(labels),
                 lambda: sealseg.boundary_recall(LAB, labels)):
        with pytest.raises(ValueError, match="beyond the int64 range"):
            call()


def test_float_labels_at_the_int64_ends_are_kept():
    labels = np.array([[-2.0 ** 63, 2.0 ** 62]])
    assert_array_equal(V.check_label_image(labels), [[-2 ** 63, 2 ** 62]])


@pytest.mark.parametrize("call, name", [
    (lambda m: sealseg.ers(m, 5), "image"),
    (lambda m: sealseg.rgb_affinities(m), "image"),
    (lambda m: sealseg.explained_variation(LAB, m), "image"),
])
def test_masked_image_is_refused_pointing_at_mask(call, name):
    masked = np.ma.masked_array(IMG, mask=IMG > 0.5)
    with pytest.raises(TypeError, match=f"{name} is a numpy masked array.*mask=~{name}.mask"):
        call(masked)


@pytest.mark.parametrize("call, name", [
    (lambda m: sealseg.asa(m, LAB), "labels"),
    (lambda m: sealseg.asa(LAB, m), "groundtruth"),
    (lambda m: sealseg.ers(None, 5, affinities=np.ma.masked_array(AFF)), "affinities"),
    (lambda m: sealseg.ers(IMG, 5, mask=np.ma.masked_array(LAB > 0)), "mask"),
])
def test_masked_labels_affinities_and_mask_are_refused(call, name):
    with pytest.raises(TypeError, match=f"{name} is a numpy masked array"):
        call(np.ma.masked_array(LAB, mask=LAB == 0))


@pytest.mark.parametrize("call, name", [
    (lambda v: sealseg.ers(v, 1), "image"),
    (lambda v: sealseg.rgb_affinities(v), "image"),
    (lambda v: sealseg.asa(v, LAB), "labels"),
    (lambda v: sealseg.compactness(v), "labels"),
    (lambda v: sealseg.ers(None, 1, affinities=[[[0.1, 0.2]], [[0.3]]]), "affinities"),
    (lambda v: sealseg.ers(IMG, 1, mask=[[True], [True, False]]), "mask"),
])
def test_ragged_lists_give_one_error_naming_the_argument(call, name):
    # Was numpy's "setting an array element with a sequence", naming nothing.
    with pytest.raises(ValueError, match=f"{name} must be an array or nested lists of equal"):
        call([[0.1, 0.2], [0.3]])


def test_torch_tensors_of_any_kind_are_converted():
    import torch

    expected = sealseg.ers(IMG, 5)
    for tensor in (torch.tensor(IMG), torch.tensor(IMG, requires_grad=True),
                   torch.tensor(IMG).permute(2, 0, 1).permute(1, 2, 0)):
        # requires_grad raised torch's "Can't call numpy() on Tensor that requires grad".
        assert_array_equal(sealseg.ers(tensor, 5), expected)
    aff = torch.tensor(AFF, requires_grad=True)
    assert_array_equal(sealseg.ers(None, 5, affinities=aff),
                       sealseg.ers(None, 5, affinities=AFF))
    assert sealseg.asa(torch.tensor(LAB), LAB) == 1.0


def test_torch_tensor_that_cannot_become_numpy_names_the_argument():
    import torch

    for tensor in (torch.zeros((12, 10, 3), device="meta"),
                   torch.zeros((12, 10, 3), dtype=torch.bfloat16)):
        with pytest.raises(TypeError, match="image is a torch tensor that cannot be converted"):
            sealseg.ers(tensor, 5)


def _read_only(array):
    array = np.array(array)
    array.setflags(write=False)
    return array


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_read_only_and_memmapped_affinities_are_segmented(dtype, tmp_path):
    # Were "ValueError: buffer source array is read-only" (the kernels' memoryviews
    # of the affinities were not const).
    aff = AFF.astype(dtype)
    np.save(tmp_path / "a.npy", aff)
    for view in (_read_only(aff), np.load(tmp_path / "a.npy", mmap_mode="r")):
        for connectivity in (4, 8):
            assert_array_equal(sealseg.ers(None, 7, affinities=view, connectivity=connectivity),
                               sealseg.ers(None, 7, affinities=aff, connectivity=connectivity))
        assert_array_equal(sealseg.felzenszwalb_affinity(view, 0.5),
                           sealseg.felzenszwalb_affinity(aff, 0.5))


def test_read_only_images_labels_and_masks_are_taken():
    image, labels, mask = _read_only(IMG), _read_only(LAB.astype(np.int64)), _read_only(LAB > 0)
    assert_array_equal(sealseg.ers(image, 5, mask=mask), sealseg.ers(IMG, 5, mask=LAB > 0))
    assert sealseg.asa(labels, labels) == 1.0
    assert sealseg.boundary_recall(labels, labels) == 1.0
    assert sealseg.compactness(labels) == sealseg.compactness(LAB)
    assert sealseg.explained_variation(labels, image) == sealseg.explained_variation(LAB, IMG)
    assert_array_equal(sealseg.affinities_from_labels(labels), sealseg.affinities_from_labels(LAB))


# --------------------------------------------------------------- found by tests/test_fuzz.py

@pytest.mark.parametrize("dtype", [np.float64, np.longdouble])
def test_image_spanning_the_whole_float64_range_is_put_on_the_unit_scale(dtype):
    # Was: (v - min) / (max - min) overflowed to inf for values near -max and
    # +max (a RuntimeWarning, then NaN colours).
    top = np.finfo(np.float64).max
    image = np.array([[-top, 0.0], [top, top / 2]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unit = V.image_to_unit_range(image)
    assert np.isfinite(unit).all()
    assert_array_equal(unit, [[0.0, 0.5], [1.0, 0.75]])


def test_timedelta_is_neither_a_count_nor_a_real():
    # np.timedelta64 subclasses np.signedinteger; was a TypeError naming nothing.
    for kwargs, name in (({"max_num_iter": np.timedelta64(0, "s")}, "max_num_iter"),
                         ({"max_size_factor": np.timedelta64(3, "s")}, "max_size_factor"),
                         ({"n_segments": np.timedelta64(5, "s")}, "n_segments")):
        with pytest.raises(TypeError, match=f"{name} must be"):
            sealseg.ers(np.zeros((6, 7)), **{"n_segments": 5, **kwargs}, channel_axis=None)


def test_a_two_channel_image_is_told_to_pass_its_grey_channel():
    from sealseg._validation import check_rgb_image

    with pytest.raises(ValueError, match=r"2 channels \(grey \+ alpha\?\): pass the grey "
                                         r"channel, image\[\.\.\., 0\]"):
        check_rgb_image(np.zeros((4, 5, 2)))


@pytest.mark.parametrize("container", [lambda maps: (m for m in maps), lambda maps: iter(maps),
                                       lambda maps: {0: maps[0]}])
def test_ground_truths_in_a_generator_get_a_clear_message(container):
    import sealseg
    from sealseg import metrics

    maps = [np.zeros((5, 5), int), np.ones((5, 5), int)]
    for call in (lambda g: metrics.asa(np.ones((5, 5), int), g),
                 lambda g: metrics.boundary_recall(np.ones((5, 5), int), g),
                 lambda g: sealseg.affinities_from_labels(g)):
        with pytest.raises(TypeError, match="list of them, got a .*list\\(\\.\\.\\.\\)"):
            call(container(maps))
