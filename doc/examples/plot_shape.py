"""
The shape of superpixels: slic, plain ERS and relaxed ERS
=========================================================

Plain ERS joins pixels greedily on the pixel graph and nothing in its
gain sees shape: where the image is flat its boundaries wander, as
staircases and as strips one or two pixels wide.  slic's k-means keeps its
superpixels compact, at the price of a grid stamped on flat areas.

:func:`sealseg.ers` and :func:`sealseg.seal_ers` now relax the greedy's
boundaries (``relax``, on by default): boundary pixels move to a
neighbouring superpixel while that makes the boundaries shorter where the
pixels on either side look alike, so the boundaries stay on the image's
edges and straighten elsewhere.  ``relax=None`` gives plain ERS.

Below, the same image and count: slic, then plain and relaxed ERS on
colours (top) and on the net's affinities (bottom), each with its strip
share (:func:`sealseg.strip_share`: pixels in superpixels without a 3 x 3
square of their own) and boundary share (:func:`sealseg.boundary_share`).
The figures on BSDS500 val are on the results page, "The shape of the
superpixels".
"""
import matplotlib.pyplot as plt
from skimage import data
from skimage.segmentation import mark_boundaries, slic

import sealseg

image = data.coffee()[::2, ::2]           # (200, 300, 3) uint8
n_segments = 250

maps = {
    "slic": slic(image, n_segments, start_label=1),
    "ers, relax=None": sealseg.ers(image, n_segments, relax=None),
    "ers (relaxed)": sealseg.ers(image, n_segments),
    "seal_ers, relax=None": sealseg.seal_ers(image, n_segments, relax=None),
    "seal_ers (relaxed)": sealseg.seal_ers(image, n_segments),
}
for name, labels in maps.items():
    print(f"{name:22s} {labels.max():4d} superpixels, strip share "
          f"{100 * sealseg.strip_share(labels):.2f}%, boundary share "
          f"{100 * sealseg.boundary_share(labels):.1f}%")

# %%
# Draw them; the zoom (red box) is the saucer's rim and the flat table top.

zoom = (slice(110, 200), slice(0, 135))
layout = [["slic", "ers, relax=None", "ers (relaxed)"],
          ["zoom", "seal_ers, relax=None", "seal_ers (relaxed)"]]
fig, axes = plt.subplot_mosaic(layout, figsize=(11, 5.2), layout="constrained")
for name, labels in maps.items():
    ax = axes[name]
    ax.imshow(mark_boundaries(image, labels, color=(1, 1, 0)))
    ax.add_patch(plt.Rectangle((zoom[1].start, zoom[0].start), 135, 90, fill=False,
                               edgecolor="red", linewidth=1))
    ax.set_title(f"{name}\nstrips {100 * sealseg.strip_share(labels):.1f}%, boundary "
                 f"{100 * sealseg.boundary_share(labels):.1f}%", fontsize=9)
    ax.set_axis_off()
axes["zoom"].imshow(mark_boundaries(image[zoom], maps["seal_ers (relaxed)"][zoom],
                                    color=(1, 1, 0)))
axes["zoom"].set_title("zoom: seal_ers (relaxed)", fontsize=9)
axes["zoom"].set_axis_off()
plt.show()

# %%
# A zoom of all five on the same window shows the staircases and strips
# that the relaxation removes.

fig, axes = plt.subplots(1, 5, figsize=(13, 2.6), layout="constrained")
for ax, (name, labels) in zip(axes, maps.items()):
    ax.imshow(mark_boundaries(image[zoom], labels[zoom], color=(1, 1, 0)))
    ax.set_title(name, fontsize=9)
    ax.set_axis_off()
plt.show()
