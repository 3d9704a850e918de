"""Tests of sealseg's affinities: rgb_affinities, affinities_from_labels, learn_affinities.

Bad inputs (formerly test_reliability.py); the learn_affinities rows go with
learn_affinities wherever it lives.
"""
import numpy as np

from bad_input_cases import GREY, IMG, LAB, bad_input_test, image_cases
from sealseg import affinities_from_labels, learn_affinities, rgb_affinities


def _learn(image, **kw):
    return learn_affinities(image, weights="/nonexistent/never-read.pt", **kw)


BAD_INPUTS = (
    image_cases("rgb_affinities", rgb_affinities) + image_cases("learn_affinities", _learn)
    + [
        ("rgb_affinities-sigma-None", lambda: rgb_affinities(IMG, sigma=None), TypeError,
         "sigma must be a real number, got None"),
        ("rgb_affinities-sigma-negative", lambda: rgb_affinities(IMG, sigma=-2), ValueError,
         "sigma must be a finite number > 0"),
        ("affinities_from_labels-empty-list", lambda: affinities_from_labels([]), ValueError,
         "groundtruth must be a label map or a non-empty list"),
        ("affinities_from_labels-float", lambda: affinities_from_labels(LAB + 0.5), TypeError,
         "groundtruth must be an integer label array"),
        ("affinities_from_labels-shape-mismatch",
         lambda: affinities_from_labels([LAB, LAB[:3]]), ValueError,
         "groundtruth[1] has shape (3, 10), expected (12, 10)"),
        ("learn_affinities-image-2-channels", lambda: _learn(IMG[..., :2]), ValueError,
         "image must be grey or RGB (3 channels), got 2 channels"),
        ("learn_affinities-image-4-channels", lambda: _learn(np.dstack([IMG, GREY])),
         ValueError, "got 4 channels"),
        ("learn_affinities-image-16-channels", lambda: _learn(np.zeros((6, 5, 16))),
         ValueError, "got 16 channels"),
        ("learn_affinities-weights-int", lambda: learn_affinities(IMG, weights=3), TypeError,
         "weights must be a registered name"),
        ("learn_affinities-weights-unknown-name", lambda: learn_affinities(IMG, weights="coco"),
         ValueError, "weights='coco' is neither a registered name"),
        ("learn_affinities-max_pixels_per_tile-0",
         lambda: _learn(IMG, max_pixels_per_tile=0), ValueError,
         "max_pixels_per_tile must be None or a positive integer, got 0"),
        ("learn_affinities-max_pixels_per_tile-float",
         lambda: _learn(IMG, max_pixels_per_tile=2.5), TypeError,
         "max_pixels_per_tile must be None or a positive integer"),
    ]
)


test_bad_input = bad_input_test(BAD_INPUTS)
