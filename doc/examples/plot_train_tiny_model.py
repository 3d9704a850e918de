"""
Training a tiny Pixel Affinity Net
==================================

SEAL [1]_ trains the Pixel Affinity Net with ERS in the loop: at every step
the network predicts affinities for a batch of crops, ERS [2]_ cuts each crop into
superpixels (no gradient flows through it), and the segmentation-aware
affinity loss weights every pixel pair by how much the superpixels there got
wrong.  ``python -m sealseg train --loss seal`` runs this on BSDS500 or a folder;
:func:`sealseg.training.loop.train` is the same loop for your own data: a list
of ``(name, image, [label maps])``, here a handful of synthetic scenes whose
regions are known.

A real model trains for thousands of steps on hundreds of images; this one
has 8 feature channels instead of 32 and trains for a few seconds.  That is
enough to see the loss fall and the region borders stand out in the learned
affinities more than the stripes inside the regions do, but not enough for a
useful model: the printed scores show ERS on plain colour affinities still
ahead on these easy scenes.  The run writes ``model.pt``, which
:func:`sealseg.learn_affinities` and :func:`sealseg.seal_ers` accept as
``weights=``.

References
----------
.. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
       J. Kautz, "Learning superpixels with segmentation-aware affinity loss",
       CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
.. [2] M.-Y. Liu, O. Tuzel, S. Ramalingam and R. Chellappa, "Entropy rate
       superpixel segmentation", CVPR 2011. :DOI:`10.1109/CVPR.2011.5995323`
"""
import csv
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import mark_boundaries

import sealseg
from sealseg.training.loop import TrainConfig, train


def synthetic_scene(shape, n_regions, seed):
    """A textured mosaic (uint8 RGB) and its region labels (the ground truth)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    yy, xx = np.mgrid[:h, :w].astype(float)
    # Wavy borders: each pixel takes the nearest seed in smoothly warped coordinates.
    warp = ndi.gaussian_filter(rng.normal(size=(2, h, w)), sigma=(0, 10, 10))
    warp *= 6 / warp.std()
    seeds = rng.random((n_regions, 2)) * (h, w)
    dist = ((yy + warp[0])[..., None] - seeds[:, 0]) ** 2 \
        + ((xx + warp[1])[..., None] - seeds[:, 1]) ** 2
    labels = np.argmin(dist, axis=-1) + 1
    # Each region: a colour, stripes of its own direction, period and contrast.
    colour = rng.uniform(0.15, 0.85, (n_regions + 1, 3))
    angle = rng.uniform(0, np.pi, n_regions + 1)
    period = rng.uniform(4, 12, n_regions + 1)
    contrast = rng.uniform(0, 0.15, n_regions + 1)
    phase = (xx * np.cos(angle[labels]) + yy * np.sin(angle[labels])) / period[labels]
    stripes = contrast[labels] * np.sin(2 * np.pi * phase)
    image = colour[labels] + stripes[..., None] + rng.normal(0, 0.01, (h, w, 3))
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), labels


# Six small training scenes (one annotation each) and one held-out scene.
data = []
for seed in range(6):
    image, labels = synthetic_scene((96, 96), 8, seed)
    data.append((f"scene{seed}", image, [labels]))
test_image, test_truth = synthetic_scene((120, 180), 12, seed=100)

# %%
# Train: 64x64 crops, two per step, 150 steps.  The learning rate drops by 10
# at 30% and 60% of the steps; ``val_every=0`` skips the periodic validation
# (which would otherwise score BSDS500 val images).

out = Path(tempfile.mkdtemp(prefix="sealseg_tiny_"))
config = TrainConfig(iters=150, width=8, crop=64, batch=2, lr=1e-2, threads=1, loss="seal",
                     log_every=10, val_every=0, seed=0)
train(config, out, data=data, progress=False)

with open(out / "log.csv") as f:
    log = [row for row in csv.DictReader(f) if row["kind"] == "train"]
steps = [int(row["step"]) for row in log]
loss = [float(row["loss"]) for row in log]
print(f"loss {loss[0]:.3f} -> {loss[-1]:.3f} after {steps[-1]} steps; weights in "
      f"{(out / 'model.pt').name}")

# %%
# Use the trained weights on the held-out scene and compare with colour
# affinities.  ``1 - affinity`` is shown, so that boundaries are bright.

learned = sealseg.learn_affinities(test_image, weights=out / "model.pt")
colour = sealseg.rgb_affinities(test_image)
n = 60
segmentations = {"learned (tiny model)": sealseg.ers(None, n, affinities=learned),
                 "colour": sealseg.ers(test_image, n)}
for name, labels in segmentations.items():
    print(f"ERS on {name} affinities, n={n}: ASA {sealseg.asa(labels, test_truth):.3f}, "
          f"BR {sealseg.boundary_recall(labels, test_truth):.3f}")

fig, axes = plt.subplots(2, 3, figsize=(11, 5.6), layout="constrained")
axes[0, 0].plot(steps, loss, "o-")
axes[0, 0].set_xlabel("step")
axes[0, 0].set_title("training loss (SEAL)")
axes[0, 0].grid(True, alpha=0.3)
axes[1, 0].imshow(mark_boundaries(test_image, test_truth, color=(1, 0, 0)))
axes[1, 0].set_title("held-out scene, ground truth")
for col, (name, aff) in enumerate((("colour", colour), ("learned (tiny model)", learned)),
                                  start=1):
    axes[0, col].imshow(1 - np.minimum(aff[0], aff[1]), cmap="magma", vmin=0, vmax=1)
    axes[0, col].set_title(f"1 - {name} affinity")
    axes[1, col].imshow(mark_boundaries(test_image, segmentations[name]))
    axes[1, col].set_title(f"ERS on {name}, n={n}")
for ax in axes.ravel()[1:]:
    ax.set_axis_off()
axes[1, 0].set_axis_off()
plt.show()
