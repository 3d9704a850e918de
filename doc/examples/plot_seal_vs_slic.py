"""
SEAL-ERS and SLIC side by side
==============================

:func:`sealseg.seal_ers` and :func:`skimage.segmentation.slic` take the same
image and return the same kind of label array, so comparing them takes two
calls and :func:`skimage.segmentation.mark_boundaries`.  SLIC [2]_ clusters
pixels by colour and position, which makes compact, regular superpixels of
roughly equal size; SEAL-ERS [1]_ grows superpixels on a pixel graph whose
weights a network learned from human segmentations, so its superpixels bend
to follow object outlines and are small where the image is busy and large
where it is flat.

Both get the same budget, 250 superpixels on a 200 x 300 image.  ERS returns
exactly that many; SLIC returns about that many, as its grid of seeds is
rounded to the image shape.  The bottom row zooms into the cup's rim and
saucer, where the difference in boundary adherence is easiest to see.

References
----------
.. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
       J. Kautz, "Learning superpixels with segmentation-aware affinity loss",
       CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
.. [2] R. Achanta, A. Shaji, K. Smith, A. Lucchi, P. Fua and S. Suesstrunk,
       "SLIC superpixels compared to state-of-the-art superpixel methods",
       IEEE TPAMI 34(11), 2012. :DOI:`10.1109/TPAMI.2012.120`
"""
import time

import matplotlib.pyplot as plt
from skimage import data
from skimage.segmentation import mark_boundaries, slic

import sealseg

image = data.coffee()[::2, ::2]           # (200, 300, 3) uint8
n_segments = 250

start = time.perf_counter()
seal = sealseg.seal_ers(image, n_segments)
seconds_seal = time.perf_counter() - start
start = time.perf_counter()
simple = slic(image, n_segments, start_label=1)
seconds_slic = time.perf_counter() - start
print(f"seal_ers: {seal.max()} superpixels in {seconds_seal:.2f} s "
      f"(the first call also loads the network)")
print(f"slic:     {simple.max()} superpixels in {seconds_slic:.2f} s")

# %%
# Draw both, full image on top and a zoom below.

zoom = (slice(20, 120), slice(60, 210))
fig, axes = plt.subplots(2, 2, figsize=(9, 6.6), layout="constrained",
                         height_ratios=(2, 2 * 100 / 150))
for col, (name, labels) in enumerate((("SEAL-ERS", seal), ("SLIC", simple))):
    overlay = mark_boundaries(image, labels, color=(1, 1, 0))
    axes[0, col].imshow(overlay)
    axes[0, col].add_patch(plt.Rectangle((zoom[1].start, zoom[0].start), 150, 100,
                                         fill=False, edgecolor="red", linewidth=1.5))
    axes[0, col].set_title(f"{name}: {labels.max()} superpixels")
    axes[1, col].imshow(overlay[zoom], interpolation="nearest")
    axes[1, col].set_title(f"{name}, zoom")
for ax in axes.ravel():
    ax.set_axis_off()
plt.show()
