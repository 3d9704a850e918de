"""
Salient objects on SLIC and on SEAL-ERS superpixels
===================================================

Many salient-object detectors work on superpixels rather than pixels: they
build a graph over the superpixels of an image and decide, region by region,
what stands out.  :mod:`sealseg.saliency` has two such methods that take any
label map: saliency optimisation from robust background detection
(:func:`~sealseg.saliency.robust_background`, SO [2]_), which calls a region
background when it touches the image border along much of its extent, and
graph-based manifold ranking (:func:`~sealseg.saliency.manifold_ranking`,
GMR [3]_), which ranks regions by their graph affinity to the border and then
to the first guess of the object.  Each returns a map in [0, 1], constant on
every superpixel, so the superpixels' outlines become the map's outlines.

Here both run on the same photograph with 200 superpixels from
:func:`skimage.segmentation.slic` and from :func:`sealseg.seal_ers` [1]_, the
set-up of the SEAL paper's salient-object experiment.  The image has no
ground-truth mask, so the figure shows the maps only; the scores of both
methods with both kinds of superpixels on the ECSSD data set (mean absolute
error, weighted F-beta) are on the :ref:`results page <downstream>`.

References
----------
.. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
       J. Kautz, "Learning superpixels with segmentation-aware affinity loss",
       CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
.. [2] W. Zhu, S. Liang, Y. Wei and J. Sun, "Saliency optimization from robust
       background detection", CVPR 2014. :DOI:`10.1109/CVPR.2014.360`
.. [3] C. Yang, L. Zhang, H. Lu, X. Ruan and M.-H. Yang, "Saliency detection
       via graph-based manifold ranking", CVPR 2013.
       :DOI:`10.1109/CVPR.2013.407`
"""
import matplotlib.pyplot as plt
from skimage import data
from skimage.segmentation import mark_boundaries, slic

import sealseg
from sealseg.saliency import manifold_ranking, robust_background

image = data.coffee()[::2, ::2]           # (200, 300, 3) uint8
n_segments = 200
superpixels = {"SLIC": slic(image, n_segments, start_label=1),
               "SEAL-ERS": sealseg.seal_ers(image, n_segments)}

# %%
# One row per kind of superpixels: the superpixels, then the two saliency maps.

fig, axes = plt.subplots(2, 3, figsize=(10, 4.6), layout="constrained")
for row, (name, labels) in zip(axes, superpixels.items()):
    row[0].imshow(mark_boundaries(image, labels, color=(1, 1, 0)))
    row[0].set_title(f"{name}: {labels.max()} superpixels")
    row[1].imshow(robust_background(image, labels), cmap="gray", vmin=0, vmax=1)
    row[1].set_title(f"SO on {name}")
    row[2].imshow(manifold_ranking(image, labels), cmap="gray", vmin=0, vmax=1)
    row[2].set_title(f"GMR on {name}")
for ax in axes.ravel():
    ax.set_axis_off()
plt.show()
