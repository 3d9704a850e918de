# cython: boundscheck=False, wraparound=False, cdivision=True, nonecheck=False, initializedcheck=False
"""Entropy Rate Superpixels (Liu et al., CVPR 2011): the greedy graph kernel.

Edges are indexed ``e = p * n_dirs + d`` with ``p = y * W + x`` the pixel and
``d`` the direction: 0 right (x+1, y), 1 down (x, y+1), and with
8-connectivity 2 down-right (x+1, y+1), 3 up-right (x+1, y-1).  An edge that
leaves the image has weight -1 and takes no part in the graph.
"""
import numpy as np

from libc.math cimport exp, log, sqrt
from libc.stdlib cimport free, malloc

from libc.stdint cimport uint64_t

from ._graph cimport RadixQueue, priority_key, rq_free, rq_init, rq_push, rq_settle, uf_find, uf_union

ctypedef fused real_t:
    float
    double

cdef double LN2 = log(2.0)
cdef double INV_SQRT2 = 1.0 / sqrt(2.0)


cdef inline double xlogx(double x) noexcept nogil:
    # 0 ln 0 = 0; tiny negative values from float cancellation count as 0 too.
    return x * log(x) if x > 0.0 else 0.0


cdef inline double entropy_rate_gain(double w, double ca, double cb) noexcept nogil:
    """Gain in entropy rate from moving weight w of two self-loops onto edge (a, b)."""
    return (xlogx(w + ca) + xlogx(w + cb) - xlogx(ca) - xlogx(cb) - 2.0 * xlogx(w)) / LN2


cdef inline double balancing_gain(const double* size_xlogx, Py_ssize_t sa,
                                  Py_ssize_t sb) noexcept nogil:
    """Gain in the cluster-size entropy from joining clusters of sizes sa and sb.

    ``size_xlogx[k]`` holds (k/n) ln(k/n): the greedy loop evaluates this gain
    millions of times and a table lookup replaces three logarithms.
    """
    return (-size_xlogx[sa + sb] + size_xlogx[sa] + size_xlogx[sb]) / LN2 + 1.0


cdef double ER_STALE = -1.0  # entropy-rate gains are >= 0


cdef inline void mark_er_stale(double* er_gain, Py_ssize_t p, Py_ssize_t height,
                               Py_ssize_t width, Py_ssize_t n_dirs,
                               const Py_ssize_t* offsets) noexcept nogil:
    """Mark the cached entropy-rate gain of every edge at pixel p as stale."""
    cdef Py_ssize_t d, q, y = p // width, x = p - (p // width) * width
    for d in range(n_dirs):
        er_gain[p * n_dirs + d] = ER_STALE
    # Edges that start at a neighbour and end at p: the neighbour is p - offset.
    if x >= 1:
        er_gain[(p - 1) * n_dirs] = ER_STALE
    if y >= 1:
        er_gain[(p - width) * n_dirs + 1] = ER_STALE
    if n_dirs == 4 and x >= 1:
        if y >= 1:
            er_gain[(p - width - 1) * n_dirs + 2] = ER_STALE
        if y + 1 < height:
            er_gain[(p + width - 1) * n_dirs + 3] = ER_STALE


cdef inline Py_ssize_t n_directions(int connectivity) noexcept nogil:
    return 4 if connectivity == 8 else 2


def edge_weights_from_affinities(real_t[:, :, ::1] affinities, int connectivity):
    """Edge weights from 4-connected affinities (2, H, W).

    Horizontal and vertical edges take the affinities as given; a diagonal
    takes the smaller of the two mean affinities of the paths around it,
    divided by sqrt(2).
    """
    cdef Py_ssize_t height = affinities.shape[1]
    cdef Py_ssize_t width = affinities.shape[2]
    cdef Py_ssize_t n_dirs = n_directions(connectivity)
    weights_arr = np.full(height * width * n_dirs, -1.0)
    cdef double[::1] weights = weights_arr
    cdef Py_ssize_t x, y, e
    cdef double h, v
    with nogil:
        for y in range(height):
            for x in range(width):
                e = (y * width + x) * n_dirs
                if x + 1 < width:
                    weights[e] = affinities[0, y, x]
                if y + 1 < height:
                    weights[e + 1] = affinities[1, y, x]
                if n_dirs == 4 and x + 1 < width:
                    if y + 1 < height:
                        h = 0.5 * (affinities[0, y, x] + affinities[0, y + 1, x])
                        v = 0.5 * (affinities[1, y, x] + affinities[1, y, x + 1])
                        weights[e + 2] = (h if h < v else v) * INV_SQRT2
                    if y >= 1:
                        h = 0.5 * (affinities[0, y, x] + affinities[0, y - 1, x])
                        v = 0.5 * (affinities[1, y - 1, x] + affinities[1, y - 1, x + 1])
                        weights[e + 3] = (h if h < v else v) * INV_SQRT2
    return weights_arr


cdef inline double l1_distance(real_t[:, :, ::1] colours, Py_ssize_t y0, Py_ssize_t x0,
                               Py_ssize_t y1, Py_ssize_t x1) noexcept nogil:
    cdef Py_ssize_t c
    cdef double d = 0.0, diff
    for c in range(colours.shape[2]):
        diff = <double>colours[y0, x0, c] - <double>colours[y1, x1, c]
        d += diff if diff >= 0.0 else -diff
    return d


def edge_weights_from_image(real_t[:, :, ::1] colours, double sigma, int connectivity):
    """Edge weights exp(-d^2 / (2 sigma^2)) of the L1 colour distance d.

    ``colours`` is (H, W, C) on the 0-255 scale; diagonal edges use d*sqrt(2).
    """
    cdef Py_ssize_t height = colours.shape[0]
    cdef Py_ssize_t width = colours.shape[1]
    cdef Py_ssize_t n_dirs = n_directions(connectivity)
    weights_arr = np.full(height * width * n_dirs, -1.0)
    cdef double[::1] weights = weights_arr
    cdef double scale = -1.0 / (2.0 * sigma * sigma)
    cdef double d
    cdef Py_ssize_t x, y, e
    with nogil:
        for y in range(height):
            for x in range(width):
                e = (y * width + x) * n_dirs
                if x + 1 < width:
                    d = l1_distance(colours, y, x, y, x + 1)
                    weights[e] = exp(d * d * scale)
                if y + 1 < height:
                    d = l1_distance(colours, y, x, y + 1, x)
                    weights[e + 1] = exp(d * d * scale)
                if n_dirs == 4 and x + 1 < width:
                    # (d * sqrt(2))^2 = 2 d^2
                    if y + 1 < height:
                        d = l1_distance(colours, y, x, y + 1, x + 1)
                        weights[e + 2] = exp(2.0 * d * d * scale)
                    if y >= 1:
                        d = l1_distance(colours, y, x, y - 1, x + 1)
                        weights[e + 3] = exp(2.0 * d * d * scale)
    return weights_arr


def entropy_rate_segmentation(double[::1] weights, Py_ssize_t height, Py_ssize_t width,
                              int connectivity, Py_ssize_t n_segments, double lam,
                              const unsigned char[:, ::1] mask=None):
    """Greedy entropy-rate clustering of the pixel graph.

    Parameters
    ----------
    weights : (H * W * n_dirs,) float64
        Edge weights (see the module docstring); -1 marks a missing edge.
        Modified in place: normalised by the total weight, and edges that
        touch a masked pixel are marked missing.
    mask : (H, W) uint8 or None
        Pixels with 0 take no part in the graph.

    Returns
    -------
    labels : (H, W) int64
        0..k-1 in raster order of first appearance; -1 outside the mask.
    n_clusters : int
        Number of clusters k (n_segments unless the graph ran out of edges).
    """
    cdef Py_ssize_t n_dirs = n_directions(connectivity)
    cdef Py_ssize_t n_pixels = height * width
    cdef Py_ssize_t n_slots = n_pixels * n_dirs
    cdef Py_ssize_t offsets[4]
    offsets[0] = 1
    offsets[1] = width
    offsets[2] = width + 1
    offsets[3] = 1 - width
    cdef bint has_mask = mask is not None
    cdef const unsigned char* mask_ptr = &mask[0, 0] if has_mask else NULL

    labels_arr = np.empty((height, width), dtype=np.int64)
    cdef long long[:, ::1] labels = labels_arr

    # Self-loop weight of each pixel: the part of its edge weights not yet
    # moved onto a chosen edge.
    cdef double* loop = <double*>malloc(n_pixels * sizeof(double))
    # Entropy-rate gain of each edge, valid until a join changes the self-loop
    # of one of its ends (then ER_STALE): most re-evaluations in the lazy
    # greedy loop are due to the balancing term alone and skip the logarithms.
    cdef double* er_gain = <double*>malloc(n_slots * sizeof(double))
    cdef double* size_xlogx = <double*>malloc((n_pixels + 1) * sizeof(double))
    cdef Py_ssize_t* parent = <Py_ssize_t*>malloc(n_pixels * sizeof(Py_ssize_t))
    cdef Py_ssize_t* size = <Py_ssize_t*>malloc(n_pixels * sizeof(Py_ssize_t))
    cdef RadixQueue queue
    rq_init(&queue)
    if not (loop and parent and size and er_gain and size_xlogx):
        free(loop); free(parent); free(size); free(er_gain); free(size_xlogx)
        raise MemoryError(f"not enough memory for the ERS graph of {height}x{width} pixels")

    cdef Py_ssize_t p, q, d, e, a, b, ra, rb, n_edges = 0, n_vertices = 0, n_clusters = 0
    cdef Py_ssize_t next_label
    cdef double w, total = 0.0, g, max_er = 0.0, max_b = 0.0, beta, start_balance
    cdef uint64_t key, top_key
    cdef bint out_of_memory = False
    try:
        with nogil:
            for p in range(n_pixels):
                loop[p] = 0.0
                parent[p] = p
                size[p] = 1
                if not has_mask or mask_ptr[p]:
                    n_vertices += 1
            # Keep the edges that join two pixels of the mask; sum self-loops.
            for p in range(n_pixels):
                for d in range(n_dirs):
                    e = p * n_dirs + d
                    w = weights[e]
                    if w < 0.0:
                        continue
                    q = p + offsets[d]
                    if has_mask and not (mask_ptr[p] and mask_ptr[q]):
                        weights[e] = -1.0
                        continue
                    loop[p] += w
                    loop[q] += w
                    n_edges += 1
            for p in range(n_pixels):
                total += loop[p]
            if total > 0.0:
                for p in range(n_pixels):
                    loop[p] /= total
                for e in range(n_slots):
                    if weights[e] >= 0.0:
                        weights[e] /= total
            # Initial gains; every cluster is a single pixel, so the balancing
            # gain is the same for all edges.
            for e in range(n_slots):
                w = weights[e]
                if w < 0.0:
                    continue
                p = e // n_dirs
                q = p + offsets[e - p * n_dirs]
                er_gain[e] = entropy_rate_gain(w, loop[p] - w, loop[q] - w)
                if er_gain[e] > max_er:
                    max_er = er_gain[e]
            for p in range(n_vertices + 1):
                size_xlogx[p] = xlogx(p / <double>n_vertices)
            if n_edges > 0:
                max_b = balancing_gain(size_xlogx, 1, 1)
            if max_b > 0.0 and max_er > 0.0:
                beta = lam * n_segments * max_er / max_b
            elif max_er > 0.0:
                beta = 0.0  # two pixels: the balancing gain is 0 for every join
            else:
                beta = 1.0  # no entropy-rate signal (all weights 0): balance sizes only
            start_balance = beta * max_b
            top_key = 0xFFFFFFFFFFFFFFFF
            for e in range(n_slots):
                if weights[e] >= 0.0:
                    key = priority_key(er_gain[e] + start_balance)
                    if key < top_key:
                        top_key = key
            queue.last = top_key
            for e in range(n_slots):
                if weights[e] >= 0.0 and rq_push(&queue, priority_key(er_gain[e] + start_balance), e):
                    out_of_memory = True
                    break

            # Lazy greedy: queued gains are upper bounds of the current gains
            # (both terms only decrease as clusters grow), so an edge whose
            # recomputed gain is unchanged is the best join.  A changed gain
            # goes back into the queue.
            n_clusters = n_vertices
            while not out_of_memory and n_clusters > n_segments and queue.count > 0:
                if rq_settle(&queue):
                    out_of_memory = True
                    break
                queue.size[0] -= 1
                queue.count -= 1
                e = queue.bucket[0][queue.size[0]].item
                a = e // n_dirs
                b = a + offsets[e - a * n_dirs]
                ra = uf_find(parent, a)
                rb = uf_find(parent, b)
                if ra == rb:
                    continue  # already in one cluster: the edge is dropped
                w = weights[e]
                if er_gain[e] == ER_STALE:
                    er_gain[e] = entropy_rate_gain(w, loop[a] - w, loop[b] - w)
                g = er_gain[e] + beta * balancing_gain(size_xlogx, size[ra], size[rb])
                key = priority_key(g)
                if key > queue.last:  # the gain went down: not the best any more
                    if rq_push(&queue, key, e):
                        out_of_memory = True
                    continue
                uf_union(parent, size, ra, rb)
                loop[a] -= w
                loop[b] -= w
                n_clusters -= 1
                mark_er_stale(er_gain, a, height, width, n_dirs, offsets)
                mark_er_stale(er_gain, b, height, width, n_dirs, offsets)

            # Number the clusters in raster order of their first pixel; the
            # size buffer is no longer needed and becomes the root -> label map.
            if not out_of_memory:
                next_label = 0
                for p in range(n_pixels):
                    size[p] = -1
                for p in range(n_pixels):
                    if has_mask and not mask_ptr[p]:
                        labels[p // width, p % width] = -1
                        continue
                    ra = uf_find(parent, p)
                    if size[ra] < 0:
                        size[ra] = next_label
                        next_label += 1
                    labels[p // width, p % width] = size[ra]
    finally:
        free(loop)
        free(parent)
        free(size)
        free(er_gain)
        free(size_xlogx)
        rq_free(&queue)
    if out_of_memory:
        raise MemoryError(f"not enough memory for the ERS queue of {height}x{width} pixels")
    return labels_arr, n_clusters
