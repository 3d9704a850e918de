"""Pixel Affinity Net (PAN) of SEAL (Tu et al., CVPR 2018, section 4.2).

The network maps an RGB image plus its Canny edge map to horizontal pixel
affinities.  With ``one_way=True`` (the paper's design) the same network gives
the vertical affinities when it is applied to the transposed image.

Layers (paper widths in brackets)::

    [RGB, edge] (4) --conv 1x7--> C --3 x ResBlock(3x3, C)--> C --conv 1x1--> 1 --sigmoid--> a_mid
    [a_mid, edge] (2) --conv 1x1--> F --ReLU--> conv 1x1 --> 1 --sigmoid--> a

CPU trade-off.  The paper uses C = 128 (it costs ~5 s per 481x321 image on
two CPU threads).  The cost of the residual blocks is quadratic in C, so
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

__all__ = ["PixelAffinityNet", "MultiScaleAffinityNet", "build_model", "canny_edges",
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
    dilations : sequence of 3 positive ints, optional
        Dilation of the 3x3 convolutions of each residual block.  The paper's
        net has (1, 1, 1); (1, 2, 4) widens the receptive field from 19 to 35
        pixels along the row at the same cost in multiply-adds.
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
        computes the same function up to float rounding, about 25% faster on
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


def _check_dilations(dilations):
    """The three residual blocks' dilations as a list of positive ints."""
    try:
        dilations = [int(d) for d in dilations]
    except (TypeError, ValueError):
        raise TypeError(f"dilations must be a sequence of 3 positive ints, "
                        f"got {dilations!r}") from None
    if len(dilations) != 3 or min(dilations) < 1:
        raise ValueError(f"dilations must be 3 positive ints, got {dilations!r}")
    return dilations


def _check_exponent(exponent):
    if isinstance(exponent, (bool, np.bool_)) or not isinstance(exponent, numbers.Real):
        raise TypeError(f"exponent must be a real number, got {type(exponent).__name__}")
    if not (math.isfinite(exponent) and exponent > 0):
        raise ValueError(f"exponent must be a finite number > 0, got {exponent!r}")


def _conv_bn_relu(c_in, c_out, *, stride=1, dilation=1):
    """3x3 convolution (zero padding), BatchNorm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation,
                  bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def _fold_batchnorm(conv, bn):
    """Fold eval-mode ``bn`` into ``conv`` before it (in place); returns the
    Identity that replaces ``bn``."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight = nn.Parameter(conv.weight * scale[:, None, None, None], requires_grad=False)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias, requires_grad=False)
    return nn.Identity()


def _fold_batchnorms(module):
    """Fold every (Conv2d, BatchNorm2d) pair of the nn.Sequentials in ``module``."""
    for seq in module.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        for k in range(len(seq) - 1):
            conv, bn = seq[k], seq[k + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                seq[k + 1] = _fold_batchnorm(conv, bn)


class MultiScaleAffinityNet(nn.Module):
    """A small encoder-decoder that predicts both affinity directions in one pass.

    Full resolution is kept only where boundaries are localised (the first
    two and the last convolution); the context comes from 1/2, 1/4 and 1/8
    resolution, joined back by skip connections (U-Net, Ronneberger et al.
    2015)::

        RGB --2 conv--> c                    (1/1) ------------------ skip --+
              --conv/2, conv--> 2c           (1/2) ---------- skip --+       |
              --conv/2, conv--> 3c           (1/4) -- skip --+       |       |
              --conv/2, 3 conv (dilated)--> 4c (1/8)         |       |       |
              --up x2, cat --conv--> 3c ---------------------+       |       |
              --up x2, cat --conv--> 2c -----------------------------+       |
              --up x2, cat --conv--> c  -------------------------------------+
        c --1x2 conv, ReLU, 1x1--> horizontal logit;  c --2x1 conv, ReLU, 1x1--> vertical

    Every spatial convolution is 3x3 with zero padding, followed by
    BatchNorm and ReLU; downsampling is by stride-2 convolutions, upsampling
    bilinear.  The affinity between two neighbours is predicted from the
    features of both pixels (the 1x2 and 2x1 convolutions), so one pass
    gives both directions.

    Parameters
    ----------
    width : int, optional
        Channels c at full resolution; the coarser levels have 2c, 3c and 4c.
    dilations : sequence of 3 positive ints, optional
        Dilation of the three 3x3 convolutions at 1/8 resolution.
    exponent : float, optional
        The affinities are ``sigmoid(logits) ** exponent`` (see
        :class:`PixelAffinityNet`).
    use_edges : bool, optional
        Must be False: this net reads RGB only (the key exists so that the
        training and loading code can ask every net the same question).

    Notes
    -----
    ``forward`` takes a (B, 4, H, W) tensor like :class:`PixelAffinityNet`
    (the fourth, edge, channel is ignored) and returns (B, 2, H, W)
    affinities.  Any H, W >= 1: the input is padded once, by replicating its
    last row and column, to a multiple of 8 (:attr:`stride`), and the output
    is cropped back.  Tiled inference is exact when every tile's top-left
    corner lies on a multiple of :attr:`stride` in image coordinates and the
    halo is at least :meth:`receptive_radius` pixels.

    Examples
    --------
    >>> import torch
    >>> from sealseg.pan.model import MultiScaleAffinityNet
    >>> net = MultiScaleAffinityNet(8).eval()
    >>> with torch.no_grad():
    ...     a = net(torch.rand(1, 4, 13, 21))
    >>> tuple(a.shape)
    (1, 2, 13, 21)
    """

    #: Downsampling factor of the coarsest level: inputs are padded to a multiple of it.
    stride = 8

    def __init__(self, width=16, *, dilations=(1, 2, 4), exponent=1.0, use_edges=False):
        super().__init__()
        if isinstance(width, (bool, np.bool_)) or int(width) != width or width < 1:
            raise ValueError(f"width must be a positive integer, got {width!r}")
        dilations = _check_dilations(dilations)
        _check_exponent(exponent)
        if use_edges:
            raise ValueError("MultiScaleAffinityNet reads RGB only: use_edges must be False")
        c = int(width)
        self.config = dict(arch="multiscale", width=c, dilations=dilations,
                           exponent=float(exponent), use_edges=False)
        self.use_edges = False
        self.enc0 = nn.Sequential(_conv_bn_relu(3, c), _conv_bn_relu(c, c))
        self.enc1 = nn.Sequential(_conv_bn_relu(c, 2 * c, stride=2), _conv_bn_relu(2 * c, 2 * c))
        self.enc2 = nn.Sequential(_conv_bn_relu(2 * c, 3 * c, stride=2),
                                  _conv_bn_relu(3 * c, 3 * c))
        self.enc3 = nn.Sequential(_conv_bn_relu(3 * c, 4 * c, stride=2),
                                  *[_conv_bn_relu(4 * c, 4 * c, dilation=d) for d in dilations])
        self.dec2 = _conv_bn_relu(7 * c, 3 * c)
        self.dec1 = _conv_bn_relu(5 * c, 2 * c)
        self.dec0 = _conv_bn_relu(3 * c, c)
        self.pair_h = nn.Sequential(nn.Conv2d(c, c, (1, 2), padding=(0, 1)), nn.ReLU(inplace=True),
                                    nn.Conv2d(c, 1, 1))
        self.pair_v = nn.Sequential(nn.Conv2d(c, c, (2, 1), padding=(1, 0)), nn.ReLU(inplace=True),
                                    nn.Conv2d(c, 1, 1))

    @property
    def exponent(self):
        """Exponent of the affinities (``config["exponent"]``, its one home)."""
        return self.config["exponent"]

    def image_input(self, rgb):
        """(1, 4, H, W) input tensor of an (H, W, 3) float image in [0, 1] (zero edge channel)."""
        return prepare_input(rgb, edge_channel(rgb, False))

    def receptive_radius(self):
        """Pixels of context, on any side, that an output can depend on.

        Counted in input pixels on the stride-aligned grid (a cell of level s
        covers 2**s pixels): a 3x3 convolution of dilation d at level s adds
        ``d * 2**s``; a stride-2 convolution from level s adds ``2**s``; a
        bilinear upsampling into level s reads two coarse cells and adds
        ``2**(s + 1)``; the 1x2/2x1 pair convolutions add 1.  For the default
        dilations that is 93 pixels.
        """
        r = 2                                   # enc0
        r += 1 + 2                              # enc1: stride conv from level 0, conv at 1/2
        r += 2 + 4                              # enc2
        r += 4 + 8 * sum(self.config["dilations"])   # enc3
        r += 8 + 4                              # up to 1/4, dec2
        r += 4 + 2                              # up to 1/2, dec1
        r += 2 + 1                              # up to 1/1, dec0
        return r + 1                            # pair convolutions

    def fuse_for_inference(self):
        """Fold every BatchNorm into its convolution and switch to channels-last,
        in place (eval mode only); returns self.  Same function up to float rounding."""
        if self.training:
            raise RuntimeError("fuse_for_inference needs a model in eval mode")
        with torch.no_grad():
            _fold_batchnorms(self)
        self._channels_last = True
        return self.to(memory_format=torch.channels_last)

    def forward_logits(self, x):
        """(B, 4, H, W) -> (B, 2, H, W) logits of the affinities (no border fix-up)."""
        if x.ndim != 4 or x.shape[1] != 4:
            raise ValueError(f"input must have shape (B, 4, H, W), got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        s = self.stride
        x = x[:, :3]
        ph, pw = -h % s, -w % s
        if ph or pw:
            x = nn.functional.pad(x, (0, pw, 0, ph), mode="replicate")
        if getattr(self, "_channels_last", False):
            x = x.contiguous(memory_format=torch.channels_last)
        up = nn.functional.interpolate
        f0 = self.enc0(x)
        f1 = self.enc1(f0)
        f2 = self.enc2(f1)
        f3 = self.enc3(f2)
        d2 = self.dec2(torch.cat([up(f3, scale_factor=2, mode="bilinear"), f2], dim=1))
        d1 = self.dec1(torch.cat([up(d2, scale_factor=2, mode="bilinear"), f1], dim=1))
        d0 = self.dec0(torch.cat([up(d1, scale_factor=2, mode="bilinear"), f0], dim=1))
        # The pair convolutions are padded by one on the leading side: output
        # x + 1 of pair_h reads columns x and x + 1, i.e. the link (x, y)-(x+1, y).
        horiz = self.pair_h(d0)[:, :, :h, 1:w + 1]
        vert = self.pair_v(d0)[:, :, 1:h + 1, :w]
        return torch.cat([horiz, vert], dim=1)

    def forward(self, x):
        """(B, 4, H, W) -> (B, 2, H, W) affinities in (0, 1), borders set to 1."""
        return _affinities(self.forward_logits(x), self.exponent)


def build_model(config):
    """The net of a weight file's ``config``: ``config["arch"]`` (default
    ``"pan"``, the Pixel Affinity Net) picks the class, the rest are its
    keyword arguments.

    Examples
    --------
    >>> from sealseg.pan.model import build_model
    >>> type(build_model({"arch": "multiscale", "width": 8})).__name__
    'MultiScaleAffinityNet'
    >>> type(build_model({"width": 8})).__name__
    'PixelAffinityNet'
    """
    config = dict(config)
    arch = config.pop("arch", "pan")
    if arch == "pan":
        return PixelAffinityNet(**config)
    if arch == "multiscale":
        return MultiScaleAffinityNet(**config)
    raise ValueError(f"arch must be 'pan' or 'multiscale', got {arch!r}")


def set_border(a):
    """Set the last column of channel 0 and the last row of channel 1 to 1."""
    a = a.clone()
    a[:, 0, :, -1] = 1.0
    a[:, 1, -1, :] = 1.0
    return a
