"""Train the Pixel Affinity Net on BSDS500 with ERS in the loop (SEAL, section 4-5).

Run as ``python -m sealseg train --out /path/outside/repo [...]``.  One step:
draw ``--batch`` (image, annotation) pairs uniformly, take a random square
crop of ``--crop`` pixels, rotate it by a random multiple of 90 degrees and
reflect it at random, predict affinities, compute 4-connected ERS superpixels
on them (no gradient; 300 superpixels per 481x321 image scaled with the crop
area), the SEAL weights, the loss, and an Adam step.

A checkpoint (model, optimiser, step, every RNG state) is written atomically
(temporary file + ``os.replace``) every ``--ckpt-minutes`` and at the end, so a
killed run continues exactly where its last checkpoint was.  ``log.csv`` gets
one row per ``--log-every`` steps (loss, it/s, time split into data, forward,
ERS, gamma, backward) and the validation rows (ASA and BR of 8-connected ERS
on the learned affinities at n=300 on a fixed val subset).
"""
import csv
import io
import json
import math
import numbers
import time
from pathlib import Path

import numpy as np

from .._io import atomic_write_text
from ..pan.pretrained import CONFIG_BOUNDS, model_file_payload
from .data import DATASETS, Sampler, smallest_side, training_data

__all__ = ["train", "TrainConfig", "TrainingDiverged", "model_config", "lr_at", "validate",
           "compute_loss"]


# --------------------------------------------------------------------------- config

#: Largest dilation of a residual block (that of the weight files' bounds).
MAX_DILATION = CONFIG_BOUNDS["dilations"][1]
_CHOICES = {"loss": ("seal", "balanced_bce", "bce"), "gamma_norm": ("raw", "mean_size", "size"),
            "kernel": ("1x7", "7x7"), "arch": ("pan",), "split": ("train", "trainval"),
            "dataset": DATASETS}
# (low, high) of the integer settings.
_INT_BOUNDS = {"iters": (1, 10 ** 9), "width": CONFIG_BOUNDS["width"], "crop": (2, 4096),
               "batch": (1, 1024), "threads": (1, 1024), "seed": (0, 2 ** 63 - 1),
               "log_every": (1, 10 ** 9), "val_every": (0, 10 ** 9), "val_images": (1, 10 ** 6)}
# (low, high, low excluded) of the real settings: a learning rate above 1 or a
# decay above 1 only diverges.
_REAL_BOUNDS = {"lr": (0.0, 1.0, True), "weight_decay": (0.0, 1.0, False),
                "ckpt_minutes": (0.0, 10.0 ** 6, False), "exponent": (0.0, 64.0, True)}


def _bounded_int(value, key, low, high):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{key} must be an integer from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{key} must be an integer from {low} to {high}, got {value}")
    return int(value)


def _bounded_real(value, key, low, high, low_open):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{key} must be a number, got {value!r}")
    what = f"a finite number {'>' if low_open else '>='} {low:g} and <= {high:g}"
    if not (math.isfinite(value) and (value > low if low_open else value >= low)
            and value <= high):
        raise ValueError(f"{key} must be {what}, got {value!r}")
    return float(value)


class TrainingDiverged(FloatingPointError):
    """The loss or the weights became NaN or infinite; the run stops before saving them."""


class TrainConfig(dict):
    """Plain dict of a run's settings (saved in every checkpoint and config.json).

    The defaults are the recipe of the shipped default net,
    ``"bsds500-dilated"``: HED's class-balanced BCE, no edge channel,
    residual blocks dilated 1, 2, 4, width 32, 128x128 crops, batch 4, lr
    1e-3 divided by 10 at 30% and 60% of ``iters`` (``training/README.md``
    gives its two-part schedule).  Every value is checked here; bad ones
    raise ValueError or TypeError naming the setting.
    """

    DEFAULTS = dict(iters=12000, loss="balanced_bce", width=32, kernel="1x7", use_edges=False,
                    one_way=True, crop=128, batch=4, lr=1e-3, weight_decay=1e-4, seed=0,
                    gamma_norm="raw", n_segments=None, threads=2, ckpt_minutes=3.0,
                    log_every=25, val_every=500, val_images=6, root=None,
                    dilations=(1, 2, 4), init=None, arch="pan", split="train",
                    dataset="bsds500", labels=None, val_root=None, val_labels=None,
                    exponent=1.0, device=None)

    def __init__(self, **kw):
        unknown = set(kw) - set(self.DEFAULTS)
        if unknown:
            raise ValueError(f"unknown training options: {sorted(unknown)}")
        super().__init__({**self.DEFAULTS, **kw})
        for key, choices in _CHOICES.items():
            if self[key] not in choices:
                raise ValueError(f"{key} must be one of {', '.join(map(repr, choices))}, "
                                 f"got {self[key]!r}")
        for key, (low, high) in _INT_BOUNDS.items():
            self[key] = _bounded_int(self[key], key, low, high)
        for key, (low, high, low_open) in _REAL_BOUNDS.items():
            self[key] = _bounded_real(self[key], key, low, high, low_open)
        for key in ("use_edges", "one_way"):
            if not isinstance(self[key], (bool, np.bool_)):
                raise TypeError(f"{key} must be True or False, got {self[key]!r}")
            self[key] = bool(self[key])
        # The net's own bound (its module imports torch, so only here).
        from ..pan.model import MAX_BLOCKS

        dilations = self["dilations"]
        if isinstance(dilations, (str, bytes)) or np.ndim(dilations) != 1 \
                or not 1 <= len(dilations) <= MAX_BLOCKS:
            raise ValueError(f"dilations must be 1 to {MAX_BLOCKS} integers, one per residual "
                             f"block, got {dilations!r}")
        self["dilations"] = tuple(_bounded_int(d, "dilations", 1, MAX_DILATION)
                                  for d in dilations)
        if self["n_segments"] is not None:
            self["n_segments"] = _bounded_int(self["n_segments"], "n_segments", 1,
                                              self["crop"] ** 2)
        if self["device"] is not None and not isinstance(self["device"], str):
            raise TypeError(f"device must be None (CUDA when available, else the CPU) or a "
                            f"device name such as 'cpu' or 'cuda', got {self['device']!r}")
        if self["dataset"] == "folder" and (self["root"] is None or self["labels"] is None):
            raise ValueError("dataset 'folder' needs root (the images folder) and labels "
                             "(the label-map folder)")
        if (self["val_root"] is None) != (self["val_labels"] is None):
            raise ValueError("val_root and val_labels go together (the validation images "
                             "and their label maps)")


def model_config(cfg):
    """Keyword arguments of :func:`sealseg.pan.model.build_model` for the run's net."""
    return dict(width=int(cfg["width"]), kernel=cfg["kernel"], use_edges=bool(cfg["use_edges"]),
                one_way=bool(cfg["one_way"]), dilations=list(cfg["dilations"]))


def lr_at(cfg, step):
    """Learning rate at ``step``: divided by 10 at 30% and again at 60% of the run."""
    frac = step / cfg["iters"]
    return cfg["lr"] * (0.1 if frac >= 0.3 else 1.0) * (0.1 if frac >= 0.6 else 1.0)


# --------------------------------------------------------------------------- checkpoints

def _atomic_save(obj, path):
    import torch

    from .._io import atomic_write

    # Flushed to disk before the rename, so that even a power cut leaves
    # either the old checkpoint or the complete new one under ``path``.
    atomic_write(path, lambda handle: torch.save(obj, handle))


def _save_checkpoint(out, model, opt, step, rng, cfg, extra):
    import torch

    state = {
        "step": step,
        # where it ran is not part of the recipe: a resumed run picks its own
        "config": {**dict(cfg), "device": None},
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "numpy_rng": json.dumps(rng.bit_generator.state),
        "torch_rng": torch.get_rng_state(),
        "extra": json.dumps(extra),
    }
    _atomic_save(state, Path(out) / "checkpoint.pt")
    _atomic_save(_release_payload(model, cfg), Path(out) / "model.pt")


def _release_payload(model, cfg):
    """The weight file of ``model``, with the affinity exponent of the run's config.

    Training reads the sigmoid (exponent 1); a net fine-tuned from weights
    with another exponent is written with that one (``cfg["exponent"]``).
    """
    payload = model_file_payload(model)
    payload["config"]["exponent"] = float(cfg["exponent"])
    return payload


# --------------------------------------------------------------------------- validation

def validate(model, val, n_segments=300, lam=0.5):
    """Mean ASA / BR (over image-annotation pairs) of 8-connected ERS on the net's
    affinities (the net runs where its weights are)."""
    import torch

    from ..metrics import asa, boundary_recall
    from ..segmentation import ers
    was_training = model.training
    model.eval()
    asas, brs = [], []
    device = next(model.parameters()).device
    with torch.inference_mode():
        for _, img, gts in val:
            x = model.image_input(img.astype(np.float32) / 255.0).to(device)
            a = model(x)[0].cpu().numpy()
            labels = ers(None, n_segments, affinities=a.astype(np.float64), lam=lam)
            for g in gts:
                asas.append(asa(labels, g))
                brs.append(boundary_recall(labels, g))
    model.train(was_training)
    return float(np.mean(asas)), float(np.mean(brs))


def validate_rgb(val, n_segments=300):
    from ..metrics import asa, boundary_recall
    from ..segmentation import ers

    asas, brs = [], []
    for _, img, gts in val:
        labels = ers(img, n_segments)
        for g in gts:
            asas.append(asa(labels, g))
            brs.append(boundary_recall(labels, g))
    return float(np.mean(asas)), float(np.mean(brs))


# --------------------------------------------------------------------------- training

def compute_loss(model, x, gts, cfg, timer):
    """Forward pass and loss of a batch; fills ``timer`` with seconds per phase."""
    import torch

    from .losses import (balanced_bce, bce, default_n_segments, seal_gamma, seal_loss,
                         superpixels_for_loss, targets_from_labels)

    t0 = time.perf_counter()
    a = model(x)
    t1 = time.perf_counter()
    timer["forward"] += t1 - t0
    targets = torch.from_numpy(targets_from_labels(gts)).to(a.device)
    if cfg["loss"] == "bce":
        return bce(a, targets), None
    if cfg["loss"] == "balanced_bce":
        return balanced_bce(a, targets), None
    h, w = gts.shape[-2:]
    n = cfg["n_segments"] or default_n_segments(h, w)
    norm = None if cfg["gamma_norm"] == "raw" else cfg["gamma_norm"]
    pred = a.detach().cpu().numpy()     # ERS and gamma run on the CPU
    gammas = []
    for b in range(pred.shape[0]):
        t2 = time.perf_counter()
        sp = superpixels_for_loss(pred[b], n)
        t3 = time.perf_counter()
        gammas.append(seal_gamma(sp, gts[b], normalize=norm))
        timer["ers"] += t3 - t2
        timer["gamma"] += time.perf_counter() - t3
    gamma = np.stack(gammas)
    return seal_loss(a, targets, gamma), gamma


def _check_finite(loss, model, step, what):
    """Stop the run (TrainingDiverged) when the loss or a weight is NaN or infinite."""
    import torch

    values = [loss] if what == "loss" else list(model.parameters())
    if all(bool(torch.isfinite(v).all()) for v in values):
        return
    raise TrainingDiverged(f"the {what} became NaN or infinite at step {step}; the run stops "
                           "and keeps the files of its last checkpoint (try a smaller --lr)")


def train(cfg, out, *, resume=False, progress=True, data=None, val=None, max_seconds=None,
          max_steps=None):
    """Run (or continue) a training run; returns the final model.

    Parameters
    ----------
    cfg : TrainConfig
    out : path
        Run directory (checkpoint.pt, model.pt, best.pt, log.csv, config.json).
    resume : bool
        Continue from ``out/checkpoint.pt`` (its config wins over ``cfg``
        except ``iters``, logging options and where the data lies).
    data, val : lists of (name, image, [label maps]), optional
        Training and validation samples (default: those of ``cfg``, see
        :func:`sealseg.training.data.training_data`).
    max_seconds : float, optional
        Stop (after checkpointing) when this wall time is spent.
    max_steps : int, optional
        Stop (after checkpointing) at this step, before ``iters`` (the
        learning-rate schedule still follows ``iters``).

    Raises
    ------
    FileNotFoundError
        ``resume`` without ``out/checkpoint.pt``.
    ValueError
        A crop larger than the smallest training image.
    TrainingDiverged
        The loss or the weights became NaN or infinite: the run stops, and
        the files of its last checkpoint stay as they were.
    """
    import torch
    from tqdm import tqdm

    from ..pan.model import build_model

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    state = None
    if resume:
        if not ckpt_path.is_file():
            raise FileNotFoundError(f"resume: {ckpt_path} does not exist")
        # map_location: a checkpoint written on a GPU resumes on any device
        state = torch.load(ckpt_path, weights_only=True, map_location="cpu")
        keep = {k: cfg[k] for k in ("iters", "ckpt_minutes", "log_every", "val_every", "threads",
                                    "root", "labels", "val_root", "val_labels", "device")}
        cfg = TrainConfig(**{**state["config"], **keep})
    from ..pan.pretrained import resolve_device

    device = resolve_device(cfg["device"])
    torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    if data is None:
        data, default_val = training_data(cfg)
        val = default_val if val is None else val
    side, name = smallest_side(data)
    if cfg["crop"] > side:
        raise ValueError(f"crop {cfg['crop']} is larger than the training image {name!r} "
                         f"({side} pixels on its short side)")
    if state is None and cfg["init"]:
        # Start from a weight file (e.g. a committed model-only state when the
        # full checkpoint is gone): its architecture wins; optimiser, step and
        # learning-rate schedule start afresh.
        from ..pan.pretrained import read_weight_file

        model = read_weight_file(cfg["init"])
        # The losses are defined on the sigmoid; an exponent set for release
        # (see PixelAffinityNet) does not carry over into training, but into
        # the files the run writes (_release_payload).
        cfg = TrainConfig(**{**cfg, **{k: model.config[k] for k in model_config(cfg)},
                             "exponent": float(model.exponent)})
        model.config["exponent"] = 1.0
    else:
        model = build_model(model_config(cfg))
    # after --init has settled the architecture: Canny only for nets that read it
    sampler = Sampler(data, cfg["crop"], use_edges=model.use_edges)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], betas=(0.9, 0.999),
                           weight_decay=cfg["weight_decay"])
    step = 0
    extra = {"best": None}
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step = int(state["step"])
        rng.bit_generator.state = json.loads(state["numpy_rng"])
        torch.set_rng_state(state["torch_rng"])
        extra = json.loads(state["extra"])
    with open(out / "config.json", "w") as f:
        json.dump(dict(cfg), f, indent=1, default=str)

    log_path = out / "log.csv"
    fields = ["step", "kind", "lr", "loss", "it_s", "t_data", "t_forward", "t_ers", "t_gamma",
              "t_backward", "gamma_mean", "gamma_max", "val_asa", "val_br", "wall"]
    rows = []
    if state is not None and log_path.exists():
        with open(log_path) as f:
            rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
    # Rewritten atomically: a kill during the rewrite must not lose the rows
    # of the run so far.
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(log_path, text.getvalue())

    def log(row):
        with open(log_path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields).writerow({k: row.get(k, "") for k in fields})

    if val and state is None and cfg["val_every"]:
        va, vb = validate_rgb(val)
        log({"step": 0, "kind": "val_rgb_ers", "val_asa": va, "val_br": vb})

    model.train()
    start = time.time()
    last_ckpt = time.time()
    timer = dict(data=0.0, forward=0.0, ers=0.0, gamma=0.0, backward=0.0)
    losses, gstats, window_t, window_n = [], [], time.perf_counter(), 0
    bar = tqdm(total=cfg["iters"], initial=step, disable=not progress, dynamic_ncols=True)
    try:
        while step < cfg["iters"]:
            for g in opt.param_groups:
                g["lr"] = lr_at(cfg, step)
            t0 = time.perf_counter()
            batch = [sampler.sample(rng) for _ in range(cfg["batch"])]
            x = torch.from_numpy(np.stack([b[0] for b in batch])).to(device)
            gts = np.stack([b[1] for b in batch])
            timer["data"] += time.perf_counter() - t0
            loss, gamma = compute_loss(model, x, gts, cfg, timer)
            _check_finite(loss, model, step + 1, "loss")
            t1 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            _check_finite(loss, model, step + 1, "weights")
            timer["backward"] += time.perf_counter() - t1
            step += 1
            window_n += 1
            losses.append(loss.detach().item())
            if gamma is not None:
                pos = gamma[gamma > 0]
                gstats.append((float(pos.mean()) if pos.size else 0.0, float(gamma.max())))
            bar.update(1)
            if step % cfg["log_every"] == 0 or step == cfg["iters"]:
                el = time.perf_counter() - window_t
                row = {"step": step, "kind": "train", "lr": lr_at(cfg, step - 1),
                       "loss": np.mean(losses), "it_s": window_n / el,
                       "wall": time.time() - start}
                for k, v in timer.items():
                    row["t_" + k] = v / window_n
                if gstats:
                    row["gamma_mean"] = np.mean([g[0] for g in gstats])
                    row["gamma_max"] = np.max([g[1] for g in gstats])
                log(row)
                bar.set_postfix(loss=f"{row['loss']:.4f}", it_s=f"{row['it_s']:.2f}")
                losses, gstats, window_t, window_n = [], [], time.perf_counter(), 0
                timer = dict.fromkeys(timer, 0.0)
            if val and cfg["val_every"] and step % cfg["val_every"] == 0:
                va, vb = validate(model, val)
                log({"step": step, "kind": "val", "val_asa": va, "val_br": vb,
                     "wall": time.time() - start})
                score = va + vb
                if extra.get("best") is None or score > extra["best"]:
                    extra["best"] = score
                    extra["best_step"] = step
                    _atomic_save(_release_payload(model, cfg), out / "best.pt")
                window_t = time.perf_counter()
            stop = ((max_seconds is not None and time.time() - start > max_seconds)
                    or (max_steps is not None and step >= max_steps))
            if time.time() - last_ckpt > 60 * cfg["ckpt_minutes"] or step == cfg["iters"] or stop:
                _save_checkpoint(out, model, opt, step, rng, cfg, extra)
                last_ckpt = time.time()
            if stop:
                break
    finally:
        bar.close()
    return model
