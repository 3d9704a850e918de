"""The spatial prior behind ``compactness``: a static reweighting of ERS's graph.

ERS has no spatial term: its superpixels follow the edge weights wherever
they lead.  ``compactness`` adds one, the way slic's is felt: superpixels
that keep to a regular grid.  Seeds are placed on a regular grid of step
``S = sqrt(area / n_segments)`` (as slic places its first centres; in
physical units, over the mask when there is one), each pixel belongs to the
cell of its nearest seed, and every edge that crosses from one cell to
another has its weight multiplied by ``exp(-k)``, ``k`` increasing with
``compactness``.  Cutting along the grid becomes cheaper than cutting
elsewhere, unless the image's own edges are stronger.

The prior is applied once, to the weights, before the greedy starts: ERS
then runs unchanged on a reweighted graph, so every guarantee of the greedy
holds as it is (the entropy-rate and balancing gains of a join still only
decrease as clusters grow, which the lazy evaluation and the radix queue
rely on).  A term in the gain that depends on the clusters' shapes would not
have that property.

Two smooth priors were tried first and dropped (measured on ``astronaut``
at n=50: mean compactness fell at large ``k``): ``exp(-k u**2)`` with ``u``
the distance to the nearest seed, and a factor falling towards the cell
borders.  Both weaken *all* the edges of the pixels near a border, whose
joins are then left to ERS's size-balancing term, which is blind to shape.
Weakening only the crossing edges leaves those pixels tied to their own
cell.
"""
import numpy as np

__all__ = ["prior_strength", "apply_spatial_prior", "grid_cells", "crossing_edges"]

# ``compactness`` -> strength ``k`` of the prior, one table per kind of edge
# weights.  Calibrated on BSDS500 val (7 images, n_segments 200 and 600):
# at each of slic's compactness values, the strength at which the mean
# ``sealseg.compactness`` of ERS on colours (of SEAL-ERS, for affinities,
# with the weights now registered as "bsds500-dilated") equals slic's at
# that value, interpolated in a sweep of k = 0, 0.25, ..., 16.  Where slic
# is less regular than plain ERS the strength is 0 (SEAL-ERS at 0 is as
# regular as slic at about 8).  The prior saturates: beyond k ~ 8
# the crossing edges are so weak that the result no longer changes, at a mean
# compactness of about 0.53 for ERS on colours (slic reaches 0.70 at 100)
# and 0.71 for SEAL-ERS; the last entry is that saturation point.  Between
# entries, linear in log(compactness); beyond the last, constant.
_CALIBRATION_COMPACTNESS = np.array([1.0, 3.0, 10.0, 30.0, 100.0])
_CALIBRATION_STRENGTH = {
    "colour": np.array([0.0, 0.05, 0.22, 2.6, 8.0]),
    "affinities": np.array([0.0, 0.0, 0.03, 0.58, 4.95]),
}


def prior_strength(compactness, weights="colour"):
    """Strength ``k`` of the spatial prior for a slic-style ``compactness``.

    ``weights`` is ``"colour"`` (ERS on an image) or ``"affinities"``.  0 up
    to ``compactness`` 1, non-decreasing in ``compactness``.
    """
    if compactness <= _CALIBRATION_COMPACTNESS[0]:
        return 0.0
    return float(np.interp(np.log(compactness), np.log(_CALIBRATION_COMPACTNESS),
                           _CALIBRATION_STRENGTH[weights]))


def _grid_axis(lo, hi, spacing, step):
    """Seed coordinates (physical units) of one axis: cell centres, rounded to pixels."""
    # At most one cell per pixel: seeds are rounded to pixels, so more cells
    # only repeat seeds (same cells), and a very anisotropic spacing (1e-150
    # by 1e150) asked for ~1e150 of them (MemoryError, or the OOM killer).
    n_cells = max(1, min(int(hi - lo), int(round((hi - lo) * spacing / step))))
    pixels = np.floor(lo + (np.arange(n_cells) + 0.5) * (hi - lo) / n_cells)
    return pixels * spacing


def grid_cells(shape, n_segments, spacing=(1.0, 1.0), mask=None):
    """Index of each pixel's grid cell: the Voronoi cell of its nearest seed.

    Seeds lie on a grid that is regular in physical units, of step ``S =
    sqrt(area / n_segments)`` (``cbrt(volume / n_segments)`` for a volume;
    the area and the grid over the mask's bounding box when there is a
    mask), at the pixel nearest each cell's centre.  The nearest seed of a
    rectangular grid is the nearest along each axis, so the cells are
    rectangles (boxes) of about ``S`` by ``S``.  Returns an int array of
    ``shape``, (H, W) or (P, M, N).
    """
    ndim = len(shape)
    if mask is None:
        size = float(np.prod(shape, dtype=np.int64))
        bounds = [(0, n) for n in shape]
    else:
        size = float(mask.sum())
        bounds = []
        for axis in range(ndim):
            other = tuple(a for a in range(ndim) if a != axis)
            along = np.flatnonzero(mask.any(axis=other))
            bounds.append((along[0], along[-1] + 1))
    for s in spacing:
        size *= s
    # np.sqrt for images: the step (and so the labels) of before volumes came.
    step = np.sqrt(size / n_segments) if ndim == 2 else np.cbrt(size / n_segments)
    cells = np.zeros(shape, np.int64)
    for axis, ((lo, hi), s) in enumerate(zip(bounds, spacing)):
        seeds = _grid_axis(lo, hi, s, step)
        cell = np.abs(np.arange(shape[axis])[:, None] * s - seeds[None, :]).argmin(axis=1)
        index = [np.newaxis] * ndim
        index[axis] = slice(None)
        cells = cells * seeds.size + cell[tuple(index)]
    return cells


def crossing_edges(cells, connectivity):
    """(n_pixels * n_dirs,) bool: the edges of the kernel's graph whose two ends lie in different cells."""
    if cells.ndim == 3:
        crossing = np.zeros(cells.shape + (4,), bool)                # slot 3 unused
        crossing[:, :, :-1, 0] = cells[:, :, :-1] != cells[:, :, 1:]  # along N
        crossing[:, :-1, :, 1] = cells[:, :-1, :] != cells[:, 1:, :]  # along M
        crossing[:-1, :, :, 2] = cells[:-1] != cells[1:]              # along P
        return crossing.ravel()
    n_dirs = 4 if connectivity == 8 else 2
    crossing = np.zeros(cells.shape + (n_dirs,), bool)
    crossing[:, :-1, 0] = cells[:, :-1] != cells[:, 1:]          # right
    crossing[:-1, :, 1] = cells[:-1, :] != cells[1:, :]          # down
    if n_dirs == 4:
        crossing[:-1, :-1, 2] = cells[:-1, :-1] != cells[1:, 1:]  # down-right
        crossing[1:, :-1, 3] = cells[1:, :-1] != cells[:-1, 1:]   # up-right
    return crossing.ravel()


def apply_spatial_prior(weights, shape, connectivity, n_segments, strength,
                        spacing=(1.0, 1.0), mask=None):
    """Multiply in place by ``exp(-strength)`` the ERS edge weights that cross grid cells.

    ``weights`` is the kernel's flat array (edge ``e = p * n_dirs + d``, see
    ``sealseg/_ext/_grid.pxd``; a volume's 6-connected graph when ``shape``
    is (P, M, N)), -1 for a missing edge (left as it is).  An edge crosses
    when its two pixels lie in different cells of :func:`grid_cells`; every
    other edge keeps its weight, so each pixel stays as strongly tied to its
    own cell as the image says.
    """
    if strength == 0:
        return weights
    cells = grid_cells(shape, n_segments, spacing, mask)
    crossing = crossing_edges(cells, connectivity) & (weights >= 0)
    weights[crossing] *= np.exp(-strength)
    return weights
