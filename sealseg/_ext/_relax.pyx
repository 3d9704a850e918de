"""Boundary relaxation: a post-pass that shortens superpixel boundaries where the image has none.

Each pass visits the pixels on a boundary and may move one to the label of a
4-neighbour when that lowers

    E = sum over cut edges (p, q) of s_d * (length_cost + w_pq)
        + area_weight * sum over labels k of (A_k - T_k)^2 / T_mean

where ``w_pq`` is the edge's weight in the graph ERS ran on (1: the same
region, 0: an image edge; ``_grid.pxd`` numbering), ``s_d`` 1 for the
horizontal and vertical edges and 1/sqrt(2) for the diagonal ones, ``A_k``
the area of label ``k`` and ``T_k`` its area before the pass.  A cut costs
more where the two pixels look alike, so a boundary moves off flat areas and
onto image edges, and it is shortened where no edge holds it; the area term
keeps each superpixel near the size ERS gave it.

A move never changes the number of labels nor splits one: a pixel is moved
only to a label it touches (a 4-neighbour, so that label stays connected),
never when it is the last pixel of its label, and only when the pixels of
its label around it stay connected within its 3 x 3 neighbourhood (the
pixel is *simple*: every path through it can go round it), in the label's
own connectivity (4 or 8).

A pass skips a boundary pixel whose decision cannot have changed since its
last visit, where it stayed: no pixel of its 3 x 3 neighbourhood has moved
since, and the areas of its label and its 4-neighbours' labels (the only
other inputs of its decision) have changed too little to overturn it.  At
each visit the pixel keeps the margin by which it stayed (the smallest
change of E over its candidate moves) and the sum of the churns (pixels
gained or lost so far) of those labels; a move changes through the area
term by at most ``2 * area_weight / T_mean`` times the churn since, so a
margin above that bound (with room for rounding) keeps the decision.  The
labels are the same as with every pixel visited; after the first pass most
boundary pixels are skipped.
"""
import numpy as np

from libc.math cimport INFINITY, sqrt
from libc.stdint cimport int64_t, uint8_t, uint32_t

cdef double INV_SQRT2 = 1.0 / sqrt(2.0)
# The churns (module docstring) are uint32: past this many moves the passes
# visit every boundary pixel again (same labels, slower).
cdef Py_ssize_t CHURN_LIMIT = 1 << 28

# The 8 neighbours in ring order (clockwise from the top-left): a ring
# position is bit i of an 8-bit mask.
cdef int RING_DY[8]
cdef int RING_DX[8]
RING_DY[:] = [-1, -1, -1, 0, 1, 1, 1, 0]
RING_DX[:] = [-1, 0, 1, 1, 1, 0, -1, -1]


def _ring_components(int mask, int connectivity):
    """Components of the set ring positions that a path round the centre can use.

    With ``connectivity`` 8: the number of 8-connected components of the set
    positions within the ring.  With 4: the number of 4-connected
    components (within the ring) that hold a 4-neighbour of the centre
    (the odd positions); a component of corners alone does not touch the
    centre in the 4-connected sense.
    """
    cdef int i, j, k, n = 0, seen = 0, stack, touches
    for i in range(8):
        if not (mask >> i) & 1 or (seen >> i) & 1:
            continue
        stack = 1 << i
        seen |= 1 << i
        touches = i & 1
        while stack:
            j = 0
            while not (stack >> j) & 1:
                j += 1
            stack &= ~(1 << j)
            for k in range(8):
                if not (mask >> k) & 1 or (seen >> k) & 1:
                    continue
                if abs(RING_DY[j] - RING_DY[k]) <= 1 and abs(RING_DX[j] - RING_DX[k]) <= 1 \
                        and (connectivity == 8
                             or abs(RING_DY[j] - RING_DY[k]) + abs(RING_DX[j] - RING_DX[k]) == 1):
                    seen |= 1 << k
                    stack |= 1 << k
                    touches |= k & 1
        if connectivity == 8 or touches:
            n += 1
    return n


def _simple_table(int connectivity):
    """uint8[256]: 1 where a pixel whose same-label ring is that mask may leave its label."""
    table = np.zeros(256, np.uint8)
    for mask in range(256):
        table[mask] = _ring_components(mask, connectivity) == 1
    return table


cdef inline double neighbour_weight(const double* weights, Py_ssize_t p, int k,
                                    Py_ssize_t width, Py_ssize_t n_dirs) noexcept nogil:
    """Weight of the edge from p to its ring neighbour k (-1: no such edge)."""
    if k == 1:    # up
        return weights[(p - width) * n_dirs + 1]
    if k == 3:    # right
        return weights[p * n_dirs]
    if k == 5:    # down
        return weights[p * n_dirs + 1]
    if k == 7:    # left
        return weights[(p - 1) * n_dirs]
    if n_dirs < 4:
        return -1.0
    if k == 0:    # up-left: the down-right edge of that pixel
        return weights[(p - width - 1) * n_dirs + 2]
    if k == 4:    # down-right
        return weights[p * n_dirs + 2]
    if k == 2:    # up-right
        return weights[p * n_dirs + 3]
    return weights[(p + width - 1) * n_dirs + 3]  # down-left: that pixel's up-right edge


cdef inline uint32_t churn_of(int64_t label, const uint32_t[::1] churn) noexcept nogil:
    """Pixels ``label`` has gained or lost so far (0 for -1, outside the mask)."""
    return churn[label] if label >= 0 else 0


cdef inline uint32_t churn_around(const int64_t* lab, Py_ssize_t p, Py_ssize_t y, Py_ssize_t x,
                                  Py_ssize_t height, Py_ssize_t width,
                                  const uint32_t[::1] churn) noexcept nogil:
    """The churns of p's label and of its 4-neighbours' labels, summed (a label may count twice)."""
    cdef uint32_t total = churn[lab[p]]
    if y > 0:
        total += churn_of(lab[p - width], churn)
    if y < height - 1:
        total += churn_of(lab[p + width], churn)
    if x > 0:
        total += churn_of(lab[p - 1], churn)
    if x < width - 1:
        total += churn_of(lab[p + 1], churn)
    return total


def relax_boundaries(int64_t[:, ::1] labels, const double[::1] weights, int connectivity,
                     double length_cost, double area_weight, Py_ssize_t n_passes):
    """Move boundary pixels to a neighbouring label while that lowers E (module docstring).

    Parameters
    ----------
    labels : (H, W) int64
        Labels 0..k-1, -1 outside the mask; changed in place.  Each label
        must be one region connected in ``connectivity``.
    weights : (H * W * n_dirs,) float64
        The graph's edge weights in [0, 1] (``_grid.pxd``), n_dirs 2 or 4;
        -1 marks a missing edge.
    connectivity : {4, 8}
        The connectivity the labels' regions keep.
    length_cost, area_weight : float
        The terms of E, >= 0.
    n_passes : int
        At most this many passes over the image (forward and backward in
        turn); fewer when a pass moves no pixel.

    Returns
    -------
    n_moves : int
        Pixels moved in all.  When > 0 the labels are numbered again in
        raster order of their first pixel.
    """
    cdef Py_ssize_t height = labels.shape[0], width = labels.shape[1]
    cdef Py_ssize_t n_pixels = height * width
    cdef Py_ssize_t n_dirs = weights.shape[0] // n_pixels if n_pixels else 2
    if n_pixels == 0:
        return 0
    if n_dirs not in (2, 4) or weights.shape[0] != n_pixels * n_dirs:
        raise ValueError("weights must hold 2 or 4 edges per pixel")
    cdef int64_t* lab = &labels[0, 0]
    cdef Py_ssize_t n_labels = int(np.max(labels)) + 1
    if n_labels <= 0:
        return 0
    areas_arr = np.bincount(np.asarray(labels).ravel()[np.asarray(labels).ravel() >= 0],
                            minlength=n_labels).astype(np.int64)
    targets_arr = areas_arr.astype(np.float64)
    cdef int64_t[::1] areas = areas_arr
    cdef double[::1] targets = targets_arr
    cdef double mean_area = float(targets_arr.mean())
    cdef double area_scale = area_weight / mean_area if mean_area > 0 else 0.0
    simple_arr = _simple_table(connectivity)
    cdef const uint8_t[::1] simple = simple_arr
    cdef Py_ssize_t offsets[8]
    cdef int k, ring, n_cand, i2
    for k in range(8):
        offsets[k] = RING_DY[k] * width + RING_DX[k]
    cdef double scale[8]
    for k in range(8):
        scale[k] = 1.0 if k & 1 else INV_SQRT2
    cdef const double* w = &weights[0]
    # What lets a pass skip a pixel (module docstring): ``dirty[p]`` is 1
    # when a pixel of p's 3 x 3 neighbourhood has moved since p's last visit
    # (1 at first: the first pass visits every pixel); ``margin[p]`` and
    # ``churn_seen[p]`` the margin and the churn sum at that visit
    # (``churn_around``); ``churn[k]`` label k's churn.
    dirty_arr = np.ones(n_pixels, np.uint8)
    margin_arr = np.empty(n_pixels, np.float32)
    churn_seen_arr = np.empty(n_pixels, np.uint32)
    churn_arr = np.zeros(n_labels, np.uint32)
    cdef uint8_t[::1] dirty = dirty_arr
    cdef float[::1] margin = margin_arr
    cdef uint32_t[::1] churn_seen = churn_seen_arr
    cdef uint32_t[::1] churn = churn_arr
    cdef uint32_t churn_now
    cdef bint skipping = True
    cdef double min_delta, churn_step = 2.0 * area_scale
    # Room for rounding: the area term is recomputed from other areas, each
    # time with errors of order 1e-16 of the terms' sizes.
    cdef double slack = 1e-9 * (1.0 + 16.0 * (length_cost + 1.0)
                                + 4.0 * area_scale * n_pixels)
    cdef Py_ssize_t p, y, x, i, pass_, n_moves = 0, moved, k2, next_label, y2, x2
    cdef int64_t a, b, best, cand[4], nb[8]
    cdef double cost[8], to_a, to_b, delta, best_delta
    cdef bint inside
    with nogil:
        for pass_ in range(n_passes):
            moved = 0
            for i in range(n_pixels):
                # Raster order, backward in odd passes; y and x are stepped,
                # not divided out of p (a division per pixel cost a third of
                # a pass).
                if i == 0:
                    if pass_ % 2 == 0:
                        p = 0; y = 0; x = 0
                    else:
                        p = n_pixels - 1; y = height - 1; x = width - 1
                elif pass_ % 2 == 0:
                    p += 1
                    x += 1
                    if x == width:
                        x = 0
                        y += 1
                else:
                    p -= 1
                    x -= 1
                    if x < 0:
                        x = width - 1
                        y -= 1
                a = lab[p]
                if a < 0:
                    continue
                inside = 0 < y < height - 1 and 0 < x < width - 1
                # Most pixels lie inside their superpixel: their 4-neighbours
                # (those within the image) all carry their label.
                if ((y == 0 or lab[p - width] == a) and (y == height - 1 or lab[p + width] == a)
                        and (x == 0 or lab[p - 1] == a) and (x == width - 1 or lab[p + 1] == a)):
                    continue
                if skipping:
                    churn_now = churn_around(lab, p, y, x, height, width, churn)
                    if not dirty[p] and (margin[p] > churn_step * (churn_now - churn_seen[p])
                                         + slack):
                        continue  # its decision cannot have changed: it stays
                    dirty[p] = 0
                    churn_seen[p] = churn_now
                    margin[p] = INFINITY  # unless a move is weighed below
                # The ring's labels (-2 beyond the border) and cut costs.
                ring = 0
                for k in range(8):
                    if (inside or (0 <= y + RING_DY[k] < height
                                   and 0 <= x + RING_DX[k] < width)):
                        nb[k] = lab[p + offsets[k]]
                        cost[k] = neighbour_weight(w, p, k, width, n_dirs)
                        if cost[k] >= 0.0:
                            cost[k] = scale[k] * (length_cost + cost[k])
                        else:
                            cost[k] = 0.0
                    else:
                        nb[k] = -2
                        cost[k] = 0.0
                    if nb[k] == a:
                        ring |= 1 << k
                if ring == 0xFF or not simple[ring]:
                    continue
                n_cand = 0
                for k in range(1, 8, 2):
                    b = nb[k]
                    if b < 0 or b == a:
                        continue
                    for i2 in range(n_cand):
                        if cand[i2] == b:
                            break
                    else:
                        cand[n_cand] = b
                        n_cand += 1
                if n_cand == 0:
                    continue
                to_a = 0.0
                for k in range(8):
                    if nb[k] == a:
                        to_a += cost[k]
                best = -1
                best_delta = -1e-12
                min_delta = INFINITY
                for i2 in range(n_cand):
                    b = cand[i2]
                    to_b = 0.0
                    for k in range(8):
                        if nb[k] == b:
                            to_b += cost[k]
                    delta = to_a - to_b + area_scale * (
                        2.0 * (areas[b] - targets[b]) + 1.0
                        - 2.0 * (areas[a] - targets[a]) + 1.0)
                    if delta < best_delta:
                        best_delta = delta
                        best = b
                    if delta < min_delta:
                        min_delta = delta
                if best < 0:
                    # Stayed by min_delta + 1e-12 >= 0, kept rounded down.
                    margin[p] = <float>((min_delta + 1e-12) * (1.0 - 1e-6))
                    continue
                lab[p] = best
                areas[a] -= 1
                areas[best] += 1
                moved += 1
                if skipping:
                    churn[a] += 1
                    churn[best] += 1
                    for y2 in range(y - 1 if y > 0 else 0, y + 2 if y + 2 <= height else height):
                        for x2 in range(x - 1 if x > 0 else 0, x + 2 if x + 2 <= width else width):
                            dirty[y2 * width + x2] = 1
                    if n_moves + moved >= CHURN_LIMIT:
                        skipping = False
            n_moves += moved
            if moved == 0:
                break
        # Moves can change which label comes first in raster order: number
        # them again in that order, as ERS does (0..k-1, -1 stays).
        if n_moves > 0:
            for k2 in range(n_labels):
                areas[k2] = -1  # now the new number of each old label
            next_label = 0
            for p in range(n_pixels):
                a = lab[p]
                if a < 0:
                    continue
                if areas[a] < 0:
                    areas[a] = next_label
                    next_label += 1
                lab[p] = areas[a]
    return n_moves
