"""Tests of the shared file input and output (sealseg._io): the atomic writer's
permissions, the image reader's bit depths and its refusal of files that are not
regular files."""
import os
import socket
import threading

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image

from sealseg import _io


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077, 0o000])
def test_atomic_write_gives_new_files_the_umask_permissions(tmp_path, umask):
    # Issue 19: files were created 0600 whatever the umask (mkstemp), so others
    # on shared storage could not read the results.
    old = os.umask(umask)
    try:
        _io.atomic_write(tmp_path / "a.bin", lambda handle: handle.write(b"x"))
        _io.atomic_write_text(tmp_path / "b.txt", "y")
    finally:
        os.umask(old)
    for name in ("a.bin", "b.txt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    path.chmod(0o640)
    _io.atomic_write(path, lambda handle: handle.write(b"new"))
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o640


def test_umask_is_read_without_changing_it(monkeypatch):
    old = os.umask(0o027)
    try:
        assert _io._umask() == 0o027
        # Without /proc the umask is read by setting and restoring it.
        monkeypatch.setattr("builtins.open", lambda *a, **k: (_ for _ in ()).throw(OSError()))
        assert _io._umask() == 0o027
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)


def test_not_a_regular_file_names_each_kind_without_opening(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    os.symlink("a.png", tmp_path / "link.png")
    os.symlink("loop.png", tmp_path / "loop.png")
    os.symlink("missing.png", tmp_path / "broken.png")
    os.mkfifo(tmp_path / "fifo.png")
    (tmp_path / "dir.png").mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock.png"))
        kinds = {name: _io.not_a_regular_file(tmp_path / name)
                 for name in ("a.png", "link.png", "loop.png", "broken.png", "fifo.png",
                              "dir.png", "sock.png", "missing.png")}
    assert kinds == {"a.png": None, "link.png": None, "loop.png": "a symlink loop",
                     "broken.png": "a broken link", "fifo.png": "a FIFO (named pipe)",
                     "dir.png": "a folder", "sock.png": "a socket", "missing.png": "missing"}
    assert _io.not_a_regular_file("a" * 5000) == "a path too long for the file system"


def test_read_image_refuses_a_fifo_instead_of_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo.png")
    done = []
    reader = threading.Thread(target=lambda: done.append(
        pytest.raises(ValueError, _io.read_image, tmp_path / "fifo.png")), daemon=True)
    reader.start()
    reader.join(10)
    assert done and "not a regular file but a FIFO" in str(done[0].value)
    with pytest.raises(FileNotFoundError):
        _io.read_image(tmp_path / "missing.png")


@pytest.mark.parametrize("array, mode", [
    (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16, None),
    ((np.arange(64 * 64).reshape(64, 64) * 100000).astype(np.int32), "I"),
    (np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64), "F"),
])
def test_high_bit_depth_grey_files_are_read_unclipped(tmp_path, array, mode):
    # Issue 19: 32-bit integer and float files were converted to 8-bit RGB.
    path = tmp_path / ("deep.png" if mode is None else "deep.tif")
    (Image.fromarray(array) if mode is None else Image.fromarray(array, mode=mode)).save(path)
    image = _io.read_image(path)
    assert image.dtype == array.dtype
    assert_array_equal(image, array)


def test_16_bit_rgb_files_are_read_unclipped(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    array = (np.random.default_rng(0).random((16, 12, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "rgb16.tif", array)
    assert_array_equal(_io.read_image(tmp_path / "rgb16.tif"), array)
    cv2 = pytest.importorskip("cv2")
    cv2.imwrite(str(tmp_path / "rgb16.png"), array[..., ::-1])
    image = _io.read_image(tmp_path / "rgb16.png")
    assert image.dtype == np.uint16
    assert_array_equal(image, array)
