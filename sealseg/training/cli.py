"""The ``train`` command: ``python -m sealseg train --out RUN [...]``.

Every argument is checked before anything is written: the settings (by
:class:`~sealseg.training.loop.TrainConfig`), the run folder, the checkpoint
to resume, the weights to start from and the data (every image is read).
A bad one ends the command with one line on stderr and exit code 2.
"""
import argparse
import math
from pathlib import Path

from .._cli import CommandError, first_line

__all__ = ["add_train_parser", "run_train", "main", "RUN_FILES"]

COMMAND = "train"
#: The files a run writes in its folder.
RUN_FILES = ("checkpoint.pt", "model.pt", "best.pt", "log.csv", "config.json")
#: Settings a resumed run may change: the length of the schedule, logging,
#: threads, the device and where the data lies; every other one is the checkpoint's.
RESUMABLE = ("iters", "ckpt_minutes", "log_every", "val_every", "threads", "root", "labels",
             "val_root", "val_labels", "device")
# The settings the net's architecture is made of (a file given to --init has its own).
_ARCHITECTURE = ("width", "kernel", "use_edges", "one_way", "dilations")


def add_train_parser(subparsers):
    """Add the ``train`` subcommand to an argparse ``subparsers`` object."""
    from .data import DATASETS
    from .loop import TrainConfig

    d = TrainConfig.DEFAULTS
    p = subparsers.add_parser(
        COMMAND, help="train or fine-tune the Pixel Affinity Net (BSDS500 or your own images)",
        description="Train the Pixel Affinity Net with ERS in the loop (SEAL, section 4-5) on "
                    "BSDS500 or on a folder of images and label maps, from scratch or from "
                    "shipped weights (--init).  The defaults are the recipe of the default "
                    "net, 'bsds500-dilated' (training/README.md).")
    p.add_argument("--out", required=True,
                   help="run folder: checkpoint.pt, model.pt, best.pt, log.csv, config.json; "
                        "it may not hold an earlier run unless --resume continues it")
    p.add_argument("--dataset", choices=DATASETS, default=None,
                   help="bsds500 (default) or folder: --root images, --labels label maps "
                        "(the layout of 'evaluate --dataset folder')")
    p.add_argument("--root", default=None,
                   help="bsds500: its folder (default: $SEALSEG_DATA/BSDS500, then "
                        "../shared/datasets/BSDS500); folder: the images folder")
    p.add_argument("--labels", default=None, help="folder: the label-map folder")
    p.add_argument("--val-root", default=None,
                   help="folder: images to validate on (with --val-labels); none: no "
                        "validation, no best.pt")
    p.add_argument("--val-labels", default=None, help="folder: the label maps of --val-root")
    p.add_argument("--split", choices=["train", "trainval"], default=None,
                   help="bsds500: the images to train on (trainval: train + val, 300 images)")
    p.add_argument("--init", default=None, metavar="WEIGHTS",
                   help="start from these weights: a shipped net's name (e.g. bsds500) or a "
                        "weight file; its architecture and exponent are kept, optimiser "
                        "and schedule start afresh")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its checkpoint.pt")
    p.add_argument("--iters", type=int, default=None, help=f"steps (default: {d['iters']})")
    p.add_argument("--loss", choices=["seal", "balanced_bce", "bce"], default=None,
                   help=f"default: {d['loss']}")
    p.add_argument("--width", type=int, default=None,
                   help=f"feature channels (default: {d['width']})")
    p.add_argument("--kernel", choices=["1x7", "7x7"], default=None)
    p.add_argument("--edges", dest="use_edges", action="store_true", default=None,
                   help="add the Canny edge channel (not in the default recipe)")
    p.add_argument("--no-edges", dest="use_edges", action="store_false", default=None,
                   help="no edge channel (the default)")
    p.add_argument("--two-output", dest="one_way", action="store_false", default=None)
    p.add_argument("--dilations", type=int, nargs="+", default=None, metavar="D",
                   help="one residual block per value, the dilation of its 3x3 "
                        "convolutions "
                        f"(default: {' '.join(map(str, d['dilations']))})")
    p.add_argument("--crop", type=int, default=None,
                   help=f"square crop side in pixels (default: {d['crop']})")
    p.add_argument("--batch", type=int, default=None, help=f"default: {d['batch']}")
    p.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: {d['lr']:g}; 1e-4 to fine-tune)")
    p.add_argument("--n-segments", type=int, default=None,
                   help="superpixels per crop for ERS inside the SEAL loss (default: 300 "
                        "per 481x321 pixels, scaled to the crop area)")
    p.add_argument("--gamma-norm", choices=["raw", "mean_size", "size"], default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default=None,
                   help="where the net trains: cpu, cuda, cuda:1 ... (default: CUDA when "
                        "available, else the CPU); ERS inside the SEAL loss runs on the CPU")
    p.add_argument("--ckpt-minutes", type=float, default=None)
    p.add_argument("--val-every", type=int, default=None,
                   help=f"steps between validations, 0: none (default: {d['val_every']})")
    p.add_argument("--val-images", type=int, default=None,
                   help=f"images to validate on (default: {d['val_images']})")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop (after a checkpoint) when this much time is spent")
    p.set_defaults(func=run_train, run=run_train)
    return p


def _given(args):
    """The settings given on the command line (argparse defaults are None)."""
    from .loop import TrainConfig

    return {key: value for key, value in vars(args).items()
            if key in TrainConfig.DEFAULTS and value is not None}


def _check_out(out, resume):
    """The run folder: not under a file; an earlier run only with --resume."""
    out = Path(out)
    for folder in (out, *out.parents):
        if folder.exists() and not folder.is_dir():
            what = "is a file" if folder == out else f"is under {folder}, a file"
            raise CommandError(f"--out {out} {what}; give a run folder")
    earlier = [name for name in RUN_FILES if (out / name).exists()]
    if resume and "checkpoint.pt" not in earlier:
        raise CommandError(f"--resume: {out / 'checkpoint.pt'} does not exist; nothing to "
                           "resume (leave out --resume to start a run)")
    if earlier and not resume:
        raise CommandError(f"--out {out} holds an earlier run ({', '.join(earlier)}); give "
                           "--resume to continue it or another folder")
    return out


def _resumed_config(out, given):
    """The checkpoint's settings, after refusing given ones that differ from them."""
    import torch

    from .loop import TrainConfig

    try:
        state = torch.load(out / "checkpoint.pt", weights_only=True, map_location="cpu")
        saved = TrainConfig(**state["config"])
    except Exception as exc:   # truncated, corrupt, not a checkpoint of this command
        raise CommandError(f"cannot resume from {out / 'checkpoint.pt'}: corrupt or not a "
                           f"train checkpoint ({type(exc).__name__}: {first_line(exc)})"
                           ) from None
    conflicts = [key for key, value in given.items()
                 if key not in RESUMABLE and TrainConfig(**{**saved, key: value})[key]
                 != saved[key]]
    if conflicts:
        shown = ", ".join(f"--{key.replace('_', '-')} (checkpoint: {saved[key]!r})"
                          for key in conflicts)
        raise CommandError(f"--resume continues the run with its own settings; {shown} "
                           "differ: drop them, or start a new run in another folder")
    return TrainConfig(**{**saved, **{k: v for k, v in given.items() if k in RESUMABLE}})


def _init_config(cfg, given):
    """The settings with the architecture and exponent of the --init weights."""
    from ..pan.pretrained import read_weight_file
    from .loop import TrainConfig

    try:
        net = read_weight_file(cfg["init"])
    except (OSError, ValueError, TypeError) as exc:
        raise CommandError(f"--init {cfg['init']}: {first_line(exc)}") from None
    architecture = {key: net.config[key] for key in _ARCHITECTURE}
    architecture["dilations"] = tuple(architecture["dilations"])
    conflicts = [key for key in _ARCHITECTURE if key in given
                 and TrainConfig(**{**cfg, key: given[key]})[key] != architecture[key]]
    if conflicts:
        shown = ", ".join(f"--{key.replace('_', '-')} (the file: {architecture[key]!r})"
                          for key in conflicts)
        raise CommandError(f"--init {cfg['init']} keeps the architecture of its net; {shown} "
                           "differ: drop them")
    return TrainConfig(**{**cfg, **architecture, "exponent": float(net.exponent)})


def _check_data(cfg):
    """(train, val) samples: every image read, the crop checked against them."""
    from .data import smallest_side, training_data

    try:
        data, val = training_data(cfg)
    except (OSError, ValueError, TypeError, KeyError) as exc:   # missing, corrupt .mat ...
        raise CommandError(first_line(exc)) from None
    side, name = smallest_side(data)
    if cfg["crop"] > side:
        raise CommandError(f"--crop {cfg['crop']} is larger than the training image {name!r} "
                           f"({side} pixels on its short side); give --crop {side} or less")
    return data, val


def check_train_args(args):
    """The run's config and data, after every check that needs no training.

    Raises
    ------
    CommandError
        With the one line the command prints.
    """
    from .loop import TrainConfig

    if args.max_minutes is not None and not (math.isfinite(args.max_minutes)
                                             and args.max_minutes > 0):
        raise CommandError(f"--max-minutes must be a finite number > 0, got {args.max_minutes}")
    given = _given(args)
    out = _check_out(args.out, args.resume)
    try:
        if args.resume:
            cfg = _resumed_config(out, given)
        else:
            cfg = TrainConfig(**given)
            if cfg["init"] is not None:
                cfg = _init_config(cfg, given)
    except (ValueError, TypeError) as exc:
        raise CommandError(_option_words(first_line(exc))) from None
    if cfg["device"] is not None:
        from ..pan.pretrained import resolve_device

        try:
            resolve_device(cfg["device"])
        except (ValueError, TypeError) as exc:
            raise CommandError(f"--device: {first_line(exc)}") from None
    data, val = _check_data(cfg)
    return cfg, data, val


def _option_words(message):
    """A TrainConfig message in the command's words (``val_every`` -> ``--val-every``)."""
    from .loop import TrainConfig

    for key in sorted(TrainConfig.DEFAULTS, key=len, reverse=True):
        if message.startswith(key + " "):
            return f"--{key.replace('_', '-')}" + message[len(key):]
    return message


def run_train(args):
    """Run the ``train`` subcommand; bad input -> one-line error and exit code 2."""
    from .loop import TrainingDiverged, train

    cfg, data, val = check_train_args(args)
    if cfg["dataset"] == "folder" and val is None and cfg["val_every"]:
        print(f"{COMMAND}: no --val-root: no validation and no best.pt; model.pt is the "
              "last step's net")
    max_s = None if args.max_minutes is None else 60 * args.max_minutes
    try:
        train(cfg, args.out, resume=args.resume, max_seconds=max_s, data=data, val=val)
    except TrainingDiverged as exc:
        raise CommandError(first_line(exc)) from None
    return 0


def main(argv=None):
    """``python -m sealseg train`` alone (as ``python -m sealseg.training.cli``)."""
    parser = argparse.ArgumentParser(prog="python -m sealseg.training.cli")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        parser.exit(2, f"{parser.prog} train: error: {first_line(exc)}\n")


if __name__ == "__main__":
    raise SystemExit(main())
