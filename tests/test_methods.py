"""Tests of sealseg.methods: the registry of method names and its runners."""
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sealseg
from sealseg.methods import (METHODS, available_methods, canny_affinities, count_segments,
                             resolve_methods, search_scale, segmenter, segmenter_names)


def _run(name, image, n, groundtruths=None):
    return METHODS[name].run(image, n, groundtruths)


def test_available_methods_names():
    methods = available_methods()
    for name in ("ers", "seal_ers", "slic", "slico", "felzenszwalb", "seeds", "lsc", "snic",
                 "oracle", "canny_ers", "seal_fh", "ers4", "seal_ers4"):
        assert name in methods
    assert methods["slic"] is None and methods["ers"] is None


def test_one_registry_serves_evaluate_batch_and_segment():
    from sealseg.__main__ import build_parser

    assert segmenter_names() == ("ers", "seal_ers")
    assert segmenter("ers") is sealseg.ers and segmenter("seal_ers") is sealseg.seal_ers
    with pytest.raises(ValueError, match="method must be one of ers, seal_ers, got 'slic'"):
        segmenter("slic")
    # The commands take their choices from the registry.
    parser = build_parser()
    for command in ("segment", "batch"):
        sub = parser._subparsers._group_actions[0].choices[command]
        (action,) = [a for a in sub._actions if a.dest == "method"]
        assert tuple(action.choices) == segmenter_names()


def test_resolve_methods_kinds():
    resolved, skipped = resolve_methods({"mine": lambda image, n: np.ones(image.shape[:2]),
                                         "slic": "slic"})
    assert [name for name, _ in resolved] == ["mine", "slic"] and skipped == []
    assert resolved[1][1] is METHODS["slic"].run
    (name, runner), = resolve_methods("numpy:ones")[0]
    assert name == "numpy:ones"
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        resolve_methods(["nope"])
    with pytest.raises(ValueError, match="given twice"):
        resolve_methods(["slic", "slic"])
    with pytest.raises(ValueError, match="cannot import"):
        resolve_methods(["no_such_module_x:f"])


def test_count_segments():
    assert count_segments(np.array([[3, 3], [-1, 2 ** 40]])) == 3


def test_felzenszwalb_lands_near_n(rng=np.random.default_rng(0)):
    image = (rng.random((60, 80, 3)) * 255).astype(np.uint8)
    for n in (10, 60):
        labels, seconds = _run("felzenszwalb", image, n)
        assert abs(count_segments(labels) - n) <= max(3, 0.15 * n)
        assert seconds > 0


def test_canny_affinities_cut_at_edges():
    image = np.zeros((20, 24, 3), np.uint8)
    image[:, 12:] = 200
    a = canny_affinities(image)
    assert a.shape == (2, 20, 24) and a.min() >= 0 and a.max() <= 1
    # the weakest horizontal edges sit on the step; flat parts far from it are 1
    assert a[0, 10].argmin() in (10, 11, 12)
    assert_allclose(a[:, :, :5], 1.0)
    assert_allclose(a[1], 1.0, atol=1 - a[0].min() + 1e-12)
    labels = _run("canny_ers", image, 2)
    assert count_segments(labels) == 2
    # the cut lands on the step (between columns 11 and 12) or one column
    # beside it (Canny marks one side), once in every row
    for row in labels:
        cuts = np.flatnonzero(row[1:] != row[:-1])
        assert cuts.size == 1 and cuts[0] in (10, 11, 12)


def test_canny_affinities_use_the_edge_channel_settings():
    # The constants are written once, in the net's edge channel.
    from skimage.feature import canny
    from skimage.filters import gaussian
    from skimage.color import rgb2gray

    image = (np.random.default_rng(1).random((16, 18, 3)) * 255).astype(np.uint8)
    edges = canny(rgb2gray(image / 255.0), sigma=1.0, low_threshold=0.1, high_threshold=0.2)
    strength = gaussian(edges.astype(float), sigma=1.0)
    strength /= strength.max()
    expected = 1.0 - np.maximum(strength[:, :-1], strength[:, 1:])
    assert_allclose(canny_affinities(image)[0, :, :-1], expected)


def test_four_connected_methods_use_connectivity_4(monkeypatch):
    from sealseg import ers

    image = np.random.default_rng(3).integers(0, 255, (16, 20, 3), dtype=np.uint8)
    assert_array_equal(_run("ers4", image, 12), ers(image, 12, connectivity=4))
    assert not np.array_equal(ers(image, 12, connectivity=4), ers(image, 12))
    from sealseg import seal

    calls = []
    monkeypatch.setattr(seal, "seal_ers",
                        lambda image, n, **kwargs: calls.append((n, kwargs)) or image[..., 0])
    _run("seal_ers4", image, 7)
    assert calls == [(7, {"connectivity": 4})]


def test_search_scale_lands_near_n():
    from skimage import data
    from sealseg import felzenszwalb_affinity, rgb_affinities

    affinities = rgb_affinities(data.astronaut()[::8, ::8])  # 64x64
    for n in (10, 30, 100):
        calls = []

        def segment(scale):
            calls.append(scale)
            return felzenszwalb_affinity(affinities, scale, min_size=5)

        labels, seconds = search_scale(segment, n, 1.0)
        assert abs(count_segments(labels) - n) <= max(3, 0.15 * n) and seconds > 0
        assert calls[0] == pytest.approx(1.0) and len(calls) <= 12


def test_seal_fh_runs_the_net_once(monkeypatch):
    pytest.importorskip("torch")
    if available_methods()["seal_fh"] is not None:
        pytest.skip(available_methods()["seal_fh"])
    from sealseg.pan import inference

    calls = []
    real = inference.learn_affinities

    def counting(image, **kwargs):
        calls.append(image.shape)
        return real(image, **kwargs)

    monkeypatch.setattr(inference, "learn_affinities", counting)
    image = np.zeros((12, 16, 3), np.uint8)
    image[:, 8:] = 200
    labels, seconds = _run("seal_fh", image, 4)
    assert labels.shape == image.shape[:2] and seconds > 0
    assert len(calls) == 1  # the net runs once, not once per scale tried


def test_seeds_lands_near_the_requested_count():
    # OpenCV SEEDS' count jumps between grid sizes (with its default 4 levels,
    # 260 or 600 on this size when 400 or 600 are asked); the wrapper picks the
    # grid setting closest to the request.
    pytest.importorskip("cv2.ximgproc", reason="OpenCV contrib (ximgproc) is not installed")

    rng = np.random.default_rng(0)
    image = (rng.random((321, 481, 3)) * 255).astype(np.uint8)
    for n in (200, 600):
        count = np.unique(_run("seeds", image, n)).size
        assert abs(count - n) <= 0.1 * n, (n, count)


@pytest.mark.parametrize("method, shape, n", [
    ("seeds", (40, 50), 1200),   # about as many superpixels as pixels: looped or crashed
    ("seeds", (300, 17), 1),     # an elongated image and a small request: segfault
    ("seeds", (17, 300), 1700),
    ("seeds", (6, 40), 15),      # smaller than SEEDS's grid: refused
    ("lsc", (40, 50), 1),        # a region past half the short side: SIGFPE
    ("lsc", (31, 25), 2),
    ("lsc", (1, 1), 1),
])
def test_opencv_runners_refuse_or_clamp_what_opencv_cannot_do(method, shape, n):
    # Run in a child: a regression would crash or hang the process.
    pytest.importorskip("cv2")
    if METHODS[method].missing() is not None:
        pytest.skip(METHODS[method].missing())
    code = ("import numpy as np; from sealseg.methods import METHODS\n"
            f"image = np.random.default_rng(0).integers(0, 256, {shape + (3,)}, np.uint8)\n"
            f"try:\n    labels = METHODS[{method!r}].run(image, {n}, None)\n"
            "except ValueError as exc:\n    print('refused', exc)\n"
            "else:\n    print('labels', len(np.unique(labels)), labels.shape)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    word, _, rest = done.stdout.partition(" ")
    if word == "labels":
        count, _, label_shape = rest.partition(" ")
        assert label_shape.strip() == str(shape) and int(count) >= min(2, n)
    else:
        assert word == "refused" and "pixels each way" in rest
