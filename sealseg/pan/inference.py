"""Pixel affinities predicted by a trained Pixel Affinity Net.

:func:`learn_affinities` checks its arguments and calls
:func:`_predict_affinities`, the unchecked core that :func:`sealseg.seal_ers`
calls after checking the same arguments itself.  The core loads the net
through the weight registry (:mod:`sealseg.pan.pretrained`) and runs it in
the tiles planned by :mod:`sealseg.pan.tiling`.  Importing this module does
not import torch: the registry imports it when the first net is loaded.
"""
import logging
import os
import sys

import numpy as np

from .._validation import check_optional_positive_int, check_rgb_image
from . import pretrained, tiling

__all__ = ["learn_affinities", "native_bfloat16", "PRECISIONS"]

#: Values of ``precision``: "auto" is bfloat16 on a CPU that computes it
#: natively (:func:`native_bfloat16`) and float32 everywhere else.
PRECISIONS = ("auto", "float32", "bfloat16")

# Progress of a long call (INFO; silent unless the caller shows it, as
# ``python -m sealseg segment`` does).
_log = logging.getLogger(__name__)

# A process forked after torch's thread pool started (multiprocessing's
# "fork" context) inherits the pool in a state it cannot use: the net's first
# call there hangs.  A child forked while torch was imported runs the net on
# one thread instead (set on its first call).
_FORKED_AFTER_TORCH = False


def _after_fork_in_child():
    global _FORKED_AFTER_TORCH
    _FORKED_AFTER_TORCH = "torch" in sys.modules


if hasattr(os, "register_at_fork"):     # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _import_torch():
    """torch, imported with OpenMP's passive wait policy unless one is set.

    torch's OpenMP threads spin while they wait for each other at the end of
    every operation.  When another process holds one of the cores, the
    spinning thread competes with it for the core the slower thread needs,
    and two threads took twice as long as one (``doc/speed.rst``).  Passive
    waiting sleeps instead.  OpenMP reads the policy once, when torch loads
    it, so this applies only when sealseg is the first to import torch and
    never overrides an ``OMP_WAIT_POLICY`` the user set.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    return torch


def learn_affinities(image, *, weights=None, device=None, channel_axis=-1,
                     max_pixels_per_tile=None, precision="auto"):
    """Pixel affinities of an image, predicted by a trained Pixel Affinity Net.

    Runs a Pixel Affinity Net (the network of SEAL [1]_) whose weights were
    trained beforehand; nothing is learned here (the name is that of the
    paper's step).  The default net is trained with HED's class-balanced
    cross-entropy [2]_, not with the SEAL loss, and its outputs are read
    with the affinity exponent 2 (Notes).

    Parameters
    ----------
    image : (M, N[, 3]) array_like
        RGB or grey image (a grey image, or one with a single channel, is
        repeated into three channels); ``uint8`` is taken as 0-255, floats as
        [0, 1].  The net was trained on RGB, so 2, 4 or more channels are
        refused rather than guessed at (drop alpha with ``image[..., :3]``).
        A torch tensor is taken as ``image.detach().cpu().numpy()``; a
        numpy masked array is refused (its mask would be lost).
    weights : None, str or path, optional
        None (default) for the default net, the name of a shipped net, or
        the path of a weight file saved by ``sealseg train``.
        :func:`sealseg.list_weights` lists the shipped nets, default first;
        the record of each (``sealseg.pan.registry.get_weights(name)``)
        gives its file, architecture, exponent, recipe and where its val
        figures are (:doc:`/results`).  The default is
        ``"bsds500-dilated"``: residual blocks dilated 1, 2, 4, HED's
        class-balanced loss, BSDS500 train only, affinities read as
        ``sigmoid(logits) ** 2``; ``"bsds500"`` is another name of the
        default.  A shipped file is checked against the SHA-256 of its
        record before it is loaded; a file given by
        path is not (no digest is known for it), but any file is checked
        before it is read: at most 256 MB of uncompressed records, a config
        within bounds (width and fusion up to 512, dilations up to 64),
        tensor shapes that fit that config, no NaN or infinite value.
    device : str or torch.device, optional
        Where the net runs: None picks CUDA when available, else the CPU;
        otherwise a device this torch can use (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ``"mps"``, or a ``torch.device``).
    channel_axis : int or None, optional
        Axis of ``image`` holding the channels; None for a grey image.
    max_pixels_per_tile : int or None, optional
        Largest area (pixels, overlap included) the net processes at once.
        Larger images are cut into overlapping tiles whose overlap is the
        net's receptive-field radius (17 pixels for the default net, 9 for
        ``"bsds500-seal"``), so the stitched result equals the untiled one
        up to float rounding while the net's memory stays bounded (its memory
        per tile pixel: :doc:`/speed`, "Memory").  None picks 2**18 pixels
        scaled by 32 / width.  Unless the image fits in one tile it
        must be at least ``(3 * radius)**2`` (2601 pixels for the default
        net): a tile's core is then at least as wide as its halo,
        so the net computes at most 9 times the image's pixels.

        .. versionadded:: 0.1
    precision : {"auto", "float32", "bfloat16"}, optional
        Arithmetic of the net's convolutions.  ``"auto"`` (default) runs
        them in bfloat16 on a CPU that computes bfloat16 natively (AVX512-BF16
        or AMX, see :func:`sealseg.pan.inference.native_bfloat16`) and in
        float32 everywhere else (other CPUs, where bfloat16 is emulated and
        slower, and GPUs).  The affinities are computed from the logits in
        float32 either way.  bfloat16 moves the affinities, and the
        superpixels' mean quality on BSDS500 val by the amounts on the
        results page ("Precision of the net"); the labels of a call then
        depend on the CPU it runs on.  Pass ``"float32"`` for labels that do
        not.

        .. versionadded:: 0.1

    Returns
    -------
    affinities : (2, M, N) ndarray of float32
        Values in [0, 1], never NaN: ``[0, y, x]`` is the affinity of (x, y) to
        (x+1, y), ``[1, y, x]`` of (x, y) to (x, y+1).  The last column of
        ``[0]`` and the last row of ``[1]`` have no neighbour and are 1.
        (0 only where ``sigmoid(logits) ** exponent`` underflows float32.)

    Raises
    ------
    ValueError
        An image that is not grey or 3-channel, empty, NaN/inf, a float
        image outside [0, 1], an unknown weight name, a shipped weight file
        whose SHA-256 does not match its record's, a weight file that is
        corrupt, of another architecture, out of bounds or holding NaN, or
        whose net predicts NaN or infinite values (the message names the
        file), a ``device`` this torch cannot use, a ``max_pixels_per_tile``
        below the minimum.
    FileNotFoundError
        A weight path that does not exist.
    TypeError
        ``image``, ``weights``, ``device``, ``max_pixels_per_tile`` or
        ``precision`` of the
        wrong type.

    See Also
    --------
    sealseg.seal_ers : ERS on these affinities.
    sealseg.rgb_affinities : hand-crafted affinities from colours.

    Notes
    -----
    The net (1x7 convolution, three residual blocks of 3x3 convolutions,
    dilated 1, 2 and 4 in the default weights, and, for weights trained
    with the edge channel, fusion with Canny edges computed by
    ``skimage.feature.canny`` with sigma 1 on the grey image) predicts
    horizontal affinities; the vertical ones are the same net applied
    to the transposed image ("one-way prediction").  The weights are loaded
    once, on the first call, and cached per (weights, device); torch is
    imported only then.  Tiling is exact because every layer but the
    convolutions acts per pixel (BatchNorm runs in eval mode) and the Canny
    edges are computed once on the whole image, not per tile.  The
    affinities are ``sigmoid(logits) ** exponent``, with the exponent stored
    in the weight file: 2 for the default net (chosen on BSDS500 val: it
    sharpens the net's soft boundaries, which raises the boundary recall of
    ERS at little cost in ASA), 1 for ``"bsds500-seal"`` and for files
    written by ``sealseg train``.  The SEAL loss is implemented
    (``sealseg.training.losses.seal_loss``, ``sealseg train --loss seal``); on
    this project's CPU training budget the class-balanced loss gave the
    better superpixels, which is why it trains the default.

    In a process forked after the net has run in its parent (the "fork"
    context of :mod:`multiprocessing`, the default on Linux before Python
    3.14), torch's thread pool is unusable, so the net runs on one thread
    there; use the "spawn" or "forkserver" context (as
    :func:`sealseg.segment_collection` does) to keep every thread.

    References
    ----------
    .. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
           J. Kautz, "Learning superpixels with segmentation-aware affinity
           loss", CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`
    .. [2] S. Xie and Z. Tu, "Holistically-nested edge detection", ICCV 2015.
           :DOI:`10.1109/ICCV.2015.164`

    Examples
    --------
    >>> from skimage import data
    >>> from sealseg import learn_affinities
    >>> a = learn_affinities(data.astronaut()[:64, :64])
    >>> a.shape, a.dtype
    ((2, 64, 64), dtype('float32'))
    """
    rgb = check_rgb_image(image, channel_axis)
    max_pixels_per_tile = check_optional_positive_int(max_pixels_per_tile,
                                                      "max_pixels_per_tile")
    precision = check_precision(precision)
    return _predict_affinities(rgb, weights, device, max_pixels_per_tile, precision)


def check_precision(precision):
    """``precision`` if it is one of :data:`PRECISIONS`; TypeError/ValueError otherwise."""
    if not isinstance(precision, str):
        raise TypeError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, "
                        f"got {type(precision).__name__}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, "
                         f"got {precision!r}")
    return precision


def native_bfloat16():
    """Whether this CPU computes bfloat16 natively, as torch detects it at run time.

    True on CPUs with AVX512-BF16 or AMX tiles; False elsewhere, and with a
    torch that cannot tell.  Imports torch.

    Examples
    --------
    >>> from sealseg.pan.inference import native_bfloat16
    >>> native_bfloat16() in (True, False)
    True
    """
    cpu = getattr(_import_torch(), "cpu", None)
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        supported = getattr(cpu, probe, None)
        try:
            if supported is not None and supported():
                return True
        except RuntimeError:       # a torch built without the probe's backend
            continue
    return False


def _bfloat16_for(precision, device_type):
    """Whether the net runs in bfloat16 for a checked ``precision`` on ``device_type``."""
    if precision != "auto":
        return precision == "bfloat16"
    return device_type == "cpu" and native_bfloat16()


def _predict_affinities(rgb, weights, device, max_pixels_per_tile, precision="auto"):
    """Affinities of a checked (H, W, 3) float image in [0, 1]; no argument checks.

    ``max_pixels_per_tile`` is None or an int >= 1 (checked by the caller);
    ``weights`` and ``device`` are checked by the registry when the net is
    looked up; ``precision`` is one of :data:`PRECISIONS`.  Returns a C-contiguous (2, H, W) float32 array.
    """
    torch = _import_torch()

    global _FORKED_AFTER_TORCH
    if _FORKED_AFTER_TORCH:
        torch.set_num_threads(1)     # see _FORKED_AFTER_TORCH
        _FORKED_AFTER_TORCH = False
    model = pretrained.get_model(weights, device)
    dev = next(model.parameters()).device
    if max_pixels_per_tile is None:
        max_pixels_per_tile = max(1, tiling.DEFAULT_TILE_PIXELS * 32 // model.config["width"])
    tiles = tiling.plan_tiles(rgb.shape[:2], tiling.receptive_radius(model),
                              max_pixels_per_tile)
    # Logged once the weights are checked and loaded: a bad weight file
    # stays a one-line error on the command line.
    _log.info("affinity net on %s in %d tile(s) of at most %d pixels", dev, len(tiles),
              max_pixels_per_tile)
    rgb = rgb.astype(np.float32)
    # Canny on the whole image: its smoothing and hysteresis are not local to
    # a tile, so per-tile edges would differ from the untiled ones.
    x = model.image_input(rgb)
    arithmetic = torch.autocast(dev.type, dtype=torch.bfloat16,
                                enabled=_bfloat16_for(precision, dev.type))
    if len(tiles) == 1:
        with torch.inference_mode(), arithmetic:
            out = model(x.to(dev))[0].to("cpu", torch.float32).numpy()
        return _finite(np.ascontiguousarray(out), weights)
    out = np.empty((2,) + rgb.shape[:2], dtype=np.float32)
    with torch.inference_mode(), arithmetic:
        # About ten lines whatever the number of tiles.
        report_every = -(-len(tiles) // 10)
        for done, ((y0, y1, x0, x1), (Y0, Y1, X0, X1)) in enumerate(tiles, 1):
            tile = model(x[:, :, Y0:Y1, X0:X1].contiguous().to(dev))[0]
            # Keep the core only: its outputs saw real neighbours, not padding.
            out[:, y0:y1, x0:x1] = tile[:, y0 - Y0:y1 - Y0, x0 - X0:x1 - X0].to(
                "cpu", torch.float32).numpy()
            if done % report_every == 0 or done == len(tiles):
                _log.info("affinity net: tile %d of %d done", done, len(tiles))
    # The model set the last column/row of every tile to 1; only the image's
    # own last column/row must be (interior tile borders lie in the halo).
    out[0, :, -1] = 1.0
    out[1, -1, :] = 1.0
    return _finite(out, weights)


def _finite(affinities, weights):
    """``affinities``, after checking the net predicted no NaN or infinite value.

    Finite weights can still overflow float32 inside the net; ERS must never
    see the result as if it were affinities.
    """
    if not np.isfinite(affinities).all():
        raise ValueError(f"the net of weights {str(pretrained.weights_path(weights))!r} "
                         "predicted NaN or infinite affinities on this image (its weights "
                         "overflow float32); the weight file is unusable")
    return affinities
