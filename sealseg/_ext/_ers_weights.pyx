"""ERS's graph: the edge weights of the pixel (or voxel) graph, from colours or affinities.

Pixels and edges are numbered as in ``_grid.pxd``.  An edge that leaves the
image has weight -1 and takes no part in the graph.
"""
import numpy as np

from cython cimport floating
from libc.math cimport exp, sqrt

from ._grid cimport diagonal_affinity, n_directions

cdef double INV_SQRT2 = 1.0 / sqrt(2.0)


def edge_weights_from_affinities(const floating[:, :, ::1] affinities, int connectivity):
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
                        weights[e + 2] = INV_SQRT2 * diagonal_affinity(
                            affinities[0, y, x], affinities[0, y + 1, x],
                            affinities[1, y, x], affinities[1, y, x + 1])
                    if y >= 1:
                        weights[e + 3] = INV_SQRT2 * diagonal_affinity(
                            affinities[0, y, x], affinities[0, y - 1, x],
                            affinities[1, y - 1, x], affinities[1, y - 1, x + 1])
    return weights_arr


cdef inline double l1_distance(floating[:, :, ::1] colours, Py_ssize_t y0, Py_ssize_t x0,
                               Py_ssize_t y1, Py_ssize_t x1) noexcept nogil:
    cdef Py_ssize_t c
    cdef double d = 0.0, diff
    for c in range(colours.shape[2]):
        diff = <double>colours[y0, x0, c] - <double>colours[y1, x1, c]
        d += diff if diff >= 0.0 else -diff
    return d


def edge_weights_from_image(floating[:, :, ::1] colours, double sigma, int connectivity):
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


def edge_weights_from_volume_affinities(const floating[:, :, :, ::1] affinities):
    """Edge weights of the 6-connected volume graph from affinities (3, P, M, N).

    ``affinities[d]`` is the weight of direction d (``_grid.pxd``): 0 along
    N (x), 1 along M (y), 2 along P (z), as the (2, H, W) images' [0] and
    [1]; slot 3 and the edges that leave the volume are -1.
    """
    cdef Py_ssize_t depth = affinities.shape[1]
    cdef Py_ssize_t height = affinities.shape[2]
    cdef Py_ssize_t width = affinities.shape[3]
    weights_arr = np.full(depth * height * width * 4, -1.0)
    cdef double[::1] weights = weights_arr
    cdef Py_ssize_t x, y, z, e
    with nogil:
        for z in range(depth):
            for y in range(height):
                for x in range(width):
                    e = ((z * height + y) * width + x) * 4
                    if x + 1 < width:
                        weights[e] = affinities[0, z, y, x]
                    if y + 1 < height:
                        weights[e + 1] = affinities[1, z, y, x]
                    if z + 1 < depth:
                        weights[e + 2] = affinities[2, z, y, x]
    return weights_arr


cdef inline double l1_distance_3d(floating[:, :, :, ::1] colours, Py_ssize_t z0, Py_ssize_t y0,
                                  Py_ssize_t x0, Py_ssize_t z1, Py_ssize_t y1,
                                  Py_ssize_t x1) noexcept nogil:
    cdef Py_ssize_t c
    cdef double d = 0.0, diff
    for c in range(colours.shape[3]):
        diff = <double>colours[z0, y0, x0, c] - <double>colours[z1, y1, x1, c]
        d += diff if diff >= 0.0 else -diff
    return d


def edge_weights_from_volume(floating[:, :, :, ::1] colours, double sigma):
    """Edge weights exp(-d^2 / (2 sigma^2)) of the 6-connected volume graph.

    ``colours`` is (P, M, N, C) on the 0-255 scale, d the L1 colour distance
    of the two voxels (as ``edge_weights_from_image``); directions as in
    ``_grid.pxd``, slot 3 and the edges that leave the volume are -1.
    """
    cdef Py_ssize_t depth = colours.shape[0]
    cdef Py_ssize_t height = colours.shape[1]
    cdef Py_ssize_t width = colours.shape[2]
    weights_arr = np.full(depth * height * width * 4, -1.0)
    cdef double[::1] weights = weights_arr
    cdef double scale = -1.0 / (2.0 * sigma * sigma)
    cdef double d
    cdef Py_ssize_t x, y, z, e
    with nogil:
        for z in range(depth):
            for y in range(height):
                for x in range(width):
                    e = ((z * height + y) * width + x) * 4
                    if x + 1 < width:
                        d = l1_distance_3d(colours, z, y, x, z, y, x + 1)
                        weights[e] = exp(d * d * scale)
                    if y + 1 < height:
                        d = l1_distance_3d(colours, z, y, x, z, y + 1, x)
                        weights[e + 1] = exp(d * d * scale)
                    if z + 1 < depth:
                        d = l1_distance_3d(colours, z, y, x, z + 1, y, x)
                        weights[e + 2] = exp(d * d * scale)
    return weights_arr
