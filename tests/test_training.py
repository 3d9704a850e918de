"""Tests of training (sealseg.training.loop) and the train command's parser (sealseg.training.cli)."""
import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal

torch = pytest.importorskip("torch")

from sealseg.pan.model import PixelAffinityNet  # noqa: E402

torch.set_num_threads(2)


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
    from sealseg.training.loop import TrainConfig

    base = dict(iters=6, width=8, crop=32, batch=2, lr=1e-2, val_every=0, log_every=2,
                ckpt_minutes=0.0, threads=1, seed=3)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("loss", ["seal", "bce", "balanced_bce"])
def test_training_lowers_loss(loss):
    from sealseg.training.data import Sampler
    from sealseg.training.loop import compute_loss

    torch.manual_seed(0)
    cfg = _cfg(loss=loss)
    sampler = Sampler(_synthetic(), 32)
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
    from sealseg.training.data import Sampler

    sampler = Sampler(_synthetic(1), 24)
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
    from sealseg.training.data import Sampler

    with_edges = Sampler(_synthetic(1), 24)
    without = Sampler(_synthetic(1), 24, use_edges=False)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(4):
        (xa, ga), (xb, gb) = with_edges.sample(rng_a), without.sample(rng_b)
        assert_array_equal(xa[:3], xb[:3])
        assert_array_equal(ga, gb)
        assert xa[3].any() and not xb[3].any()


def test_checkpoint_resume_is_exact(tmp_path):
    from sealseg.training.loop import train

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
    from sealseg.training.loop import train

    data = _synthetic()
    train(_cfg(iters=3, width=4, dilations=(1, 2, 1)), tmp_path / "a", progress=False,
          data=data)
    # lr 1e-12 (0 is refused): the convolutions stay those of the file up to
    # Adam's steps of about lr (BatchNorm running statistics still move in
    # train mode); the architecture comes from the file.
    b = train(_cfg(iters=2, lr=1e-12, init=str(tmp_path / "a" / "model.pt")), tmp_path / "b",
              progress=False, data=data)
    saved = torch.load(tmp_path / "a" / "model.pt", weights_only=True)["state_dict"]
    assert b.config["width"] == 4 and b.config["dilations"] == [1, 2, 1]
    for k, v in b.state_dict().items():
        if k.endswith("weight") and v.ndim == 4:
            assert torch.allclose(v, saved[k], rtol=0, atol=1e-9), k
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
    # ... and the files the run writes carry the exponent it started from
    assert torch.load(tmp_path / "d" / "model.pt", weights_only=True)["config"]["exponent"] == 2.0


def test_train_config_errors():
    from sealseg.training.loop import TrainConfig

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
    from sealseg.training.loop import TrainConfig, lr_at

    cfg = TrainConfig(iters=100, lr=1e-4)
    assert lr_at(cfg, 0) == 1e-4 and lr_at(cfg, 29) == 1e-4
    assert math.isclose(lr_at(cfg, 30), 1e-5) and math.isclose(lr_at(cfg, 60), 1e-6)


def test_train_split_trainval_reads_train_and_val(tmp_path, monkeypatch):
    from sealseg.training import data as training_data, loop

    asked = []

    def fake_split(root, split, limit=None):
        asked.append(split)
        return _synthetic(n=2, seed=len(asked))

    monkeypatch.setattr(training_data, "load_bsds_split", fake_split)
    sampled = []
    real_sampler = loop.Sampler

    def spy_sampler(data, crop, use_edges=True):
        sampled.append(len(data))
        return real_sampler(data, crop, use_edges)

    monkeypatch.setattr(loop, "Sampler", spy_sampler)
    loop.train(_cfg(iters=1, split="trainval"), tmp_path / "tv", progress=False)
    assert asked == ["train", "val"] and sampled == [4]
    asked.clear(), sampled.clear()
    loop.train(_cfg(iters=1), tmp_path / "t", progress=False)
    assert asked == ["train"] and sampled == [2]


def test_train_config_refuses_other_designs_and_splits():
    from sealseg.training.loop import TrainConfig, model_config

    with pytest.raises(ValueError, match="arch"):
        TrainConfig(arch="multiscale")
    with pytest.raises(ValueError, match="split"):
        TrainConfig(split="test")
    assert "arch" not in model_config(TrainConfig())


def test_device_is_a_run_setting_not_part_of_the_recipe(tmp_path):
    from sealseg.training.loop import TrainConfig, train

    with pytest.raises(TypeError, match="device must be None"):
        TrainConfig(device=0)
    with pytest.raises(ValueError, match="available"):
        train(_cfg(device="cuda:99"), tmp_path / "x", progress=False, data=_synthetic())
    data = _synthetic()
    cpu = train(_cfg(device="cpu"), tmp_path / "a", progress=False, data=data)
    auto = train(_cfg(), tmp_path / "b", progress=False, data=data)
    if not torch.cuda.is_available():     # the default is the CPU here: the same run
        for (k, v), (k2, v2) in zip(cpu.state_dict().items(), auto.state_dict().items()):
            assert torch.equal(v, v2), k
    # the checkpoint does not pin a device, so a run resumes wherever it is
    saved = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=True)
    assert saved["config"]["device"] is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_run_trained_on_cuda_resumes_on_the_cpu(tmp_path):
    from sealseg.training.loop import train

    data = _synthetic()
    net = train(_cfg(device="cuda", loss="seal"), tmp_path / "a", progress=False, data=data,
                max_steps=3)
    assert next(net.parameters()).is_cuda
    resumed = train(_cfg(device="cpu", loss="seal"), tmp_path / "a", resume=True,
                    progress=False, data=data)
    assert not next(resumed.parameters()).is_cuda
    assert torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=True)["step"] == 6
    for v in resumed.state_dict().values():
        assert torch.isfinite(v.float()).all()
