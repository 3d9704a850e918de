"""Pixel Affinity Net (PAN) of SEAL (Tu et al., CVPR 2018, section 4.2).

The network maps an RGB image plus its Canny edge map to horizontal pixel
affinities.  With ``one_way=True`` (the paper's design) the same network gives
the vertical affinities when it is applied to the transposed image.

Layers (paper widths in brackets)::

    [RGB, edge] (4) --conv 1x7--> C --3 x ResBlock(3x3, C)--> C --conv 1x1--> 1 --sigmoid--> a_mid
    [a_mid, edge] (2) --conv 1x1--> F --ReLU--> conv 1x1 --> 1 --sigmoid--> a

CPU trade-off.  The paper uses C = 128.  The cost of the residual blocks is quadratic in C, so
``width=32`` (the default here) is ~16x cheaper while keeping every layer,
the kernel shapes, the receptive field and the edge fusion of the paper;
only the number of feature channels changes.  Resolution is never reduced,
because boundary recall at a one-pixel tolerance needs pixel-exact outputs.
"""
import math
import numbers

import numpy as np
import torch
from torch import nn

__all__ = ["PixelAffinityNet", "build_model", "canny_edges",
           "edge_channel", "prepare_input", "CANNY_SIGMA", "CANNY_LOW", "CANNY_HIGH"]

#: Canny parameters used for the edge channel (``skimage.feature.canny`` on the
#: grey image in [0, 1]): Gaussian sigma in pixels and the hysteresis thresholds
#: on the gradient magnitude (skimage's defaults for float images).
CANNY_SIGMA = 1.0
CANNY_LOW = 0.1
CANNY_HIGH = 0.2


def canny_edges(rgb):
    """Canny edge map of an (H, W, 3) float image in [0, 1], as float32 {0, 1}."""
    from skimage.color import rgb2gray
    from skimage.feature import canny

    grey = rgb2gray(rgb) if rgb.ndim == 3 and rgb.shape[2] == 3 else np.asarray(rgb).reshape(
        rgb.shape[:2])
    return canny(grey, sigma=CANNY_SIGMA, low_threshold=CANNY_LOW,
                 high_threshold=CANNY_HIGH).astype(np.float32)


def edge_channel(rgb, use_edges):
    """Edge channel of an (H, W, 3) float image in [0, 1] for a net.

    Canny on the whole image for a net that reads the channel; zeros (never
    read) for one that does not, so the Canny pass is skipped.
    """
    return canny_edges(rgb) if use_edges else np.zeros(rgb.shape[:2], np.float32)


def prepare_input(rgb, edges=None):
    """(H, W, 3) float image in [0, 1] -> (1, 4, H, W) float32 tensor [R, G, B, edge]."""
    rgb = np.asarray(rgb, dtype=np.float32)
    if edges is None:
        edges = canny_edges(rgb)
    x = np.concatenate([rgb, edges[..., None].astype(np.float32)], axis=-1)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]


class _ResBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN + identity, ReLU (He et al. 2016)."""

    def __init__(self, channels, padding_mode, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation,
                               padding_mode=padding_mode, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation,
                               padding_mode=padding_mode, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(x + y)


class PixelAffinityNet(nn.Module):
    """Pixel Affinity Net of SEAL, with the paper's ablation switches.

    Parameters
    ----------
    width : int, optional
        Channels C of the residual blocks (the paper: 128; default 32, see the
        module docstring for the CPU trade-off).
    kernel : {"1x7", "7x7"}, optional
        Shape of the first convolution (the paper: 1x7, horizontal).
    use_edges : bool, optional
        Feed and fuse the Canny edge channel (the paper: True).
    one_way : bool, optional
        True (the paper): the net predicts horizontal affinities only and the
        vertical ones come from the transposed image.  False: one pass predicts
        both directions (two output channels).
    fusion : int, optional
        Hidden channels of the two final 1x1 convolutions.
    padding_mode : {"replicate", "reflect"}, optional
        Edge-preserving padding of every spatial convolution.
    dilations : sequence of 1 to 8 positive ints, optional
        One residual block per entry, the dilation of its 3x3 convolutions.
        The paper's net has three blocks, (1, 1, 1); (1, 2, 4) widens the
        receptive field from 19 to 35 pixels along the row at the same cost in
        multiply-adds.  Each further block adds its share of the cost.
    exponent : float, optional
        The affinities are ``sigmoid(logits) ** exponent``.  Training uses 1
        (the losses see the sigmoid); a weight file may carry a larger value,
        chosen after training on the training images, that darkens uncertain
        links relative to confident ones before ERS reads them (see
        ``training/README.md``).

    Notes
    -----
    ``forward`` takes a (B, 4, H, W) tensor (RGB in [0, 1] and the Canny edge
    map; the edge channel is ignored when ``use_edges`` is False) and returns
    (B, 2, H, W) affinities in (0, 1): channel 0 horizontal, between (x, y) and
    (x+1, y); channel 1 vertical, between (x, y) and (x, y+1).  The last column
    of channel 0 and the last row of channel 1 have no neighbour; ``forward``
    sets them to 1 (they are excluded from the losses).
    """

    def __init__(self, width=32, *, kernel="1x7", use_edges=True, one_way=True, fusion=16,
                 padding_mode="replicate", dilations=(1, 1, 1), exponent=1.0):
        super().__init__()
        if kernel not in ("1x7", "7x7"):
            raise ValueError(f"kernel must be '1x7' or '7x7', got {kernel!r}")
        if padding_mode not in ("replicate", "reflect"):
            raise ValueError(f"padding_mode must be 'replicate' or 'reflect', got {padding_mode!r}")
        if int(width) != width or width < 1:
            raise ValueError(f"width must be a positive integer, got {width!r}")
        if int(fusion) != fusion or fusion < 1:
            raise ValueError(f"fusion must be a positive integer, got {fusion!r}")
        dilations = _check_dilations(dilations)
        _check_exponent(exponent)
        self.config = dict(width=int(width), kernel=kernel, use_edges=bool(use_edges),
                           one_way=bool(one_way), fusion=int(fusion), padding_mode=padding_mode,
                           dilations=dilations, exponent=float(exponent))
        width = int(width)
        n_out = 1 if one_way else 2
        in_ch = 4 if use_edges else 3
        ksize = (1, 7) if kernel == "1x7" else (7, 7)
        pad = (0, 3) if kernel == "1x7" else (3, 3)
        self.use_edges = bool(use_edges)
        self.one_way = bool(one_way)
        self.head = nn.Sequential(
            nn.Conv2d(in_ch, width, ksize, padding=pad, padding_mode=padding_mode, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.blocks = nn.Sequential(*[_ResBlock(width, padding_mode, d) for d in dilations])
        self.mid = nn.Conv2d(width, n_out, 1)
        fuse_in = 2 * n_out if use_edges else n_out
        self.fuse = nn.Sequential(
            nn.Conv2d(fuse_in, int(fusion), 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(int(fusion), n_out, 1),
        )

    @property
    def exponent(self):
        """Exponent of the affinities (``config["exponent"]``, its one home)."""
        return self.config["exponent"]

    def image_input(self, rgb):
        """(1, 4, H, W) input tensor of an (H, W, 3) float image in [0, 1]
        (edge channel from :func:`edge_channel`)."""
        return prepare_input(rgb, edge_channel(rgb, self.use_edges))

    def _branch(self, x):
        """(B, 4, H, W) -> final and intermediate affinity logits' sigmoids."""
        edges = x[:, 3:4]
        if not self.use_edges:
            x = x[:, :3]
        mid = torch.sigmoid(self.mid(self.blocks(self.head(x))))
        if self.use_edges:
            z = torch.cat([mid, edges.expand(-1, mid.shape[1], -1, -1)], dim=1)
        else:
            z = mid
        return self.fuse(z), mid

    def fuse_for_inference(self):
        """Fold every BatchNorm into the convolution before it and switch to
        channels-last memory, in place; returns self.

        Only for inference (the model must be in eval mode): the folded net
        computes the same function up to float rounding, faster on
        the CPU (one pass less over the feature maps per BatchNorm, and oneDNN
        convolutions without layout reorders).  Training needs the unfused net.
        """
        if self.training:
            raise RuntimeError("fuse_for_inference needs a model in eval mode")
        with torch.no_grad():
            self.head[1] = _fold_batchnorm(self.head[0], self.head[1])
            for block in self.blocks:
                block.bn1 = _fold_batchnorm(block.conv1, block.bn1)
                block.bn2 = _fold_batchnorm(block.conv2, block.bn2)
        self._channels_last = True
        return self.to(memory_format=torch.channels_last)

    def forward_logits(self, x):
        """(B, 4, H, W) -> (B, 2, H, W) logits of the affinities (no border fix-up)."""
        if x.ndim != 4 or x.shape[1] != 4:
            raise ValueError(f"input must have shape (B, 4, H, W), got {tuple(x.shape)}")
        if getattr(self, "_channels_last", False):
            x = x.contiguous(memory_format=torch.channels_last)
        if not self.one_way:
            return self._branch(x)[0]
        h, w = x.shape[-2:]
        xt = x.transpose(-1, -2)
        if h == w:
            # One pass over the image and its transpose together.
            out = self._branch(torch.cat([x, xt], dim=0))[0]
            horiz, vert_t = out[: x.shape[0]], out[x.shape[0]:]
        else:
            horiz = self._branch(x)[0]
            vert_t = self._branch(xt.contiguous(memory_format=torch.channels_last)
                                  if getattr(self, "_channels_last", False)
                                  else xt.contiguous())[0]
        return torch.cat([horiz, vert_t.transpose(-1, -2)], dim=1)

    def forward(self, x):
        """(B, 4, H, W) -> (B, 2, H, W) affinities in (0, 1), borders set to 1."""
        # float32 from the logits on: under bfloat16 autocast only the
        # convolutions run in bfloat16, and the affinities near 1 that ERS
        # tells apart keep float32's resolution.
        return _affinities(self.forward_logits(x).float(), self.exponent)


def _affinities(logits, exponent):
    """``sigmoid(logits) ** exponent`` with the borders set to 1."""
    if exponent == 1.0:
        a = torch.sigmoid(logits)
    else:
        # log-space keeps strongly negative logits from underflowing to 0 early
        a = torch.exp(exponent * nn.functional.logsigmoid(logits))
    return set_border(a)


#: Most residual blocks a net may have (one per entry of ``dilations``).
MAX_BLOCKS = 8


def _check_dilations(dilations):
    """The residual blocks' dilations as a list of 1 to MAX_BLOCKS positive ints."""
    try:
        dilations = [int(d) for d in dilations]
    except (TypeError, ValueError):
        raise TypeError(f"dilations must be a sequence of 1 to {MAX_BLOCKS} positive ints, "
                        f"got {dilations!r}") from None
    if not 1 <= len(dilations) <= MAX_BLOCKS or min(dilations) < 1:
        raise ValueError(f"dilations must be 1 to {MAX_BLOCKS} positive ints, "
                         f"got {dilations!r}")
    return dilations


def _check_exponent(exponent):
    if isinstance(exponent, (bool, np.bool_)) or not isinstance(exponent, numbers.Real):
        raise TypeError(f"exponent must be a real number, got {type(exponent).__name__}")
    if not (math.isfinite(exponent) and exponent > 0):
        raise ValueError(f"exponent must be a finite number > 0, got {exponent!r}")


def _fold_batchnorm(conv, bn):
    """Fold eval-mode ``bn`` into ``conv`` before it (in place); returns the
    Identity that replaces ``bn``."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight = nn.Parameter(conv.weight * scale[:, None, None, None], requires_grad=False)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias, requires_grad=False)
    return nn.Identity()


def build_model(config):
    """The net of a weight file's ``config``: the Pixel Affinity Net's keyword arguments.

    ``config["arch"]``, when present, must be ``"pan"`` (the only design this
    package builds).

    Examples
    --------
    >>> from sealseg.pan.model import build_model
    >>> type(build_model({"width": 8})).__name__
    'PixelAffinityNet'
    """
    config = dict(config)
    arch = config.pop("arch", "pan")
    if arch != "pan":
        raise ValueError(f"arch must be 'pan' (the Pixel Affinity Net), got {arch!r}")
    return PixelAffinityNet(**config)


def set_border(a):
    """Set the last column of channel 0 and the last row of channel 1 to 1."""
    a = a.clone()
    a[:, 0, :, -1] = 1.0
    a[:, 1, -1, :] = 1.0
    return a
