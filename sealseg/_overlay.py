"""The boundary overlay that ``segment`` and ``batch --overlay`` write.

A library module (``collection`` draws overlays for ``segment_collection``),
so it lives apart from the command line.
"""
from pathlib import Path

__all__ = ["OVERLAY_COLOUR", "OVERLAY_EXTENSIONS", "overlay", "write_overlay"]

#: Colour of the superpixel boundaries in overlays (yellow).
OVERLAY_COLOUR = (1, 1, 0)
#: File name endings an overlay may be written as (the format follows the ending).
OVERLAY_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


def overlay(image, labels):
    """The superpixel boundaries in yellow over ``image``, as 8-bit RGB.

    8-bit images and float images within [0, 1] are shown as they are; any
    other image (16-bit, 12-bit data in 16 bits, floats outside [0, 1],
    negative values) is stretched from its smallest to its largest finite
    value: scaled by the range of its data, not of its dtype, which would
    show it black or white.
    """
    import numpy as np
    from skimage import segmentation, util

    drawn = segmentation.mark_boundaries(_display_range(image), labels, color=OVERLAY_COLOUR)
    return util.img_as_ubyte(np.clip(drawn, 0, 1))


def _display_range(image):
    """``image`` as floats in [0, 1] for display (see :func:`overlay`)."""
    import numpy as np

    image = np.asarray(image)
    if image.dtype == np.uint8 or image.dtype == np.bool_:
        return image.astype(np.float64) / (255.0 if image.dtype == np.uint8 else 1.0)
    data = image.astype(np.float64)
    finite = np.isfinite(data)
    if not finite.any():
        return np.zeros(data.shape)
    low, high = float(data[finite].min()), float(data[finite].max())
    if image.dtype.kind == "f" and low >= 0 and high <= 1:
        return np.where(finite, data, 0.0)
    if high <= low:
        return np.full(data.shape, 0.5)
    return np.where(finite, (data - low) / (high - low), 0.0)


def write_overlay(path, image, labels):
    """Write :func:`overlay` atomically; the format follows the file name ending.

    Raises
    ------
    ValueError
        If the file name ending is not one of :data:`OVERLAY_EXTENSIONS`.
    """
    from PIL import Image

    from ._io import atomic_write

    path = Path(path)
    extension = path.suffix.lower()
    image_format = Image.registered_extensions().get(extension)
    if extension not in OVERLAY_EXTENSIONS or image_format not in Image.SAVE:
        raise ValueError(f"unknown image file extension {extension or path.name!r}; "
                         f"use {', '.join(OVERLAY_EXTENSIONS)}")
    picture = Image.fromarray(overlay(image, labels))
    atomic_write(path, lambda handle: picture.save(handle, format=image_format))
