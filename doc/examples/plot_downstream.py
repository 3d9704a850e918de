"""
Using superpixels downstream: mean colours and a region adjacency graph
========================================================================

Superpixels are rarely the end product.  They turn an image of tens of
thousands of pixels into a few hundred regions that respect its edges, and the
next step works on those regions: here we replace every superpixel by its mean
colour (:func:`skimage.color.label2rgb` with ``kind="avg"``), build the region
adjacency graph (RAG) [2]_ whose edge weights are the colour differences of
neighbouring superpixels (:func:`skimage.graph.rag_mean_color`), and merge the
neighbours that differ by less than a threshold
(:func:`skimage.graph.cut_threshold`), a coarse segmentation in three lines.

The label arrays of :func:`sealseg.ers` [1]_ and :func:`sealseg.seal_ers` are
ordinary ``(M, N)`` integer arrays, like those of
:func:`skimage.segmentation.slic`, so every tool of :mod:`skimage.graph` and
:mod:`skimage.measure` takes them as they are.  Because every ERS superpixel is
one connected region, the RAG has exactly one node per superpixel.

References
----------
.. [1] M.-Y. Liu, O. Tuzel, S. Ramalingam and R. Chellappa, "Entropy rate
       superpixel segmentation", CVPR 2011. :DOI:`10.1109/CVPR.2011.5995323`
.. [2] A. Tremeau and P. Colantoni, "Regions adjacency graph applied to color
       image segmentation", IEEE Transactions on Image Processing 9(4), 2000.
       :DOI:`10.1109/83.841950`
"""
import matplotlib.pyplot as plt
from skimage import data, graph
from skimage.color import label2rgb
from skimage.segmentation import mark_boundaries

import sealseg

image = data.coffee()[::2, ::2]           # (200, 300, 3) uint8
labels = sealseg.ers(image, n_segments=300)

# Every superpixel painted with its mean colour.
mean_colour = label2rgb(labels, image, kind="avg", bg_label=0)

# Region adjacency graph: one node per superpixel, edges between neighbours,
# weighted by the distance of their mean colours; then merge weak edges.
rag = graph.rag_mean_color(image, labels)
merged = graph.cut_threshold(labels, rag, thresh=25, in_place=False)
merged_colour = label2rgb(merged, image, kind="avg", bg_label=0)

print(f"{labels.max()} superpixels, {rag.number_of_nodes()} RAG nodes, "
      f"{rag.number_of_edges()} RAG edges -> {len(set(merged.ravel()))} regions "
      "after merging neighbours closer than 25 colour units")

fig, axes = plt.subplots(2, 2, figsize=(9, 6.4), sharex=True, sharey=True,
                         layout="constrained")
axes[0, 0].imshow(mark_boundaries(image, labels))
axes[0, 0].set_title(f"ERS, {labels.max()} superpixels")
axes[0, 1].imshow(mean_colour.astype("uint8"))
axes[0, 1].set_title('label2rgb(kind="avg")')
lines = graph.show_rag(labels, rag, image, border_color=None, edge_width=1.0,
                       ax=axes[1, 0])
fig.colorbar(lines, ax=axes[1, 0], fraction=0.03, label="colour distance")
axes[1, 0].set_title("region adjacency graph")
axes[1, 1].imshow(mark_boundaries(merged_colour.astype("uint8"), merged))
axes[1, 1].set_title(f"merged: {len(set(merged.ravel()))} regions")
for ax in axes.ravel():
    ax.set_axis_off()
plt.show()
