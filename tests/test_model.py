"""Tests of the Pixel Affinity Net (sealseg.pan.model).

Training is tested in test_training.py, the losses in test_losses.py,
inference in test_inference.py, the weight files in test_pretrained.py.
"""
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")

from sealseg.pan.model import (PixelAffinityNet, build_model, canny_edges,  # noqa: E402
                               prepare_input)

from synthetic import two_region_image as _image  # noqa: E402

torch.set_num_threads(2)




# --------------------------------------------------------------------------- model

@pytest.mark.parametrize("kwargs", [{}, {"kernel": "7x7"}, {"use_edges": False},
                                    {"one_way": False}, {"padding_mode": "reflect"},
                                    {"dilations": (1, 2, 4)}, {"dilations": (2,)},
                                    {"dilations": (1, 2, 4, 1)}])
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
    with pytest.raises(ValueError, match="dilations must be 1 to 8"):
        PixelAffinityNet(8, dilations=())
    with pytest.raises(ValueError, match="dilations must be 1 to 8"):
        PixelAffinityNet(8, dilations=(1,) * 9)
    with pytest.raises(ValueError, match="dilations"):
        PixelAffinityNet(8, dilations=(1, 0, 2))
    with pytest.raises(TypeError, match="dilations"):
        PixelAffinityNet(8, dilations=4)
    with pytest.raises(ValueError, match="B, 4, H, W"):
        PixelAffinityNet(8).forward_logits(torch.zeros(1, 3, 5, 5))


def test_one_residual_block_per_dilation():
    net = PixelAffinityNet(8, dilations=(1, 2, 4, 1))
    assert [block.conv1.dilation for block in net.blocks] == [(1, 1), (2, 2), (4, 4), (1, 1)]
    assert net.config["dilations"] == [1, 2, 4, 1]


def test_width_32_cheaper_than_128():
    # Parameter count of the residual blocks scales with width**2.
    n32 = sum(p.numel() for p in PixelAffinityNet(32).parameters())
    n128 = sum(p.numel() for p in PixelAffinityNet(128).parameters())
    assert n128 > 12 * n32


def test_build_model_builds_the_pixel_affinity_net_and_refuses_other_designs():
    # a config without "arch" is a Pixel Affinity Net (every file written so far)
    net = build_model({"width": 4, "dilations": [1, 2, 4]})
    assert isinstance(net, PixelAffinityNet) and net.config["dilations"] == [1, 2, 4]
    assert isinstance(build_model({"arch": "pan", "width": 4}), PixelAffinityNet)
    with pytest.raises(ValueError, match="arch must be 'pan'"):
        build_model({"arch": "multiscale", "width": 4})
