"""sealseg: learned superpixels that hold object boundaries.

The public functions are re-exported here; ``import sealseg`` does not import
torch (the learned parts import it on first use).
"""
from .affinity import affinities_from_labels, rgb_affinities, thin_boundaries
from .segmentation import ers, felzenszwalb_affinity
from .pan.inference import learn_affinities
from .pan.registry import list_weights
from .seal import seal_ers
from .metrics import (achievable_miou, asa, boundary_precision, boundary_recall,
                      boundary_share, compactness, explained_variation, strip_share,
                      undersegmentation_error)
from .pooling import superpixel_mean
from .datasets import (load_bsds500, load_camvid, load_cityscapes, load_ecssd, load_folder,
                       load_sbd)
from .collection import segment_collection

__version__ = "0.1.0.dev0"

__all__ = [
    "seal_ers",
    "learn_affinities",
    "list_weights",
    "ers",
    "felzenszwalb_affinity",
    "rgb_affinities",
    "affinities_from_labels",
    "thin_boundaries",
    "asa",
    "undersegmentation_error",
    "boundary_recall",
    "boundary_precision",
    "boundary_share",
    "achievable_miou",
    "explained_variation",
    "compactness",
    "strip_share",
    "superpixel_mean",
    "load_bsds500",
    "load_sbd",
    "load_camvid",
    "load_ecssd",
    "load_cityscapes",
    "load_folder",
    "segment_collection",
]
