"""The ``batch`` command: ``python -m sealseg batch INPUT_DIR OUTPUT_DIR -n N``."""
import argparse
from pathlib import Path

from .._cli import (COMPACTNESS_HELP, DEVICE_HELP, QUIET_HELP, RELAX_HELP, CommandError,
                    check_path, compactness_value, fail, positive_int, relax_value, say, shown)
from .._io import LABEL_FORMATS

__all__ = ["add_batch_parser", "run_batch"]

COMMAND = "batch"


def add_batch_parser(subparsers):
    """The ``batch`` command of ``python -m sealseg``."""
    from ..methods import segmenter_names

    parser = subparsers.add_parser(
        COMMAND, help="segment every image under a folder into label files",
        description="Segment every image under INPUT_DIR (recursively) and write one label "
                    "file per image to OUTPUT_DIR, keeping the folder layout.  Outputs "
                    "written before from the same image and settings are skipped, so a "
                    "stopped run can be restarted; those whose image or settings changed "
                    "are redone; files this command did not write are never replaced "
                    "without --overwrite; bad "
                    "images are reported and skipped.  Exit code 0 when every image is done "
                    "or skipped, 1 when some failed, 2 on a usage error.")
    parser.add_argument("input_dir", metavar="INPUT_DIR", help="folder of images")
    parser.add_argument("output_dir", metavar="OUTPUT_DIR",
                        help="folder for the label files (created if missing)")
    parser.add_argument("-n", "--n-segments", type=positive_int, required=True,
                        help="number of superpixels per image")
    parser.add_argument("--method", choices=segmenter_names(), default="seal_ers",
                        help="segmenter (default: seal_ers, as for `segment`)")
    parser.add_argument("--compactness", type=compactness_value, default=0.0,
                        help=COMPACTNESS_HELP)
    parser.add_argument("--relax", type=relax_value, default=argparse.SUPPRESS, metavar="COST",
                        help=RELAX_HELP)
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="worker processes on this machine (default: 1)")
    parser.add_argument("--format", choices=tuple(LABEL_FORMATS), default="png16",
                        help="png16: 16-bit PNG (default); npy: int64 NumPy array")
    parser.add_argument("--overlay", action="store_true",
                        help="also write <name>.overlay.png with the boundaries drawn")
    parser.epilog = ("Outputs never overwrite inputs: OUTPUT_DIR may not be INPUT_DIR, and a run "
                     "whose outputs would replace an image (or each other) is refused before "
                     "anything is written.  Entries that are not regular files (FIFOs, "
                     "sockets, symlink loops, broken links) are reported and skipped.")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask cluster whose scheduler is at ADDRESS "
                             "(e.g. tcp://host:8786); needs the 'dask' extra and storage "
                             "shared by all workers")
    parser.add_argument("--retries", type=int, default=2,
                        help="retries of a task that raised or whose worker died (default: 2)")
    parser.add_argument("--weights", default=None,
                        help="seal_ers weights: a registered name or a .pt file")
    parser.add_argument("--overwrite", action="store_true",
                        help="segment every image again and replace whatever is at its output "
                             "paths (without it, outputs written before from the same image "
                             "and settings are skipped, stale ones redone, and files this "
                             "command did not write are refused)")
    parser.add_argument("--device", help=DEVICE_HELP)
    parser.add_argument("--quiet", action="store_true", help=QUIET_HELP + " (no progress bar)")
    parser.set_defaults(run=run_batch)
    return parser


def run_batch(args):
    """Run the ``batch`` command; returns the exit code (bad usage: one line, exit 2)."""
    from . import IMAGE_EXTENSIONS, segment_collection

    try:
        input_dir = check_path(args.input_dir, "input folder")
        output_dir = check_path(args.output_dir, "output folder")
    except CommandError as exc:
        fail(COMMAND, exc)
    if not input_dir.is_dir():
        fail(COMMAND, f"input folder does not exist: {shown(input_dir)}")
    if not output_dir.parent.is_dir():
        fail(COMMAND, f"parent of the output folder does not exist: {shown(output_dir.parent)}")
    if not 0 <= args.retries <= 2 ** 63 - 1:
        fail(COMMAND, f"--retries must be from 0 to 2**63 - 1, got {args.retries}")
    if args.scheduler is not None and args.jobs != 1:
        fail(COMMAND, "--jobs sets worker processes on this machine; with --scheduler the "
                      "cluster's workers segment the images: give one of the two")
    for option, value in (("--weights", args.weights), ("--device", args.device)):
        if value is not None and args.method != "seal_ers":
            fail(COMMAND, f"{option} applies to --method seal_ers only")
    try:
        output_dir.mkdir(exist_ok=True)
    except OSError as exc:
        fail(COMMAND, f"cannot create output folder {shown(output_dir)}: {exc.strerror or exc}")
    options = {name: value for name, value in (("weights", args.weights),
                                               ("device", args.device)) if value is not None}
    if args.compactness:
        options["compactness"] = args.compactness
    if hasattr(args, "relax"):    # absent unless given: the method's own default applies
        options["relax"] = args.relax
    client = None
    if args.scheduler is not None:
        try:
            from distributed import Client
        except ImportError:
            fail(COMMAND, "--scheduler needs dask.distributed: pip install 'sealseg[dask]'")
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            fail(COMMAND, f"cannot connect to the Dask scheduler at {args.scheduler}: {exc}")
    try:
        summary = segment_collection(input_dir, output_dir, args.n_segments,
                                     method=args.method, jobs=args.jobs, format=args.format,
                                     overlay=args.overlay, client=client,
                                     retries=args.retries, overwrite=args.overwrite,
                                     progress=not args.quiet, **options)
    except (ValueError, TypeError, OSError) as exc:   # OSError: an unwritable out_dir
        fail(COMMAND, exc)
    finally:
        if client is not None:
            client.close()
    total = len(summary.done) + len(summary.skipped) + len(summary.failed)
    if total == 0:
        fail(COMMAND, f"found no images under {shown(input_dir)} "
                      f"(extensions: {' '.join(IMAGE_EXTENSIONS)})")
    say(str(summary))
    return 1 if summary.failed else 0
