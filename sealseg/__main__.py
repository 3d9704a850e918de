"""Command line: ``python -m sealseg segment|evaluate|train|batch ...``.

Every command answers bad input with a one-line message and exit code 2.
"""
import argparse
import sys
from pathlib import Path

EXAMPLES = ("astronaut", "coffee", "chelsea", "rocket", "coins", "camera", "immunohistochemistry")
METHODS = ("ers", "seal_ers")


class CommandError(Exception):
    """A user error: printed as one line, exit code 2."""


def _load_image(args):
    import numpy as np
    if args.example is not None:
        from skimage import data
        return getattr(data, args.example)()
    path = Path(args.path)
    if not path.is_file():
        raise CommandError(f"no such image file: {path}")
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as opened:
            # Palette, alpha and CMYK images become RGB; grey (8/16-bit) and RGB stay.
            keep = opened.mode in ("L", "RGB", "I;16")
            image = np.asarray(opened if keep else opened.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CommandError(f"cannot read {path} as an image: {exc}".splitlines()[0]) from None
    return image


def _segment(args):
    import numpy as np
    from skimage import io, segmentation, util

    import sealseg

    # Output folders are checked before the (possibly long) segmentation.
    out = Path(args.output)
    for target in [out] + ([Path(args.labels)] if args.labels is not None else []):
        if not target.parent.is_dir():
            raise CommandError(f"output folder does not exist: {target.parent}")
    image = _load_image(args)
    channel_axis = -1 if image.ndim == 3 else None
    segmenter = getattr(sealseg, args.method)
    try:
        labels = segmenter(image, args.n_segments, channel_axis=channel_axis)
    except (ValueError, TypeError, OSError) as exc:   # OSError: a missing weight file
        raise CommandError(str(exc).splitlines()[0]) from None
    overlay = segmentation.mark_boundaries(util.img_as_float(image), labels, color=(1, 1, 0))
    try:
        io.imsave(out, util.img_as_ubyte(np.clip(overlay, 0, 1)), check_contrast=False)
        if args.labels is not None:
            np.save(args.labels, labels)
    except (OSError, ValueError) as exc:   # unwritable path, unknown image extension
        raise CommandError(f"cannot write the output: {exc}".splitlines()[0]) from None
    print(f"{args.method}: {labels.max() - labels.min() + 1} superpixels on a "
          f"{image.shape[1]}x{image.shape[0]} image -> {out}"
          + (f", labels -> {args.labels}" if args.labels else ""))


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m sealseg",
        description="Learned superpixels (SEAL-ERS) and Entropy Rate Superpixels.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    seg = commands.add_parser(
        "segment", help="segment one image and write a PNG of the superpixel boundaries",
        description="Segment one image into superpixels and write a PNG with the "
                    "superpixel boundaries drawn in yellow over the image.")
    source = seg.add_mutually_exclusive_group(required=True)
    source.add_argument("path", nargs="?", help="image file to segment (PNG, JPEG, TIFF, ...)")
    source.add_argument("--example", choices=EXAMPLES,
                        help="use an image that ships with scikit-image instead of a file")
    seg.add_argument("-n", "--n-segments", type=_positive_int, default=600,
                     help="number of superpixels (default: 600)")
    seg.add_argument("-o", "--output", required=True, help="PNG file to write the overlay to")
    seg.add_argument("--labels", metavar="OUT.npy",
                     help="also save the label array (int64, H x W) as .npy")
    seg.add_argument("--method", choices=METHODS, default="seal_ers",
                     help="seal_ers: learned affinities (default); ers: colour affinities")
    seg.set_defaults(run=_segment)

    from .evaluation import add_evaluate_parser
    add_evaluate_parser(commands)

    from .pan.train import add_train_parser
    add_train_parser(commands)

    from .collection import add_batch_parser
    add_batch_parser(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # A command may return a non-zero code (batch: 1 when some images failed).
        status = args.run(args)
    except CommandError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
