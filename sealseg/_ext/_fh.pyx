"""Felzenszwalb-Huttenlocher graph segmentation (IJCV 2004) on pixel dissimilarities.

Pixels and edges are numbered as in ``_grid.pxd`` (and ``_ers``).
:func:`edge_dissimilarities` lists the edges inside the image (and the mask)
in increasing ``e``; the caller sorts them by weight (a stable sort, so ties
keep increasing ``e``) and :func:`felzenszwalb_segmentation` runs the greedy
merging on that order.
"""
import numpy as np

from cython cimport floating
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

from ._graph cimport uf_find, uf_union
from ._grid cimport diagonal_affinity, grid_offsets, n_directions, number_in_raster_order


def edge_dissimilarities(const floating[:, :, ::1] affinities, int connectivity,
                         const unsigned char[:, ::1] mask=None):
    """Edges of the pixel grid and their dissimilarities 1 - affinity.

    Horizontal and vertical edges take ``1 - affinities[0 or 1, y, x]``; a
    diagonal takes 1 - the smaller of the two mean affinities of the paths
    around it (the rule of ``_ers.edge_weights_from_affinities`` without its
    1/sqrt(2) factor).  Edges leaving the image or touching a pixel where
    ``mask`` is 0 are left out.

    Returns
    -------
    weights : (E,) float64
        Dissimilarities, in [0, 1].
    edges : (E,) int64
        Edge indices ``p * n_dirs + d``, increasing.
    """
    cdef Py_ssize_t height = affinities.shape[1]
    cdef Py_ssize_t width = affinities.shape[2]
    cdef Py_ssize_t n_dirs = n_directions(connectivity)
    cdef bint has_mask = mask is not None
    cdef const unsigned char* mask_ptr = &mask[0, 0] if has_mask else NULL
    weights_arr = np.empty(height * width * n_dirs, dtype=np.float64)
    edges_arr = np.empty(height * width * n_dirs, dtype=np.int64)
    cdef double[::1] weights = weights_arr
    cdef int64_t[::1] edges = edges_arr
    cdef Py_ssize_t x, y, p, e, n = 0
    with nogil:
        for y in range(height):
            for x in range(width):
                p = y * width + x
                if has_mask and not mask_ptr[p]:
                    continue
                e = p * n_dirs
                if x + 1 < width and (not has_mask or mask_ptr[p + 1]):
                    weights[n] = 1.0 - <double>affinities[0, y, x]
                    edges[n] = e
                    n += 1
                if y + 1 < height and (not has_mask or mask_ptr[p + width]):
                    weights[n] = 1.0 - <double>affinities[1, y, x]
                    edges[n] = e + 1
                    n += 1
                if n_dirs == 4 and x + 1 < width:
                    if y + 1 < height and (not has_mask or mask_ptr[p + width + 1]):
                        weights[n] = 1.0 - diagonal_affinity(
                            <double>affinities[0, y, x], <double>affinities[0, y + 1, x],
                            <double>affinities[1, y, x], <double>affinities[1, y, x + 1])
                        edges[n] = e + 2
                        n += 1
                    if y >= 1 and (not has_mask or mask_ptr[p - width + 1]):
                        weights[n] = 1.0 - diagonal_affinity(
                            <double>affinities[0, y, x], <double>affinities[0, y - 1, x],
                            <double>affinities[1, y - 1, x], <double>affinities[1, y - 1, x + 1])
                        edges[n] = e + 3
                        n += 1
    return weights_arr[:n].copy(), edges_arr[:n].copy()


def felzenszwalb_segmentation(const double[::1] weights, const int64_t[::1] edges,
                              Py_ssize_t height, Py_ssize_t width, int connectivity,
                              double scale, Py_ssize_t min_size,
                              const unsigned char[:, ::1] mask=None):
    """Greedy FH merging of the pixel graph, then merging of small components.

    Parameters
    ----------
    weights, edges : (E,) float64, (E,) int64
        Edge dissimilarities and edge indices (see the module docstring),
        sorted by increasing weight.
    scale : float
        ``k`` of the paper: an edge of weight ``w`` joins components C1 and C2
        when ``w <= min(Int(C1) + scale / |C1|, Int(C2) + scale / |C2|)``.
    min_size : int
        Afterwards, any edge (in the same order) whose ends lie in two
        different components, one of them smaller than ``min_size``, joins them.
    mask : (H, W) uint8 or None
        Pixels with 0 get label -1 (their edges must not be in ``edges``).

    Returns
    -------
    labels : (H, W) int64
        0..k-1 in raster order of each component's first pixel; -1 outside
        the mask.
    n_components : int
        k.
    """
    cdef Py_ssize_t n_dirs = n_directions(connectivity)
    cdef Py_ssize_t n_pixels = height * width
    cdef Py_ssize_t n_edges = weights.shape[0]
    if edges.shape[0] != n_edges:
        raise ValueError("weights and edges must have the same length")
    cdef Py_ssize_t offsets[4]
    grid_offsets(offsets, width)
    cdef bint has_mask = mask is not None
    cdef const unsigned char* mask_ptr = &mask[0, 0] if has_mask else NULL

    labels_arr = np.empty((height, width), dtype=np.int64)
    cdef int64_t[:, ::1] labels = labels_arr

    cdef Py_ssize_t* parent = <Py_ssize_t*>malloc(n_pixels * sizeof(Py_ssize_t))
    cdef Py_ssize_t* size = <Py_ssize_t*>malloc(n_pixels * sizeof(Py_ssize_t))
    # Int(C) of the paper: the largest weight of the component's minimum
    # spanning tree, i.e. the weight of the edge that last joined it.
    cdef double* internal = <double*>malloc(n_pixels * sizeof(double))
    if not (parent and size and internal):
        free(parent); free(size); free(internal)
        raise MemoryError(f"not enough memory for the FH graph of {height}x{width} pixels")

    cdef Py_ssize_t i, p, q, e, ra, rb, root, n_components = 0
    cdef int64_t* label_of
    cdef double w, ta, tb
    try:
        with nogil:
            for p in range(n_pixels):
                parent[p] = p
                size[p] = 1
                internal[p] = 0.0
            for i in range(n_edges):
                e = edges[i]
                p = e // n_dirs
                q = p + offsets[e - p * n_dirs]
                ra = uf_find(parent, p)
                rb = uf_find(parent, q)
                if ra == rb:
                    continue
                w = weights[i]
                ta = internal[ra] + scale / size[ra]
                tb = internal[rb] + scale / size[rb]
                if w <= (ta if ta < tb else tb):
                    root = uf_union(parent, size, ra, rb)
                    internal[root] = w
            if min_size > 1:
                for i in range(n_edges):
                    e = edges[i]
                    p = e // n_dirs
                    q = p + offsets[e - p * n_dirs]
                    ra = uf_find(parent, p)
                    rb = uf_find(parent, q)
                    if ra != rb and (size[ra] < min_size or size[rb] < min_size):
                        uf_union(parent, size, ra, rb)

            # Number the components in raster order of their first pixel; the
            # size buffer is no longer needed and holds the root -> label map.
            label_of = &labels[0, 0]
            for p in range(n_pixels):
                if not has_mask or mask_ptr[p]:
                    label_of[p] = uf_find(parent, p)
            n_components = number_in_raster_order(label_of, n_pixels, mask_ptr, size)
    finally:
        free(parent)
        free(size)
        free(internal)
    return labels_arr, n_components
