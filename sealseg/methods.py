"""The one registry of superpixel methods, by name, for ``evaluate``, ``batch`` and ``segment``.

A :class:`Method` is a runner ``run(image, n_segments, groundtruths)`` returning
labels (or ``(labels, seconds)`` when it times only part of its work; module
level, so worker processes can unpickle it) and ``missing()``: ``None`` when it
can run here, else the reason with the install command.  ``evaluate`` takes
all of :data:`METHODS` and the forms of :func:`resolve_methods`; ``batch`` and
``segment`` take :func:`segmenter_names`.  Core functions are reached through
the modules that define them, imported inside the runners (a worker process
imports only what its method needs).
"""
import importlib
import importlib.util
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._opencv_runners import run_lsc, run_seeds

__all__ = ["Method", "METHODS", "available_methods", "resolve_methods", "segmenter_names",
           "segmenter", "count_segments", "search_scale", "canny_affinities"]

_OPENCV_HINT = ("OpenCV contrib (cv2.ximgproc) is not installed; "
                "pip install opencv-contrib-python-headless")
_SNIC_HINT = "pysnic is not installed; pip install pysnic"


def count_segments(labels):
    """Number of distinct labels of a label map.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.methods import count_segments
    >>> count_segments(np.array([[1, 1], [5, 9]]))
    3
    """
    return int(np.unique(np.asarray(labels)).size)


# --------------------------------------------------------------------------- runners

def _run_ers(image, n, groundtruths):
    from .segmentation import ers
    return ers(image, n)


def _run_ers4(image, n, groundtruths):
    from .segmentation import ers
    return ers(image, n, connectivity=4)


def _run_seal_ers(image, n, groundtruths):
    from .seal import seal_ers
    return seal_ers(image, n)


def _run_seal_ers4(image, n, groundtruths):
    from .seal import seal_ers
    return seal_ers(image, n, connectivity=4)


def _run_oracle(image, n, groundtruths):
    from .affinity import affinities_from_labels
    from .segmentation import ers
    return ers(None, n, affinities=affinities_from_labels(list(groundtruths)))


class _SealErsWeights:
    """seal_ers with a weight file of one's own (method name ``seal_ers@WEIGHTS``)."""

    def __init__(self, weights):
        self.weights = weights

    def __call__(self, image, n, groundtruths):
        from .seal import seal_ers
        return seal_ers(image, n, weights=self.weights)


class _UserMethod:
    """A callable ``f(image, n_segments) -> labels`` used as a runner."""

    def __init__(self, func):
        self.func = func

    def __call__(self, image, n, groundtruths):
        return self.func(image, n)


def canny_affinities(image):
    """Affinities from Canny edges: 1 - smoothed edge map (the paper's Fig. 4 baseline).

    Canny with the settings of the Pixel Affinity Net's edge channel
    (:func:`sealseg.pan.model.canny_edges`: the grey image, sigma 1,
    hysteresis thresholds 0.1/0.2), blurred by a Gaussian of sigma 1 pixel so
    that nearby edges still weaken an edge, scaled to a maximum of 1.  An edge
    between two pixels takes 1 - the larger strength of its two ends.

    Parameters
    ----------
    image : (M, N[, 3]) array
        Grey or RGB image, any dtype ``skimage.util.img_as_float`` takes.

    Returns
    -------
    affinities : (2, M, N) ndarray of float64
        ``[0]`` horizontal, ``[1]`` vertical, in [0, 1].
    """
    from skimage.filters import gaussian
    from skimage.util import img_as_float

    from .pan.model import canny_edges

    strength = gaussian(canny_edges(img_as_float(image)).astype(np.float64), sigma=1.0)
    if strength.max() > 0:
        strength /= strength.max()
    affinities = np.ones((2,) + strength.shape)
    affinities[0, :, :-1] = 1.0 - np.maximum(strength[:, :-1], strength[:, 1:])
    affinities[1, :-1, :] = 1.0 - np.maximum(strength[:-1, :], strength[1:, :])
    return affinities


def _run_canny_ers(image, n, groundtruths):
    from .segmentation import ers
    return ers(None, n, affinities=canny_affinities(image))


def _run_slic(image, n, groundtruths):
    from skimage.segmentation import slic
    return slic(image, n_segments=n, compactness=10, start_label=1)


def _run_slico(image, n, groundtruths):
    from skimage.segmentation import slic
    return slic(image, n_segments=n, slic_zero=True, start_label=1)


def search_scale(segment, n, initial_scale, *, max_calls=12, rel_tol=0.02):
    """Search the ``scale`` of an FH segmenter so its count lands near ``n``.

    ``segment(scale) -> labels`` is called at most ``max_calls`` times,
    starting at ``initial_scale``.  The count falls roughly as a power of
    ``scale``: secant steps in log-log space, kept inside the bracket found so
    far (bisection otherwise); the search stops within ``max(1, rel_tol * n)``
    of ``n``.  Returns ``(labels, seconds)`` of the call whose count is
    closest to ``n``.
    """
    tol = max(1.0, rel_tol * n)
    lo, hi = -math.inf, math.inf        # log scale with count > n / count < n
    x = math.log(max(initial_scale, 1e-3))
    best = None
    previous = None
    for _ in range(max_calls):
        start = time.perf_counter()
        labels = segment(math.exp(x))
        seconds = time.perf_counter() - start
        k = count_segments(labels)
        if best is None or abs(k - n) < abs(best[1] - n):
            best = (labels, k, seconds)
        if abs(k - n) <= tol:
            break
        if k > n:
            lo = max(lo, x)
        else:
            hi = min(hi, x)
        y = math.log(k)
        slope = -1.0
        if previous is not None and previous[1] != y and previous[0] != x:
            slope = (y - previous[1]) / (x - previous[0])
            if slope >= -0.05:
                slope = -1.0
        previous = (x, y)
        step = (math.log(n) - y) / slope
        step = max(-3.0, min(3.0, step))
        new = x + step
        if math.isfinite(lo) and math.isfinite(hi) and not lo < new < hi:
            new = 0.5 * (lo + hi)
        if new == x:
            break
        x = new
    return best[0], best[2]


def _run_felzenszwalb(image, n, groundtruths, *, max_calls=12, rel_tol=0.02):
    """skimage's felzenszwalb with ``scale`` searched so the count lands near ``n``.

    See :func:`search_scale`; the time reported is that of the call whose
    count is closest to ``n``.
    """
    from skimage.segmentation import felzenszwalb

    def segment(scale):
        return felzenszwalb(image, scale=scale, sigma=0.8, min_size=20)

    n_pixels = image.shape[0] * image.shape[1]
    return search_scale(segment, n, 0.5 * n_pixels / n, max_calls=max_calls, rel_tol=rel_tol)


def _run_seal_fh(image, n, groundtruths, *, max_calls=12, rel_tol=0.02):
    """FH on the learned affinities (shipped weights), ``scale`` searched as for felzenszwalb.

    The affinities are computed once per call; the time reported is that of
    the net plus the FH call whose count is closest to ``n`` (seal_ers's time
    includes the net too).
    """
    from .pan.inference import learn_affinities
    from .segmentation import felzenszwalb_affinity

    start = time.perf_counter()
    affinities = learn_affinities(image)
    net_seconds = time.perf_counter() - start

    def segment(scale):
        return felzenszwalb_affinity(affinities, scale, min_size=20)

    # Learned dissimilarities are larger than skimage's colour distances
    # (whose scale is on the 0-255 range): about 0.01 * pixels / n lands near
    # n on BSDS500.
    n_pixels = image.shape[0] * image.shape[1]
    labels, seconds = search_scale(segment, n, 0.01 * n_pixels / n, max_calls=max_calls,
                                   rel_tol=rel_tol)
    return labels, net_seconds + seconds


def _run_snic(image, n, groundtruths):
    from pysnic.algorithms.snic import snic
    from skimage.color import rgb2lab
    # More seeds than pixels has no meaning: at most one per pixel.
    labels, _, _ = snic(rgb2lab(image).tolist(), min(int(n), image.shape[0] * image.shape[1]),
                        10.0)
    return np.asarray(labels, dtype=np.int64)


# --------------------------------------------------------------------------- availability

def _always():
    return None


def _needs_module(module, hint):
    def check():
        # find_spec: no import (importing pysnic or torch costs seconds).
        return None if importlib.util.find_spec(module) is not None else hint
    return check


def _needs_opencv():
    try:
        import cv2
    except ImportError:
        return _OPENCV_HINT
    return None if hasattr(cv2, "ximgproc") else _OPENCV_HINT


def _needs_default_weights(method):
    """Check for a method on the default weights: their file must be present."""
    def check():
        from .pan.pretrained import weights_path
        path = weights_path(None)
        if not Path(path).is_file():
            return f"the shipped {method} weights {path} are not present"
        return None
    return check


_needs_seal_ers = _needs_default_weights("seal_ers")


# --------------------------------------------------------------------------- registry

@dataclass(frozen=True)
class Method:
    """A registered method.

    Attributes
    ----------
    run : callable
        ``run(image, n_segments, groundtruths) -> labels or (labels, seconds)``.
    missing : callable
        ``missing() -> None`` when the method can run here, else the reason.
    function : str or None
        ``"module.name"`` (in sealseg) of the public function behind the
        method when it takes options of its own (``batch`` and ``segment``
        call it with them).
    """

    run: object
    missing: object = _always
    function: object = None


#: name -> :class:`Method`, in the order the methods are listed to users.
METHODS = {
    "ers": Method(_run_ers, function="segmentation.ers"),
    "seal_ers": Method(_run_seal_ers, _needs_seal_ers, function="seal.seal_ers"),
    "slic": Method(_run_slic),
    "slico": Method(_run_slico),
    "felzenszwalb": Method(_run_felzenszwalb),
    "seeds": Method(run_seeds, _needs_opencv),
    "lsc": Method(run_lsc, _needs_opencv),
    "snic": Method(_run_snic, _needs_module("pysnic", _SNIC_HINT)),
    "oracle": Method(_run_oracle),
    # The Canny settings are those of the net's edge channel (sealseg.pan.model).
    "canny_ers": Method(_run_canny_ers),
    "seal_fh": Method(_run_seal_fh, _needs_default_weights("seal_fh")),
    "ers4": Method(_run_ers4),
    "seal_ers4": Method(_run_seal_ers4, _needs_seal_ers),
}


def available_methods():
    """Names of the built-in methods and whether each can run here.

    Returns
    -------
    methods : dict
        ``name -> None`` when available, else the reason it is not (with the
        command that installs what is missing).

    Examples
    --------
    >>> from sealseg.methods import available_methods
    >>> available_methods()["slic"] is None
    True
    """
    return {name: method.missing() for name, method in METHODS.items()}


def segmenter_names():
    """Names of the methods ``batch`` and ``segment`` take (public functions with options).

    Examples
    --------
    >>> from sealseg.methods import segmenter_names
    >>> segmenter_names()
    ('ers', 'seal_ers')
    """
    return tuple(name for name, method in METHODS.items() if method.function is not None)


def segmenter(name):
    """The public sealseg function of method ``name`` (one of :func:`segmenter_names`).

    Raises
    ------
    ValueError
        If ``name`` is not one of :func:`segmenter_names`.
    """
    names = segmenter_names()
    if not isinstance(name, str) or name not in names:
        raise ValueError(f"method must be one of {', '.join(names)}, got {name!r}")
    module, _, function = METHODS[name].function.rpartition(".")
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def _callable_name(func):
    return getattr(func, "__name__", None) or type(func).__name__


def _resolve_weights(method, weights):
    """The runner of ``seal_ers@WEIGHTS``, or ``(None, reason)`` when it cannot run here."""
    try:
        from .pan.pretrained import weights_path
        path = weights_path(weights)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"method {method!r}: {exc}") from None
    if not Path(path).exists():
        raise ValueError(f"method {method!r}: no weight file at {path}")
    from .pan.pretrained import read_weight_file

    try:
        # Read once here: a corrupt or odd file (a FIFO, a training
        # checkpoint) stops the evaluation up front, not at every image.
        read_weight_file(weights)
    except (ValueError, OSError) as exc:
        raise ValueError(f"method {method!r}: {exc}") from None
    return _SealErsWeights(weights), None


def _resolve_import(method):
    module, _, attr = method.partition(":")
    try:
        func = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"method {method!r}: cannot import {attr} from "
                         f"{module}: {exc}") from None
    if not callable(func):
        raise ValueError(f"method {method!r} is not callable")
    return _UserMethod(func)


def resolve_methods(methods):
    """Runners of the methods that can run here and the reasons of those that cannot.

    Parameters
    ----------
    methods : str, callable, list of them, or dict
        Names of :data:`METHODS`, ``"seal_ers@WEIGHTS"`` (a registered name
        or a weight file), ``"module:function"`` strings or callables
        ``f(image, n_segments) -> labels``; a dict maps display names to any
        of these.

    Returns
    -------
    resolved, skipped : list of (str, runner), list of (str, str)
        Methods that can run, and built-ins whose optional dependency is
        missing with the reason.

    Raises
    ------
    ValueError
        Empty ``methods``, a name given twice, an unknown method, a
        ``seal_ers@WEIGHTS`` whose weights do not exist, a ``module:function``
        that cannot be imported.
    """
    if isinstance(methods, (str, bytes)) or callable(methods):
        methods = [methods]
    if isinstance(methods, dict):
        items = list(methods.items())
    else:
        items = [(m if isinstance(m, str) else _callable_name(m), m) for m in list(methods)]
    if not items:
        raise ValueError("methods is empty; give at least one of "
                         f"{', '.join(METHODS)} or a callable f(image, n_segments)")
    resolved, skipped, seen = [], [], set()
    for name, method in items:
        if name in seen:
            raise ValueError(f"method {name!r} is given twice")
        seen.add(name)
        if callable(method):
            runner, reason = _UserMethod(method), None
        elif isinstance(method, str) and method in METHODS:
            runner, reason = METHODS[method].run, METHODS[method].missing()
        elif isinstance(method, str) and method.startswith("seal_ers@"):
            runner, reason = _resolve_weights(method, method.partition("@")[2])
        elif isinstance(method, str) and ":" in method:
            runner, reason = _resolve_import(method), None
        else:
            raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}, "
                             "'seal_ers@WEIGHTS', 'module:function', or a callable "
                             "f(image, n_segments)")
        if reason is None:
            resolved.append((name, runner))
        else:
            skipped.append((name, reason))
    return resolved, skipped
