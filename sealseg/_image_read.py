"""Decode one image file as what it holds: its bit depth, its layout, its real range.

The reader behind :func:`sealseg._io.read_image`.  The format is told by the
file's first bytes, never by its name (a 16-bit TIFF named ``.png`` is read
as a TIFF).  Each format goes to the decoder that keeps its samples:

- TIFF: ``tifffile`` (every sample format; planar files, grey + alpha,
  12-bit samples); PIL for the kinds tifffile does not read;
- PNG of 16-bit colour or 16-bit grey + alpha: OpenCV (PIL reads them at 8
  bits);
- binary PGM/PPM of more than 8 bits: read here (PIL reads 16-bit PPM at 8
  bits);
- everything else: PIL.

A file that holds several images (a multi-page TIFF, an animated GIF, PNG or
WebP) is refused with the count, as is one that declares more pixels than
PIL's decompression-bomb limit (checked on the header, before decoding).
numpy, PIL and (when present) tifffile and OpenCV; never torch.
"""
import re

import numpy as np

__all__ = ["decode_image", "ImageFileError"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
# PIL modes read as they are: 8-bit grey, RGB, 16-bit grey (both byte orders),
# 32-bit integer and 32-bit float grey.  Grey + alpha becomes grey; every other
# mode (palette, alpha, CMYK, YCbCr, bilevel ...) 8-bit RGB, as a viewer shows it.
_KEPT_MODES = ("L", "RGB", "I;16", "I;16B", "I;16L", "I", "F")
_GREY_ALPHA_MODES = ("LA", "La")


class ImageFileError(ValueError):
    """A file that is not an image this package reads, with the reason."""


def _kind(head):
    if head.startswith(_PNG_SIGNATURE):
        return "png"
    if head[:4] in _TIFF_MAGIC:
        return "tiff"
    if re.match(rb"P[56]\s", head[:3]):
        return "pnm"
    return None


def _pixel_limit():
    """PIL's decompression-bomb error threshold (twice ``MAX_IMAGE_PIXELS``), or None."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    return None if limit is None else 2 * int(limit)


def _check_pixels(path, height, width):
    limit = _pixel_limit()
    if limit is not None and height * width > limit:
        raise ImageFileError(
            f"{path} declares {width}x{height} pixels ({height * width}), more than the "
            f"{limit} an image may have here (a decompression bomb?); refused without "
            "decoding it (PIL.Image.MAX_IMAGE_PIXELS sets the limit)")


def decode_image(path):
    """The array a regular image file holds (see :func:`sealseg._io.read_image`).

    Raises
    ------
    ImageFileError
        A file that is not a readable image, with the reason (several
        frames, too many pixels, an undecodable file ...).
    OSError
        The file cannot be opened (permissions, I/O errors).
    """
    with open(path, "rb") as handle:
        head = handle.read(64)
    kind = _kind(head)
    if kind == "tiff":
        image = _read_tiff(path)
        if image is not None:
            return image
    elif kind == "png":
        image = _read_deep_png(path)
        if image is not None:
            return image
    elif kind == "pnm":
        image = _read_deep_pnm(path)
        if image is not None:
            return image
    return _read_with_pil(path)


# --------------------------------------------------------------------------- PIL

def _read_with_pil(path):
    from PIL import Image

    try:
        with Image.open(path) as opened:
            width, height = opened.size
            _check_pixels(path, height, width)
            frames = getattr(opened, "n_frames", 1)
            # An MPO (a camera JPEG) holds the picture and previews of it:
            # the first frame is the picture every viewer shows.
            if frames > 1 and opened.format != "MPO":
                raise ImageFileError(
                    f"{path} holds {frames} frames ({opened.format} "
                    f"{'animation' if opened.format in ('GIF', 'PNG', 'WEBP') else 'pages'}); "
                    "only single images are read: save the frame to segment as its own file")
            if opened.mode in _KEPT_MODES:
                image = np.asarray(opened)
            elif opened.mode in _GREY_ALPHA_MODES:
                image = np.asarray(opened.convert("L"))
            else:
                image = np.asarray(opened.convert("RGB"))
    except (ImageFileError, OSError):
        raise
    except Image.DecompressionBombError as exc:
        raise ImageFileError(f"{path}: {exc}") from None
    except Exception as exc:    # PIL raises many types for broken files
        raise ImageFileError(f"cannot decode {path} ({type(exc).__name__}: {exc})") from None
    if image.dtype.byteorder == ">":
        image = image.astype(image.dtype.newbyteorder("="))
    return image


# --------------------------------------------------------------------------- PNG

def _png_header(path):
    """(width, height, bit depth, colour type, sBIT values or None) of a PNG."""
    import struct

    with open(path, "rb") as handle:
        handle.seek(8)      # the signature
        significant = None
        header = None
        while True:
            chunk_head = handle.read(8)
            if len(chunk_head) < 8:
                break
            length, name = struct.unpack(">I4s", chunk_head)
            if name == b"IHDR":
                body = handle.read(13)
                if len(body) < 13:
                    break
                header = struct.unpack(">IIBB", body[:10])
                handle.seek(length - 13 + 4, 1)
            elif name == b"sBIT" and length <= 4:
                significant = tuple(handle.read(length))
                handle.seek(4, 1)
            elif name in (b"IDAT", b"IEND"):
                break
            else:
                handle.seek(length + 4, 1)
    return header, significant


def _read_deep_png(path):
    """16-bit PNGs that PIL would read at 8 bits (colour, grey + alpha) through OpenCV.

    Also the 16-bit grey PNGs whose sBIT chunk says fewer bits and whose
    samples are not scaled to 16 bits (``sBIT`` 12 and values up to 4095):
    scaled by their real range.  Returns None for the PNGs PIL reads whole.
    """
    header, significant = _png_header(path)
    if header is None:
        return None
    width, height, depth, colour = header
    _check_pixels(path, height, width)
    if depth != 16:
        return None
    if colour in (2, 4, 6):
        try:
            import cv2
        except ImportError:
            raise ImageFileError(f"{path} is a 16-bit colour or grey+alpha PNG, which PIL reads "
                                 "at 8 bits only; pip install opencv-python-headless to read "
                                 "it at 16 bits, or save it as TIFF") from None
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise ImageFileError(f"cannot decode {path}: OpenCV could not read it")
        if colour == 4:
            image = image[..., 0] if image.ndim == 3 else image   # grey; alpha dropped
        else:
            image = image[..., 2::-1]     # BGR(A) -> RGB; alpha dropped
        image = np.ascontiguousarray(image)
    elif colour == 0 and significant:
        image = _read_with_pil(path)
    else:
        return None
    if significant:
        image = _scale_to_full_range(
            image, significant[0] if colour in (0, 4) else max(significant[:3]))
    return image


def _scale_to_full_range(image, bits):
    """Unsigned samples of ``bits`` bits (not scaled by the writer) onto the dtype's range."""
    if not np.issubdtype(image.dtype, np.unsignedinteger) or not 0 < bits < 8 * \
            image.dtype.itemsize:
        return image
    white = (1 << bits) - 1
    if int(image.max(initial=0)) > white:    # already scaled, as the PNG spec asks
        return image
    full = np.iinfo(image.dtype).max
    return ((image.astype(np.uint64) * full + white // 2) // white).astype(image.dtype)


# --------------------------------------------------------------------------- PNM

def _read_deep_pnm(path):
    """Binary PGM (P5) / PPM (P6) with maxval > 255 as uint16 scaled to 0-65535; else None."""
    with open(path, "rb") as handle:
        data = handle.read()
    fields, position = [], 2
    while len(fields) < 3:
        match = re.compile(rb"(?:\s+|#[^\n]*\n?)*([0-9]+)").match(data, position)
        if match is None:
            raise ImageFileError(f"cannot decode {path}: broken PGM/PPM header")
        fields.append(int(match.group(1)))
        position = match.end()
    width, height, maxval = fields
    if maxval <= 255:
        return None
    if not 0 < maxval < 65536 or width < 1 or height < 1:
        raise ImageFileError(f"cannot decode {path}: PGM/PPM header has width {width}, height "
                             f"{height}, maxval {maxval}")
    _check_pixels(path, height, width)
    channels = 3 if data[:2] == b"P6" else 1
    count = width * height * channels
    body = data[position + 1:position + 1 + 2 * count]
    if len(body) < 2 * count:
        raise ImageFileError(f"cannot decode {path}: truncated ({len(body)} of {2 * count} "
                             "bytes of samples)")
    image = np.frombuffer(body, ">u2").astype(np.uint16).reshape(
        (height, width, channels) if channels == 3 else (height, width))
    if int(image.max(initial=0)) > maxval:
        raise ImageFileError(f"cannot decode {path}: samples above its maxval {maxval}")
    if maxval != 65535:    # maxval is white (as PIL reads 16-bit PGM)
        image = ((image.astype(np.uint64) * 65535 + maxval // 2) // maxval).astype(np.uint16)
    return image


# --------------------------------------------------------------------------- TIFF

def _read_tiff(path):
    """A grey or RGB TIFF through tifffile, in its own dtype; None for the kinds PIL converts."""
    try:
        import tifffile
    except ImportError:  # pragma: no cover - scikit-image depends on tifffile
        return None
    try:
        tif = tifffile.TiffFile(path)
    except Exception:    # not a TIFF tifffile can parse: PIL's turn (and its error)
        return None
    with tif:
        try:
            pages = [page for page in tif.pages if not (getattr(page, "subfiletype", 0) & 1)]
        except Exception:
            return None
        if len(pages) > 1:
            raise ImageFileError(f"{path} holds {len(pages)} images (a multi-page TIFF); only "
                                 "single images are read: save the page to segment as its "
                                 "own file")
        if not pages:
            return None
        page = pages[0]
        photometric = tifffile.PHOTOMETRIC
        if page.photometric not in (photometric.MINISBLACK, photometric.RGB):
            return None     # palette, CMYK, YCbCr ...: PIL converts them to RGB
        if getattr(page, "imagedepth", 1) > 1:
            raise ImageFileError(f"{path} holds a volume ({page.imagedepth} slices); only 2-D "
                                 "images are read")
        _check_pixels(path, page.imagelength, page.imagewidth)
        try:
            image = np.asarray(page.asarray())
        except Exception:   # a compression tifffile cannot decode here: PIL's turn
            return None
        samples = page.samplesperpixel
        extras = len(getattr(page, "extrasamples", ()) or ())
        bits = page.bitspersample
    if samples > 1:
        if image.ndim == 3 and image.shape[0] == samples and image.shape[-1] != samples:
            image = np.moveaxis(image, 0, -1)       # planar (separate) samples
        if image.ndim != 3 or image.shape[-1] != samples:
            raise ImageFileError(f"{path}: TIFF page of shape {image.shape} with {samples} "
                                 "samples per pixel is not a grey or RGB image")
        colours = samples - extras
        if page.photometric == photometric.MINISBLACK and colours == 1:
            image = image[..., 0]       # grey; alpha (or other extra samples) dropped
        elif page.photometric == photometric.RGB and colours == 3:
            image = image[..., :3]      # RGB; alpha dropped, as PIL's RGB conversion does
        else:
            raise ImageFileError(f"{path} is a TIFF of {samples} samples per pixel ({extras} "
                                 "marked extra), neither grey nor RGB (with alpha); not read")
    elif image.ndim != 2:
        raise ImageFileError(f"{path}: TIFF page of shape {image.shape} is not a 2-D image")
    if image.dtype.byteorder == ">":
        image = image.astype(image.dtype.newbyteorder("="))
    image = _scale_to_full_range(np.ascontiguousarray(image), bits) if isinstance(bits, int) \
        and bits not in (8, 16, 32, 64) else image
    return np.ascontiguousarray(image)
