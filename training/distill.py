"""Distil the train-only twin into a cheaper student.

Usage::

    python training/distill.py --out RUN --iters 6000 [--resume] [--threads 2]
    python training/distill.py --out RUN --student pruned --width 16 --gt-weight 0
    python training/distill.py --out RUN --student pruned --width 16 --gt-weight 0 \
        --init RUN0/model_5000.pt --distil-loss logit

Two students: the one-pass student below (``--student one-pass``, the default,
``training/distilled_run.md``) and the twin's own architecture at a smaller
width, started from the twin's strongest channels (``--student pruned``,
``pruned_student``, ``training/pruned_run.md``).

One-pass student: PixelAffinityNet(width 32, 1x7 head, no edges, dilations 1 2 4,
one_way=False, fusion 32): both directions from one pass (the twin runs twice,
on the image and its transpose).  It starts from the twin's weights (head and
residual blocks copied; the mid and fuse layers duplicated so that channel 0
is the twin's horizontal output at step 0).

Teacher: "bsds500-dilated" (trained on BSDS500 train only) unless ``--teacher``
names another net (a shipped name or a model file of the twin's architecture),
exponent 1, eval mode, on the same augmented crop; a student without ``--init``
starts from the teacher.

Loss: BCE against the teacher's affinities on every valid pair (soft targets)
+ 1.0 x HED class-balanced BCE against the consensus target of the crop (the
mean over the image's annotations of "same segment"; SBD has one annotation).

Data: BSDS500 train (200 images) and SBD train (238); an image is drawn
uniformly from the 438; random 128-pixel crops at a random scale in
[0.5, 1] (half the draws; bilinear image, nearest labels), 90-degree
rotations, flips, and a colour jitter (brightness, contrast, saturation
+-20%, half the draws).  BSDS500 val and CamVid are never read.

``--distil-weight W`` scales the distillation loss (default 1); with 0 the
teacher is not run and the net learns from the annotations alone (a
fine-tune with ``--init``, not a distillation).

Distillation loss (``--distil-loss``): ``bce``, BCE of the student's
affinities against the teacher's; or ``logit``, the mean squared difference
of the two nets' logits (Ba & Caruana 2014), each clipped to [-8, 8]
(``LOGIT_CLIP``).  BCE's gradient on a logit is p - t, so two affinities of
0.01 and 0.05, which ERS cuts in a different order, pull with 0.04; in logit
space they are 1.6 apart.  ``--init FILE`` starts the student from a model
file (fresh optimiser, step 0) instead of pruning the twin.  ``--add-block D``
appends a residual block of dilation D that adds nothing at step 0
(``with_identity_block``): a deeper student grown from a trained one.

Schedule: Adam, lr 1e-4, 1e-5 for the last quarter; batch 4; checkpoints
(model, optimiser, step, RNG) every 3 minutes; resumable.
"""
import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sealseg.pan.model import PixelAffinityNet
from sealseg.pan.pretrained import model_file_payload
from sealseg.pan.pretrained import read_weight_file
from sealseg.training.losses import balanced_bce, bce, valid_mask
from sealseg.affinity import affinities_from_labels
from sealseg.datasets import load_bsds500

SHARED = Path(os.environ.get("SEALSEG_DATA", Path(__file__).resolve().parents[2] / "shared" / "datasets"))


def load_data():
    from PIL import Image
    data = []
    for s in load_bsds500(None, "train"):
        gts = np.stack([np.asarray(g) for g in s.groundtruths]).astype(np.int32)
        data.append((np.asarray(s.image), gts))
    sbd = SHARED / "SBD"
    for name in (sbd / "train.txt").read_text().split():
        img = np.asarray(Image.open(sbd / "images" / f"{name}.jpg").convert("RGB"))
        lab = np.asarray(Image.open(sbd / "layers" / f"{name}.png")).astype(np.int32)
        data.append((img, lab[None]))
    return data


def consensus(gts):
    """(K, h, w) label maps -> (2, h, w) mean 'same segment' over the K maps."""
    return np.mean([affinities_from_labels(g) for g in gts], axis=0).astype(np.float32)


def sample(data, rng, crop):
    from skimage.transform import rescale
    img, gts = data[rng.integers(len(data))]
    img = img.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        s = rng.uniform(0.5, 1.0)
        if min(img.shape[:2]) * s >= crop:
            img = rescale(img, s, channel_axis=-1, order=1, anti_aliasing=True).astype(np.float32)
            gts = np.stack([rescale(g, s, order=0, preserve_range=True, anti_aliasing=False)
                            for g in gts]).astype(np.int32)
            # nearest labels may differ by one row/column from the image's rounding
            hh = min(img.shape[0], gts.shape[1]); ww = min(img.shape[1], gts.shape[2])
            img, gts = img[:hh, :ww], gts[:, :hh, :ww]
    h, w = img.shape[:2]
    c = min(crop, h, w)
    y = rng.integers(h - c + 1)
    x = rng.integers(w - c + 1)
    im = img[y:y + c, x:x + c]
    g = gts[:, y:y + c, x:x + c]
    k = int(rng.integers(4))
    im = np.rot90(im, k, axes=(0, 1))
    g = np.rot90(g, k, axes=(1, 2))
    if rng.integers(2):
        im, g = im[:, ::-1], g[:, :, ::-1]
    if rng.random() < 0.5:
        grey = im.mean(-1, keepdims=True)
        sat = rng.uniform(0.8, 1.2)
        im = grey + sat * (im - grey)
        im = (im - im.mean()) * rng.uniform(0.8, 1.2) + im.mean() * rng.uniform(0.8, 1.2)
        im = np.clip(im, 0.0, 1.0)
    x4 = np.concatenate([im, np.zeros(im.shape[:2] + (1,), np.float32)], -1).transpose(2, 0, 1)
    return np.ascontiguousarray(x4, np.float32), consensus(np.ascontiguousarray(g))


LOGIT_CLIP = 8.0


def logit_mse(student_logits, teacher_logits):
    """Mean squared difference of clipped logits over the valid pairs."""
    valid = valid_mask(student_logits.shape, student_logits.device).expand_as(student_logits)
    d = (student_logits.clamp(-LOGIT_CLIP, LOGIT_CLIP)
         - teacher_logits.clamp(-LOGIT_CLIP, LOGIT_CLIP))
    return (d[valid] ** 2).mean()


def student_from_twin(twin):
    cfg = twin.config
    st = PixelAffinityNet(width=cfg["width"], kernel=cfg["kernel"], use_edges=False,
                          one_way=False, fusion=2 * cfg["fusion"], dilations=cfg["dilations"])
    sd = twin.state_dict()
    own = st.state_dict()
    for k, v in sd.items():
        if k.startswith(("head.", "blocks.")):
            own[k] = v.clone()
    own["mid.weight"] = sd["mid.weight"].repeat(2, 1, 1, 1)
    own["mid.bias"] = sd["mid.bias"].repeat(2)
    f = cfg["fusion"]
    w0 = torch.zeros_like(own["fuse.0.weight"]); b0 = own["fuse.0.bias"].clone()
    w0[:f, 0] = sd["fuse.0.weight"][:, 0]; w0[f:, 1] = sd["fuse.0.weight"][:, 0]
    b0[:f] = sd["fuse.0.bias"]; b0[f:] = sd["fuse.0.bias"]
    w2 = torch.zeros_like(own["fuse.2.weight"])
    w2[0, :f] = sd["fuse.2.weight"][0]; w2[1, f:] = sd["fuse.2.weight"][0]
    own["fuse.0.weight"], own["fuse.0.bias"] = w0, b0
    own["fuse.2.weight"], own["fuse.2.bias"] = w2, sd["fuse.2.bias"].repeat(2)
    st.load_state_dict(own)
    return st


def pruned_student(twin, width):
    """The twin's architecture at ``width`` channels, initialised by keeping
    the twin's strongest channels (a structured prune; distillation then
    recovers what the dropped channels carried).

    The residual stream's channels are shared by the head, every block's
    output and the mid layer: they are ranked once, by the summed |BN gamma|
    of the head and of each block's second BN (what each channel writes into
    the stream).  Each block's inner channels are ranked by |gamma| of its
    first BN.
    """
    cfg = dict(twin.config)
    cfg["width"] = int(width)
    st = PixelAffinityNet(**cfg)
    sd = twin.state_dict()
    own = st.state_dict()
    n_blocks = len(cfg["dilations"])
    score = sd["head.1.weight"].abs().clone()
    for b in range(n_blocks):
        score += sd[f"blocks.{b}.bn2.weight"].abs()
    keep = torch.argsort(score, descending=True)[:width].sort().values
    inner = [torch.argsort(sd[f"blocks.{b}.bn1.weight"].abs(), descending=True)[:width]
             .sort().values for b in range(n_blocks)]

    def bn(prefix, idx):
        for k in ("weight", "bias", "running_mean", "running_var"):
            own[f"{prefix}.{k}"] = sd[f"{prefix}.{k}"][idx].clone()

    own["head.0.weight"] = sd["head.0.weight"][keep].clone()
    bn("head.1", keep)
    for b in range(n_blocks):
        own[f"blocks.{b}.conv1.weight"] = sd[f"blocks.{b}.conv1.weight"][inner[b]][:, keep].clone()
        bn(f"blocks.{b}.bn1", inner[b])
        own[f"blocks.{b}.conv2.weight"] = sd[f"blocks.{b}.conv2.weight"][keep][:, inner[b]].clone()
        bn(f"blocks.{b}.bn2", keep)
    own["mid.weight"] = sd["mid.weight"][:, keep].clone()
    own["mid.bias"] = sd["mid.bias"].clone()
    for k in own:
        if k.startswith("fuse."):
            own[k] = sd[k].clone()
    st.load_state_dict(own)
    return st


def with_identity_block(net, dilation):
    """``net`` with one residual block of ``dilation`` appended after its last.

    The new block's second BatchNorm starts at zero scale and shift, so the
    block adds nothing to the stream (whose values are >= 0 after the last
    ReLU, which the block's own ReLU then keeps): the grown net computes
    exactly ``net``'s function at step 0 and training decides what the block
    adds.
    """
    cfg = dict(net.config)
    cfg["dilations"] = list(cfg["dilations"]) + [int(dilation)]
    grown = PixelAffinityNet(**cfg)
    own = grown.state_dict()
    own.update({k: v.clone() for k, v in net.state_dict().items()})
    new = f"blocks.{len(cfg['dilations']) - 1}.bn2"
    own[f"{new}.weight"].zero_()
    own[f"{new}.bias"].zero_()
    grown.load_state_dict(own)
    return grown


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--iters", type=int, default=6000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--gt-weight", type=float, default=1.0)
    p.add_argument("--teacher", default="bsds500-dilated",
                   help="the teacher (a shipped name or a model file); a pruned or one-pass "
                        "student starts from it")
    p.add_argument("--distil-weight", type=float, default=1.0,
                   help="weight of the distillation loss; 0: the annotations alone "
                        "(the teacher is then not run)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--student", choices=("one-pass", "pruned"), default="one-pass",
                   help="one-pass: both directions from one pass at the teacher's width; "
                        "pruned: the teacher's architecture at --width, pruned from it")
    p.add_argument("--width", type=int, default=16, help="width of the pruned student")
    p.add_argument("--init", default=None,
                   help="start the student from this model file (fresh optimiser, step 0)")
    p.add_argument("--add-block", type=int, default=None, metavar="DILATION",
                   help="append a residual block of this dilation to the student, "
                        "initialised to add nothing (see with_identity_block)")
    p.add_argument("--distil-loss", choices=("bce", "logit"), default="bce",
                   help="bce: BCE on the affinities; logit: squared difference of the logits")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    teacher = read_weight_file(a.teacher)
    teacher.config["exponent"] = 1.0
    if a.init is not None:
        student = read_weight_file(a.init)
        student.config["exponent"] = 1.0
    else:
        student = (student_from_twin(teacher) if a.student == "one-pass"
                   else pruned_student(teacher, a.width))
    if a.add_block is not None:
        student = with_identity_block(student, a.add_block)
    teacher.eval()
    for q in teacher.parameters():
        q.requires_grad_(False)
    opt = torch.optim.Adam(student.parameters(), lr=a.lr, weight_decay=1e-4)
    rng = np.random.default_rng(a.seed)
    torch.manual_seed(a.seed)
    step = 0
    ck = out / "checkpoint.pt"
    if a.resume and ck.exists():
        st = torch.load(ck, weights_only=False)
        student.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        step = st["step"]; rng.bit_generator.state = st["rng"]
        torch.set_rng_state(st["torch_rng"])
    data = load_data()
    student.train()
    log = open(out / "log.csv", "a", newline="")
    wr = csv.writer(log)
    if step == 0:
        wr.writerow(["step", "lr", "loss", "distil", "gt", "it_s", "wall"])
    t_last = time.time(); last_ck = time.time(); acc = []
    start = time.time()
    while step < a.iters:
        lr = a.lr if step < 0.75 * a.iters else a.lr * 0.1
        for g in opt.param_groups:
            g["lr"] = lr
        batch = [sample(data, rng, a.crop) for _ in range(a.batch)]
        x = torch.from_numpy(np.stack([b[0] for b in batch]))
        tgt = torch.from_numpy(np.stack([b[1] for b in batch]))
        if a.distil_weight == 0:
            s_aff = student(x)
            ld = torch.zeros((), dtype=s_aff.dtype)
        elif a.distil_loss == "logit":
            with torch.no_grad():
                t_logit = teacher.forward_logits(x)
            s_logit = student.forward_logits(x)
            ld = logit_mse(s_logit, t_logit)
            s_aff = torch.sigmoid(s_logit)
        else:
            with torch.no_grad():
                t_aff = teacher(x)
            s_aff = student(x)
            ld = bce(s_aff, t_aff)          # soft targets: the teacher's affinities
        lg = (balanced_bce(s_aff, tgt) if a.gt_weight
              else torch.zeros((), dtype=s_aff.dtype))
        loss = a.distil_weight * ld + a.gt_weight * lg
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        acc.append((loss.item(), ld.item(), lg.item()))
        if step % 25 == 0:
            m = np.mean(acc, 0); acc = []
            wr.writerow([step, lr, *(f"{v:.5f}" for v in m), f"{25 / (time.time() - t_last):.3f}",
                         f"{time.time() - start:.0f}"])
            log.flush(); t_last = time.time()
        if time.time() - last_ck > 180 or step == a.iters:
            tmp = out / "checkpoint.tmp"
            torch.save({"model": student.state_dict(), "opt": opt.state_dict(), "step": step,
                        "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, tmp)
            os.replace(tmp, ck)
            torch.save(model_file_payload(student), out / "model.pt")
            last_ck = time.time()


if __name__ == "__main__":
    main()
