"""Image files are read as what they hold, or refused with the reason (sealseg._image_read)."""
import struct
import zlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image

from sealseg import _io

RNG = np.random.default_rng(0)
RGB16 = (RNG.random((6, 7, 3)) * 65535).astype(np.uint16)


def write_png(path, array, colour, depth, extra_chunks=()):
    """A PNG written by hand (PIL cannot write 16-bit grey + alpha)."""
    height, width = array.shape[:2]
    sample = ">u2" if depth == 16 else "u1"
    raw = b"".join(b"\0" + array[row].astype(sample).tobytes() for row in range(height))

    def chunk(name, data):
        return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))
                     + b"".join(chunk(name, data) for name, data in extra_chunks)
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_planar_rgb_tiff_is_read_as_height_width_3(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(tmp_path / "planar.tif", np.moveaxis(RGB16, -1, 0),
                     planarconfig="separate", photometric="rgb")
    assert_array_equal(_io.read_image(tmp_path / "planar.tif"), RGB16)


def test_grey_alpha_tiff_is_read_as_grey_not_alpha_as_colour(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(tmp_path / "ga.tif", RGB16[..., :2], photometric="minisblack",
                     extrasamples=["unassalpha"])
    assert_array_equal(_io.read_image(tmp_path / "ga.tif"), RGB16[..., 0])


def test_multi_page_tiff_is_refused_with_its_page_count(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(tmp_path / "pages.tif", RGB16[..., 0])
    tifffile.imwrite(tmp_path / "pages.tif", RGB16[..., 1], append=True)
    with pytest.raises(ValueError, match="holds 2 images"):
        _io.read_image(tmp_path / "pages.tif")


def test_animated_gif_is_refused_with_its_frame_count(tmp_path):
    frames = [Image.fromarray(np.full((4, 5), 60 * k, np.uint8)) for k in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match="holds 3 frames"):
        _io.read_image(tmp_path / "anim.gif")


def test_16_bit_grey_alpha_png_keeps_16_bits_and_drops_alpha(tmp_path):
    pytest.importorskip("cv2")
    write_png(tmp_path / "la16.png", RGB16[..., :2], colour=4, depth=16)
    image = _io.read_image(tmp_path / "la16.png")
    assert image.dtype == np.uint16
    assert_array_equal(image, RGB16[..., 0])


def test_8_bit_grey_alpha_png_is_grey(tmp_path):
    grey_alpha = (RGB16[..., :2] // 257).astype(np.uint8)
    Image.fromarray(grey_alpha, mode="LA").save(tmp_path / "la8.png")
    assert_array_equal(_io.read_image(tmp_path / "la8.png"), grey_alpha[..., 0])


@pytest.mark.parametrize("magic, channels", [(b"P6", 3), (b"P5", 1)])
def test_16_bit_ppm_and_pgm_keep_16_bits(tmp_path, magic, channels):
    array = RGB16 if channels == 3 else RGB16[..., 0]
    path = tmp_path / "deep.pnm"
    path.write_bytes(magic + b"\n# comment\n7 6\n65535\n" + array.astype(">u2").tobytes())
    image = _io.read_image(path)
    assert image.dtype == np.uint16
    assert_array_equal(image, array)


def test_12_bit_pgm_is_scaled_by_its_maxval(tmp_path):
    array = np.array([[0, 4095, 2048]], np.uint16)
    (tmp_path / "deep.pgm").write_bytes(b"P5 3 1 4095\n" + array.astype(">u2").tobytes())
    assert_array_equal(_io.read_image(tmp_path / "deep.pgm"), [[0, 65535, 32776]])


def test_16_bit_png_with_12_significant_bits_is_scaled_by_its_real_range(tmp_path):
    array = np.array([[0, 4095, 1000]], np.uint16)
    write_png(tmp_path / "sbit.png", array, colour=0, depth=16, extra_chunks=[(b"sBIT", b"\x0c")])
    assert_array_equal(_io.read_image(tmp_path / "sbit.png"), [[0, 65535, 16004]])


def test_16_bit_files_with_a_lying_extension_are_read_by_their_content(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(tmp_path / "tiff.png", RGB16)
    assert_array_equal(_io.read_image(tmp_path / "tiff.png"), RGB16)
    (tmp_path / "ppm.jpg").write_bytes(b"P6 7 6 65535\n" + RGB16.astype(">u2").tobytes())
    assert_array_equal(_io.read_image(tmp_path / "ppm.jpg"), RGB16)


def test_decompression_bomb_png_is_refused_from_its_header(tmp_path):
    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    (tmp_path / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr)
    with pytest.raises(ValueError, match="decompression bomb"):
        _io.read_image(tmp_path / "bomb.png")


def test_undecodable_file_is_a_value_error_naming_it(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises((ValueError, OSError), match="junk.png"):
        _io.read_image(tmp_path / "junk.png")
