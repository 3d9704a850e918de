"""The ``evaluate`` command: ``python -m sealseg evaluate`` (or ``python -m sealseg.evaluation``)."""
import argparse

from .._cli import QUIET_HELP, fail, interrupted, say

__all__ = ["add_evaluate_parser", "run_evaluate", "main"]


def add_evaluate_parser(subparsers):
    """Add the ``evaluate`` subcommand to an argparse ``subparsers`` object."""
    parser = subparsers.add_parser(
        "evaluate", help="score superpixel methods on a dataset (CSV tables and plots)",
        description="Segment every image of a dataset with each method at each number of "
                    "superpixels; write results.csv (one row per method, image, annotation "
                    "and n), summary.csv (means over image/annotation pairs) and plots. "
                    "Re-running with the same --out skips rows already computed.")
    _add_evaluate_arguments(parser)
    return parser


def _add_evaluate_arguments(parser):
    from ..methods import METHODS
    from . import DEFAULT_N_SEGMENTS

    parser.add_argument("--dataset", default="bsds500",
                        help="bsds500 (default), sbd, camvid, ecssd, cityscapes or folder")
    parser.add_argument("--root", help="dataset folder (default for bsds500: "
                        "$SEALSEG_DATA/BSDS500, then ../shared/datasets/BSDS500); "
                        "for 'folder', the images folder")
    parser.add_argument("--labels", help="label-map folder of the 'folder' dataset")
    parser.add_argument("--split", help="dataset split (default: val; sbd: train, "
                        "ecssd: first-half)")
    parser.add_argument("--methods", nargs="*", default=["ers", "slic"],
                        help=f"methods to compare: {', '.join(METHODS)}, "
                             "seal_ers@WEIGHTS (a weight file or registered name), "
                             "ssn-anchor (SSN's saved maps of BSDS500 val, n = 200 600 "
                             "1200) or module:function (default: ers slic)")
    parser.add_argument("--n", nargs="*", type=int, dest="n_segments",
                        default=list(DEFAULT_N_SEGMENTS),
                        help="numbers of superpixels (default: 100 200 400 600 800 1200)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes, images in parallel (default: 1)")
    parser.add_argument("--limit", type=int, help="use only the first M images")
    parser.add_argument("--tolerance", type=int,
                        help="boundary recall tolerance in pixels (default: 1; cityscapes: 3)")
    parser.add_argument("--reference", help="method whose boundary share the others' "
                        "recall is read at (default: the first method)")
    parser.add_argument("--affinity-cache", help="folder where seal_ers keeps the net's "
                        "affinities per image, so that reruns are ERS only")
    parser.add_argument("--quiet", action="store_true", help=QUIET_HELP + " (no progress bar)")
    parser.set_defaults(run=run_evaluate, func=run_evaluate)


def run_evaluate(args):
    """Run the ``evaluate`` subcommand; bad input -> one-line error and exit code 2."""
    from . import evaluate, summary_table

    # Options that would be ignored are refused: a user who gives them expects an effect.
    if args.labels is not None and args.dataset != "folder":
        fail("evaluate", f"--labels applies to --dataset folder only, not {args.dataset!r}")
    if args.split is not None and args.dataset == "folder":
        fail("evaluate", "--split does not apply to --dataset folder (it has no splits)")
    try:
        summary = evaluate(args.dataset, args.methods, args.n_segments, args.out,
                           split=args.split, root=args.root, labels=args.labels,
                           tolerance=args.tolerance, jobs=args.jobs, limit=args.limit,
                           progress=not args.quiet, reference=args.reference,
                           affinity_cache=args.affinity_cache)
    except (ValueError, TypeError, OSError, KeyError) as exc:
        fail("evaluate", exc)
    say(summary_table(summary))
    return 0


def main(argv=None):
    """``python -m sealseg.evaluation ...``: the evaluate command on its own."""
    parser = argparse.ArgumentParser(prog="python -m sealseg.evaluation",
                                     description=add_evaluate_parser.__doc__)
    _add_evaluate_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_evaluate(args)
    except KeyboardInterrupt:
        return interrupted("evaluate")
