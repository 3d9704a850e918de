"""Tests of sealseg.pan.tiling and of tiled inference (learn_affinities, seal_ers)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sealseg.pan.tiling import plan_tiles
from synthetic import picture as _picture, sensitive_weights as _weights


# --------------------------------------------------------------------------- tiling

@pytest.mark.parametrize("shape, halo, budget", [((70, 93), 9, 729), ((70, 93), 9, 1500),
                                                 ((5, 400), 3, 200), ((300, 7), 2, 100),
                                                 ((64, 64), 9, 64 * 64)])
def test_plan_tiles_partition_and_budget(shape, halo, budget):
    tiles = plan_tiles(shape, halo, budget)
    covered = np.zeros(shape, int)
    for (y0, y1, x0, x1), (Y0, Y1, X0, X1) in tiles:
        covered[y0:y1, x0:x1] += 1
        assert (Y1 - Y0) * (X1 - X0) <= budget
        # a halo of `halo` pixels on every side that is not the image border
        assert Y0 == max(0, y0 - halo) and Y1 == min(shape[0], y1 + halo)
        assert X0 == max(0, x0 - halo) and X1 == min(shape[1], x1 + halo)
    assert_array_equal(covered, 1)


@pytest.mark.parametrize("align", [2, 8])
@pytest.mark.parametrize("shape, halo", [((70, 93), 9), ((5, 400), 3), ((300, 7), 2),
                                         ((321, 481), 21), ((97, 61), 0)])
def test_aligned_tiles_start_on_the_grid_and_keep_halo_and_budget(shape, halo, align):
    smallest = (max(1, halo) + 2 * halo + align - 1) ** 2
    for budget in sorted({smallest, smallest + 37, 2 * smallest, 5 * smallest}):
        tiles = plan_tiles(shape, halo, budget, align=align)
        covered = np.zeros(shape, int)
        for (y0, y1, x0, x1), (Y0, Y1, X0, X1) in tiles:
            covered[y0:y1, x0:x1] += 1
            assert (Y1 - Y0) * (X1 - X0) <= budget
            assert Y0 % align == 0 and X0 % align == 0
            # at least `halo` pixels of context before, exactly `halo` after
            assert Y0 <= max(0, y0 - halo) and Y0 > y0 - halo - align
            assert X0 <= max(0, x0 - halo) and X0 > x0 - halo - align
            assert Y1 == min(shape[0], y1 + halo) and X1 == min(shape[1], x1 + halo)
        assert_array_equal(covered, 1)
    formula = rf"\(3 \* {halo} \+ {align - 1}\)\*\*2" if halo else rf"{align}\*\*2"
    with pytest.raises(ValueError, match=rf"at least {smallest} = {formula} for this net"):
        plan_tiles((1000, 1000), halo, smallest - 1, align=align)


@pytest.mark.parametrize("length, halo, align", [(321, 9, 8), (481, 21, 8), (100, 0, 4)])
def test_aligned_extents_are_those_of_the_spans(length, halo, align):
    from sealseg.pan.tiling import _extents, _spans

    for n_parts in sorted({1, 2, 3, 7, length // 3 or 1, length}):
        assert list(_extents(length, n_parts, halo, align)) == [
            b - a for _, (a, b) in _spans(length, n_parts, halo, align)]


def test_plan_tiles_too_small_budget():
    with pytest.raises(ValueError, match=r"at least 729 = \(3 \* 9\)\*\*2 .*or at least the "
                                         r"image's 10000 pixels; got 728"):
        plan_tiles((100, 100), 9, 728)
    # An image that fits whole takes any budget that holds it.
    assert len(plan_tiles((10, 10), 9, 100)) == 1


def test_smallest_budget_plans_cheaply_and_bounds_the_overhead():
    # Issue 19: the smallest budget allowed before (1225 for the dilated net,
    # halo 17) planned a million tiles for 1000 x 1000 in 16 s, and
    # learn_affinities on 100 x 100 with it did not finish in 300 s.
    import time

    for shape, halo in [((1000, 1000), 17), ((1000, 1000), 9), ((333, 1000), 17),
                        ((100, 100), 17)]:
        start = time.perf_counter()
        tiles = plan_tiles(shape, halo, (3 * halo) ** 2)
        assert time.perf_counter() - start < 2.0
        computed = sum((b - a) * (d - c) for _, (a, b, c, d) in tiles)
        assert computed <= 9 * shape[0] * shape[1]
    with pytest.raises(ValueError, match="at least 2601"):
        plan_tiles((1000, 1000), 17, 1225)


@pytest.mark.parametrize("length, halo", [(1, 0), (7, 3), (321, 9), (481, 17), (1000, 17)])
def test_vectorised_extents_are_those_of_the_spans(length, halo):
    from sealseg.pan.tiling import _extents, _spans

    for n_parts in sorted({1, 2, 3, 7, length // 3 or 1, length}):
        assert list(_extents(length, n_parts, halo)) == [
            b - a for _, (a, b) in _spans(length, n_parts, halo)]


def test_receptive_radius_of_the_paper_net():
    pytest.importorskip("torch")
    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.tiling import receptive_radius

    # 1x7 head (3) + 3 residual blocks x two 3x3 convs (6) along x; the
    # vertical pass runs on the transposed image, so 9 in both axes.
    assert receptive_radius(PixelAffinityNet(8)) == 9
    assert receptive_radius(PixelAffinityNet(8, kernel="7x7")) == 9
    # dilated blocks: 3 + 2 * (1 + 2 + 4)
    assert receptive_radius(PixelAffinityNet(8, dilations=(1, 2, 4))) == 17
    # a fourth block adds its own two convolutions: 3 + 2 * (1 + 2 + 4 + 1)
    assert receptive_radius(PixelAffinityNet(8, dilations=(1, 2, 4, 1))) == 19


_TILING_NETS = [{}, {"kernel": "7x7"}, {"padding_mode": "reflect"}, {"dilations": (1, 2, 4)}]
# Budgets from the smallest tile (27 x 27 with its halo: a core as wide as the
# halo) to a few tiles; square images take the model's batched image+transpose
# path.  The dilated net's smallest tile (51 x 51) holds the whole 30 x 40
# image, so that pair is left out.
_TILING_CASES = [(kwargs, shape, budget) for kwargs in _TILING_NETS
                 for shape, budget in [((30, 40), 729), ((70, 93), 1500), ((66, 66), 2000),
                                       ((40, 200), 2500)]
                 if not ("dilations" in kwargs and shape == (30, 40))]


@pytest.mark.parametrize("kwargs, shape, budget", _TILING_CASES)
def test_tiled_learn_affinities_equal_untiled(tmp_path, kwargs, shape, budget):
    from sealseg import learn_affinities

    weights = _weights(tmp_path / "w.pt", **kwargs)
    image = _picture(*shape, seed=3)
    halo = 17 if "dilations" in kwargs else 9
    budget = max(budget, (3 * halo) ** 2)
    whole = learn_affinities(image, weights=weights, max_pixels_per_tile=shape[0] * shape[1])
    tiled = learn_affinities(image, weights=weights, max_pixels_per_tile=budget)
    assert len(plan_tiles(shape, halo, budget)) > 1
    assert tiled.dtype == np.float32 and tiled.flags.c_contiguous
    assert_allclose(tiled, whole, rtol=0, atol=1e-5)
    assert_array_equal(tiled[0, :, -1], 1) and assert_array_equal(tiled[1, -1, :], 1)


def test_tiling_needs_the_full_receptive_field(tmp_path, monkeypatch):
    # Regression guard for the halo: one pixel less than the receptive field
    # and interior tile borders see padding instead of neighbours.
    from sealseg import learn_affinities
    from sealseg.pan import tiling

    weights = _weights(tmp_path / "w.pt")
    image = _picture(60, 80, seed=4)
    whole = learn_affinities(image, weights=weights, max_pixels_per_tile=10 ** 6)
    radius = tiling.receptive_radius
    monkeypatch.setattr(tiling, "receptive_radius", lambda model: radius(model) - 1)
    short = learn_affinities(image, weights=weights, max_pixels_per_tile=1200)
    assert np.abs(short - whole).max() > 1e-4   # 3.3e-4 with these weights


def test_default_tiling_and_seal_ers_pass_through(tmp_path):
    from sealseg import learn_affinities, seal_ers

    weights = _weights(tmp_path / "w.pt")
    image = _picture(40, 50, seed=5)
    assert_allclose(learn_affinities(image, weights=weights),
                    learn_affinities(image, weights=weights, max_pixels_per_tile=729),
                    atol=1e-5)
    labels = seal_ers(image, 20, weights=weights, max_pixels_per_tile=729)
    assert labels.shape == (40, 50) and labels.max() == 20


def test_max_pixels_per_tile_errors(tmp_path):
    from sealseg import learn_affinities

    weights = _weights(tmp_path / "w.pt")
    image = _picture(40, 50, seed=5)
    with pytest.raises(ValueError, match="at least 729"):
        learn_affinities(image, weights=weights, max_pixels_per_tile=100)
    with pytest.raises(ValueError, match="at least 729"):
        learn_affinities(image, weights=weights, max_pixels_per_tile=728)
    with pytest.raises(ValueError, match="max_pixels_per_tile"):
        learn_affinities(image, weights=weights, max_pixels_per_tile=0)
    with pytest.raises(TypeError, match="max_pixels_per_tile"):
        learn_affinities(image, weights=weights, max_pixels_per_tile=1000.0)
