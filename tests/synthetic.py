"""Synthetic test data shared by test modules (not a test module itself)."""
import numpy as np
import pytest


def picture(h, w, seed):
    """A blocky RGB uint8 image with noise: ERS has real boundaries to find."""
    rng = np.random.default_rng(seed)
    image = np.zeros((h, w, 3))
    image[:, w // 3:] = [0.8, 0.3, 0.1]
    image[h // 2:, :, 2] = 0.7
    image += rng.normal(0, 0.05, image.shape)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def two_region_image(h=24, w=20, seed=0):
    """A float RGB image in [0, 1]: a red right half, blue lower half, light noise."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3))
    img[:, w // 2:] = [0.9, 0.2, 0.1]
    img[h // 2:, :, 2] = 0.7
    img += rng.normal(0, 0.02, img.shape)
    return np.clip(img, 0, 1)


def sensitive_weights(path, width=8, **kw):
    """A tiny random Pixel Affinity Net weight file, non-trivial BatchNorm, sensitive to its input.

    The default initialisation
    gives a net whose output barely depends on pixels a few steps away;
    tripled convolution weights make a wrong halo visible (see
    test_tiling_needs_the_full_receptive_field).
    """
    torch = pytest.importorskip("torch")
    from sealseg.pan.model import build_model
    from sealseg.pan.pretrained import model_file_payload

    torch.manual_seed(0)
    net = build_model(dict(width=width, **kw)).eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
            elif isinstance(module, torch.nn.Conv2d):
                module.weight.mul_(3.0)
    torch.save(model_file_payload(net), path)
    return str(path)
