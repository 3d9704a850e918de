"""Tests of sealseg.metrics against hand-made answers and a pure-numpy reference."""
import threading

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sealseg.metrics import (
    achievable_miou,
    asa,
    boundary_precision,
    boundary_recall,
    boundary_share,
    compactness,
    explained_variation,
    undersegmentation_error,
)


# --------------------------------------------------------------------------- reference
# Deliberately naive and independent of the Cython kernels: np.unique on pairs,
# explicit neighbourhood shifts, no shared helper with sealseg.metrics.

def _contingency(s, g):
    pairs = np.stack([s.ravel(), g.ravel()], axis=1)
    uniq, counts = np.unique(pairs, axis=0, return_counts=True)
    return uniq, counts


def ref_asa(s, g):
    uniq, counts = _contingency(s, g)
    best = {}
    for (si, _), c in zip(uniq.tolist(), counts.tolist()):
        best[si] = max(best.get(si, 0), c)
    return sum(best.values()) / s.size


def ref_np_error(s, g):
    uniq, counts = _contingency(s, g)
    sizes = dict(zip(*[a.tolist() for a in np.unique(s, return_counts=True)]))
    total = sum(min(c, sizes[si] - c) for (si, _), c in zip(uniq.tolist(), counts.tolist()))
    return total / s.size


def ref_boundary(labels, thick):
    b = np.zeros(labels.shape, bool)
    right = labels[:, :-1] != labels[:, 1:]
    down = labels[:-1, :] != labels[1:, :]
    b[:, :-1] |= right
    b[:-1, :] |= down
    if thick:
        b[:, 1:] |= right
        b[1:, :] |= down
    return b


def ref_near(mask, r):
    h, w = mask.shape
    out = np.zeros_like(mask)
    for y, x in zip(*np.nonzero(mask)):
        out[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1] = True
    return out


def ref_recall(s, g, r, thick=False):
    gb = ref_boundary(g, thick)
    if not gb.any():
        return 1.0
    return float((gb & ref_near(ref_boundary(s, thick), r)).sum() / gb.sum())


def ref_ev(s, image):
    x = image.reshape(-1, image.shape[-1]).astype(np.float64)
    mu = x.mean(axis=0)
    total = ((x - mu) ** 2).sum()
    between = 0.0
    for v in np.unique(s):
        sel = s.ravel() == v
        between += sel.sum() * ((x[sel].mean(axis=0) - mu) ** 2).sum()
    return between / total


def ref_compactness(s):
    total = 0.0
    for v in np.unique(s):
        region = np.pad(s == v, 1, constant_values=False)
        area = region.sum()
        perim = 0
        for axis in (0, 1):
            perim += np.count_nonzero(np.diff(region.astype(np.int8), axis=axis))
        total += area / s.size * 4 * np.pi * area / perim ** 2
    return total


def random_labels(rng, shape, n, values=None):
    """Blocky random label maps: nearest of n random seeds (Voronoi)."""
    h, w = shape
    seeds = np.stack([rng.integers(0, h, n), rng.integers(0, w, n)], axis=1)
    yy, xx = np.mgrid[:h, :w]
    d = (yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2
    labels = np.argmin(d, axis=-1)
    if values is not None:
        labels = np.asarray(values)[labels]
    return labels


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --------------------------------------------------------------------------- known answers

def test_perfect_superpixels():
    g = np.repeat(np.repeat(np.arange(6).reshape(2, 3), 5, axis=0), 4, axis=1)
    s = g * 10 - 7
    assert asa(s, g) == 1.0
    assert undersegmentation_error(s, g) == 0.0
    assert undersegmentation_error(s, g, kind="np") == 0.0
    for boundary in ("thin", "thick"):
        for r in (0, 1, 3):
            assert boundary_recall(s, g, r, boundary=boundary) == 1.0
            assert boundary_precision(s, g, r, boundary=boundary) == 1.0


def test_one_superpixel_over_two_equal_segments():
    g = np.zeros((6, 8), int)
    g[:, 4:] = 1
    s = np.full_like(g, 3)
    assert asa(s, g) == 0.5
    assert undersegmentation_error(s, g) == 0.5
    # Each segment: min(24, 24) = 24 -> 48 / 48.
    assert undersegmentation_error(s, g, kind="np") == 1.0
    assert boundary_recall(s, g) == 0.0
    assert boundary_precision(s, g) == 1.0  # no superpixel boundary, no false positive


def test_ground_truth_without_boundary_has_recall_one():
    g = np.ones((5, 5), int)
    s = np.arange(25).reshape(5, 5)
    assert boundary_recall(s, g) == 1.0
    assert boundary_precision(s, g) == 0.0


def test_asa_majority_overlap():
    g = np.array([[1, 1, 1, 2]])
    s = np.array([[7, 7, 7, 7]])
    assert asa(s, g) == 0.75
    # g=1: min(3, 1); g=2: min(1, 3) -> 2 / 4.
    assert undersegmentation_error(s, g, kind="np") == 0.5


@pytest.mark.parametrize("shift", [0, 1, 2, 3, 4])
def test_tolerance_behaviour(shift):
    # Vertical ground-truth boundary between columns 9 and 10 (thin: column 9).
    g = np.zeros((12, 20), int)
    g[:, 10:] = 1
    s = np.zeros((12, 20), int)
    s[:, 10 + shift:] = 1
    for r in range(6):
        expected = 1.0 if shift <= r else 0.0
        assert boundary_recall(s, g, tolerance=r) == expected
        assert boundary_precision(s, g, tolerance=r) == expected


def test_tolerance_is_a_square_not_a_disc():
    g = np.zeros((9, 9), int)
    g[4, 4] = 1  # thin boundary: (3, 4) and (4, 3) and (4, 4)
    s = np.zeros((9, 9), int)
    s[6:, 6:] = 1  # thin boundary pixels at (5, 6..8) and (6..8, 5)
    # (4, 4) has (5, 5)?  No: (5, 5) is not a boundary of s; (5, 6) is at
    # Chebyshev distance 2 from (4, 4).
    assert boundary_recall(s, g, tolerance=1) == 0.0
    assert boundary_recall(s, g, tolerance=2) == pytest.approx(
        ref_recall(s, g, 2))
    assert ref_recall(s, g, 2) > 0


def test_thick_boundary_is_higher_or_equal(rng):
    g = random_labels(rng, (30, 40), 8)
    s = random_labels(rng, (30, 40), 25)
    thin = boundary_recall(s, g, 0)
    thick = boundary_recall(s, g, 0, boundary="thick")
    assert thick >= thin
    assert_allclose(thick, ref_recall(s, g, 0, thick=True), atol=1e-12)


def test_precision_is_recall_swapped(rng):
    g = random_labels(rng, (25, 31), 6)
    s = random_labels(rng, (25, 31), 20)
    for r in (0, 1, 2):
        assert boundary_precision(s, g, r) == boundary_recall(g, s, r)


def test_explained_variation_known():
    image = np.zeros((4, 4, 3), np.uint8)
    image[:, 2:] = 200
    s = np.zeros((4, 4), int)
    s[:, 2:] = 1
    assert explained_variation(s, image) == pytest.approx(1.0, abs=1e-12)
    assert explained_variation(np.zeros((4, 4), int), image) == pytest.approx(0.0, abs=1e-12)
    assert explained_variation(s, np.full((4, 4, 3), 9, np.uint8)) == 1.0
    # Channel first.
    assert explained_variation(s, np.moveaxis(image, -1, 0), channel_axis=0) == \
        pytest.approx(1.0, abs=1e-12)


def test_compactness_known():
    assert_allclose(compactness(np.zeros((5, 5), int)), np.pi / 4)
    # A 1 x 4 strip of single pixels: each pixel area 1, perimeter 4.
    assert_allclose(compactness(np.arange(4).reshape(1, 4)), np.pi / 4)
    # Two 1 x 2 halves: area 2, perimeter 6 -> 8 pi / 36 each.
    assert_allclose(compactness(np.array([[0, 0, 1, 1]])), 8 * np.pi / 36)


# --------------------------------------------------------------------------- against the reference

LABEL_VALUES = {
    "consecutive": None,
    "negative": lambda n, rng: -rng.permutation(n) * 3 - 1,
    "sparse": lambda n, rng: rng.choice(10 ** 6, n, replace=False),
    "huge": lambda n, rng: rng.choice(np.array([-(2 ** 62), 2 ** 62, -1, 0, 1,
                                                2 ** 40, -(2 ** 41), 7, 2 ** 63 - 1,
                                                -(2 ** 63)], dtype=np.int64), n),
}


@pytest.mark.parametrize("values", list(LABEL_VALUES))
@pytest.mark.parametrize("shape", [(1, 1), (1, 17), (23, 1), (37, 29)])
def test_against_reference(values, shape, rng):
    n_s, n_g = 12, 5
    make = LABEL_VALUES[values]
    s = random_labels(rng, shape, n_s, None if make is None else make(n_s, rng))
    g = random_labels(rng, shape, n_g, None if make is None else make(n_g, rng))
    image = rng.random(shape + (3,))
    assert_allclose(asa(s, g), ref_asa(s, g), rtol=0, atol=1e-9)
    assert_allclose(undersegmentation_error(s, g), 1 - ref_asa(s, g), rtol=0, atol=1e-9)
    assert_allclose(undersegmentation_error(s, g, kind="np"), ref_np_error(s, g),
                    rtol=0, atol=1e-9)
    for r in (0, 1, 3):
        for thick in (False, True):
            b = "thick" if thick else "thin"
            assert_allclose(boundary_recall(s, g, r, boundary=b),
                            ref_recall(s, g, r, thick), rtol=0, atol=1e-9)
            assert_allclose(boundary_precision(s, g, r, boundary=b),
                            ref_recall(g, s, r, thick), rtol=0, atol=1e-9)
    if np.ptp(image) > 0 and s.size > 1:
        assert_allclose(explained_variation(s, image), ref_ev(s, image), rtol=0, atol=1e-9)
    assert_allclose(compactness(s), ref_compactness(s), rtol=0, atol=1e-9)


def test_against_reference_bsds_sized(rng):
    shape = (321, 481)
    s = random_labels(rng, (80, 120), 300)
    s = np.kron(s, np.ones((4, 4), int))[:321, :481]
    s = np.pad(s, ((0, max(0, 321 - s.shape[0])), (0, max(0, 481 - s.shape[1]))), mode="edge")
    g = random_labels(rng, (40, 60), 15)
    g = np.kron(g, np.ones((9, 9), int))[:321, :481]
    assert s.shape == g.shape == shape
    assert_allclose(asa(s, g), ref_asa(s, g), rtol=0, atol=1e-9)
    assert_allclose(boundary_recall(s, g), ref_recall(s, g, 1), rtol=0, atol=1e-9)


def test_many_labels_hash_path(rng):
    # Every pixel its own label, values spread over the whole int64 range:
    # exercises the hash table rather than the lookup table.
    shape = (40, 50)
    s = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=shape,
                     dtype=np.int64, endpoint=True)
    g = random_labels(rng, shape, 7) * (2 ** 60) - 5
    assert asa(s, g) == 1.0
    assert_allclose(undersegmentation_error(s, g, kind="np"), 0.0)
    assert_allclose(compactness(s), np.pi / 4)
    assert_allclose(compactness(s), ref_compactness(s), atol=1e-9)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                                   np.int64, np.uint64, bool])
def test_label_dtypes(dtype, rng):
    g = random_labels(rng, (20, 20), 2).astype(dtype)
    s = random_labels(rng, (20, 20), 9).astype(dtype)
    gi, si = g.astype(np.int64), s.astype(np.int64)
    assert asa(s, g) == pytest.approx(ref_asa(si, gi), abs=1e-12)
    assert boundary_recall(s, g) == pytest.approx(ref_recall(si, gi, 1), abs=1e-12)


def test_non_contiguous_input(rng):
    g = random_labels(rng, (30, 30), 5)
    s = random_labels(rng, (30, 30), 14)
    assert asa(s.T, g.T) == pytest.approx(ref_asa(s.T.copy(), g.T.copy()), abs=1e-12)
    assert boundary_recall(s[::2, ::-1], g[::2, ::-1]) == pytest.approx(
        ref_recall(s[::2, ::-1].copy(), g[::2, ::-1].copy(), 1), abs=1e-12)


# --------------------------------------------------------------------------- lists of ground truths

def test_list_of_groundtruths_is_mean(rng):
    s = random_labels(rng, (24, 24), 20)
    gts = [random_labels(rng, (24, 24), k) for k in (2, 4, 7)]
    assert_allclose(asa(s, gts), np.mean([ref_asa(s, g) for g in gts]), atol=1e-12)
    assert_allclose(asa(s, tuple(gts)), asa(s, gts))
    assert_allclose(undersegmentation_error(s, gts, kind="np"),
                    np.mean([ref_np_error(s, g) for g in gts]), atol=1e-12)
    assert_allclose(boundary_recall(s, gts), np.mean([ref_recall(s, g, 1) for g in gts]),
                    atol=1e-12)
    assert_allclose(boundary_precision(s, gts, 2),
                    np.mean([ref_recall(g, s, 2) for g in gts]), atol=1e-12)


# --------------------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("func", [asa, undersegmentation_error, boundary_recall,
                                  boundary_precision])
def test_shape_mismatch(func):
    with pytest.raises(ValueError, match="groundtruth has shape .* labels has shape"):
        func(np.zeros((4, 5), int), np.zeros((5, 4), int))
    with pytest.raises(ValueError, match=r"groundtruth\[1\] has shape"):
        func(np.zeros((4, 5), int), [np.zeros((4, 5), int), np.zeros((4, 6), int)])


@pytest.mark.parametrize("func", [asa, undersegmentation_error, boundary_recall,
                                  boundary_precision])
def test_bad_label_maps(func):
    with pytest.raises(ValueError, match="empty list"):
        func(np.zeros((4, 5), int), [])
    with pytest.raises(TypeError, match="labels must be an integer"):
        func(np.full((4, 5), 0.5), np.zeros((4, 5), int))
    with pytest.raises(ValueError, match="labels must be a 2-D"):
        func(np.zeros((4, 5, 2), int), np.zeros((4, 5), int))
    with pytest.raises(ValueError, match="groundtruth must be a 2-D"):
        func(np.zeros((4, 5), int), np.zeros(20, int))
    with pytest.raises(ValueError, match="empty"):
        func(np.zeros((0, 5), int), np.zeros((0, 5), int))
    with pytest.raises(TypeError, match="groundtruth must be"):
        func(np.zeros((4, 5), int), None)


def test_bad_options():
    s = np.zeros((4, 5), int)
    with pytest.raises(ValueError, match="kind must be 'corrected' or 'np'"):
        undersegmentation_error(s, s, kind="levinshtein")
    for func in (boundary_recall, boundary_precision):
        with pytest.raises(ValueError, match="tolerance must be a non-negative"):
            func(s, s, tolerance=-1)
        with pytest.raises(TypeError, match="tolerance must be a non-negative"):
            func(s, s, tolerance=1.5)
        with pytest.raises(TypeError, match="tolerance"):
            func(s, s, tolerance=True)
        with pytest.raises(ValueError, match="boundary must be 'thin' or 'thick'"):
            func(s, s, boundary="inner")
    with pytest.raises(ValueError, match="image has spatial shape"):
        explained_variation(s, np.zeros((5, 4, 3)))
    with pytest.raises(ValueError, match="image contains NaN"):
        explained_variation(s, np.full((4, 5, 3), np.nan))
    with pytest.raises(ValueError, match="labels must be a 2-D"):
        compactness(np.zeros(5, int))


# --------------------------------------------------------------------------- threads

def test_thread_safety(rng):
    s = random_labels(rng, (60, 80), 40)
    gts = [random_labels(rng, (60, 80), 6) for _ in range(3)]
    expected = (asa(s, gts), boundary_recall(s, gts), compactness(s))
    results = []

    def work():
        for _ in range(5):
            results.append((asa(s, gts), boundary_recall(s, gts), compactness(s)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    assert all(r == expected for r in results)


# --------------------------------------------------------------------------- bad inputs and odd layouts (formerly test_reliability.py)

from bad_input_cases import IMG, LAB, bad_input_test, image_cases  # noqa: E402


def _ev(image, **kw):
    # The image is checked before its shape is compared with the labels'.
    return explained_variation(LAB, image, **kw)


BAD_INPUTS = (
    image_cases("explained_variation", _ev)
    + [
        ("asa-labels-float", lambda: asa(LAB + 0.5, LAB), TypeError,
         "labels must be an integer label array, got dtype float64"),
        ("asa-labels-nan", lambda: asa(np.where(LAB > 2, np.nan, LAB), LAB), TypeError,
         "labels must be an integer label array"),
        ("asa-labels-1d", lambda: asa(LAB.ravel(), LAB), ValueError,
         "labels must be a 2-D label map, got shape (120,)"),
        ("asa-labels-3d", lambda: asa(LAB[None], LAB), ValueError,
         "labels must be a 2-D label map, got shape (1, 12, 10)"),
        ("asa-labels-empty", lambda: asa(np.zeros((0, 5), int), LAB), ValueError,
         "labels is empty"),
        ("asa-labels-object", lambda: asa(LAB.astype(object), LAB), TypeError,
         "labels must be an integer label array, got dtype object"),
        ("asa-labels-complex", lambda: asa(LAB.astype(complex), LAB), TypeError,
         "labels must be an integer label array"),
        ("asa-labels-None", lambda: asa(None, LAB), TypeError,
         "labels must be a 2-D integer array, got None"),
        ("asa-labels-uint64-beyond-int64",
         lambda: asa(LAB.astype(np.uint64) + np.uint64(2 ** 63), LAB), ValueError,
         "labels has values beyond the int64 range"),
        ("asa-groundtruth-wrong-shape", lambda: asa(LAB, LAB[:5]), ValueError,
         "groundtruth has shape (5, 10) but labels has shape (12, 10)"),
        ("asa-groundtruth-empty-list", lambda: asa(LAB, []), ValueError,
         "groundtruth is an empty list"),
        ("asa-groundtruth-list-with-wrong-shape", lambda: asa(LAB, [LAB, LAB[:3]]), ValueError,
         "groundtruth[1] has shape (3, 10)"),
        ("undersegmentation_error-kind", lambda: undersegmentation_error(LAB, LAB, kind="x"),
         ValueError, "kind must be 'corrected' or 'np', got 'x'"),
        ("boundary_recall-tolerance-negative", lambda: boundary_recall(LAB, LAB, -1),
         ValueError, "tolerance must be a non-negative integer (pixels), got -1"),
        ("boundary_recall-tolerance-float", lambda: boundary_recall(LAB, LAB, 1.5), TypeError,
         "tolerance must be a non-negative integer"),
        ("boundary_recall-boundary", lambda: boundary_recall(LAB, LAB, boundary="x"),
         ValueError, "boundary must be 'thin' or 'thick', got 'x'"),
        ("boundary_precision-labels-1d", lambda: boundary_precision(LAB.ravel(), LAB),
         ValueError, "labels must be a 2-D label map"),
        ("compactness-labels-float", lambda: compactness(LAB + 0.25), TypeError,
         "labels must be an integer label array"),
        ("explained_variation-shape-mismatch", lambda: explained_variation(LAB, IMG[:5]),
         ValueError, "image has spatial shape (5, 10) but labels has shape (12, 10)"),
    ]
)


test_bad_input = bad_input_test(BAD_INPUTS)


def test_metrics_accept_odd_label_layouts():
    for odd in (LAB[::-1, ::-1], LAB.astype(">i8"), LAB.astype(np.uint16), np.asfortranarray(LAB)):
        plain = np.ascontiguousarray(odd, dtype=np.int64)
        assert asa(odd, LAB) == asa(plain, LAB)
        assert boundary_recall(odd, LAB) == boundary_recall(plain, LAB)
        assert compactness(odd) == compactness(plain)


# --------------------------------------------------------------------------- boundary share

def test_boundary_share_counts_thin_transition_pixels_by_hand():
    labels = np.array([[1, 1, 2],
                       [1, 1, 2],
                       [3, 3, 3]])
    # Thin: (0,1) and (1,1) differ to the right; (1,0), (1,1), (1,2) differ below.
    # Pixels (0,1), (1,0), (1,1), (1,2): 4 of 9.
    assert boundary_share(labels) == pytest.approx(4 / 9)
    # Thick adds the right/lower partners: (0,2), (2,0), (2,1), (2,2): 8 of 9.
    assert boundary_share(labels, boundary="thick") == pytest.approx(8 / 9)
    assert boundary_share(np.full((3, 4), 7)) == 0.0


def test_boundary_share_matches_the_anchor_definition_on_random_maps():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (9, 11))
    transition = np.zeros(labels.shape, bool)
    transition[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    transition[:-1, :] |= labels[:-1, :] != labels[1:, :]
    assert boundary_share(labels) == transition.mean()


@pytest.mark.parametrize("labels, boundary, error", [
    (np.full((3, 3), 0.5), "thin", TypeError),
    (np.zeros((3, 3), int), "wide", ValueError),
    (np.zeros((0, 3), int), "thin", ValueError),
])
def test_boundary_share_bad_input(labels, boundary, error):
    with pytest.raises(error):
        boundary_share(labels, boundary=boundary)


# --------------------------------------------------------------------------- achievable mIoU

def test_achievable_miou_by_hand():
    classes = np.array([[0, 0, 1, 1],
                        [0, 0, 1, 2]])
    # Superpixel 5: classes 0, 0, 1, 0 -> 0; superpixel 6: 1, 1, 1, 2 -> 1.
    labels = np.array([[5, 5, 5, 6],
                       [5, 6, 6, 6]])
    # predicted [[0,0,0,1],[0,1,1,1]]: class 0: I 3, U 5; class 1: I 2, U 5; class 2: I 0, U 1.
    assert achievable_miou(labels, classes) == pytest.approx((3 / 5 + 2 / 5 + 0) / 3)
    assert achievable_miou(classes * 10 - 3, classes) == 1.0


def test_achievable_miou_void_neither_votes_nor_counts():
    classes = np.array([[4, 9, 9, 2]])
    labels = np.array([[1, 1, 1, 1]])
    # Without void, 9 is the majority and 4, 2 are lost: class 9 I 2 U 4, others 0.
    assert achievable_miou(labels, classes) == pytest.approx((0 + 0 + 2 / 4) / 3)
    # With void 9: the tie 4 / 2 goes to the smaller value, 2; scored on the two
    # non-void pixels: class 2: I 1, U 2; class 4: I 0, U 1.
    assert achievable_miou(labels, classes, void=9) == pytest.approx((1 / 2 + 0) / 2)
    # A superpixel of void only predicts nothing that is scored.
    labels = np.array([[1, 2, 2, 3]])
    assert achievable_miou(labels, classes, void=9) == 1.0


@pytest.mark.parametrize("labels, classes, void, error, match", [
    (np.zeros((2, 2), int), np.zeros((2, 3), int), None, ValueError, "shape"),
    (np.zeros((2, 2), int), np.full((2, 2), 0.5), None, TypeError, "classes"),
    (np.zeros((2, 2), int), np.full((2, 2), 11), 11, ValueError, "void"),
    (np.zeros((2, 2), int), np.zeros((2, 2), int), 1.5, TypeError, "void"),
    (np.zeros((2, 2), int), np.zeros((2, 2), int), True, TypeError, "void"),
])
def test_achievable_miou_bad_input(labels, classes, void, error, match):
    with pytest.raises(error, match=match):
        achievable_miou(labels, classes, void=void)
