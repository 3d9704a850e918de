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
import time
from pathlib import Path

import numpy as np

from .._io import atomic_write_text
from ..pan.pretrained import model_file_payload

__all__ = ["train", "TrainConfig", "model_config", "lr_at", "validate", "compute_loss",
           "load_bsds_split"]


# --------------------------------------------------------------------------- data

def load_bsds_split(root, split, limit=None):
    """List of (name, uint8 image (H, W, 3), [label maps]) of a BSDS500 split.

    ``root`` None: the default BSDS500 folder (:func:`sealseg.datasets.bsds500_root`).
    """
    from ..datasets import load_bsds500

    out = []
    for k, s in enumerate(load_bsds500(root, split)):
        if limit is not None and k >= limit:
            break
        out.append((s.name, np.asarray(s.image), [np.asarray(g) for g in s.groundtruths]))
    return out


class _Sampler:
    """Random crops of (image, edge, annotation) with 90-degree rotations and flips.

    ``use_edges=False`` (a net that never reads the edge channel) fills the
    channel with zeros instead of running Canny on every training image; the
    crops and the random stream are the same either way.
    """

    def __init__(self, data, crop, use_edges=True):
        from ..pan.model import edge_channel

        self.images = [img for _, img, _ in data]
        self.edges = [edge_channel(img.astype(np.float32) / 255.0, use_edges)
                      for img in self.images]
        self.pairs = [(i, j) for i, (_, _, gts) in enumerate(data) for j in range(len(gts))]
        self.gts = [gts for _, _, gts in data]
        self.crop = crop

    def sample(self, rng):
        i, j = self.pairs[rng.integers(len(self.pairs))]
        img, edge, gt = self.images[i], self.edges[i], self.gts[i][j]
        h, w = gt.shape
        c = min(self.crop, h, w)
        y = rng.integers(h - c + 1)
        x = rng.integers(w - c + 1)
        k = int(rng.integers(4))
        flip = bool(rng.integers(2))
        im = img[y:y + c, x:x + c].astype(np.float32) / 255.0
        ed = edge[y:y + c, x:x + c]
        g = gt[y:y + c, x:x + c].astype(np.int64)
        im, ed, g = (np.rot90(a, k, axes=(0, 1)) for a in (im, ed, g))
        if flip:
            im, ed, g = (a[:, ::-1] for a in (im, ed, g))
        x4 = np.concatenate([im, ed[..., None]], axis=-1).transpose(2, 0, 1)
        return np.ascontiguousarray(x4), np.ascontiguousarray(g)


# --------------------------------------------------------------------------- config

class TrainConfig(dict):
    """Plain dict of the run's settings (saved in every checkpoint and config.json)."""

    DEFAULTS = dict(iters=10000, loss="seal", width=32, kernel="1x7", use_edges=True,
                    one_way=True, crop=128, batch=4, lr=1e-4, weight_decay=1e-4, seed=0,
                    gamma_norm="raw", n_segments=None, threads=2, ckpt_minutes=3.0,
                    log_every=25, val_every=500, val_images=6, root=None,
                    dilations=(1, 1, 1), init=None, arch="pan", split="train")

    def __init__(self, **kw):
        unknown = set(kw) - set(self.DEFAULTS)
        if unknown:
            raise ValueError(f"unknown training options: {sorted(unknown)}")
        super().__init__({**self.DEFAULTS, **kw})
        if self["loss"] not in ("seal", "balanced_bce", "bce"):
            raise ValueError(f"loss must be 'seal', 'balanced_bce' or 'bce', got {self['loss']!r}")
        if self["gamma_norm"] not in ("raw", "mean_size", "size"):
            raise ValueError(f"gamma_norm must be 'raw', 'mean_size' or 'size', "
                             f"got {self['gamma_norm']!r}")
        for key in ("iters", "width", "crop", "batch", "threads"):
            if int(self[key]) != self[key] or self[key] < 1:
                raise ValueError(f"{key} must be a positive integer, got {self[key]!r}")
        if self["arch"] != "pan":
            raise ValueError(f"arch must be 'pan', got {self['arch']!r}")
        if self["split"] not in ("train", "trainval"):
            raise ValueError(f"split must be 'train' or 'trainval', got {self['split']!r}")
        if self["n_segments"] is not None and (int(self["n_segments"]) != self["n_segments"]
                                               or self["n_segments"] < 1):
            raise ValueError(f"n_segments must be None or a positive integer, "
                             f"got {self['n_segments']!r}")


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
        "config": dict(cfg),
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "numpy_rng": json.dumps(rng.bit_generator.state),
        "torch_rng": torch.get_rng_state(),
        "extra": json.dumps(extra),
    }
    _atomic_save(state, Path(out) / "checkpoint.pt")
    _atomic_save(model_file_payload(model), Path(out) / "model.pt")


# --------------------------------------------------------------------------- validation

def validate(model, val, n_segments=300, lam=0.5):
    """Mean ASA / BR (over image-annotation pairs) of 8-connected ERS on the net's affinities."""
    import torch

    from ..metrics import asa, boundary_recall
    from ..segmentation import ers
    was_training = model.training
    model.eval()
    asas, brs = [], []
    with torch.inference_mode():
        for _, img, gts in val:
            a = model(model.image_input(img.astype(np.float32) / 255.0))[0].numpy()
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
    targets = torch.from_numpy(targets_from_labels(gts))
    if cfg["loss"] == "bce":
        return bce(a, targets), None
    if cfg["loss"] == "balanced_bce":
        return balanced_bce(a, targets), None
    h, w = gts.shape[-2:]
    n = cfg["n_segments"] or default_n_segments(h, w)
    norm = None if cfg["gamma_norm"] == "raw" else cfg["gamma_norm"]
    pred = a.detach().numpy()
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
        except ``iters`` and logging options).
    data, val : lists of (name, image, [label maps]), optional
        Training and validation samples (default: BSDS500 train and the first
        ``val_images`` of val).
    max_seconds : float, optional
        Stop (after checkpointing) when this wall time is spent.
    max_steps : int, optional
        Stop (after checkpointing) at this step, before ``iters`` (the
        learning-rate schedule still follows ``iters``).
    """
    import torch
    from tqdm import tqdm

    from ..pan.model import build_model

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    state = None
    if resume and ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=True)
        keep = {k: cfg[k] for k in ("iters", "ckpt_minutes", "log_every", "val_every", "threads",
                                    "root")}
        cfg = TrainConfig(**{**state["config"], **keep})
    torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    root = cfg["root"]
    if data is None:
        data = load_bsds_split(root, "train")
        if cfg["split"] == "trainval":
            # the final run of a recipe: the in-training val rows then score
            # images the net trains on (a progress check, not a selection)
            data += load_bsds_split(root, "val")
    if val is None and cfg["val_every"]:
        val = load_bsds_split(root, "val", limit=cfg["val_images"])
    if state is None and cfg["init"]:
        # Start from a weight file (e.g. a committed model-only state when the
        # full checkpoint is gone): its architecture wins; optimiser, step and
        # learning-rate schedule start afresh.
        from ..pan.pretrained import read_weight_file

        model = read_weight_file(cfg["init"])
        # The losses are defined on the sigmoid; an exponent set for release
        # (see PixelAffinityNet) does not carry over into training.
        model.config["exponent"] = 1.0
        cfg = TrainConfig(**{**cfg, "arch": model.config.get("arch", "pan")})
        cfg = TrainConfig(**{**cfg, **{k: model.config[k] for k in model_config(cfg)}})
    else:
        model = build_model(model_config(cfg))
    # after --init has settled the architecture: Canny only for nets that read it
    sampler = _Sampler(data, cfg["crop"], use_edges=model.use_edges)
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
            x = torch.from_numpy(np.stack([b[0] for b in batch]))
            gts = np.stack([b[1] for b in batch])
            timer["data"] += time.perf_counter() - t0
            loss, gamma = compute_loss(model, x, gts, cfg, timer)
            t1 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
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
                    _atomic_save(model_file_payload(model), out / "best.pt")
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
