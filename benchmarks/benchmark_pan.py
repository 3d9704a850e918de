"""Pixel Affinity Net: inference per image size and device, one training step.

asv style; also a plain script (``python benchmarks/benchmark_pan.py
[--quick]``).  Inference uses the shipped ``"bsds500"`` weights when they are
in the package and otherwise a randomly initialised net of the same
architecture (the speed does not depend on the weight values).  CUDA is
benchmarked when ``torch.cuda.is_available()``.
"""
import sys
from pathlib import Path

import numpy as np

from sealseg import learn_affinities

if __package__:
    from ._common import NET_DESIGNS, random_weights, timing_weights
    from .benchmark_ers import SIZES, make_image
else:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._common import NET_DESIGNS, random_weights, timing_weights
    from benchmarks.benchmark_ers import SIZES, make_image


def _devices():
    try:
        import torch
    except ImportError:
        return ["cpu"]
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def _synchronize(device):
    if device == "cuda":
        import torch
        torch.cuda.synchronize()


class LearnAffinities:
    """``learn_affinities`` on the astronaut at 0.15, 0.6 and 2.1 Mpx."""

    params = (list(SIZES), _devices())
    param_names = ["size", "device"]
    quick_params = (["0.15Mpx"], _devices())
    timeout = 600

    def setup(self, size, device):
        self.image = make_image(size)
        self.weights, self.kind = timing_weights()
        # Load the net (and import torch) outside the timed call.
        learn_affinities(self.image[:32, :32], weights=self.weights, device=device)

    def time_learn_affinities(self, size, device):
        learn_affinities(self.image, weights=self.weights, device=device)
        _synchronize(device)

    def peakmem_learn_affinities(self, size, device):
        learn_affinities(self.image, weights=self.weights, device=device)

    def track_megapixels_per_second(self, size, device):
        import time
        start = time.perf_counter()
        learn_affinities(self.image, weights=self.weights, device=device)
        _synchronize(device)
        return self.image.shape[0] * self.image.shape[1] / 1e6 / (time.perf_counter() - start)

    track_megapixels_per_second.unit = "Mpx/s"


class PaperWidth:
    """learn_affinities on one 321 x 481 image (BSDS500 size), 2 threads, CPU:
    the shipped width (32) against the paper's width (128), same architecture
    otherwise, randomly initialised (speed does not depend on the weights).
    ``track_share_of_paper_width`` is the ratio of the two, measured in the
    same run."""

    params = ([32, 128],)
    param_names = ["width"]
    timeout = 600

    def setup(self, width):
        import torch

        torch.set_num_threads(2)
        self.image = make_image("0.15Mpx")
        self.weights = {}
        for w in (32, 128):
            self.weights[w] = random_weights({"width": w})
            learn_affinities(self.image[:32, :32], weights=self.weights[w], device="cpu")

    def _seconds(self, width, repeat=3):
        import time
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            learn_affinities(self.image, weights=self.weights[width], device="cpu")
            best = min(best, time.perf_counter() - start)
        return best

    def time_learn_affinities(self, width):
        learn_affinities(self.image, weights=self.weights[width], device="cpu")

    def track_share_of_paper_width(self, width):
        return self._seconds(width) / self._seconds(128)

    track_share_of_paper_width.unit = "x width-128 time"


class Architectures:
    """The shipped architecture (Pixel Affinity Net, width 32, dilations 1, 2,
    4) against cheaper designs: the same net at width 16, with two outputs
    in one pass instead of one pass over the image and one over its
    transpose, and both changes; randomly initialised (speed does not depend on the weights), on the CPU with
    ``threads`` threads: ``learn_affinities`` on one 321 x 481 image and one
    class-balanced training step (4 crops of 128 x 128, forward, backward,
    Adam).  ``track_share_of_pan_*`` are the ratios to the Pixel Affinity
    Net, both measured in the same run (best of three)."""

    params = (list(NET_DESIGNS), [1, 2])
    param_names = ["arch", "threads"]
    quick_params = (["pan", "pan-w16"], [1])
    timeout = 900

    def setup(self, arch, threads):
        import torch

        from sealseg.pan.model import build_model
        from sealseg.training.loop import TrainConfig

        torch.set_num_threads(threads)
        self.image = make_image("0.15Mpx")
        self.weights, self.nets, self.opts = {}, {}, {}
        # The design timed and the shipped one it is compared with.
        for name in dict.fromkeys([arch, "pan"]):
            self.weights[name] = random_weights(NET_DESIGNS[name])
            learn_affinities(self.image[:32, :32], weights=self.weights[name], device="cpu")
            torch.manual_seed(0)
            net = build_model(NET_DESIGNS[name])
            self.nets[name] = net.train()
            self.opts[name] = torch.optim.Adam(net.parameters(), lr=1e-3)
        self.cfg = TrainConfig(loss="balanced_bce")
        rng = np.random.default_rng(0)
        scenes = [_scene(rng, 128, 12) for _ in range(4)]
        from sealseg.pan.model import prepare_input

        self.x = torch.cat([prepare_input(img.astype(np.float32) / 255) for img, _ in scenes])
        self.gts = np.stack([labels for _, labels in scenes])

    def _infer(self, arch):
        learn_affinities(self.image, weights=self.weights[arch], device="cpu")

    def _train_step(self, arch):
        from sealseg.training.loop import compute_loss

        timer = dict(data=0.0, forward=0.0, ers=0.0, gamma=0.0, backward=0.0)
        loss, _ = compute_loss(self.nets[arch], self.x, self.gts, self.cfg, timer)
        self.opts[arch].zero_grad(set_to_none=True)
        loss.backward()
        self.opts[arch].step()

    def _best(self, func, arch, repeat=3):
        import time
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            func(arch)
            best = min(best, time.perf_counter() - start)
        return best

    def time_learn_affinities(self, arch, threads):
        self._infer(arch)

    def time_train_step(self, arch, threads):
        self._train_step(arch)

    def track_share_of_pan_learn_affinities(self, arch, threads):
        return self._best(self._infer, arch) / self._best(self._infer, "pan")

    def track_share_of_pan_train_step(self, arch, threads):
        return self._best(self._train_step, arch) / self._best(self._train_step, "pan")

    track_share_of_pan_learn_affinities.unit = "x pan time"
    track_share_of_pan_train_step.unit = "x pan time"


def _scene(rng, size, n_regions):
    """A random-colour Voronoi image (uint8 RGB) and its labels."""
    seeds = rng.random((n_regions, 2)) * size
    yy, xx = np.mgrid[:size, :size]
    labels = np.argmin((yy[..., None] - seeds[:, 0]) ** 2
                       + (xx[..., None] - seeds[:, 1]) ** 2, axis=-1)
    colours = rng.integers(0, 256, (n_regions, 3))
    image = np.clip(colours[labels] + rng.normal(0, 8, (size, size, 3)), 0, 255)
    return image.astype(np.uint8), labels.astype(np.int64) + 1


class TrainingStep:
    """One step of SEAL training at the default settings (batch 4, 128x128
    crops, width 32): forward, 4-connected ERS per crop, SEAL weights, loss,
    backward and Adam update, on a fixed synthetic batch."""

    params = (["seal", "balanced_bce"],)
    param_names = ["loss"]
    quick_params = (["seal"],)
    timeout = 600

    def setup(self, loss):
        import torch

        from sealseg.pan.model import PixelAffinityNet, prepare_input
        from sealseg.training.loop import TrainConfig, model_config

        self.cfg = TrainConfig(loss=loss)
        torch.manual_seed(0)
        self.model = PixelAffinityNet(**model_config(self.cfg))
        self.model.train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=self.cfg["lr"])
        rng = np.random.default_rng(0)
        crop, batch = self.cfg["crop"], self.cfg["batch"]
        scenes = [_scene(rng, crop, 12) for _ in range(batch)]
        self.x = torch.cat([prepare_input(img.astype(np.float32) / 255) for img, _ in scenes])
        self.gts = np.stack([labels for _, labels in scenes])

    def _step(self):
        from sealseg.training.loop import compute_loss

        timer = dict(data=0.0, forward=0.0, ers=0.0, gamma=0.0, backward=0.0)
        loss, _ = compute_loss(self.model, self.x, self.gts, self.cfg, timer)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return timer

    def time_train_step(self, loss):
        self._step()

    def peakmem_train_step(self, loss):
        self._step()

    def track_ers_share_of_step(self, loss):
        import time
        start = time.perf_counter()
        timer = self._step()
        return timer["ers"] / (time.perf_counter() - start)

    track_ers_share_of_step.unit = "fraction"


if __name__ == "__main__":
    from benchmarks.run import main
    sys.exit(main(["--only", "benchmark_pan"] + sys.argv[1:]))
