"""The pixel grid as a graph: the conventions every grid segmenter here shares.

Pixels are numbered ``p = y * W + x`` and edges ``e = p * n_dirs + d`` with
``d`` the direction: 0 right (x+1, y), 1 down (x, y+1), and with
8-connectivity 2 down-right (x+1, y+1), 3 up-right (x+1, y-1).

Volumes (P, M, N) number voxels ``p = (z * M + y) * N + x`` and use the
6-connected graph with 4 slots per voxel (a power of two, so that p and d
come from e by a shift and a mask): 0 (x+1, y, z), 1 (x, y+1, z),
2 (x, y, z+1), and slot 3 unused (weight -1, offset 0).
"""
from cython cimport floating
from libc.stdint cimport int64_t


cdef inline Py_ssize_t n_directions(int connectivity) noexcept nogil:
    """Edges stored per pixel: 2 with 4-connectivity, 4 with 8 (and 6: 3 used, 1 unused)."""
    return 4 if connectivity == 8 or connectivity == 6 else 2


cdef inline void grid_offsets(Py_ssize_t* offsets, Py_ssize_t width) noexcept nogil:
    """Index step from a pixel to its neighbour in each edge direction."""
    offsets[0] = 1
    offsets[1] = width
    offsets[2] = width + 1
    offsets[3] = 1 - width


cdef inline void volume_offsets(Py_ssize_t* offsets, Py_ssize_t height,
                                Py_ssize_t width) noexcept nogil:
    """Index step to the neighbour in each edge direction of the 6-connected volume graph."""
    offsets[0] = 1
    offsets[1] = width
    offsets[2] = height * width
    offsets[3] = 0


cdef inline double diagonal_affinity(floating h0, floating h1,
                                     floating v0, floating v1) noexcept nogil:
    """Affinity of a diagonal edge from the 4-connected affinities around it.

    The smaller of the mean affinities of the two paths around the diagonal:
    ``h0, h1`` are the horizontal affinities of the two rows it spans, ``v0,
    v1`` the vertical ones of the two columns.  Each pair is summed in the
    type the caller passes: ERS passes float32 affinities as they are
    (float32 sums), FH converts them to double first.  Each kernel keeps the
    labels it has always given; unifying the two would change one of them.
    """
    cdef double h = 0.5 * (h0 + h1)
    cdef double v = 0.5 * (v0 + v1)
    return h if h < v else v


cdef inline Py_ssize_t number_in_raster_order(int64_t* labels, Py_ssize_t n_pixels,
                                              const unsigned char* mask,
                                              Py_ssize_t* scratch) noexcept nogil:
    """Replace each pixel's root by its cluster's label; return the number of labels.

    On entry ``labels[p]`` holds the root (a pixel index) of ``p``'s cluster
    for every pixel in ``mask`` (all pixels when ``mask`` is NULL).  On
    return the clusters are numbered 0..k-1 in raster order of their first
    pixel and pixels outside the mask hold -1.  ``scratch`` (``n_pixels``
    entries) holds the root -> label map on the way.
    """
    cdef Py_ssize_t p, root, next_label = 0
    for p in range(n_pixels):
        scratch[p] = -1
    for p in range(n_pixels):
        if mask != NULL and not mask[p]:
            labels[p] = -1
            continue
        root = labels[p]
        if scratch[root] < 0:
            scratch[root] = next_label
            next_label += 1
        labels[p] = scratch[root]
    return next_label
