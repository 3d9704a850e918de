"""Tests of large-image tiling and of segmenting collections (batch CLI, pool, Dask)."""
import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image

from sealseg import ers, segment_collection
from sealseg.__main__ import main
from sealseg.collection import find_images, read_labels
from sealseg.pan.tiling import plan_tiles


def _picture(h, w, seed):
    """A blocky RGB uint8 image with noise: ERS has real boundaries to find."""
    rng = np.random.default_rng(seed)
    image = np.zeros((h, w, 3))
    image[:, w // 3:] = [0.8, 0.3, 0.1]
    image[h // 2:, :, 2] = 0.7
    image += rng.normal(0, 0.05, image.shape)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


@pytest.fixture
def folder(tmp_path):
    """Input folder: three good images (one grey, one in a subfolder) and a bad one."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    Image.fromarray(_picture(30, 40, 0)).save(root / "a.png")
    Image.fromarray(_picture(36, 28, 1)).save(root / "sub" / "b.jpg", quality=95)
    Image.fromarray(_picture(32, 32, 2)[..., 0]).save(root / "c.tif")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    (root / "notes.txt").write_text("not an image")
    return root


def _weights(path, width=8, **kw):
    """A tiny random PAN weight file, non-trivial BatchNorm, sensitive to its input.

    The default initialisation gives a net whose output barely depends on
    pixels a few steps away; tripled convolution weights make a wrong halo
    visible (see test_tiling_needs_the_full_receptive_field).
    """
    torch = pytest.importorskip("torch")
    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.train import model_file_payload

    torch.manual_seed(0)
    net = PixelAffinityNet(width, **kw).eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
            elif isinstance(module, torch.nn.Conv2d):
                module.weight.mul_(3.0)
    torch.save(model_file_payload(net), path)
    return str(path)


# --------------------------------------------------------------------------- tiling

@pytest.mark.parametrize("shape, halo, budget", [((70, 93), 9, 361), ((70, 93), 9, 1500),
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


def test_plan_tiles_too_small_budget():
    with pytest.raises(ValueError, match="at least 361"):
        plan_tiles((100, 100), 9, 360)


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


_TILING_NETS = [{}, {"kernel": "7x7"}, {"padding_mode": "reflect"}, {"dilations": (1, 2, 4)}]
# Budgets from a 1-pixel core (19 x 19 tiles with their halo) to a few tiles;
# square images take the model's batched image+transpose path.  The dilated
# net's smallest tile (35 x 35) holds the whole 20 x 23 image, so that pair
# is left out.
_TILING_CASES = [(kwargs, shape, budget) for kwargs in _TILING_NETS
                 for shape, budget in [((20, 23), 361), ((70, 93), 1500), ((66, 66), 2000),
                                       ((40, 200), 2500)]
                 if not ("dilations" in kwargs and shape == (20, 23))]


@pytest.mark.parametrize("kwargs, shape, budget", _TILING_CASES)
def test_tiled_learn_affinities_equal_untiled(tmp_path, kwargs, shape, budget):
    from sealseg import learn_affinities

    weights = _weights(tmp_path / "w.pt", **kwargs)
    image = _picture(*shape, seed=3)
    halo = 17 if "dilations" in kwargs else 9
    budget = max(budget, (2 * halo + 1) ** 2)
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
                    learn_affinities(image, weights=weights, max_pixels_per_tile=700),
                    atol=1e-5)
    labels = seal_ers(image, 20, weights=weights, max_pixels_per_tile=700)
    assert labels.shape == (40, 50) and labels.max() == 20


def test_max_pixels_per_tile_errors(tmp_path):
    from sealseg import learn_affinities

    weights = _weights(tmp_path / "w.pt")
    image = _picture(40, 50, seed=5)
    with pytest.raises(ValueError, match="at least 361"):
        learn_affinities(image, weights=weights, max_pixels_per_tile=100)
    with pytest.raises(ValueError, match="max_pixels_per_tile"):
        learn_affinities(image, weights=weights, max_pixels_per_tile=0)
    with pytest.raises(TypeError, match="max_pixels_per_tile"):
        learn_affinities(image, weights=weights, max_pixels_per_tile=1000.0)


# --------------------------------------------------------------------------- collections

def _outputs(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_find_images_recursive_and_skips_output(folder):
    (folder / "out").mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(folder / "out" / "a.png")
    (folder / ".hidden.png").write_bytes(b"x")
    names = [p.relative_to(folder).as_posix() for p in find_images(folder, exclude=folder / "out")]
    assert names == ["a.png", "broken.png", "c.tif", "sub/b.jpg"]


def test_batch_cli_png16_bad_image_and_resume(folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["batch", str(folder), str(out), "-n", "12", "--method", "ers", "--quiet",
                 "--overlay"])
    assert code == 1   # some image failed, the others are done
    printed = capsys.readouterr().out
    assert "3 done, 0 skipped (already complete), 1 failed" in printed
    assert "broken.png: cannot read image" in printed
    assert _outputs(out) == ["a.overlay.png", "a.png", "c.overlay.png", "c.png",
                             "sub/b.overlay.png", "sub/b.png"]
    with Image.open(out / "a.png") as png:
        assert png.mode == "I;16"
    labels = read_labels(out / "a.png")
    assert_array_equal(labels, ers(np.asarray(Image.open(folder / "a.png")), 12))
    assert set(np.unique(read_labels(out / "c.png"))) == set(range(1, 13))

    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    # A truncated output (e.g. copied by another tool) is not complete: redone.
    (out / "c.png").write_bytes((out / "c.png").read_bytes()[:40])
    code = main(["batch", str(folder), str(out), "-n", "12", "--method", "ers", "--quiet",
                 "--overlay"])
    assert code == 1
    assert "1 done, 2 skipped (already complete), 1 failed" in capsys.readouterr().out
    assert (out / "a.png").stat().st_mtime_ns == stamp[out / "a.png"]
    assert set(np.unique(read_labels(out / "c.png"))) == set(range(1, 13))


def test_batch_resume_redoes_outputs_of_another_n(folder, tmp_path):
    (folder / "broken.png").unlink()
    first = segment_collection(folder, tmp_path / "out", 10, method="ers", progress=False)
    assert len(first.done) == 3
    second = segment_collection(folder, tmp_path / "out", 14, method="ers", progress=False)
    assert len(second.done) == 3 and not second.skipped
    assert read_labels(tmp_path / "out" / "a.png").max() == 14


def test_batch_npy_format_equals_png16(folder, tmp_path):
    png = segment_collection(folder, tmp_path / "png", 9, method="ers", progress=False)
    npy = segment_collection(folder, tmp_path / "npy", 9, format="npy", method="ers",
                             progress=False)
    assert png.done == npy.done and len(npy.done) == 3
    assert [path for path, _ in npy.failed] == [str(folder / "broken.png")]
    for name in ("a", "c", "sub/b"):
        array = np.load(tmp_path / "npy" / f"{name}.npy")
        assert array.dtype == np.int32
        assert_array_equal(array, read_labels(tmp_path / "png" / f"{name}.png"))


def test_batch_write_is_atomic(folder, tmp_path, monkeypatch):
    # A write that dies half way (full disk, killed process) leaves no label
    # file behind, not even a temporary one, and the image is reported.
    def failing_save(handle, array):
        handle.write(b"\x93NUMPY half an array")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "save", failing_save)
    out = tmp_path / "out"
    summary = segment_collection(folder, out, 8, format="npy", retries=1, method="ers",
                                 progress=False)
    assert not summary.done
    reasons = dict(summary.failed)
    assert reasons[str(folder / "a.png")] == \
        "OSError: No space left on device (after 1 retries)"
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_batch_list_of_paths_and_output_inside_input(folder):
    out = folder / "labels"
    summary = segment_collection([folder / "a.png", folder / "sub" / "b.jpg"], out, 6,
                                 method="ers", progress=False)
    assert _outputs(out) == ["a.png", "sub/b.png"] and len(summary.done) == 2
    # Scanning the folder again does not take the outputs for inputs.
    again = segment_collection(folder, out, 6, method="ers", progress=False)
    assert len(again.skipped) == 2 and len(again.done) == 1 and len(again.failed) == 1


def test_batch_argument_errors(folder, tmp_path):
    with pytest.raises(ValueError, match="16-bit PNG"):
        segment_collection(folder, tmp_path, 70000, method="ers")
    with pytest.raises(ValueError, match="format"):
        segment_collection(folder, tmp_path, 10, method="ers", format="tiff")
    with pytest.raises(ValueError, match="method"):
        segment_collection(folder, tmp_path, 10, method="slic")
    with pytest.raises(ValueError, match="jobs"):
        segment_collection(folder, tmp_path, 10, method="ers", jobs=0)
    with pytest.raises(TypeError, match="lamda"):
        segment_collection(folder, tmp_path, 10, method="ers", lamda=1.0)
    with pytest.raises(ValueError, match="lam"):
        segment_collection(folder, tmp_path, 10, method="ers", lam=-1.0)
    with pytest.raises(ValueError, match="not a folder"):
        segment_collection(tmp_path / "nowhere", tmp_path, 10, method="ers")
    with pytest.raises(FileNotFoundError, match="nothere.pt"):
        segment_collection(folder, tmp_path, 10, method="seal_ers",
                           weights=str(tmp_path / "nothere.pt"))
    Image.fromarray(_picture(8, 8, 0)).save(folder / "a.jpg")
    with pytest.raises(ValueError, match="same output"):
        segment_collection(folder, tmp_path / "out", 10, method="ers")


def test_batch_cli_usage_errors_are_one_line(folder, tmp_path):
    for argv, message in [
            ([str(tmp_path / "nowhere"), str(tmp_path / "o"), "-n", "5"], "input folder"),
            ([str(folder), str(tmp_path / "o"), "-n", "70000"], "16-bit PNG"),
            ([str(folder), str(tmp_path / "x" / "y"), "-n", "5"], "parent of the output")]:
        result = subprocess.run([sys.executable, "-m", "sealseg", "batch", *argv],
                                capture_output=True, text=True)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and message in result.stderr
        assert result.stderr.startswith("python -m sealseg batch: error:")


def test_batch_jobs_2_matches_serial_and_loads_weights(folder, tmp_path):
    weights = _weights(tmp_path / "w.pt")
    serial = segment_collection(folder, tmp_path / "s", 10, method="seal_ers",
                                weights=weights, progress=False)
    pooled = segment_collection(folder, tmp_path / "p", 10, method="seal_ers", jobs=2,
                                weights=weights, progress=False)
    assert serial.done == pooled.done and len(pooled.done) == 3
    assert serial.failed == pooled.failed
    for name in ("a", "c", "sub/b"):
        assert_array_equal(read_labels(tmp_path / "p" / f"{name}.png"),
                           read_labels(tmp_path / "s" / f"{name}.png"))


# --------------------------------------------------------------------------- Dask

def _worker_cache_size():
    from sealseg.pan import pretrained

    return len(pretrained._CACHE)


def test_dask_local_cluster(folder, tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                                            "(pip install 'sealseg[dask]')")
    weights = _weights(tmp_path / "w.pt")
    serial = segment_collection(folder, tmp_path / "serial", 10, method="seal_ers",
                                weights=weights, progress=False)
    # A folder where an output file should go: the write raises on the worker,
    # Dask retries the task, and it is reported as failed in the end.
    (tmp_path / "dask" / "c.png").mkdir(parents=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        summary = segment_collection(folder, tmp_path / "dask", 10, method="seal_ers",
                                     weights=weights, client=client, retries=1,
                                     progress=False)
        # The model is loaded once per worker process and kept.
        sizes = client.run(_worker_cache_size)
        again = segment_collection(folder, tmp_path / "dask", 10, method="seal_ers",
                                   weights=weights, client=client, retries=1,
                                   progress=False)
    assert len(sizes) == 2 and set(sizes.values()) <= {0, 1} and sum(sizes.values()) >= 1
    assert summary.done == [str(folder / "a.png"), str(folder / "sub" / "b.jpg")]
    reasons = dict(summary.failed)
    assert set(reasons) == {str(folder / "broken.png"), str(folder / "c.tif")}
    assert reasons[str(folder / "broken.png")].startswith("cannot read image")
    assert "IsADirectoryError" in reasons[str(folder / "c.tif")] or \
        "Error" in reasons[str(folder / "c.tif")]
    for name in ("a", "sub/b"):
        assert_array_equal(read_labels(tmp_path / "dask" / f"{name}.png"),
                           read_labels(tmp_path / "serial" / f"{name}.png"))
    assert again.skipped == summary.done and not again.done
    leftovers = [p.name for p in (tmp_path / "dask").rglob(".sealseg-*")]
    assert leftovers == [], leftovers
    assert os.listdir(tmp_path / "dask" / "c.png") == []
