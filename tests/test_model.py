"""Tests of sealseg.pan.model beyond the Pixel Affinity Net: the multi-scale net and build_model."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

torch = pytest.importorskip("torch")

from sealseg.pan.model import (MultiScaleAffinityNet, PixelAffinityNet,  # noqa: E402
                               build_model)

torch.set_num_threads(2)


def _net(width=4, seed=0, **kw):
    torch.manual_seed(seed)
    net = MultiScaleAffinityNet(width, **kw)
    # Non-trivial BatchNorm statistics, so that folding them is tested for real.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return net.eval()


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (7, 8), (13, 21), (32, 24)])
def test_multiscale_any_size_range_and_borders(shape):
    net = _net()
    with torch.no_grad():
        a = net(torch.rand(2, 4, *shape))
    assert a.shape == (2, 2) + shape
    assert torch.all((a > 0) & (a <= 1))
    assert torch.all(a[:, 0, :, -1] == 1) and torch.all(a[:, 1, -1, :] == 1)


def test_multiscale_ignores_the_edge_channel_and_predicts_both_directions():
    net = _net()
    x = torch.rand(1, 4, 16, 24)
    y = x.clone()
    y[:, 3] = torch.rand(16, 24)
    with torch.no_grad():
        a, b = net.forward_logits(x), net.forward_logits(y)
    assert torch.equal(a, b)
    # the two channels come from different heads, not one copied
    assert not torch.allclose(a[:, 0, :-1, :-1], a[:, 1, :-1, :-1])


def test_multiscale_pair_heads_read_both_pixels_of_a_link():
    # Changing pixel (x + 1, y) changes the horizontal link (x, y)-(x+1, y)
    # directly through the 1x2 convolution: zero the backbone's influence by
    # checking the gradient of the pair head alone.
    net = _net()
    d0 = torch.rand(1, 4, 8, 8, requires_grad=True)
    out = net.pair_h(d0)[:, :, :8, 1:9]
    g, = torch.autograd.grad(out[0, 0, 3, 4], d0)
    support = (g[0].abs().sum(0) > 0).nonzero().tolist()
    assert support == [[3, 4], [3, 5]]
    out = net.pair_v(d0)[:, :, 1:9, :8]
    g, = torch.autograd.grad(out[0, 0, 3, 4], d0)
    assert (g[0].abs().sum(0) > 0).nonzero().tolist() == [[3, 4], [4, 4]]


def test_multiscale_parameter_count_and_default_radius():
    net = MultiScaleAffinityNet()
    n = sum(p.numel() for p in net.parameters())
    assert 200_000 < n < 300_000          # a ~1 MB weight file
    assert net.receptive_radius() == 93
    assert MultiScaleAffinityNet(dilations=(1, 1, 1)).receptive_radius() == 93 - 8 * 4


@pytest.mark.parametrize("dilations", [(1, 2, 4), (1, 1, 1)])
def test_multiscale_receptive_radius_bounds_the_gradient_support(dilations):
    net = _net(dilations=dilations)
    with torch.no_grad():
        # positive BatchNorm shifts keep the ReLUs open, so that a zero
        # gradient means "not connected" rather than "switched off"
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.bias.fill_(3.0)
    r = net.receptive_radius()
    size = 2 * r + 40
    x = torch.rand(1, 4, size, size, requires_grad=True)
    out = net.forward_logits(x)
    extent = 0
    # every offset of the output pixel in the 8-pixel grid
    for k in range(8):
        p = size // 2 - 4 + k
        for c in (0, 1):
            g, = torch.autograd.grad(out[0, c, p, p], x, retain_graph=True)
            nz = (g[0, :3].abs().sum(0) > 0).nonzero()
            extent = max(extent, int((nz - p).abs().max()))
    assert extent <= r
    # the bound is close (the 1x2 head and the grid alignment use most of it)
    assert extent >= r - 4


def _tiled(net, x, tile, halo):
    """Outputs of ``net`` tile by tile, read windows aligned to the net's stride."""
    h, w = x.shape[-2:]
    s = net.stride
    out = torch.empty((1, 2, h, w))
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(h, y0 + tile), min(w, x0 + tile)
            Y0, X0 = max(0, y0 - halo) // s * s, max(0, x0 - halo) // s * s
            Y1, X1 = min(h, y1 + halo), min(w, x1 + halo)
            t = net(x[:, :, Y0:Y1, X0:X1])
            out[:, :, y0:y1, x0:x1] = t[:, :, y0 - Y0:y1 - Y0, x0 - X0:x1 - X0]
    out[:, 0, :, -1] = 1
    out[:, 1, -1, :] = 1
    return out


@pytest.mark.parametrize("fused", [False, True])
def test_multiscale_tiles_aligned_to_the_stride_are_exact(fused):
    net = _net(dilations=(1, 1, 1))
    if fused:
        net.fuse_for_inference()
    r = net.receptive_radius()
    x = torch.rand(1, 4, 3 * r + 5, 4 * r + 3)
    with torch.no_grad():
        whole = net(x)
        tiled = _tiled(net, x, tile=r + 3, halo=r)
    assert_allclose(tiled.numpy(), whole.numpy(), atol=2e-6)


def test_multiscale_unaligned_tiles_are_not_exact():
    # Why the tile origins must lie on the stride grid: the stride-2
    # convolutions see another grid otherwise, whatever the halo.
    net = _net(dilations=(1, 1, 1))
    r = net.receptive_radius()
    x = torch.rand(1, 4, 24, 3 * r)
    with torch.no_grad():
        whole = net(x)
        part = net(x[:, :, :, 3:])
    core = slice(r + 3, 2 * r)
    assert (part[:, :, :, core.start - 3:core.stop - 3] - whole[:, :, :, core]).abs().max() > 1e-4


@pytest.mark.parametrize("shape", [(16, 16), (13, 21)])
def test_multiscale_fuse_for_inference_same_function(shape):
    net = _net()
    x = torch.rand(1, 4, *shape)
    with torch.no_grad():
        before = net(x)
        after = net.fuse_for_inference()(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert_allclose(after.numpy(), before.numpy(), atol=1e-5)
    with pytest.raises(RuntimeError, match="eval mode"):
        MultiScaleAffinityNet(4).train().fuse_for_inference()


def test_multiscale_exponent():
    net = _net()
    sharp = _net(exponent=2.0)
    x = torch.rand(1, 4, 9, 10)
    with torch.no_grad():
        a, b = net(x), sharp(x)
    assert_allclose(b.numpy(), a.numpy() ** 2, rtol=1e-5, atol=1e-7)
    assert sharp.exponent == 2.0 and sharp.config["exponent"] == 2.0


def test_multiscale_bad_arguments():
    with pytest.raises(ValueError, match="width"):
        MultiScaleAffinityNet(0)
    with pytest.raises(ValueError, match="width"):
        MultiScaleAffinityNet(2.5)
    with pytest.raises(ValueError, match="dilations"):
        MultiScaleAffinityNet(dilations=(1, 2))
    with pytest.raises(TypeError, match="dilations"):
        MultiScaleAffinityNet(dilations=3)
    with pytest.raises(ValueError, match="exponent"):
        MultiScaleAffinityNet(exponent=0.0)
    with pytest.raises(TypeError, match="exponent"):
        MultiScaleAffinityNet(exponent="2")
    with pytest.raises(ValueError, match="use_edges"):
        MultiScaleAffinityNet(use_edges=True)
    with pytest.raises(ValueError, match=r"\(B, 4, H, W\)"):
        MultiScaleAffinityNet(4).forward_logits(torch.zeros(1, 3, 8, 8))


def test_build_model_dispatches_on_arch():
    ms = build_model({"arch": "multiscale", "width": 4, "dilations": [1, 2, 1]})
    assert isinstance(ms, MultiScaleAffinityNet) and ms.config["dilations"] == [1, 2, 1]
    # a config without "arch" is a Pixel Affinity Net (every file written so far)
    pan = build_model({"width": 4, "use_edges": False})
    assert isinstance(pan, PixelAffinityNet) and not pan.use_edges
    # the config round-trips
    assert build_model(ms.config).config == ms.config
    with pytest.raises(ValueError, match="arch"):
        build_model({"arch": "resnet"})


def test_multiscale_weight_file_round_trip(tmp_path):
    from sealseg.pan import pretrained
    from sealseg.pan.train import model_file_payload

    net = _net()
    path = tmp_path / "ms.pt"
    torch.save(model_file_payload(net), path)
    pretrained.clear_cache()
    loaded = pretrained.get_model(str(path), "cpu")
    assert isinstance(loaded, MultiScaleAffinityNet) and not loaded.training
    x = torch.rand(1, 4, 19, 26)
    with torch.no_grad():
        assert_allclose(loaded(x).numpy(), net(x).numpy(), atol=1e-5)
    pretrained.clear_cache()


def test_multiscale_learn_affinities_untiled(tmp_path):
    from sealseg import learn_affinities
    from sealseg.pan import pretrained
    from sealseg.pan.train import model_file_payload

    net = _net()
    path = tmp_path / "ms.pt"
    torch.save(model_file_payload(net), path)
    pretrained.clear_cache()
    rng = np.random.default_rng(0)
    img = rng.random((21, 30, 3))
    got = learn_affinities(img, weights=str(path), device="cpu")
    with torch.no_grad():
        expected = net(net.image_input(img.astype(np.float32)))[0].numpy()
    assert got.shape == (2, 21, 30) and got.dtype == np.float32
    assert_allclose(got, expected, atol=1e-5)
    pretrained.clear_cache()


# --------------------------------------------------------------------------- training options

def _synthetic(n=2, size=40, seed=0):
    rng = np.random.default_rng(seed)
    data = []
    for k in range(n):
        gt = np.ones((size, size + 8), np.uint16)
        img = np.empty((size, size + 8, 3), np.uint8)
        img[:] = rng.integers(0, 256, 3)
        for j in range(2, 5):
            y, x = rng.integers(0, size - 10, 2)
            gt[y:y + 8, x:x + 8] = j
            img[y:y + 8, x:x + 8] = rng.integers(0, 256, 3)
        data.append((f"s{k}", img, [gt]))
    return data


def _cfg(**kw):
    from sealseg.pan.train import TrainConfig

    base = dict(iters=4, width=4, crop=32, batch=2, lr=1e-2, val_every=0, log_every=2,
                ckpt_minutes=0.0, threads=1, seed=3, arch="multiscale", use_edges=False,
                loss="balanced_bce")
    base.update(kw)
    return TrainConfig(**base)


def test_train_multiscale_resume_is_exact_and_init_keeps_the_arch(tmp_path):
    from sealseg.pan.train import train

    data = _synthetic()
    full = train(_cfg(), tmp_path / "a", progress=False, data=data)
    assert isinstance(full, MultiScaleAffinityNet)
    train(_cfg(), tmp_path / "b", progress=False, data=data, max_steps=2)
    resumed = train(_cfg(), tmp_path / "b", resume=True, progress=False, data=data)
    for (k, v), (k2, v2) in zip(full.state_dict().items(), resumed.state_dict().items()):
        assert k == k2 and torch.equal(v, v2), k
    # --init from a multiscale file: the file's architecture wins over the
    # config's (here the default "pan")
    c = train(_cfg(arch="pan", iters=1, init=str(tmp_path / "a" / "model.pt")), tmp_path / "c",
              progress=False, data=data)
    assert isinstance(c, MultiScaleAffinityNet) and c.config["width"] == 4


def test_train_config_arch_and_split_checks():
    from sealseg.pan.train import TrainConfig, model_config

    with pytest.raises(ValueError, match="no-edges"):
        TrainConfig(arch="multiscale")
    with pytest.raises(ValueError, match="arch"):
        TrainConfig(arch="unet")
    with pytest.raises(ValueError, match="split"):
        TrainConfig(split="test")
    cfg = TrainConfig(arch="multiscale", use_edges=False, width=16, dilations=(1, 2, 4))
    assert model_config(cfg) == dict(arch="multiscale", width=16, dilations=[1, 2, 4],
                                     use_edges=False)
    assert "arch" not in model_config(TrainConfig())


def test_train_split_trainval_reads_train_and_val(tmp_path, monkeypatch):
    from sealseg.pan import train as train_module

    asked = []

    def fake_split(root, split, limit=None):
        asked.append(split)
        return _synthetic(seed=len(asked))

    monkeypatch.setattr(train_module, "load_bsds_split", fake_split)
    sampled = []
    real_sampler = train_module._Sampler

    def spy_sampler(data, crop, use_edges=True):
        sampled.append(len(data))
        return real_sampler(data, crop, use_edges)

    monkeypatch.setattr(train_module, "_Sampler", spy_sampler)
    train_module.train(_cfg(iters=1, split="trainval"), tmp_path / "tv", progress=False)
    assert asked == ["train", "val"] and sampled == [4]
    asked.clear(), sampled.clear()
    train_module.train(_cfg(iters=1), tmp_path / "t", progress=False)
    assert asked == ["train"] and sampled == [2]


def test_train_parser_arch_and_split():
    import argparse

    from sealseg.pan.train import add_train_parser

    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", "--out", "x"])
    assert (args.arch, args.split) == ("pan", "train")
    args = parser.parse_args(["train", "--out", "x", "--arch", "multiscale", "--split",
                              "trainval"])
    assert (args.arch, args.split) == ("multiscale", "trainval")
