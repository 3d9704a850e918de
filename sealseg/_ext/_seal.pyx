"""SEAL loss weights (Tu et al., CVPR 2018, Eq. 2-3).

For every superpixel S_k the ground-truth segment G_j with the largest overlap
gives the over-segmentation error w_k = |S_k| - |S_k n G_j|.  A pixel of S_k
whose affinity in a direction crosses a ground-truth transition (target 0)
gets gamma = w_k in that direction, every other pixel gets 0.
"""
import numpy as np

from libc.stdint cimport int64_t


def seal_gamma(const int64_t[:, ::1] superpixels, const int64_t[:, ::1] groundtruth,
               Py_ssize_t n_superpixels, Py_ssize_t n_segments):
    """Raw SEAL weights gamma and the per-superpixel errors w.

    Parameters
    ----------
    superpixels : (H, W) int64, labels in [0, n_superpixels)
    groundtruth : (H, W) int64, labels in [0, n_segments)
    n_superpixels, n_segments : label counts (checked by the caller)

    Returns
    -------
    gamma : (2, H, W) float64
        [0] horizontal pairs (x, y)-(x+1, y), [1] vertical pairs (x, y)-(x, y+1);
        the last column of [0] and the last row of [1] are 0.
    errors : (n_superpixels,) int64
        w_k = |S_k| - max_j |S_k n G_j|.
    sizes : (n_superpixels,) int64
        |S_k|.
    """
    cdef Py_ssize_t h = superpixels.shape[0]
    cdef Py_ssize_t w = superpixels.shape[1]
    if groundtruth.shape[0] != h or groundtruth.shape[1] != w:
        raise ValueError("superpixels and groundtruth must have the same shape")
    if n_superpixels < 1 or n_segments < 1:
        raise ValueError("label counts must be positive")
    cdef int64_t[:, ::1] table = np.zeros((n_superpixels, n_segments), dtype=np.int64)
    err_arr = np.zeros(n_superpixels, dtype=np.int64)
    cdef int64_t[::1] err = err_arr
    size_arr = np.zeros(n_superpixels, dtype=np.int64)
    cdef int64_t[::1] size = size_arr
    gamma_arr = np.zeros((2, h, w), dtype=np.float64)
    cdef double[:, :, ::1] gamma = gamma_arr
    cdef Py_ssize_t y, x, k, j, s, g
    cdef int64_t best
    cdef bint bad = False

    with nogil:
        # Contingency table of superpixels vs ground-truth segments.
        for y in range(h):
            for x in range(w):
                s = superpixels[y, x]
                g = groundtruth[y, x]
                if s < 0 or s >= n_superpixels or g < 0 or g >= n_segments:
                    bad = True
                    break
                table[s, g] += 1
            if bad:
                break
        if not bad:
            # w_k = |S_k| - largest overlap.
            for k in range(n_superpixels):
                best = 0
                for j in range(n_segments):
                    size[k] += table[k, j]
                    if table[k, j] > best:
                        best = table[k, j]
                err[k] = size[k] - best
            # One pass over the pixel pairs.
            for y in range(h):
                for x in range(w):
                    s = superpixels[y, x]
                    if x + 1 < w and groundtruth[y, x] != groundtruth[y, x + 1]:
                        gamma[0, y, x] = <double> err[s]
                    if y + 1 < h and groundtruth[y, x] != groundtruth[y + 1, x]:
                        gamma[1, y, x] = <double> err[s]
    if bad:
        raise ValueError("label out of range: superpixels must be in [0, n_superpixels) and "
                         "groundtruth in [0, n_segments)")
    return gamma_arr, err_arr, size_arr
