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
    """The superpixel boundaries in yellow over ``image``, as 8-bit RGB."""
    import numpy as np
    from skimage import segmentation, util

    drawn = segmentation.mark_boundaries(util.img_as_float(image), labels,
                                         color=OVERLAY_COLOUR)
    return util.img_as_ubyte(np.clip(drawn, 0, 1))


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
