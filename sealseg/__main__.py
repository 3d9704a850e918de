"""Command line: ``python -m sealseg segment|evaluate|train|batch ...``.

Every command answers bad input with a one-line message and exit code 2,
and Ctrl-C with one line and how to go on, exit code 130 (``sealseg._cli``).
Nothing imports this module.
"""
import argparse
import logging
import os
import sys

from ._cli import (COMPACTNESS_HELP, DEVICE_HELP, EXAMPLES, PROG, QUIET_HELP, RELAX_HELP,
                   CommandError, compactness_value, first_line, interrupted, positive_int,
                   progress_on_stderr, relax_value, say)
from ._overlay import OVERLAY_EXTENSIONS


def _segment(args):
    from ._cli import check_output_file, labels_file, read_image_argument, say, shown
    from ._io import write_labels
    from ._overlay import write_overlay
    from .methods import segmenter

    # Outputs are checked before the (possibly long) segmentation: name,
    # ending, folder, and that none is the input or the other output.
    inputs = [args.path] if args.path is not None else []
    out = check_output_file(args.output, "-o", extensions=OVERLAY_EXTENSIONS, inputs=inputs,
                            overwrite=args.overwrite)
    labels_out = None
    if args.labels is not None:
        # Never -o itself: that one has an image ending, this one .npy.
        labels_out = check_output_file(labels_file(args.labels), "--labels",
                                       extensions=(".npy",), inputs=inputs,
                                       overwrite=args.overwrite)
    if args.device is not None and args.method != "seal_ers":
        raise CommandError("--device applies to --method seal_ers only")
    options = {} if args.device is None else {"device": args.device}
    if hasattr(args, "relax"):    # absent unless given: the method's own default applies
        options["relax"] = args.relax
    with progress_on_stderr("segment", enabled=not args.quiet):
        image = read_image_argument(args.path, args.example)
        channel_axis = -1 if image.ndim == 3 else None
        try:
            labels = segmenter(args.method)(image, args.n_segments,
                                            compactness=args.compactness,
                                            channel_axis=channel_axis, **options)
        except (ValueError, TypeError, OSError) as exc:   # OSError: a missing weight file
            raise CommandError(first_line(exc)) from None
        try:
            logging.getLogger("sealseg").info("writing %s", shown(out, limit=10 ** 6))
            write_overlay(out, image, labels)
            if labels_out is not None:
                write_labels(labels_out, labels, format="npy")
        except (OSError, ValueError) as exc:   # unwritable path, full disk
            raise CommandError(f"cannot write the output: {first_line(exc)}") from None
    say(f"{args.method}: {labels.max() - labels.min() + 1} superpixels on a "
        f"{image.shape[1]}x{image.shape[0]} image -> {shown(out, limit=10 ** 6)}"
        + (f", labels -> {shown(labels_out, limit=10 ** 6)}" if labels_out is not None else ""))


def _add_segment_parser(commands):
    from .methods import segmenter_names

    seg = commands.add_parser(
        "segment", help="segment one image and write a PNG of the superpixel boundaries",
        description="Segment one image into superpixels and write a PNG with the "
                    "superpixel boundaries drawn in yellow over the image.")
    source = seg.add_mutually_exclusive_group(required=True)
    source.add_argument("path", nargs="?", help="image file to segment (PNG, JPEG, TIFF, ...)")
    source.add_argument("--example", choices=EXAMPLES,
                        help="use an image that ships with scikit-image instead of a file")
    seg.add_argument("-n", "--n-segments", type=positive_int, default=600,
                     help="number of superpixels (default: 600)")
    seg.add_argument("-o", "--output", required=True,
                     help="image file to write the overlay to; the format follows its ending "
                          f"({', '.join(OVERLAY_EXTENSIONS)})")
    seg.add_argument("--labels", metavar="OUT.npy",
                     help="also save the label array (int64, H x W) as .npy (the ending "
                          ".npy is added when missing; the path written is printed)")
    seg.add_argument("--method", choices=segmenter_names(), default="seal_ers",
                     help="seal_ers: learned affinities (default); ers: colour affinities")
    seg.add_argument("--compactness", type=compactness_value, default=0.0,
                     help=COMPACTNESS_HELP)
    seg.add_argument("--relax", type=relax_value, default=argparse.SUPPRESS, metavar="COST",
                     help=RELAX_HELP)
    seg.add_argument("--device", help=DEVICE_HELP)
    seg.add_argument("--quiet", action="store_true",
                     help=QUIET_HELP + " (the steps of a long segmentation, with seconds)")
    seg.add_argument("--overwrite", action="store_true",
                     help="replace the -o and --labels files when they exist (without it, an "
                          "existing file is refused: nothing is replaced unasked)")
    seg.set_defaults(run=_segment)


def build_parser():
    from .collection.cli import add_batch_parser
    from .evaluation.cli import add_evaluate_parser
    from .training.cli import add_train_parser

    parser = argparse.ArgumentParser(
        prog=PROG, description="Learned superpixels (SEAL-ERS) and Entropy Rate Superpixels.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_segment_parser(commands)
    add_evaluate_parser(commands)
    add_train_parser(commands)
    add_batch_parser(commands)
    return parser


def _run(argv):
    """Parse ``argv`` and run the command; return (exit code, command name)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # A command may return a non-zero code (batch: 1 when some images failed).
        status = args.run(args)
    except CommandError as exc:
        say(f"{parser.prog} {args.command}: error: {first_line(exc)}", file=sys.stderr)
        return 2, args.command
    except KeyboardInterrupt:
        return interrupted(args.command), args.command
    return status or 0, args.command


def main(argv=None):
    """Run the command line on ``argv`` (``sys.argv[1:]`` when None); return the exit code."""
    return _run(argv)[0]


# Commands that end the process at once when done (``run``).  torch, once
# imported, spends about half a second tearing down at interpreter exit; a
# ``segment`` that ran the net has written and closed its outputs by then
# (``atomic_write`` renames a closed file) and holds nothing that needs
# Python's shutdown.
_FAST_EXIT_COMMANDS = ("segment",)


def run():
    """The process entry point (``python -m sealseg`` and the ``sealseg`` script).

    As :func:`main`, then exits; after a ``segment`` it flushes stdout and
    stderr and leaves with ``os._exit``, keeping the exit code.  Only this
    entry point does so: :func:`main` returns to its caller.
    """
    status, command = _run(None)
    if command in _FAST_EXIT_COMMANDS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    run()
