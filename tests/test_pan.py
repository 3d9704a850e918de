"""Tests of the Pixel Affinity Net (sealseg.pan.model), choose_exponent and training (sealseg.pan.train).

The losses are tested in test_losses.py, inference in test_inference.py, the
weight registry in test_pretrained.py.
"""
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")

from sealseg.pan.model import PixelAffinityNet, canny_edges, prepare_input  # noqa: E402

from synthetic import two_region_image as _image  # noqa: E402

torch.set_num_threads(2)




# --------------------------------------------------------------------------- model

@pytest.mark.parametrize("kwargs", [{}, {"kernel": "7x7"}, {"use_edges": False},
                                    {"one_way": False}, {"padding_mode": "reflect"},
                                    {"dilations": (1, 2, 4)}])
def test_net_shapes_and_range(kwargs):
    torch.manual_seed(0)
    net = PixelAffinityNet(8, **kwargs).eval()
    x = prepare_input(_image())
    assert x.shape == (1, 4, 24, 20)
    with torch.no_grad():
        a = net(x)
    assert a.shape == (1, 2, 24, 20)
    assert torch.all((a > 0) & (a <= 1))
    assert torch.all(a[:, 0, :, -1] == 1) and torch.all(a[:, 1, -1, :] == 1)


@pytest.mark.parametrize("shape", [(16, 16), (13, 21)])
def test_one_way_transposition(shape):
    torch.manual_seed(1)
    net = PixelAffinityNet(8).eval()
    img = _image(*shape)
    with torch.no_grad():
        a = net(prepare_input(img))[0].numpy()
        at = net(prepare_input(img.transpose(1, 0, 2).copy()))[0].numpy()
    assert_allclose(at[0], a[1].T, atol=1e-5)
    assert_allclose(at[1], a[0].T, atol=1e-5)



@pytest.mark.parametrize("shape", [(16, 16), (13, 21)])
def test_fuse_for_inference_same_function(shape):
    torch.manual_seed(2)
    net = PixelAffinityNet(8)
    # Non-trivial BatchNorm statistics, so folding them is really exercised.
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    net.eval()
    x = prepare_input(_image(*shape))
    with torch.no_grad():
        before = net(x)
        net.fuse_for_inference()
        after = net(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert_allclose(after.numpy(), before.numpy(), atol=1e-5)
    with pytest.raises(RuntimeError, match="eval mode"):
        PixelAffinityNet(8).train().fuse_for_inference()

def test_exponent_raises_the_affinities_to_a_power():
    torch.manual_seed(3)
    net = PixelAffinityNet(8).eval()
    sharp = PixelAffinityNet(8, exponent=1.5).eval()
    sharp.load_state_dict(net.state_dict())
    x = prepare_input(_image())
    with torch.no_grad():
        a, b = net(x), sharp(x)
    assert sharp.config["exponent"] == 1.5 and net.config["exponent"] == 1.0
    assert_allclose(b.numpy(), a.numpy() ** 1.5, rtol=1e-5)
    # Borders stay 1; the order of the links is unchanged, only their contrast.
    assert torch.all(b[:, 0, :, -1] == 1) and torch.all(b[:, 1, -1, :] == 1)
    assert torch.all(b <= a)
    # A very negative logit gives a tiny positive affinity, not 0 or NaN.
    with torch.no_grad():
        sharp.fuse[2].bias.fill_(-60.0)
        c = sharp(x)
    assert torch.all(torch.isfinite(c)) and torch.all(c >= 0)


@pytest.mark.parametrize("exponent, error", [(0, ValueError), (-1.0, ValueError),
                                             (float("nan"), ValueError),
                                             (float("inf"), ValueError),
                                             ("2", TypeError), (True, TypeError)])
def test_exponent_errors(exponent, error):
    with pytest.raises(error, match="exponent"):
        PixelAffinityNet(8, exponent=exponent)
    assert PixelAffinityNet(8, exponent=np.float32(1.5)).exponent == 1.5


def test_canny_edges_binary():
    e = canny_edges(_image(32, 32))
    assert e.dtype == np.float32 and set(np.unique(e)) <= {0.0, 1.0}
    assert e.sum() > 0


def test_net_bad_arguments():
    with pytest.raises(ValueError, match="kernel"):
        PixelAffinityNet(8, kernel="3x3")
    with pytest.raises(ValueError, match="width"):
        PixelAffinityNet(0)
    with pytest.raises(ValueError, match="dilations"):
        PixelAffinityNet(8, dilations=(1, 2))
    with pytest.raises(ValueError, match="dilations"):
        PixelAffinityNet(8, dilations=(1, 0, 2))
    with pytest.raises(TypeError, match="dilations"):
        PixelAffinityNet(8, dilations=4)
    with pytest.raises(ValueError, match="B, 4, H, W"):
        PixelAffinityNet(8).forward_logits(torch.zeros(1, 3, 5, 5))


def test_width_32_cheaper_than_128():
    # Parameter count of the residual blocks scales with width**2.
    n32 = sum(p.numel() for p in PixelAffinityNet(32).parameters())
    n128 = sum(p.numel() for p in PixelAffinityNet(128).parameters())
    assert n128 > 12 * n32


# --------------------------------------------------------------------------- training

def _synthetic(n=3, size=40, seed=0):
    rng = np.random.default_rng(seed)
    data = []
    for k in range(n):
        gt = np.ones((size, size + 8), np.uint16)
        img = np.empty((size, size + 8, 3), np.uint8)
        img[:] = rng.integers(0, 256, 3)
        for j in range(2, 6):
            y, x = rng.integers(0, size - 10, 2)
            h, w = rng.integers(6, 16, 2)
            gt[y:y + h, x:x + w] = j
            img[y:y + h, x:x + w] = rng.integers(0, 256, 3)
        noise = rng.integers(-8, 9, img.shape)
        img = np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)
        data.append((f"s{k}", img, [gt, gt.copy()]))
    return data


def _cfg(**kw):
    from sealseg.pan.train import TrainConfig

    base = dict(iters=6, width=8, crop=32, batch=2, lr=1e-2, val_every=0, log_every=2,
                ckpt_minutes=0.0, threads=1, seed=3)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("loss", ["seal", "bce", "balanced_bce"])
def test_training_lowers_loss(loss):
    from sealseg.pan.train import _Sampler, compute_loss

    torch.manual_seed(0)
    cfg = _cfg(loss=loss)
    sampler = _Sampler(_synthetic(), 32)
    rng = np.random.default_rng(0)
    batch = [sampler.sample(rng) for _ in range(2)]
    x = torch.from_numpy(np.stack([b[0] for b in batch]))
    gts = np.stack([b[1] for b in batch])
    net = PixelAffinityNet(8)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    timer = dict(forward=0.0, ers=0.0, gamma=0.0)
    values = []
    for _ in range(20):
        loss_value, _ = compute_loss(net, x, gts, cfg, timer)
        opt.zero_grad()
        loss_value.backward()
        opt.step()
        values.append(loss_value.item())
    assert values[-1] < 0.8 * values[0]


def test_sampler_augmentation_consistent():
    from sealseg.pan.train import _Sampler

    sampler = _Sampler(_synthetic(1), 24)
    rng = np.random.default_rng(5)
    for _ in range(8):
        x, g = sampler.sample(rng)
        assert x.shape == (4, 24, 24) and g.shape == (24, 24)
        # colour changes only where the label changes (up to the added noise)
        colour = x[:3]
        same = g[:, :-1] == g[:, 1:]
        diff = np.abs(colour[:, :, :-1] - colour[:, :, 1:]).sum(0)
        assert diff[same].max() < 0.2


def test_sampler_without_edges_same_crops_zero_channel():
    from sealseg.pan.train import _Sampler

    with_edges = _Sampler(_synthetic(1), 24)
    without = _Sampler(_synthetic(1), 24, use_edges=False)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(4):
        (xa, ga), (xb, gb) = with_edges.sample(rng_a), without.sample(rng_b)
        assert_array_equal(xa[:3], xb[:3])
        assert_array_equal(ga, gb)
        assert xa[3].any() and not xb[3].any()


def test_checkpoint_resume_is_exact(tmp_path):
    from sealseg.pan.train import train

    data = _synthetic()
    full = train(_cfg(), tmp_path / "a", progress=False, data=data)
    train(_cfg(), tmp_path / "b", progress=False, data=data, max_steps=3)
    resumed = train(_cfg(), tmp_path / "b", resume=True, progress=False, data=data)
    for (k, v), (k2, v2) in zip(full.state_dict().items(), resumed.state_dict().items()):
        assert k == k2
        assert torch.equal(v, v2), k
    ckpt = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 6
    rows = (tmp_path / "b" / "log.csv").read_text().splitlines()
    assert rows[0].startswith("step,kind") and rows[-1].startswith("6,train")
    assert not list(tmp_path.glob("*/*.tmp"))


def test_init_from_a_model_file(tmp_path):
    from sealseg.pan.train import train

    data = _synthetic()
    train(_cfg(iters=3, width=4, dilations=(1, 2, 1)), tmp_path / "a", progress=False,
          data=data)
    # lr 0: the convolutions stay exactly those of the file (BatchNorm running
    # statistics still move in train mode); the architecture comes from the file.
    b = train(_cfg(iters=2, lr=0.0, init=str(tmp_path / "a" / "model.pt")), tmp_path / "b",
              progress=False, data=data)
    saved = torch.load(tmp_path / "a" / "model.pt", weights_only=True)["state_dict"]
    assert b.config["width"] == 4 and b.config["dilations"] == [1, 2, 1]
    for k, v in b.state_dict().items():
        if k.endswith("weight") and v.ndim == 4:
            assert torch.equal(v, saved[k]), k
    with pytest.raises(FileNotFoundError, match="none.pt"):
        train(_cfg(init=str(tmp_path / "none.pt")), tmp_path / "c", progress=False, data=data)
    # A release exponent in the file does not reach the losses: training sees
    # the sigmoid.
    payload = torch.load(tmp_path / "a" / "model.pt", weights_only=True)
    payload["config"]["exponent"] = 2.0
    torch.save(payload, tmp_path / "sharp.pt")
    d = train(_cfg(iters=1, init=str(tmp_path / "sharp.pt")), tmp_path / "d", progress=False,
              data=data)
    assert d.exponent == 1.0 and d.config["exponent"] == 1.0


def test_train_config_errors():
    from sealseg.pan.train import TrainConfig

    with pytest.raises(ValueError, match="loss"):
        TrainConfig(loss="dice")
    with pytest.raises(ValueError, match="crop"):
        TrainConfig(crop=0)
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig(epochs=3)
    with pytest.raises(ValueError, match="n_segments"):
        TrainConfig(n_segments=0)
    assert TrainConfig(n_segments=12)["n_segments"] == 12


def test_lr_schedule():
    from sealseg.pan.train import TrainConfig, lr_at

    cfg = TrainConfig(iters=100, lr=1e-4)
    assert lr_at(cfg, 0) == 1e-4 and lr_at(cfg, 29) == 1e-4
    assert math.isclose(lr_at(cfg, 30), 1e-5) and math.isclose(lr_at(cfg, 60), 1e-6)


def test_train_parser():
    import argparse

    from sealseg.pan.train import add_train_parser

    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", "--out", "x", "--loss", "bce", "--width", "16",
                              "--crop", "96", "--resume", "--iters", "10", "--seed", "2"])
    assert (args.loss, args.width, args.crop, args.resume, args.iters, args.seed) == \
        ("bce", 16, 96, True, 10, 2)
    assert args.dilations == [1, 1, 1]
    args = parser.parse_args(["train", "--out", "x", "--dilations", "1", "2", "4"])
    assert args.dilations == [1, 2, 4]
    assert args.n_segments is None
    assert parser.parse_args(["train", "--out", "x", "--n-segments", "16"]).n_segments == 16
