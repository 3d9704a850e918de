"""Overlapping tiles for running the Pixel Affinity Net on large images.

Pure Python (no torch): the tile grid is planned here and
:func:`sealseg.learn_affinities` runs the net tile by tile.  A tile is the
*core* region whose outputs are kept, grown by a *halo* of ``halo`` pixels on
every side that is not an image border.  When the halo is at least the
receptive-field radius of the net, every kept output sees exactly the pixels
it sees in the untiled run, so the stitched result equals the untiled one up
to float rounding.
"""
import math

import numpy as np

__all__ = ["receptive_radius", "plan_tiles", "DEFAULT_TILE_PIXELS"]

#: Automatic tile budget (pixels per tile, halo included) for the default net
#: width 32, chosen from the net's memory per pixel (doc/speed.rst, "Memory");
#: the budget scales with 32 / width.
DEFAULT_TILE_PIXELS = 2 ** 18


def receptive_radius(model):
    """Receptive-field radius (pixels) of a Pixel Affinity Net, in both axes.

    The radius is the sum of the half-widths of every spatial convolution on
    the path from the input to the output (1x1 convolutions and the
    per-pixel BatchNorm/ReLU/sigmoid add nothing).  For the paper's net
    (1x7 head, three residual blocks of two 3x3 convolutions) that is 3 + 6
    = 9 pixels along x and 6 along y for the horizontal pass; the vertical
    pass is the same net on the transposed image, so the axes swap and the
    radius in both axes is ``max(9, 6) = 9``.
    """
    from torch import nn

    ry = rx = 0
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            (ky, kx), (dy, dx) = module.kernel_size, module.dilation
            ry += dy * (ky - 1) // 2
            rx += dx * (kx - 1) // 2
    # one_way: the vertical affinities come from the transposed image, where
    # the roles of the axes swap; taking the max covers both passes.
    return max(ry, rx)


def _read_start(start, halo, align):
    """First row (or column) read for a core starting at ``start``: the halo
    before it, moved back onto the alignment grid.  ``start`` may be an array
    (as in :func:`_extents`)."""
    return np.maximum(0, start - halo) // align * align


def _spans(length, n_parts, halo, align=1):
    """Split ``range(length)`` into ``n_parts`` cores; (core, with-halo) spans."""
    bounds = [round(k * length / n_parts) for k in range(n_parts + 1)]
    spans = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        read = (int(_read_start(start, halo, align)), min(length, stop + halo))
        spans.append(((start, stop), read))
    return spans


def _extents(length, n_parts, halo, align=1):
    """Extents (core plus halo) of the ``n_parts`` tiles of :func:`_spans`, vectorised.

    numpy's round, like Python's, rounds halves to even, and ``k * length /
    n_parts`` is the same correctly rounded division, so the bounds are those
    of :func:`_spans`.
    """
    bounds = np.round(np.arange(n_parts + 1) * length / n_parts).astype(np.int64)
    starts = _read_start(bounds[:-1], halo, align)
    return np.minimum(length, bounds[1:] + halo) - starts


def _longest(length, n_parts, halo, align=1):
    """Longest tile extent (core plus halo) when ``length`` is cut in ``n_parts``."""
    return int(_extents(length, n_parts, halo, align).max())


def plan_tiles(shape, halo, max_pixels, align=1):
    """Tiles covering an image of ``shape`` with at most ``max_pixels`` each.

    Parameters
    ----------
    shape : (int, int)
        Height and width of the image.
    halo : int
        Pixels of context added on each interior side of a tile.
    max_pixels : int
        Largest tile area, halo included.
    align : int, optional
        The first row and column a tile reads are multiples of ``align``
        (the halo before a core grows by up to ``align - 1`` pixels), for a
        net whose strided layers compute on a grid anchored at the corner.

    Returns
    -------
    tiles : list of ((y0, y1, x0, x1), (Y0, Y1, X0, X1))
        Core region and region read (core plus halo), in raster order.  The
        cores partition the image.  The fewest tiles that fit the budget are
        chosen (ties: the least computed area).

    Raises
    ------
    ValueError
        ``max_pixels`` below ``(3 * halo) ** 2`` when the image does not fit
        whole.  Smaller tiles would mostly compute their halo (a 1-pixel
        core in a ``2 * halo + 1`` tile costs ``(2 * halo + 1) ** 2`` times
        the untiled run); at ``(3 * halo) ** 2`` a tile's core is at least
        as wide as its halo, so the tiles compute at most 9 times the
        image's pixels.  With ``align > 1`` the bound is
        ``(3 * halo + align - 1) ** 2``, as the halo before a core can grow
        by ``align - 1`` (``align ** 2`` for ``halo = 0``).

    Examples
    --------
    >>> from sealseg.pan.tiling import plan_tiles
    >>> len(plan_tiles((100, 100), 9, 100 * 100))
    1
    >>> [core for core, _ in plan_tiles((100, 100), 9, 60 * 100)]
    [(0, 50, 0, 100), (50, 100, 0, 100)]
    >>> [read for _, read in plan_tiles((100, 100), 9, 64 * 100, align=8)]
    [(0, 59, 0, 100), (40, 100, 0, 100)]
    """
    height, width = (int(v) for v in shape)
    if height * width <= max_pixels:
        return [((0, height, 0, width), (0, height, 0, width))]
    align = int(align)
    if align < 1:
        raise ValueError(f"align must be a positive integer, got {align}")
    # A core of max(1, halo) pixels with its halo on both sides, plus up to
    # align - 1 pixels more before it (see _read_start).
    smallest = (max(1, halo) + 2 * halo + align - 1) ** 2
    if max_pixels < smallest:
        if halo == 0:
            formula = f"{align}**2"
        else:
            formula = f"(3 * {halo})**2" if align == 1 else f"(3 * {halo} + {align - 1})**2"
        raise ValueError(f"max_pixels_per_tile must be at least {smallest} = {formula} "
                         f"for this net, whose tiles need a {halo}-pixel halo on each side "
                         "(smaller tiles would mostly compute their halo), or at least the "
                         f"image's {height * width} pixels; got {max_pixels}")
    best = None
    for ny in range(1, height + 1):
        tile_h = _longest(height, ny, halo, align)
        if tile_h * min(width, 2 * halo + align) > max_pixels:
            continue
        # Fewest columns whose tiles fit next to this row height.
        max_w = max_pixels // tile_h
        nx = 1 if width <= max_w else max(1, math.ceil(width / max(1, max_w - 2 * halo - align + 1)))
        while nx < width and tile_h * _longest(width, nx, halo, align) > max_pixels:
            nx += 1
        if tile_h * _longest(width, nx, halo, align) > max_pixels:
            continue
        # The tiles form a grid: their total area is (sum of row heights) x
        # (sum of column widths), O(ny + nx) instead of O(ny * nx).
        area = (int(_extents(height, ny, halo, align).sum())
                * int(_extents(width, nx, halo, align).sum()))
        key = (ny * nx, area)
        if best is None or key < best[0]:
            best = (key, ny, nx)
        if ny * 1 > best[0][0]:
            break   # more rows alone already exceed the best tile count
    _, ny, nx = best
    return [((y0, y1, x0, x1), (Y0, Y1, X0, X1))
            for (y0, y1), (Y0, Y1) in _spans(height, ny, halo, align)
            for (x0, x1), (X0, X1) in _spans(width, nx, halo, align)]
