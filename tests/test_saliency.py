import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skimage.segmentation import slic

from sealseg.saliency import MAX_SUPERPIXELS, manifold_ranking, robust_background

METHODS = [manifold_ranking, robust_background]


def _disc_image(shape=(90, 120), radius=20):
    """A yellow disc in the centre of a grey, textured, noisy background."""
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[:shape[0], :shape[1]]
    texture = 0.3 + 0.1 * np.sin(cols / 3.0) * np.cos(rows / 4.0)
    image = np.repeat(texture[..., None], 3, axis=2) + rng.normal(0, 0.03, shape + (3,))
    disc = (rows - shape[0] // 2) ** 2 + (cols - shape[1] // 2) ** 2 < radius ** 2
    image[disc] = (0.9, 0.8, 0.2)
    return np.clip(image, 0, 1), disc


def _grid(shape, step):
    rows, cols = np.indices(shape)
    return (rows // step) * (shape[1] // step + 1) + cols // step


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("superpixels", ["grid", "slic"])
def test_the_salient_disc_is_found(method, superpixels):
    image, disc = _disc_image()
    labels = _grid(disc.shape, 10) if superpixels == "grid" else slic(image, 100, start_label=1)
    saliency = method(image, labels)
    assert saliency.shape == disc.shape and saliency.dtype == np.float64
    assert saliency.min() == 0.0 and saliency.max() == 1.0
    assert saliency[disc].mean() > 0.8
    assert saliency[~disc].mean() < 0.1
    # Every superpixel wholly inside the disc is more salient than every one
    # wholly outside it.
    inside = [lab for lab in np.unique(labels) if disc[labels == lab].all()]
    outside = [lab for lab in np.unique(labels) if not disc[labels == lab].any()]
    assert min(saliency[labels == lab][0] for lab in inside) > \
        max(saliency[labels == lab][0] for lab in outside)


@pytest.mark.parametrize("method", METHODS)
def test_the_map_is_constant_on_superpixels(method):
    image, disc = _disc_image()
    labels = _grid(disc.shape, 10)
    saliency = method(image, labels)
    for lab in np.unique(labels):
        values = saliency[labels == lab]
        assert np.all(values == values[0])


@pytest.mark.parametrize("method", METHODS)
def test_label_values_do_not_matter(method):
    image, disc = _disc_image((60, 80), 12)
    labels = _grid(disc.shape, 8)
    renamed = np.random.default_rng(3).permutation(labels.max() + 1)[labels] * 7 - 1000
    assert_allclose(method(image, renamed), method(image, labels), atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_grey_uint8_and_float_images_agree(method):
    image, disc = _disc_image((60, 80), 12)
    labels = _grid(disc.shape, 8)
    as_bytes = np.round(image * 255).astype(np.uint8)
    assert_allclose(method(as_bytes, labels), method(as_bytes / 255.0, labels), atol=1e-12)
    grey = as_bytes[..., 0]
    assert_allclose(method(grey, labels), method(np.repeat(grey[..., None], 3, axis=2), labels),
                    atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_one_superpixel_gives_zeros(method):
    image, disc = _disc_image((30, 40), 8)
    assert_array_equal(method(image, np.zeros(disc.shape, int)), np.zeros(disc.shape))


@pytest.mark.parametrize("method", METHODS)
def test_inputs_are_not_modified(method):
    image, disc = _disc_image((30, 40), 8)
    labels = _grid(disc.shape, 5)
    image_copy, labels_copy = image.copy(), labels.copy()
    method(image, labels)
    assert_array_equal(image, image_copy)
    assert_array_equal(labels, labels_copy)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("image, labels, error, match", [
    (np.zeros((10, 12, 3)), np.zeros((10, 13), int), ValueError, "shape"),
    (np.zeros((10, 12, 3)), np.zeros((10, 12)) + 0.5, TypeError, "labels"),
    (np.zeros((10, 12, 4)), np.zeros((10, 12), int), ValueError, "RGB"),
    (np.full((10, 12, 3), np.nan), np.zeros((10, 12), int), ValueError, "NaN"),
    (np.zeros((10, 12, 3)), None, TypeError, "labels"),
    (None, np.zeros((10, 12), int), TypeError, "image"),
])
def test_bad_input(method, image, labels, error, match):
    with pytest.raises(error, match=match):
        method(image, labels)


@pytest.mark.parametrize("method", METHODS)
def test_too_many_superpixels_are_refused(method):
    side = int(np.ceil(np.sqrt(MAX_SUPERPIXELS + 1)))
    labels = np.arange(side * side).reshape(side, side)
    with pytest.raises(ValueError, match="at most"):
        method(np.zeros((side, side, 3)), labels)


@pytest.mark.parametrize("change", [dict(link_border=False), dict(mu=0.0),
                                    dict(smoothness_pairs_twice=True)])
def test_private_readings_are_wired(change):
    # The public function is the paper's setting; each reading the paper does
    # not take (measured by the downstream runner's --so-steps) changes the map.
    from sealseg import saliency
    image, disc = _disc_image((60, 80), 12)
    labels = _grid(disc.shape, 8)
    graph = saliency._SuperpixelGraph(image, labels)
    paper = saliency._robust_background(graph, **saliency._PAPER)
    assert_array_equal(paper, robust_background(image, labels))
    changed = saliency._robust_background(graph, **{**saliency._PAPER, **change})
    assert np.abs(changed - paper).max() > 1e-3
