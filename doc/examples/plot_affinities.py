"""
Learned affinities and colour affinities
========================================

A graph-based superpixel method sees an image through its *affinities*: one
number in [0, 1] per pair of neighbouring pixels, near 1 when they probably
belong to the same object and near 0 across a boundary.  Hand-crafted
affinities (:func:`sealseg.rgb_affinities`) are a Gaussian of the colour
difference, so every strong colour change counts as a boundary -- the
texture of a cat's fur as much as the outline of the cat -- and a
low-contrast outline does not.  The Pixel Affinity Net of SEAL [1]_
(:func:`sealseg.learn_affinities`) is trained on human segmentations to
predict low affinity across their boundaries only, so it can learn to pass
over texture that annotators do not outline and to keep weak object edges.
(The paper's loss concentrates on the pixel pairs where ERS superpixels
cross a true boundary; the shipped default net was trained with a
class-balanced cross-entropy instead, see the :doc:`/user_guide`.)

Below, both kinds on the same image, shown as ``1 - affinity`` (bright means
"cut here"), taking for every pixel the smaller of its horizontal and
vertical affinity.  The histograms show the other difference: the learned
affinities are nearly binary, while colour affinities spread over the whole
range, and ERS [2]_ has to decide in the middle of it.

References
----------
.. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
       J. Kautz, "Learning superpixels with segmentation-aware affinity loss",
       CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
.. [2] M.-Y. Liu, O. Tuzel, S. Ramalingam and R. Chellappa, "Entropy rate
       superpixel segmentation", CVPR 2011. :DOI:`10.1109/CVPR.2011.5995323`
"""
import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.segmentation import mark_boundaries

import sealseg

image = data.chelsea()[::2, ::2]          # (150, 226, 3) uint8

learned = sealseg.learn_affinities(image)  # (2, M, N) float32
colour = sealseg.rgb_affinities(image)     # (2, M, N) float64, color_sigma=15 as in ers

# A pixel's affinity to its right and lower neighbours; the last column of [0]
# and last row of [1] have no neighbour and are 1, so the minimum ignores them.
boundary = {"colour (rgb_affinities)": 1 - np.minimum(colour[0], colour[1]),
            "learned (learn_affinities)": 1 - np.minimum(learned[0], learned[1])}

fig, axes = plt.subplots(2, 3, figsize=(11, 5.4), layout="constrained",
                         height_ratios=(3, 2))
axes[0, 0].imshow(image)
axes[0, 0].set_title("image")
axes[0, 0].set_axis_off()
bins = np.linspace(0, 1, 41)
for col, (name, cut) in enumerate(boundary.items(), start=1):
    shown = axes[0, col].imshow(cut, cmap="magma", vmin=0, vmax=1)
    axes[0, col].set_title(f"1 - {name.split()[0]} affinity")
    axes[0, col].set_axis_off()
    affinities = (colour if col == 1 else learned)
    values = np.concatenate([affinities[0, :, :-1].ravel(), affinities[1, :-1, :].ravel()])
    axes[1, col].hist(values, bins=bins, color=f"C{col}")
    axes[1, col].set_yscale("log")
    axes[1, col].set_xlabel("affinity")
    axes[1, col].set_title(name)
fig.colorbar(shown, ax=axes[0, 1:], fraction=0.03, label="1 - affinity")
labels = sealseg.ers(None, 150, affinities=learned)
axes[1, 0].imshow(mark_boundaries(image, labels))
axes[1, 0].set_title("ERS on them, 150 superpixels")
axes[1, 0].set_axis_off()
plt.show()
