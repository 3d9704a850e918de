import numpy as np
import pytest
from skimage import io

from sealseg.__main__ import main


def test_segment_example_writes_png_and_labels(tmp_path, capsys):
    out = tmp_path / "overlay.png"
    labels_path = tmp_path / "labels.npy"
    assert main(["segment", "--example", "coins", "-n", "50", "-o", str(out),
                 "--labels", str(labels_path), "--method", "ers"]) == 0
    overlay = io.imread(out)
    labels = np.load(labels_path)
    assert overlay.shape[:2] == labels.shape
    assert np.unique(labels).size == 50
    assert "50 superpixels" in capsys.readouterr().out


def test_segment_and_batch_write_label_files_of_one_dtype(tmp_path):
    # int64, as the functions return labels (batch wrote int32, segment int64).
    image = (np.random.default_rng(0).random((24, 30, 3)) * 255).astype(np.uint8)
    (tmp_path / "in").mkdir()
    io.imsave(tmp_path / "in" / "a.png", image, check_contrast=False)
    assert main(["segment", str(tmp_path / "in" / "a.png"), "-n", "12", "--method", "ers",
                 "-o", str(tmp_path / "o.png"), "--labels", str(tmp_path / "a.npy")]) == 0
    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "-n", "12",
                 "--method", "ers", "--format", "npy", "--quiet"]) == 0
    from_segment = np.load(tmp_path / "a.npy")
    from_batch = np.load(tmp_path / "out" / "a.npy")
    assert from_segment.dtype == from_batch.dtype == np.int64
    np.testing.assert_array_equal(from_segment, from_batch)


def test_segment_file(tmp_path):
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, 15:] = 255
    path = tmp_path / "two.png"
    io.imsave(path, image, check_contrast=False)
    labels_path = tmp_path / "l.npy"
    assert main(["segment", str(path), "-n", "2", "-o", str(tmp_path / "o.png"),
                 "--labels", str(labels_path), "--method", "ers"]) == 0
    labels = np.load(labels_path)
    assert np.all(labels[:, :15] == 1) and np.all(labels[:, 15:] == 2)


@pytest.mark.parametrize("make_input, message", [
    (lambda tmp: str(tmp / "missing.png"), "no such image file"),
    (lambda tmp: (tmp / "bad.png").write_bytes(b"not an image") and str(tmp / "bad.png"),
     "cannot read"),
])
def test_segment_bad_file_is_one_line_exit_2(tmp_path, capsys, make_input, message):
    path = make_input(tmp_path)
    assert main(["segment", path, "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_segment_too_many_segments_is_exit_2(tmp_path, capsys):
    image = np.zeros((4, 4), np.uint8)
    path = tmp_path / "tiny.png"
    io.imsave(path, image, check_contrast=False)
    assert main(["segment", str(path), "-n", "17", "-o", str(tmp_path / "o.png"),
                 "--method", "ers"]) == 2
    assert "n_segments" in capsys.readouterr().err


def test_segment_bad_n_is_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["segment", "--example", "coins", "-n", "0", "-o", str(tmp_path / "o.png")])
    assert exc.value.code == 2


def test_segment_compactness_gives_the_api_labels(tmp_path):
    # Issue 17: the command line takes slic's regularity control too.
    from skimage import data

    from sealseg import ers

    labels_path = tmp_path / "l.npy"
    assert main(["segment", "--example", "coffee", "-n", "80", "--compactness", "30",
                 "-o", str(tmp_path / "o.png"), "--labels", str(labels_path),
                 "--method", "ers"]) == 0
    labels = np.load(labels_path)
    np.testing.assert_array_equal(labels, ers(data.coffee(), 80, compactness=30))
    assert not np.array_equal(labels, ers(data.coffee(), 80))


@pytest.mark.parametrize("method", ["ers", "seal_ers"])
def test_segment_relax_gives_the_api_labels(tmp_path, method):
    # --relax COST and --relax none reach the segmenter; without it, the
    # method's own default applies (not one the command line chose).
    from skimage import data

    from sealseg import ers, seal_ers

    image = data.coffee()[::4, ::4]
    source = tmp_path / "coffee.png"
    io.imsave(source, image, check_contrast=False)
    function = ers if method == "ers" else seal_ers

    def segment(name, *relax):
        labels = tmp_path / f"{name}.npy"
        assert main(["segment", str(source), "-n", "60", "-o", str(tmp_path / f"{name}.png"),
                     "--labels", str(labels), "--method", method, "--quiet", *relax]) == 0
        return np.load(labels)

    default, plain = segment("default"), segment("plain", "--relax", "none")
    heavy = segment("heavy", "--relax", "2")
    np.testing.assert_array_equal(default, function(image, 60))
    np.testing.assert_array_equal(plain, function(image, 60, relax=None))
    np.testing.assert_array_equal(heavy, function(image, 60, relax=2.0))
    assert not np.array_equal(plain, default) and not np.array_equal(heavy, default)
    np.testing.assert_array_equal(segment("upper", "--relax", "NONE"), plain)


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "-inf", "ten", "", "None0"])
def test_segment_bad_relax_is_usage_error(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exc:
        # --relax=VALUE: "--relax -inf" would read -inf as an option (usage error too).
        main(["segment", "--example", "coins", f"--relax={value}", "-o",
              str(tmp_path / "o.png"), "--method", "ers"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m sealseg segment: error: argument --relax: ")
    assert "'none'" in err[-1]
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "ten"])
def test_segment_bad_compactness_is_usage_error(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(["segment", "--example", "coins", "--compactness", value, "-o",
              str(tmp_path / "o.png"), "--method", "ers"])
    assert exc.value.code == 2
    assert "--compactness" in capsys.readouterr().err


def _tiny_png(path):
    io.imsave(path, np.tile(np.arange(0, 240, 20, dtype=np.uint8), (8, 1)), check_contrast=False)
    return str(path)


def test_segment_refuses_to_replace_an_existing_output_without_overwrite(tmp_path, capsys):
    source = _tiny_png(tmp_path / "in.png")
    (tmp_path / "out.png").write_bytes(b"someone's picture")
    (tmp_path / "l.npy").write_bytes(b"someone's array")
    for option, target in (("-o", "out.png"), ("--labels", "l.npy")):
        argv = ["segment", source, "-n", "4", "--method", "ers", "-o", str(tmp_path / "o.png"),
                option, str(tmp_path / target)]
        assert main(argv) == 2
        assert "exists; pass --overwrite" in capsys.readouterr().err
    assert (tmp_path / "out.png").read_bytes() == b"someone's picture"
    assert (tmp_path / "l.npy").read_bytes() == b"someone's array"
    assert main(["segment", source, "-n", "4", "--method", "ers", "--overwrite",
                 "-o", str(tmp_path / "out.png"), "--labels", str(tmp_path / "l.npy")]) == 0
    assert np.load(tmp_path / "l.npy").shape == (8, 12)


def test_segment_decompression_bomb_is_one_line_exit_2(tmp_path, capsys):
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    (tmp_path / "bomb.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header
        + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + b"\0" * 400)
    assert main(["segment", str(tmp_path / "bomb.png"), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "decompression bomb" in err and len(err.strip().splitlines()) == 1


def test_segment_names_a_missing_path_with_a_newline_by_its_repr(tmp_path, capsys):
    missing = str(tmp_path / "a\nb.png")
    assert main(["segment", missing, "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert repr(missing) in err and len(err.strip().splitlines()) == 1


def test_segment_output_name_the_terminal_cannot_encode_is_escaped_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    source = _tiny_png(tmp_path / "in.png")
    out = tmp_path / "überbild.png"
    done = subprocess.run([sys.executable, "-m", "sealseg", "segment", source, "-n", "4",
                           "--method", "ers", "-o", str(out)], capture_output=True,
                          env=dict(os.environ, PYTHONIOENCODING="ascii"), timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-300:]
    assert b"\\xfcberbild.png" in done.stdout and out.exists()
