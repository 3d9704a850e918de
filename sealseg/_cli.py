"""What the commands of ``python -m sealseg`` share.

The positive-integer argument type, :class:`CommandError` and the
one-line-error-and-exit-2 path, the image reader of the command line (a file
or a scikit-image example) and the boundary overlay.  The command modules
(``__main__``, ``evaluation.cli``, ``collection.cli``, ``pan.train``) import
this module; it imports none of them.
"""
import argparse
import sys
from pathlib import Path

__all__ = ["PROG", "EXAMPLES", "CommandError", "positive_int", "first_line", "fail",
           "read_image_argument", "overlay", "write_overlay"]

PROG = "python -m sealseg"
#: Images of ``skimage.data`` that ``segment --example`` takes.
EXAMPLES = ("astronaut", "coffee", "chelsea", "rocket", "coins", "camera", "immunohistochemistry")
#: Colour of the superpixel boundaries in overlays (yellow).
OVERLAY_COLOUR = (1, 1, 0)


class CommandError(Exception):
    """A user error: printed as one line, exit code 2."""


def positive_int(text):
    """argparse type: a positive integer, else argparse's usage error (exit code 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def first_line(error):
    """The first line of an exception's (or a message's) text; the type name if empty."""
    text = str(error)
    if not text:
        return type(error).__name__ if isinstance(error, BaseException) else ""
    return text.splitlines()[0]


def fail(command, error):
    """Print ``python -m sealseg COMMAND: error: MESSAGE`` on stderr and exit with code 2."""
    print(f"{PROG} {command}: error: {first_line(error)}", file=sys.stderr)
    raise SystemExit(2)


def read_image_argument(path=None, example=None):
    """The image of a command: a file (read by ``_io.read_image``) or an example's name.

    Raises
    ------
    CommandError
        If the file is missing or not an image.
    """
    if example is not None:
        from skimage import data

        return getattr(data, example)()
    from ._io import read_image

    path = Path(path)
    if not path.is_file():
        raise CommandError(f"no such image file: {path}")
    try:
        return read_image(path)
    except (OSError, ValueError, SyntaxError) as exc:   # PIL raises all three
        raise CommandError(f"cannot read {path} as an image: {first_line(exc)}") from None


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
        If the file name ending is not an image format PIL writes.
    """
    from PIL import Image

    from ._io import atomic_write

    path = Path(path)
    extension = path.suffix.lower()
    image_format = Image.registered_extensions().get(extension)
    if image_format is None or image_format not in Image.SAVE:
        raise ValueError(f"unknown image file extension {extension or path.name!r}; "
                         "use .png, .jpg, .tif, ...")
    picture = Image.fromarray(overlay(image, labels))
    atomic_write(path, lambda handle: picture.save(handle, format=image_format))
