"""The ``train`` command: ``python -m sealseg train --out RUN [...]``."""
import argparse
from pathlib import Path

from .._cli import CommandError, first_line

__all__ = ["add_train_parser", "run_train", "main"]

COMMAND = "train"


def add_train_parser(subparsers):
    """Add the ``train`` subcommand to an argparse ``subparsers`` object."""
    from .loop import TrainConfig

    d = TrainConfig.DEFAULTS
    p = subparsers.add_parser(COMMAND, help="train the Pixel Affinity Net on BSDS500",
                              description="Train the Pixel Affinity Net on BSDS500 with ERS "
                                          "in the loop (SEAL, section 4-5).")
    p.add_argument("--out", required=True, help="run directory (outside the repository)")
    p.add_argument("--iters", type=int, default=d["iters"])
    p.add_argument("--loss", choices=["seal", "balanced_bce", "bce"], default=d["loss"])
    p.add_argument("--width", type=int, default=d["width"])
    p.add_argument("--kernel", choices=["1x7", "7x7"], default=d["kernel"])
    p.add_argument("--no-edges", dest="use_edges", action="store_false")
    p.add_argument("--two-output", dest="one_way", action="store_false")
    p.add_argument("--dilations", type=int, nargs=3, default=list(d["dilations"]),
                   metavar="D", help="dilation of each residual block's 3x3 convolutions")
    p.add_argument("--split", choices=["train", "trainval"], default=d["split"],
                   help="BSDS500 images to train on (trainval: train + val, 300 images)")
    p.add_argument("--crop", type=int, default=d["crop"], help="square crop side (pixels)")
    p.add_argument("--batch", type=int, default=d["batch"])
    p.add_argument("--lr", type=float, default=d["lr"])
    p.add_argument("--n-segments", type=int, default=d["n_segments"],
                   help="superpixels per crop for ERS inside the SEAL loss (default: 300 "
                        "per 481x321 pixels, scaled to the crop area)")
    p.add_argument("--gamma-norm", choices=["raw", "mean_size", "size"], default=d["gamma_norm"])
    p.add_argument("--seed", type=int, default=d["seed"])
    p.add_argument("--threads", type=int, default=d["threads"])
    p.add_argument("--ckpt-minutes", type=float, default=d["ckpt_minutes"])
    p.add_argument("--val-every", type=int, default=d["val_every"])
    p.add_argument("--val-images", type=int, default=d["val_images"])
    p.add_argument("--root", default=None, help="BSDS500 directory (default: "
                   "$SEALSEG_DATA/BSDS500, then ../shared/datasets/BSDS500)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--init", default=None, metavar="WEIGHTS",
                   help="start from the weights of a model file (its architecture is used; "
                        "optimiser and schedule start afresh)")
    p.add_argument("--max-minutes", type=float, default=None)
    p.set_defaults(func=run_train, run=run_train)
    return p


def _check_train_args(args):
    """The run's config, after the checks that need no training; bad input -> ValueError."""
    from .loop import TrainConfig

    keys = set(TrainConfig.DEFAULTS)
    cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in keys})
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a run directory")
    if args.max_minutes is not None and not args.max_minutes > 0:
        raise ValueError(f"--max-minutes must be > 0, got {args.max_minutes}")
    if not cfg["lr"] > 0:
        raise ValueError(f"--lr must be > 0, got {cfg['lr']}")
    from ..datasets import load_bsds500

    # Lists the files only (cheap); raises FileNotFoundError with a download hint.
    load_bsds500(cfg["root"], "train")
    return cfg


def run_train(args):
    """Run the ``train`` subcommand; bad input -> one-line error and exit code 2."""
    from .loop import train

    try:
        cfg = _check_train_args(args)
    except (ValueError, TypeError, OSError) as exc:
        raise CommandError(first_line(exc)) from None
    max_s = None if args.max_minutes is None else 60 * args.max_minutes
    train(cfg, args.out, resume=args.resume, max_seconds=max_s)
    return 0


def main(argv=None):
    """``python -m sealseg train`` alone (as ``python -m sealseg.training.cli``)."""
    parser = argparse.ArgumentParser(prog="sealseg")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
