"""Runners of OpenCV's SEEDS and LSC superpixels, kept inside what OpenCV survives.

OpenCV (``cv2.ximgproc``) segfaults, dies of SIGFPE or never returns on
settings its grids cannot lay out on the image (a request near the pixel
count, a seed or region wider than the image's short side, a tiny image).
These runners of :mod:`sealseg.methods` clamp the request into the range
measured to be safe and refuse images too small for it (ValueError).
"""
import math

import numpy as np

__all__ = ["run_seeds", "run_lsc", "SEEDS_MIN_SIDE", "LSC_MIN_SIDE"]


#: Smallest side, in pixels, of an image OpenCV SEEDS is run on.
SEEDS_MIN_SIDE = 16


def _seeds_requests(h, w):
    """(lowest, highest) superpixel request OpenCV SEEDS survives on an h x w image.

    SEEDS crashes (or never returns) when its seed grid does not fit the
    image: a seed side (about ``sqrt(h * w / request)``) above a third of the
    short side, or seeds of under 6 pixels (a request near ``h * w / 4``
    segfaults in ``iterate``; measured on OpenCV 4.x/5.x, see
    ``tests/test_methods.py``).  Requests are kept inside these bounds.
    """
    pixels = h * w
    lowest = max(1, math.ceil(9 * pixels / min(h, w) ** 2))
    return lowest, max(lowest, pixels // 6)


def _seeds_setting(h, w, n):
    """(requested count, levels) of OpenCV SEEDS whose grid count is closest to n.

    SEEDS lays out a grid of blocks whose sizes are powers of two, so the count
    it returns jumps (on 321x481 with 4 levels: 60, 150, 260, 600, 2400) and
    always lands below the request.  Its grid is fixed at construction, so
    trying a few settings costs no iteration; ties prefer more levels (the
    SEEDS default, 4, first).  Requests stay inside :func:`_seeds_requests`
    (a count of n can then be out of reach: the count obtained says so).
    """
    import cv2
    lowest, highest = _seeds_requests(h, w)
    best = None
    for levels in (4, 3, 2):
        for factor in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0):
            request = min(highest, max(lowest, int(round(n * factor))))
            count = cv2.ximgproc.createSuperpixelSEEDS(w, h, 3, request, levels, 2,
                                                       5).getNumberOfSuperpixels()
            if count >= 1 and (best is None or abs(count - n) < best[0]):
                best = (abs(count - n), request, levels)
    if best is None:
        raise ValueError(f"OpenCV SEEDS lays out no superpixel on a {h}x{w} image; "
                         "use another method for it")
    return best[1], best[2]


def run_seeds(image, n, groundtruths):
    """OpenCV SEEDS on an 8-bit RGB image (HSV histograms, 10 iterations), n clamped."""
    import cv2
    h, w = image.shape[:2]
    if min(h, w) < SEEDS_MIN_SIDE:
        # OpenCV SEEDS crashes or never returns on such images.
        raise ValueError(f"seeds needs an image of at least {SEEDS_MIN_SIDE} pixels each way "
                         f"(OpenCV SEEDS crashes or loops on smaller ones), got {h}x{w}")
    hsv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2HSV)
    request, levels = _seeds_setting(h, w, int(n))
    seeds = cv2.ximgproc.createSuperpixelSEEDS(w, h, 3, request, levels, 2, 5)
    seeds.iterate(hsv, 10)
    return seeds.getLabels()


#: Smallest side, in pixels, of an image OpenCV LSC is run on.
LSC_MIN_SIDE = 4


def run_lsc(image, n, groundtruths):
    """OpenCV LSC on an 8-bit RGB image (Lab, ratio 0.075, 10 iterations), region clamped."""
    import cv2
    h, w = image.shape[:2]
    if min(h, w) < LSC_MIN_SIDE:
        raise ValueError(f"lsc needs an image of at least {LSC_MIN_SIDE} pixels each way "
                         f"(OpenCV LSC crashes on smaller ones), got {h}x{w}")
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2Lab)
    # OpenCV LSC dies (SIGFPE) on regions of over half the short side: fewer
    # superpixels than that layout gives cannot be asked of it.
    region_size = min(min(h, w) // 2, max(2, int(round(math.sqrt(h * w / n)))))
    lsc = cv2.ximgproc.createSuperpixelLSC(lab, region_size, 0.075)
    lsc.iterate(10)
    lsc.enforceLabelConnectivity(25)
    return lsc.getLabels()
