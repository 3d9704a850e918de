"""Pixel affinities: hand-crafted, from ground truth, and learned.

Affinities are (2, H, W) arrays in [0, 1]: ``A[0, y, x]`` is the affinity of
pixel (x, y) to its right neighbour (x+1, y), ``A[1, y, x]`` the affinity to
the pixel below, (x, y+1).  The last column of ``A[0]`` and the last row of
``A[1]`` have no neighbour and are set to 1.
"""
import numpy as np

from ._validation import check_image, check_label_image, check_positive_real

__all__ = ["rgb_affinities", "affinities_from_labels", "learn_affinities"]


def rgb_affinities(image, *, sigma=None, channel_axis=-1, convert2lab=False):
    """Colour affinities of 4-connected neighbours, as ERS computes them.

    Parameters
    ----------
    image : (M, N[, C]) ndarray
        Input image with any number of channels ``C`` (the distance sums
        over them); ``uint8`` is taken as 0-255, floats as [0, 1].
    sigma : float or None, optional
        Width of the Gaussian on the L1 colour distance, in 0-255 colour
        units (Lab units with ``convert2lab``); None: 15, or 3 in Lab (the
        defaults of :func:`sealseg.ers`'s ``color_sigma``).
    channel_axis : int or None, optional
        Axis of the channels; ``None`` for a grey image.
    convert2lab : bool, optional
        Measure the distance in CIELAB (needs 3 channels), as
        ``ers(..., convert2lab=True)`` does.

    Returns
    -------
    affinities : (2, M, N) ndarray of float64
        ``exp(-d**2 / (2 * sigma**2))`` with ``d`` the L1 distance of the two
        pixels' colour vectors on the 0-255 scale.

    Raises
    ------
    ValueError
        An image that is empty, not 2-D/3-D, NaN/inf, a float image outside
        [0, 1], or ``sigma`` not finite and > 0.
    TypeError
        A non-numeric image (object, complex, strings) or a non-real ``sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.affinity import rgb_affinities
    >>> image = np.zeros((4, 4), dtype=np.uint8)
    >>> image[:, 2:] = 255
    >>> rgb_affinities(image, channel_axis=None)[0, 0].round(6)
    array([1., 0., 1., 1.])
    """
    if not isinstance(convert2lab, (bool, np.bool_)):
        raise TypeError(f"convert2lab must be True or False, got {convert2lab!r}")
    sigma = check_positive_real((3.0 if convert2lab else 15.0) if sigma is None else sigma,
                                "sigma")
    colours = check_image(image, channel_axis)
    if convert2lab:
        if channel_axis is None or colours.shape[2] != 3:
            raise ValueError(f"convert2lab=True needs an RGB image (3 channels), got "
                             f"{colours.shape[2]} channel(s)")
        from skimage.color import rgb2lab

        colours = rgb2lab(colours)
    else:
        colours = colours * 255.0
    affinities = np.ones((2,) + colours.shape[:2])
    dx = np.abs(np.diff(colours, axis=1)).sum(axis=-1)
    dy = np.abs(np.diff(colours, axis=0)).sum(axis=-1)
    affinities[0, :, :-1] = np.exp(-dx ** 2 / (2.0 * sigma ** 2))
    affinities[1, :-1, :] = np.exp(-dy ** 2 / (2.0 * sigma ** 2))
    return affinities


def affinities_from_labels(groundtruth):
    """Affinities of a label map: 0 across a label transition, 1 elsewhere.

    These are the training targets of the Pixel Affinity Net and, averaged over
    several annotations, the "oracle" affinities of the SEAL paper.

    Parameters
    ----------
    groundtruth : (M, N) ndarray of int, or list of them
        One label map or several annotations of the same image.

    Returns
    -------
    affinities : (2, M, N) ndarray of float64
        Mean over the annotations of the per-annotation binary affinities.

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.affinity import affinities_from_labels
    >>> labels = np.array([[1, 1, 2],
    ...                    [1, 1, 2]])
    >>> affinities_from_labels(labels)[0]
    array([[1., 0., 1.],
           [1., 0., 1.]])
    """
    maps = groundtruth if isinstance(groundtruth, (list, tuple)) else [groundtruth]
    if len(maps) == 0:
        raise ValueError("groundtruth must be a label map or a non-empty list of them")
    first = check_label_image(maps[0], name="groundtruth")
    total = np.zeros((2,) + first.shape)
    for k, labels in enumerate(maps):
        labels = check_label_image(labels, name=f"groundtruth[{k}]", shape=first.shape)
        total[0, :, :-1] += labels[:, :-1] == labels[:, 1:]
        total[1, :-1, :] += labels[:-1, :] == labels[1:, :]
    total /= len(maps)
    total[0, :, -1] = 1.0
    total[1, -1, :] = 1.0
    return total


def learn_affinities(image, *, weights="bsds500", device=None, channel_axis=-1,
                     max_pixels_per_tile=None):
    """Pixel affinities predicted by the Pixel Affinity Net of SEAL.

    Parameters
    ----------
    image : (M, N[, 3]) ndarray
        RGB or grey image (a grey image, or one with a single channel, is
        repeated into three channels); ``uint8`` is taken as 0-255, floats as
        [0, 1].  The net was trained on RGB, so 2, 4 or more channels are
        refused rather than guessed at (drop alpha with ``image[..., :3]``).
    weights : str or path, optional
        A registered name (``"bsds500"``, the default: trained on BSDS500
        train with the class-balanced loss, then fine-tuned with the SEAL
        loss; ``"bsds500-seal"``: trained with the SEAL loss only) or the path
        of a weight file saved by ``sealseg train``.
    device : str or torch.device, optional
        Where the net runs; None picks CUDA when available, else the CPU.
    channel_axis : int or None, optional
        Axis of ``image`` holding the channels; None for a grey image.
    max_pixels_per_tile : int or None, optional
        Largest area (pixels, overlap included) the net processes at once.
        Larger images are cut into overlapping tiles whose overlap is the
        net's receptive-field radius (9 pixels for the shipped
        architecture), so the stitched result equals the untiled one up to
        float rounding while the net's memory stays bounded (about 1.6 kB
        per tile pixel at width 32).  None picks 2**18 pixels scaled by
        32 / width (~0.4 GB peak); must be at least ``(2 * radius + 1)**2``.

        .. versionadded:: 0.1

    Returns
    -------
    affinities : (2, M, N) ndarray of float32
        Values in (0, 1]: ``[0, y, x]`` is the affinity of (x, y) to
        (x+1, y), ``[1, y, x]`` of (x, y) to (x, y+1).  The last column of
        ``[0]`` and the last row of ``[1]`` have no neighbour and are 1.

    Raises
    ------
    ValueError
        An image that is not grey or 3-channel, empty, NaN/inf, a float
        image outside [0, 1], an unknown weight name, a weight file that is
        corrupt or of another architecture (the message names the file), a
        ``max_pixels_per_tile`` below the minimum.
    FileNotFoundError
        A weight path that does not exist.
    TypeError
        ``image`` or ``weights`` of the wrong type.

    Notes
    -----
    The net (1x7 convolution, three residual blocks, their 3x3 convolutions
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
    in the weight file: 2 for ``"bsds500"`` (chosen on BSDS500 val: it
    sharpens the net's soft boundaries, which raises the boundary recall of
    ERS at little cost in ASA), 1 for ``"bsds500-seal"`` and for files
    written by ``sealseg train``.

    References
    ----------
    .. [1] W.-C. Tu, M.-Y. Liu, V. Jampani, D. Sun, S.-Y. Chien, M.-H. Yang and
           J. Kautz, "Learning superpixels with segmentation-aware affinity
           loss", CVPR 2018. :DOI:`10.1109/CVPR.2018.00066`

    Examples
    --------
    >>> from skimage import data
    >>> from sealseg import learn_affinities
    >>> a = learn_affinities(data.astronaut()[:64, :64])
    >>> a.shape, a.dtype
    ((2, 64, 64), dtype('float32'))
    """
    rgb = check_image(image, channel_axis)
    if rgb.shape[2] == 1:
        rgb = np.repeat(rgb, 3, axis=2)
    elif rgb.shape[2] != 3:
        raise ValueError(f"image must be grey or RGB (3 channels), got {rgb.shape[2]} channels")
    if max_pixels_per_tile is not None:
        if isinstance(max_pixels_per_tile, (bool, np.bool_)) or not isinstance(
                max_pixels_per_tile, (int, np.integer)):
            raise TypeError(f"max_pixels_per_tile must be None or a positive integer, "
                            f"got {type(max_pixels_per_tile).__name__}")
        if max_pixels_per_tile < 1:
            raise ValueError(f"max_pixels_per_tile must be None or a positive integer, "
                             f"got {max_pixels_per_tile}")
    import torch

    from .pan.pretrained import get_model
    from .pan.tiling import DEFAULT_TILE_PIXELS, plan_tiles, receptive_radius

    model = get_model(weights, device)
    dev = next(model.parameters()).device
    if max_pixels_per_tile is None:
        max_pixels_per_tile = max(1, DEFAULT_TILE_PIXELS * 32 // model.config["width"])
    tiles = plan_tiles(rgb.shape[:2], receptive_radius(model), int(max_pixels_per_tile))
    rgb = rgb.astype(np.float32)
    # Canny on the whole image: its smoothing and hysteresis are not local to
    # a tile, so per-tile edges would differ from the untiled ones.
    x = model.image_input(rgb)
    if len(tiles) == 1:
        with torch.inference_mode():
            out = model(x.to(dev))[0].to("cpu", torch.float32).numpy()
        return np.ascontiguousarray(out)
    out = np.empty((2,) + rgb.shape[:2], dtype=np.float32)
    with torch.inference_mode():
        for (y0, y1, x0, x1), (Y0, Y1, X0, X1) in tiles:
            tile = model(x[:, :, Y0:Y1, X0:X1].contiguous().to(dev))[0]
            # Keep the core only: its outputs saw real neighbours, not padding.
            out[:, y0:y1, x0:x1] = tile[:, y0 - Y0:y1 - Y0, x0 - X0:x1 - X0].to(
                "cpu", torch.float32).numpy()
    # The model set the last column/row of every tile to 1; only the image's
    # own last column/row must be (interior tile borders lie in the halo).
    out[0, :, -1] = 1.0
    out[1, -1, :] = 1.0
    return out
