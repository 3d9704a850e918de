"""Tests of large-image tiling and of segmenting collections (batch CLI, pool, Dask)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image

from sealseg import ers, segment_collection
from sealseg.__main__ import main
from sealseg.collection import find_images, read_labels
from synthetic import picture as _picture, sensitive_weights as _weights


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


# --------------------------------------------------------------------------- collections

def _exit_code(argv):
    """The exit code of the command line (usage errors end in SystemExit)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _outputs(root):
    # The run's record (a hidden file) is not an output.
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.name.startswith("."))


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
    # A truncated output (e.g. by another tool) is not this command's any more:
    # refused without --overwrite; once removed, it is redone.
    (out / "c.png").write_bytes((out / "c.png").read_bytes()[:40])
    code = _exit_code(["batch", str(folder), str(out), "-n", "12", "--method", "ers",
                       "--quiet", "--overlay"])
    assert code == 2
    assert "c.png' is changed since this command wrote it" in capsys.readouterr().err
    (out / "c.png").unlink()
    code = main(["batch", str(folder), str(out), "-n", "12", "--method", "ers", "--quiet",
                 "--overlay"])
    assert code == 1
    assert "1 done, 2 skipped (already complete), 1 failed" in capsys.readouterr().out
    assert (out / "a.png").stat().st_mtime_ns == stamp[out / "a.png"]
    assert set(np.unique(read_labels(out / "c.png"))) == set(range(1, 13))


def test_batch_cli_relax_reaches_the_segmenter(folder, tmp_path):
    (folder / "broken.png").unlink()
    image = np.asarray(Image.open(folder / "a.png"))
    for relax, expected in ((["--relax", "none"], ers(image, 12, relax=None)),
                            (["--relax", "3"], ers(image, 12, relax=3.0)),
                            ([], ers(image, 12))):
        out = tmp_path / f"out{len(relax)}{relax[-1] if relax else ''}"
        assert main(["batch", str(folder), str(out), "-n", "12", "--method", "ers", "--quiet"]
                    + relax) == 0
        assert_array_equal(read_labels(out / "a.png"), expected)
    assert not np.array_equal(ers(image, 12, relax=None), ers(image, 12))
    with pytest.raises(SystemExit) as exc:
        main(["batch", str(folder), str(tmp_path / "o2"), "-n", "12", "--relax", "-0.5"])
    assert exc.value.code == 2
    assert not (tmp_path / "o2").exists()


def test_batch_cli_compactness_reaches_the_segmenter(folder, tmp_path):
    (folder / "broken.png").unlink()
    out = tmp_path / "out"
    assert main(["batch", str(folder), str(out), "-n", "12", "--method", "ers", "--quiet",
                 "--compactness", "30"]) == 0
    image = np.asarray(Image.open(folder / "a.png"))
    assert_array_equal(read_labels(out / "a.png"), ers(image, 12, compactness=30))
    assert not np.array_equal(read_labels(out / "a.png"), ers(image, 12))
    with pytest.raises(SystemExit) as exc:
        main(["batch", str(folder), str(tmp_path / "o2"), "-n", "12", "--compactness", "-3"])
    assert exc.value.code == 2


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
        assert array.dtype == np.int64
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
    # Nothing but the run's record (which names the file as pending).
    assert [p.name for p in out.rglob("*") if p.is_file()] == [".sealseg_record.jsonl"]


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
    # Dask retries the task, and it is reported as failed in the end.  The
    # folder is not this command's output, so only overwrite=True lets the
    # run start (without it the run refuses up front, tested elsewhere).
    (tmp_path / "dask" / "c.png" / "kept").mkdir(parents=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        summary = segment_collection(folder, tmp_path / "dask", 10, method="seal_ers",
                                     weights=weights, client=client, retries=1,
                                     progress=False, overwrite=True)
        # The model is loaded once per worker process and kept.
        sizes = client.run(_worker_cache_size)
        # With the obstacle gone, a rerun skips what is done and redoes the failure.
        (tmp_path / "dask" / "c.png" / "kept").rmdir()
        (tmp_path / "dask" / "c.png").rmdir()
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
    assert again.skipped == summary.done and again.done == [str(folder / "c.tif")]
    leftovers = [p.name for p in (tmp_path / "dask").rglob(".sealseg-*")]
    assert leftovers == [], leftovers
    assert read_labels(tmp_path / "dask" / "c.png").max() >= 1


# --------------------------------------------------------------------------- bad inputs (formerly test_reliability.py)

from bad_input_cases import bad_input_test  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

BAD_INPUTS = (
    [
        ("segment_collection-n_segments-0",
         lambda: segment_collection(REPO, REPO / "never", 0, progress=False), ValueError,
         "n_segments must be a positive integer, got 0"),
        ("segment_collection-n_segments-float",
         lambda: segment_collection(REPO, REPO / "never", 2.5, progress=False), TypeError,
         "n_segments must be a positive integer"),
        ("segment_collection-missing-folder",
         lambda: segment_collection(REPO / "nope", REPO / "never", 5, progress=False),
         ValueError, "is not a folder"),
        ("segment_collection-paths-None",
         lambda: segment_collection(None, REPO / "never", 5, progress=False), TypeError,
         "paths must be a folder or an iterable of image file paths, got NoneType"),
        ("segment_collection-method",
         lambda: segment_collection(REPO, REPO / "never", 5, method="x", progress=False),
         ValueError, "method must be one of ers, seal_ers, got 'x'"),
        ("segment_collection-out_dir-int",
         lambda: segment_collection(REPO, 3, 5, progress=False), TypeError,
         "out_dir must be a str or path, got int"),
        ("segment_collection-jobs-0",
         lambda: segment_collection(REPO, REPO / "never", 5, jobs=0, progress=False),
         ValueError, "jobs must be a positive integer, got 0"),
        # the same mistake gets the same error as in evaluate (sealseg._validation)
        ("segment_collection-jobs-float",
         lambda: segment_collection(REPO, REPO / "never", 5, jobs=1.5, progress=False),
         TypeError, "jobs must be a positive integer, got 1.5"),
        ("segment_collection-retries-negative",
         lambda: segment_collection(REPO, REPO / "never", 5, retries=-1, progress=False),
         ValueError, "retries must be an integer >= 0, got -1"),
        ("segment_collection-unknown-option",
         lambda: segment_collection(REPO, REPO / "never", 5, bogus=1, progress=False),
         TypeError, "ers does not take bogus"),
    ]
)


test_bad_input = bad_input_test(BAD_INPUTS)


# --------------------------------------------------------------------------- issue 19
# Never destroy an input; odd folder entries; shared storage.

def _digests(root):
    import hashlib

    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _two_pngs(root):
    root.mkdir(parents=True, exist_ok=True)
    Image.fromarray(_picture(20, 24, 0)).save(root / "a.png")
    Image.fromarray(_picture(20, 24, 1)).save(root / "b.png")
    return root


def test_batch_into_its_own_input_folder_is_refused_and_writes_nothing(tmp_path, capsys):
    # Was: every source PNG replaced by a 16-bit label map, exit 0.
    folder = _two_pngs(tmp_path / "in")
    before = _digests(folder)
    with pytest.raises(SystemExit) as info:
        main(["batch", str(folder), str(folder), "-n", "10", "--method", "ers", "--quiet"])
    assert info.value.code == 2
    assert "is the input folder" in capsys.readouterr().err
    assert _digests(folder) == before


def test_list_of_images_into_their_own_folder_is_refused(tmp_path):
    folder = _two_pngs(tmp_path / "in")
    before = _digests(folder)
    with pytest.raises(ValueError, match="a.png' is the input image .*would be overwritten"):
        segment_collection([folder / "a.png", folder / "b.png"], folder, 10, method="ers",
                           progress=False)
    assert _digests(folder) == before


def test_output_folder_above_the_input_that_maps_onto_an_image_is_refused(tmp_path):
    # in/x/x/a.jpg -> out/x/a.png, which is the image in/x/a.png when out = in.
    inner = tmp_path / "in" / "x"
    (inner / "x").mkdir(parents=True)
    Image.fromarray(_picture(20, 24, 0)).save(inner / "a.png")
    Image.fromarray(_picture(20, 24, 1)).save(inner / "x" / "a.jpg")
    before = _digests(inner)
    with pytest.raises(ValueError, match="is the input image"):
        segment_collection(inner, tmp_path / "in", 10, method="ers", progress=False)
    assert _digests(inner) == before


def test_output_that_is_an_input_through_a_link_is_refused(tmp_path):
    folder = _two_pngs(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(folder / "a.png", out / "a.png")    # out/a.png is the image in/a.png
    before = _digests(folder)
    with pytest.raises(ValueError, match="is the input image"):
        segment_collection(folder, out, 10, method="ers", progress=False)
    assert _digests(folder) == before


def test_image_and_its_overlay_name_cannot_write_the_same_file(tmp_path):
    # a.jpg's overlay and a.overlay.jpg's labels are both a.overlay.png: was one
    # file written twice, silently.
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_picture(20, 24, 0)).save(folder / "a.jpg")
    Image.fromarray(_picture(20, 24, 1)).save(folder / "a.overlay.jpg")
    with pytest.raises(ValueError, match="would write the same output file .*a.overlay.png"):
        segment_collection(folder, tmp_path / "out", 10, method="ers", overlay=True,
                           progress=False)
    assert not (tmp_path / "out").exists()


def test_inputs_differing_only_in_the_case_of_the_ending_map_to_one_output_and_are_refused(
        tmp_path):
    # a.PNG and a.png both write out/a.png, on any file system.
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_picture(20, 24, 0)).save(folder / "a.PNG", format="PNG")
    Image.fromarray(_picture(20, 24, 1)).save(folder / "a.png")
    with pytest.raises(ValueError, match="would write the same output file .*a.png"):
        segment_collection(folder, tmp_path / "out", 10, method="ers", progress=False)
    assert not (tmp_path / "out").exists()


def test_inputs_differing_only_in_case_are_refused_on_a_case_insensitive_output_folder(
        tmp_path, monkeypatch):
    # A.png and a.png are two files here, but out/A.png and out/a.png would be
    # one on a case-insensitive file system (macOS, Windows, some NAS shares):
    # the second image's labels would silently replace the first's.
    from sealseg.collection import layout

    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_picture(20, 24, 0)).save(folder / "A.png")
    Image.fromarray(_picture(20, 24, 1)).save(folder / "a.png")
    monkeypatch.setattr(layout, "_case_insensitive", lambda path: True)
    with pytest.raises(ValueError, match="would write the same output file"):
        segment_collection(folder, tmp_path / "out", 10, method="ers", progress=False)
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(layout, "_case_insensitive", lambda path: False)
    summary = segment_collection(folder, tmp_path / "out", 10, method="ers", progress=False)
    assert len(summary.done) == 2 and summary.failed == []


def test_odd_folder_entries_are_reported_and_the_run_goes_on(tmp_path):
    import socket

    # Was: a symlink loop aborted the batch with a traceback, a FIFO hung it.
    folder = _two_pngs(tmp_path / "in")
    os.symlink("loop.png", folder / "loop.png")
    os.symlink("missing.png", folder / "broken.png")
    os.mkfifo(folder / "fifo.png")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / "sock.png"))
    (folder / "dir.png").mkdir()   # a folder: scanned as one
    summary = segment_collection(folder, tmp_path / "out", 10, method="ers", progress=False)
    assert [Path(p).name for p in summary.done] == ["a.png", "b.png"]
    assert [(Path(p).name, reason) for p, reason in summary.failed] == [
        ("broken.png", "not read: a broken link"), ("fifo.png", "not read: a FIFO (named pipe)"),
        ("loop.png", "not read: a symlink loop"), ("sock.png", "not read: a socket")]
    assert [p.name for p in find_images(folder)] == ["a.png", "b.png"]


def test_listed_fifo_is_not_opened(tmp_path):
    folder = _two_pngs(tmp_path / "in")
    os.mkfifo(folder / "fifo.png")
    summary = segment_collection([folder / "fifo.png", folder / "a.png"], tmp_path / "out", 10,
                                 method="ers", progress=False)
    assert len(summary.done) == 1 and summary.failed[0][1] == "not read: a FIFO (named pipe)"


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_honour_the_umask(tmp_path, umask):
    # Were 0600 whatever the umask (temporary files of the atomic writer).
    folder = _two_pngs(tmp_path / "in")
    old = os.umask(umask)
    try:
        segment_collection(folder, tmp_path / "out", 10, method="ers", overlay=True,
                           progress=False)
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").iterdir()}
    # Two label files, two overlays and the run's record.
    assert len(modes) == 5 and set(modes.values()) == {0o666 & ~umask}


def test_unwritable_output_folder_fails_once_before_segmenting(tmp_path, monkeypatch, capsys):
    # Was: every image segmented three times (two retries) before each write failed.
    from sealseg.collection import layout

    from sealseg import segmentation

    folder = _two_pngs(tmp_path / "in")
    calls = []
    real_ers = segmentation.ers

    def counting_ers(image, *args, **kwargs):
        calls.append(np.shape(image))
        return real_ers(image, *args, **kwargs)

    monkeypatch.setattr(segmentation, "ers", counting_ers)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(layout.tempfile, "mkstemp", refuse)
    with pytest.raises(OSError, match="out_dir .* is not writable: Permission denied"):
        segment_collection(folder, tmp_path / "out", 10, method="ers", progress=False)
    with pytest.raises(SystemExit) as info:
        main(["batch", str(folder), str(tmp_path / "out2"), "-n", "10", "--method", "ers",
              "--quiet"])
    assert info.value.code == 2 and "is not writable" in capsys.readouterr().err
    # only the options check's 2 x 2 dummy call, no image segmented
    assert set(calls) <= {(2, 2)}


def test_flags_method_format_and_client_of_the_wrong_type_name_the_argument(tmp_path):
    folder = _two_pngs(tmp_path / "in")
    for kwargs, error, match in [({"overlay": "no"}, TypeError, "overlay must be True or False"),
                                 ({"overwrite": np.zeros(3)}, TypeError, "overwrite must be"),
                                 ({"progress": 1}, TypeError, "progress must be"),
                                 ({"client": "tcp://host:8786"}, TypeError, "client must be"),
                                 ({"format": ["npy"]}, ValueError, "format must be one of"),
                                 ({"method": np.array(["ers"])}, TypeError, "method must be"),
                                 ({"jobs": 2 ** 63}, ValueError, "jobs must be"),
                                 ({"max_pixels_per_tile": 2 ** 64, "method": "seal_ers"},
                                  ValueError, "max_pixels_per_tile must be")]:
        kwargs = {"method": "ers", "progress": False, **kwargs}
        with pytest.raises(error, match=match):
            segment_collection(folder, tmp_path / "out", 10, **kwargs)


def test_pool_workers_die_with_a_killed_parent(tmp_path):
    # Was: after SIGKILL of a --jobs 2 batch the workers went on for 10 s.
    import signal
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(12):
        Image.fromarray(_picture(300, 300, k)).save(folder / f"{k}.png")
    proc = subprocess.Popen([sys.executable, "-m", "sealseg", "batch", str(folder),
                             str(tmp_path / "out"), "-n", "500", "--method", "ers", "--jobs", "2",
                             "--quiet"], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    children = []
    deadline = time.time() + 60
    while time.time() < deadline and len(children) < 2:
        time.sleep(0.5)
        path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if not path.exists():
            pytest.fail("the batch process ended before its workers started")
        children = [int(pid) for pid in path.read_text().split()]
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    alive = children
    while alive and time.time() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists()
                 and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]]
    for pid in alive:     # never leave them running, whatever the test says
        os.kill(pid, signal.SIGKILL)
    assert len(children) >= 2 and alive == []


pytestmark_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
test_pool_workers_die_with_a_killed_parent = pytestmark_linux(
    test_pool_workers_die_with_a_killed_parent)


def test_paths_too_long_for_the_file_system_name_paths(tmp_path):
    # Was: OSError [Errno 36] from Path.is_dir(), found by tests/test_fuzz.py.
    with pytest.raises(ValueError, match="paths must be a folder or a list of image files; "
                                         "the path .5000 characters. cannot be looked up"):
        segment_collection("x" * 5000, tmp_path / "out", 5, method="ers", progress=False)


def test_empty_list_of_paths_reports_nothing_and_writes_nothing_wrong(tmp_path):
    summary = segment_collection([], tmp_path / "out", 5, method="ers", progress=False)
    assert summary.done == summary.skipped == summary.failed == []


# --------------------------------------------------------------------------- what a run may replace

def test_batch_never_replaces_a_file_it_did_not_write(tmp_path, capsys):
    # batch photos/2024 photos: the output of photos/2024/x.png is photos/x.png,
    # a picture that was there before.
    photos = tmp_path / "photos"
    (photos / "2024").mkdir(parents=True)
    Image.fromarray(_picture(20, 24, 0)).save(photos / "2024" / "x.png")
    Image.fromarray(_picture(20, 24, 1)).save(photos / "x.png")
    before = (photos / "x.png").read_bytes()
    assert _exit_code(["batch", str(photos / "2024"), str(photos), "-n", "5", "--method",
                       "ers", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "x.png' is not written by this command" in err and "--overwrite" in err
    assert (photos / "x.png").read_bytes() == before
    assert main(["batch", str(photos / "2024"), str(photos), "-n", "5", "--method", "ers",
                 "--quiet", "--overwrite"]) == 0
    assert read_labels(photos / "x.png").max() == 5


@pytest.mark.parametrize("change", ["method", "compactness", "image", "weights"])
def test_batch_resume_redoes_outputs_whose_inputs_or_settings_changed(folder, tmp_path, change):
    (folder / "broken.png").unlink()
    (folder / "c.tif").unlink()
    out = tmp_path / "out"
    options = {"method": "ers", "compactness": 5.0}
    if change == "weights":
        options = {"method": "seal_ers", "weights": str(_weights(tmp_path / "w.pt"))}
    first = segment_collection(folder, out, 6, progress=False, **options)
    assert len(first.done) == 2
    assert len(segment_collection(folder, out, 6, progress=False, **options).skipped) == 2
    if change == "method":
        options = {"method": "seal_ers"}
    elif change == "compactness":
        options["compactness"] = 20.0
    elif change == "weights":
        import torch

        payload = torch.load(options["weights"], weights_only=True)
        payload["state_dict"] = {k: v * 1.01 if v.is_floating_point() else v
                                 for k, v in payload["state_dict"].items()}
        torch.save(payload, options["weights"])
    else:
        Image.fromarray(_picture(30, 40, 5)).save(folder / "a.png")
    again = segment_collection(folder, out, 6, progress=False, **options)
    if change == "image":
        assert again.done == [str(folder / "a.png")] and len(again.skipped) == 1
    else:
        assert len(again.done) == 2 and not again.skipped


def test_batch_follows_links_to_folders_once(folder, tmp_path):
    (folder / "broken.png").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.fromarray(_picture(20, 24, 3)).save(elsewhere / "d.png")
    os.symlink(elsewhere, folder / "linked")
    os.symlink(folder, folder / "sub" / "loop")      # a link to a parent: no loop
    summary = segment_collection(folder, tmp_path / "out", 5, method="ers", progress=False)
    assert summary.failed == [] and len(summary.done) == 4
    assert "linked/d.png" in _outputs(tmp_path / "out")


def test_segment_collection_checks_sigma_against_the_images_not_a_2x2_stand_in(folder, tmp_path):
    (folder / "broken.png").unlink()
    summary = segment_collection(folder, tmp_path / "out", 5, method="ers", sigma=3,
                                 progress=False)
    assert len(summary.done) == 3 and summary.failed == []
    with pytest.raises(ValueError, match="sigma"):
        segment_collection(folder, tmp_path / "o2", 5, method="ers", sigma=-1, progress=False)


def test_batch_with_a_corrupt_weight_file_stops_up_front(folder, tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"PK\x03\x04 not a torch file")
    assert _exit_code(["batch", str(folder), str(tmp_path / "out"), "-n", "5", "--weights",
                       str(tmp_path / "bad.pt"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.pt" in err and len(err.strip().splitlines()) == 1
    assert not any((tmp_path / "out").rglob("*.png"))



def test_batch_records_the_defaults_so_a_changed_default_is_redone(folder, tmp_path):
    import json

    from sealseg.collection.records import RECORD_NAME

    (folder / "broken.png").unlink()
    (folder / "c.tif").unlink()
    out = tmp_path / "out"
    assert len(segment_collection(folder, out, 6, method="ers", progress=False).done) == 2
    lines = [json.loads(line) for line in (out / RECORD_NAME).read_text().splitlines()]
    done = [line for line in lines if line.get("state") == "done"]
    # relax was not given: the record holds ers's default all the same
    assert done and all(line["settings"]["options"]["relax"] == "0.35" for line in done)
    # the default given by hand is the same settings: skipped
    again = segment_collection(folder, out, 6, method="ers", relax=0.35, progress=False)
    assert len(again.skipped) == 2 and not again.done
    # a record made under another default (an older release): redone, not skipped
    text = (out / RECORD_NAME).read_text().replace('"relax": "0.35"', '"relax": "None"')
    (out / RECORD_NAME).write_text(text)
    redone = segment_collection(folder, out, 6, method="ers", progress=False)
    assert len(redone.done) == 2 and not redone.skipped
