"""Checks of the arguments shared by the metrics (label maps, ground truths) and dense relabelling."""
from ._ext import _metrics
from ._validation import check_label_image, check_label_maps_container

__all__ = []


def _check_labels(labels):
    return check_label_image(labels, name="labels")


def _check_groundtruths(groundtruth, shape):
    """Return a list of int64 C-contiguous maps of ``shape``."""
    check_label_maps_container(groundtruth, "groundtruth")
    if isinstance(groundtruth, (list, tuple)):
        if len(groundtruth) == 0:
            raise ValueError("groundtruth is an empty list; give one label map or a "
                             "non-empty list of label maps")
        named = [(g, f"groundtruth[{i}]") for i, g in enumerate(groundtruth)]
    else:
        named = [(groundtruth, "groundtruth")]
    maps = []
    for g, name in named:
        g = check_label_image(g, name=name)
        if g.shape != shape:
            raise ValueError(f"{name} has shape {g.shape} but labels has shape {shape}; "
                             "they must be label maps of the same (H, W) grid")
        maps.append(g)
    return maps


def _dense(labels):
    dense, n = _metrics.relabel_dense(labels.ravel())
    return dense, n
