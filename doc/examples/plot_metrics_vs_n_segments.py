"""
Boundary adherence against the number of superpixels
=====================================================

Superpixel methods are compared by how well their superpixels agree with a
human segmentation as the number of superpixels grows.  *Achievable
segmentation accuracy* (:func:`sealseg.asa`) is the fraction of pixels that
end up in the right segment if every superpixel is given the ground-truth
segment it overlaps most; *boundary recall* (:func:`sealseg.boundary_recall`)
is the fraction of ground-truth boundary pixels that have a superpixel
boundary within one pixel.  Both rise towards 1 with more superpixels; a
better method reaches a given value with fewer of them.  Figure 6 of the SEAL
paper [1]_ plots exactly these curves on BSDS500, with SLIC [2]_ among the
baselines.

The curves below use the first three images of the BSDS500 validation set
when the dataset is installed where :func:`sealseg.load_bsds500` finds it
(``$SEALSEG_DATA/BSDS500``), at half resolution to keep the page fast, with
every human annotation as ground truth.  So that the page also builds without
any dataset, it otherwise falls back to synthetic scenes of textured regions
whose borders are known by construction.  A few images are not a benchmark:
the comparison on the whole BSDS500 val split is on the :doc:`/results` page,
and ``python -m sealseg evaluate`` computes it on your own data.

References
----------
.. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
       J. Kautz, "Learning superpixels with segmentation-aware affinity loss",
       CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
.. [2] R. Achanta, A. Shaji, K. Smith, A. Lucchi, P. Fua and S. Suesstrunk,
       "SLIC superpixels compared to state-of-the-art superpixel methods",
       IEEE TPAMI 34(11), 2012. :DOI:`10.1109/TPAMI.2012.120`
"""
import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import mark_boundaries, slic

import sealseg


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
    contrast = rng.uniform(0, 0.2, n_regions + 1)
    phase = (xx * np.cos(angle[labels]) + yy * np.sin(angle[labels])) / period[labels]
    stripes = contrast[labels] * np.sin(2 * np.pi * phase)
    image = colour[labels] + stripes[..., None] + rng.normal(0, 0.01, (h, w, 3))
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), labels


try:
    dataset = sealseg.load_bsds500(split="val")
    samples = [dataset[i] for i in range(3)]
    # Half resolution: every other row and column of the image and annotations.
    scenes = [(s.image[::2, ::2], [g[::2, ::2] for g in s.groundtruths]) for s in samples]
    source = "BSDS500 val (" + ", ".join(s.name for s in samples) + "), half size"
except FileNotFoundError:
    scenes = [synthetic_scene((160, 240), n_regions, seed)
              for seed, n_regions in enumerate((10, 16, 24))]
    source = "synthetic scenes"
print(f"images: {source}")
n_list = [50, 100, 200, 400]

# %%
# Score each method at each number of superpixels.  ``seal_ers(image, n)`` is
# ``ers(None, n, affinities=learn_affinities(image))``; computing the learned
# affinities once per image and running ERS for every ``n`` saves the network
# passes.

scores = {name: np.zeros((len(n_list), 2)) for name in ("SEAL-ERS", "ERS", "SLIC")}
for image, groundtruth in scenes:
    learned = sealseg.learn_affinities(image)
    for i, n in enumerate(n_list):
        results = {
            "SEAL-ERS": sealseg.ers(None, n, affinities=learned),
            "ERS": sealseg.ers(image, n),
            "SLIC": slic(image, n, start_label=1),
        }
        for name, labels in results.items():
            scores[name][i] += (sealseg.asa(labels, groundtruth),
                                sealseg.boundary_recall(labels, groundtruth, tolerance=1))
for name in scores:
    scores[name] /= len(scenes)
    print(f"{name:>8}  ASA " + " ".join(f"{v:.3f}" for v in scores[name][:, 0])
          + "   BR " + " ".join(f"{v:.3f}" for v in scores[name][:, 1]))

# %%
# Plot the curves, and one scene with its ground truth for reference.

fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained")
image, groundtruth = scenes[1]
first_truth = groundtruth[0] if isinstance(groundtruth, list) else groundtruth
axes[0].imshow(mark_boundaries(image, first_truth, color=(1, 0, 0)))
axes[0].set_title("an image and one ground truth")
axes[0].set_axis_off()
styles = {"SEAL-ERS": "o-", "ERS": "s-", "SLIC": "^--"}
for k, metric in enumerate(("ASA", "boundary recall (r = 1)")):
    ax = axes[k + 1]
    for name, values in scores.items():
        ax.plot(n_list, values[:, k], styles[name], label=name)
    ax.set_xscale("log")
    ax.set_xticks(n_list, [str(n) for n in n_list])
    ax.minorticks_off()
    ax.set_xlabel("number of superpixels")
    ax.set_title(f"{metric}, {len(scenes)} images")
    ax.grid(True, alpha=0.3)
axes[1].legend()
plt.show()
