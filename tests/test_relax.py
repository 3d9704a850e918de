"""Tests of the boundary relaxation after ERS (sealseg._ext._relax, ``relax`` of ers/seal_ers)."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skimage import data

from sealseg import boundary_share, ers, rgb_affinities
from sealseg._ext import _ers, _ers_weights, _relax
from sealseg.metrics import strip_share

from label_checks import each_label_connected


@pytest.fixture(scope="module")
def image():
    return data.astronaut()[::6, ::6]  # 86 x 86


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("n", [2, 17, 150])
def test_exact_count_and_connected_superpixels(image, connectivity, n):
    labels = ers(image, n, connectivity=connectivity)
    assert_array_equal(np.unique(labels), np.arange(1, n + 1))
    assert each_label_connected(labels, connectivity, skip_zero=True)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_count_and_connectivity_on_noise_with_a_mask(connectivity):
    rng = np.random.default_rng(3)
    noise = rng.random((40, 37, 3))
    mask = np.ones((40, 37), bool)
    mask[10:14, :30] = False
    labels = ers(noise, 60, connectivity=connectivity, mask=mask, relax=2.0)
    assert np.all(labels[~mask] == 0)
    assert_array_equal(np.unique(labels[mask]), np.arange(1, 61))
    assert each_label_connected(labels, connectivity, skip_zero=True)


def test_none_gives_plain_ers_and_the_pass_changes_it(image):
    plain = ers(image, 80, relax=None)
    relaxed = ers(image, 80)
    assert not np.array_equal(plain, relaxed)
    aff = rgb_affinities(image)
    labels = ers(None, 80, affinities=aff, relax=None)
    weights = _ers_weights.edge_weights_from_affinities(np.ascontiguousarray(aff), 8)
    alone, _ = _ers.entropy_rate_segmentation(weights, *labels.shape, 8, 80, 0.5)
    assert_array_equal(labels, alone + 1)


def test_shorter_boundaries_and_fewer_strips_on_a_flat_noisy_image():
    rng = np.random.default_rng(0)
    flat = np.clip(0.5 + rng.normal(0, 0.01, (96, 96, 3)), 0, 1)
    plain = ers(flat, 100, relax=None)
    relaxed = ers(flat, 100)
    assert boundary_share(relaxed) < 0.9 * boundary_share(plain)
    assert strip_share(relaxed) <= strip_share(plain)


def test_boundary_moves_onto_the_image_edge():
    # Two flat halves (an edge between columns 15 and 16), and two labels
    # whose boundary wanders around it.
    image = np.zeros((30, 32, 3))
    image[:, 16:] = 1.0
    weights = _ers_weights.edge_weights_from_image(np.ascontiguousarray(image * 255), 15.0, 8)
    labels = np.zeros((30, 32), np.int64)
    rng = np.random.default_rng(1)
    for y in range(30):
        labels[y, 16 + rng.integers(-3, 4):] = 1
    moved = _relax.relax_boundaries(labels, weights, 8, 0.3, 1.0, 10)
    assert moved > 0
    expected = np.zeros((30, 32), np.int64)
    expected[:, 16:] = 1
    assert_array_equal(labels, expected)


def test_stack_is_not_relaxed_and_stays_nested(image):
    stack = ers(image, [60, 20])
    assert_array_equal(stack, ers(image, [60, 20], relax=None))


@pytest.mark.parametrize("ring, connectivity, simple", [
    (0b00000000, 8, False),   # the last pixel of its label
    (0b00000010, 8, True),    # one neighbour above
    (0b00100010, 8, False),   # above and below only: removing it cuts the label
    (0b00000111, 8, True),    # the row above
    (0b00000101, 8, False),   # two corners apart
    (0b00000001, 4, False),   # a corner only: no 4-neighbour of the centre
    (0b00001110, 4, True),    # above, top-right, right: one 4-connected piece
    (0b00001010, 4, False),   # above and right, not 4-connected round the centre
    (0b00001010, 8, True),    # ... but 8-connected
])
def test_simple_pixels(ring, connectivity, simple):
    assert bool(_relax._simple_table(connectivity)[ring]) == simple


@pytest.mark.parametrize("relax, error", [(-0.1, ValueError), (np.nan, ValueError),
                                          ("0.3", TypeError), (True, TypeError)])
def test_bad_relax_is_refused(image, relax, error):
    with pytest.raises(error, match="relax"):
        ers(image, 10, relax=relax)


def _relax_every_pixel(labels, weights, connectivity, length_cost, area_weight, n_passes):
    """The relaxation as its module docstring defines it, every boundary pixel
    visited in every pass (no skipping), in Python: the kernel's reference."""
    height, width = labels.shape
    n_dirs = weights.size // labels.size
    lab = labels.ravel()
    ring_dy = [-1, -1, -1, 0, 1, 1, 1, 0]
    ring_dx = [-1, 0, 1, 1, 1, 0, -1, -1]
    # (dy, dx) of the pixel whose edge it is, and the edge's direction.
    edge_of = {1: (-1, 0, 1), 3: (0, 0, 0), 5: (0, 0, 1), 7: (0, -1, 0),
               0: (-1, -1, 2), 4: (0, 0, 2), 2: (0, 0, 3), 6: (1, -1, 3)}
    simple = _relax._simple_table(connectivity)
    n_labels = lab.max() + 1
    areas = np.bincount(lab[lab >= 0], minlength=n_labels).tolist()
    targets = [float(a) for a in areas]
    area_scale = area_weight / np.mean(targets)
    for pass_ in range(n_passes):
        moved = 0
        order = range(lab.size) if pass_ % 2 == 0 else range(lab.size - 1, -1, -1)
        for p in order:
            a = lab[p]
            y, x = divmod(p, width)
            if a < 0:
                continue
            nb, cost = [], []
            for k in range(8):
                yy, xx = y + ring_dy[k], x + ring_dx[k]
                if not (0 <= yy < height and 0 <= xx < width):
                    nb.append(-2)
                    cost.append(0.0)
                    continue
                nb.append(lab[yy * width + xx])
                dy, dx, d = edge_of[k]
                wk = -1.0 if d >= n_dirs else weights[((y + dy) * width + x + dx) * n_dirs + d]
                scale = 1.0 if k & 1 else 1.0 / np.sqrt(2.0)
                cost.append(scale * (length_cost + wk) if wk >= 0.0 else 0.0)
            if all(nb[k] in (a, -2) for k in (1, 3, 5, 7)):
                continue
            ring = sum(1 << k for k in range(8) if nb[k] == a)
            if ring == 0xFF or not simple[ring]:
                continue
            candidates = []
            for k in (1, 3, 5, 7):
                if nb[k] >= 0 and nb[k] != a and nb[k] not in candidates:
                    candidates.append(nb[k])
            to_a = 0.0
            for k in range(8):
                if nb[k] == a:
                    to_a += cost[k]
            best, best_delta = -1, -1e-12
            for b in candidates:
                to_b = 0.0
                for k in range(8):
                    if nb[k] == b:
                        to_b += cost[k]
                delta = to_a - to_b + area_scale * (2.0 * (areas[b] - targets[b]) + 1.0
                                                    - 2.0 * (areas[a] - targets[a]) + 1.0)
                if delta < best_delta:
                    best, best_delta = b, delta
            if best >= 0:
                lab[p] = best
                areas[a] -= 1
                areas[best] += 1
                moved += 1
        if moved == 0:
            break
    # Numbered again in raster order of first appearance.
    _, first = np.unique(lab[lab >= 0], return_index=True)
    order = np.argsort(first)
    renumber = np.empty(n_labels, np.int64)
    renumber[np.unique(lab[lab >= 0])[order]] = np.arange(order.size)
    lab[lab >= 0] = renumber[lab[lab >= 0]]
    return labels


@pytest.mark.parametrize("connectivity, length_cost, masked", [
    (8, 0.35, False), (4, 0.35, False), (8, 0.0, False), (8, 2.0, False), (8, 0.35, True)])
def test_same_labels_as_visiting_every_pixel(connectivity, length_cost, masked):
    # The kernel skips pixels whose decision cannot have changed; the labels
    # must be those of a pass that visits every boundary pixel.
    image = data.astronaut()[100:140, 200:246]
    mask = None
    if masked:
        mask = np.ones(image.shape[:2], bool)
        mask[15:19, 5:40] = False
    weights = _ers_weights.edge_weights_from_image(np.ascontiguousarray(image, np.float64), 15.0,
                                           connectivity)
    kernel_mask = None if mask is None else mask.view(np.uint8)
    labels, _ = _ers.entropy_rate_segmentation(weights.copy(), *image.shape[:2], connectivity,
                                               60, 0.5, kernel_mask)
    expected = _relax_every_pixel(labels.copy(), weights, connectivity, length_cost, 1.0, 10)
    moved = _relax.relax_boundaries(labels, weights, connectivity, length_cost, 1.0, 10)
    assert moved > 0
    assert_array_equal(labels, expected)
