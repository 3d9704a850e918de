"""Kernels of the superpixel metrics (private; see ``sealseg.metrics``).

Every kernel works on C-contiguous int64 label maps.  Region statistics
(ASA, undersegmentation error, explained variation, compactness) need dense
label ids ``0 .. n-1``: :func:`relabel_dense` computes them in O(N) with a
direct lookup table when the label range is small, and with an
open-addressing hash table otherwise, so arbitrary int64 labels cost no sort.
"""
import numpy as np

from libc.stdint cimport int64_t, uint64_t, uint8_t
from libc.stdlib cimport free, malloc

# A direct lookup table is used while the label range is at most
# _TABLE_FACTOR * N + _TABLE_SLACK entries.
cdef Py_ssize_t _TABLE_FACTOR = 4
cdef Py_ssize_t _TABLE_SLACK = 1 << 16


def relabel_dense(const int64_t[::1] labels):
    """Return ``(dense, n)``: ids ``0 .. n-1`` in order of first occurrence."""
    cdef Py_ssize_t n_pix = labels.shape[0]
    cdef Py_ssize_t i, n = 0
    cdef int64_t lo, hi, v
    cdef uint64_t span, h
    dense_arr = np.empty(n_pix, dtype=np.int64)
    cdef int64_t[::1] dense = dense_arr
    cdef int64_t[::1] table
    if n_pix == 0:
        return dense_arr, 0
    lo = labels[0]
    hi = labels[0]
    with nogil:
        for i in range(1, n_pix):
            v = labels[i]
            if v < lo:
                lo = v
            elif v > hi:
                hi = v
    # The difference of two int64 values always fits in uint64.
    span = <uint64_t>hi - <uint64_t>lo
    if span < <uint64_t>(_TABLE_FACTOR * n_pix + _TABLE_SLACK):
        table = np.full(<Py_ssize_t>span + 1, -1, dtype=np.int64)
        with nogil:
            for i in range(n_pix):
                h = <uint64_t>labels[i] - <uint64_t>lo
                if table[h] < 0:
                    table[h] = n
                    n += 1
                dense[i] = table[h]
        return dense_arr, n
    # Open addressing with linear probing, grown (doubled and rehashed) when
    # half full, so the table stays as small as the number of distinct labels.
    with nogil:
        n = _relabel_hash(labels, dense)
    if n < 0:
        raise MemoryError("relabel_dense: out of memory for the label hash table")
    return dense_arr, n


cdef inline uint64_t _slot(int64_t v, int shift) noexcept nogil:
    # Fibonacci hashing: the high bits of the product are well mixed.
    return (<uint64_t>v * <uint64_t>0x9E3779B97F4A7C15ULL) >> shift


cdef Py_ssize_t _relabel_hash(const int64_t[::1] labels, int64_t[::1] dense) noexcept nogil:
    """Dense ids through a growing hash table; -1 when out of memory."""
    cdef Py_ssize_t n_pix = labels.shape[0]
    cdef Py_ssize_t i, j, n = 0, cap = 1024
    cdef int shift = 54  # 64 - log2(cap)
    cdef uint64_t h, mask = cap - 1
    cdef int64_t v, prev = 0, prev_id = -1
    cdef int64_t* keys = <int64_t*>malloc(cap * sizeof(int64_t))
    cdef int64_t* ids = <int64_t*>malloc(cap * sizeof(int64_t))
    cdef int64_t* new_keys
    cdef int64_t* new_ids
    if keys == NULL or ids == NULL:
        free(keys)
        free(ids)
        return -1
    for j in range(cap):
        ids[j] = -1
    for i in range(n_pix):
        v = labels[i]
        # Label maps come in runs: a pixel equal to the previous one needs no
        # look-up.
        if prev_id >= 0 and v == prev:
            dense[i] = prev_id
            continue
        h = _slot(v, shift)
        while ids[h] >= 0 and keys[h] != v:
            h = (h + 1) & mask
        if ids[h] < 0:
            keys[h] = v
            ids[h] = n
            n += 1
        prev = v
        prev_id = ids[h]
        dense[i] = prev_id
        if 2 * n > cap:
            new_keys = <int64_t*>malloc(2 * cap * sizeof(int64_t))
            new_ids = <int64_t*>malloc(2 * cap * sizeof(int64_t))
            if new_keys == NULL or new_ids == NULL:
                free(new_keys)
                free(new_ids)
                free(keys)
                free(ids)
                return -1
            for j in range(2 * cap):
                new_ids[j] = -1
            shift -= 1
            mask = 2 * cap - 1
            for j in range(cap):
                if ids[j] >= 0:
                    h = _slot(keys[j], shift)
                    while new_ids[h] >= 0:
                        h = (h + 1) & mask
                    new_keys[h] = keys[j]
                    new_ids[h] = ids[j]
            free(keys)
            free(ids)
            keys = new_keys
            ids = new_ids
            cap = 2 * cap
    free(keys)
    free(ids)
    return n


cdef void _group_by(const int64_t[::1] seg, Py_ssize_t n_seg,
                    const int64_t[::1] other,
                    int64_t[::1] start, int64_t[::1] grouped) noexcept nogil:
    """Counting sort of ``other`` by ``seg``: segment s owns
    ``grouped[start[s]:start[s + 1]]``."""
    cdef Py_ssize_t n_pix = seg.shape[0]
    cdef Py_ssize_t i, s
    for s in range(n_seg + 1):
        start[s] = 0
    for i in range(n_pix):
        start[seg[i] + 1] += 1
    for s in range(n_seg):
        start[s + 1] += start[s]
    # start[s] is used as the write cursor, then restored.
    for i in range(n_pix):
        s = seg[i]
        grouped[start[s]] = other[i]
        start[s] += 1
    for s in range(n_seg, 0, -1):
        start[s] = start[s - 1]
    start[0] = 0


def overlap_sums(const int64_t[::1] sp, Py_ssize_t n_sp,
                 const int64_t[::1] gt, Py_ssize_t n_gt):
    """Return ``(asa_sum, np_sum)`` for dense superpixel and ground-truth ids.

    ``asa_sum`` is the sum over superpixels s of max over segments g of
    |s & g|; ``np_sum`` is the sum over (s, g) pairs that overlap of
    min(|s & g|, |s - g|).
    """
    cdef Py_ssize_t n_pix = sp.shape[0]
    cdef Py_ssize_t s, k, g, a, b
    cdef int64_t c, size, best, asa_sum = 0, np_sum = 0
    cdef int64_t[::1] start = np.empty(n_sp + 1, dtype=np.int64)
    cdef int64_t[::1] grouped = np.empty(n_pix, dtype=np.int64)
    cdef int64_t[::1] counts = np.zeros(n_gt, dtype=np.int64)
    with nogil:
        _group_by(sp, n_sp, gt, start, grouped)
        for s in range(n_sp):
            a = start[s]
            b = start[s + 1]
            size = b - a
            best = 0
            for k in range(a, b):
                g = grouped[k]
                counts[g] += 1
                if counts[g] > best:
                    best = counts[g]
            asa_sum += best
            # Each overlapping g is visited once: its count is cleared on visit.
            for k in range(a, b):
                g = grouped[k]
                c = counts[g]
                if c > 0:
                    if c < size - c:
                        np_sum += c
                    else:
                        np_sum += size - c
                    counts[g] = 0
    return asa_sum, np_sum


def boundary_map(const int64_t[:, ::1] labels, bint thick):
    """uint8 map of boundary pixels.

    Thin: (y, x) differs from its right or lower neighbour.  Thick: (y, x)
    differs from any of its four neighbours.
    """
    cdef Py_ssize_t h = labels.shape[0], w = labels.shape[1]
    cdef Py_ssize_t y, x
    cdef int64_t v
    out_arr = np.zeros((h, w), dtype=np.uint8)
    cdef uint8_t[:, ::1] out = out_arr
    with nogil:
        for y in range(h):
            for x in range(w):
                v = labels[y, x]
                if x + 1 < w and labels[y, x + 1] != v:
                    out[y, x] = 1
                    if thick:
                        out[y, x + 1] = 1
                if y + 1 < h and labels[y + 1, x] != v:
                    out[y, x] = 1
                    if thick:
                        out[y + 1, x] = 1
    return out_arr


def dilate_square(const uint8_t[:, ::1] mask, Py_ssize_t r):
    """Binary dilation by the (2r+1) x (2r+1) square, clipped at the border.

    Separable sliding-window counts: O(N) whatever ``r``.
    """
    cdef Py_ssize_t h = mask.shape[0], w = mask.shape[1]
    cdef Py_ssize_t y, x, cnt
    out_arr = np.zeros((h, w), dtype=np.uint8)
    if r == 0:
        out_arr[...] = mask
        return out_arr
    tmp_arr = np.zeros((h, w), dtype=np.uint8)
    cdef uint8_t[:, ::1] tmp = tmp_arr
    cdef uint8_t[:, ::1] out = out_arr
    with nogil:
        # Rows: tmp[y, x] = any(mask[y, x-r .. x+r]).
        for y in range(h):
            cnt = 0
            for x in range(min(r, w)):
                cnt += mask[y, x]
            for x in range(w):
                if x + r < w:
                    cnt += mask[y, x + r]
                if x - r - 1 >= 0:
                    cnt -= mask[y, x - r - 1]
                tmp[y, x] = cnt > 0
    # Columns, row by row so that the inner loop runs along memory.
    cdef int64_t[::1] col = np.zeros(w, dtype=np.int64)
    with nogil:
        for y in range(min(r, h)):
            for x in range(w):
                col[x] += tmp[y, x]
        for y in range(h):
            if y + r < h:
                for x in range(w):
                    col[x] += tmp[y + r, x]
            if y - r - 1 >= 0:
                for x in range(w):
                    col[x] -= tmp[y - r - 1, x]
            for x in range(w):
                out[y, x] = col[x] > 0
    return out_arr


def count_hits(const uint8_t[:, ::1] points, const uint8_t[:, ::1] near):
    """Return ``(hits, total)``: points set in ``near`` and all points."""
    cdef Py_ssize_t h = points.shape[0], w = points.shape[1]
    cdef Py_ssize_t y, x
    cdef int64_t hits = 0, total = 0
    with nogil:
        for y in range(h):
            for x in range(w):
                if points[y, x]:
                    total += 1
                    hits += near[y, x]
    return hits, total


def explained_variation_sums(const int64_t[::1] sp, Py_ssize_t n_sp,
                             const double[:, ::1] pixels):
    """Return ``(between, total)`` sums of squares for dense ids ``sp``.

    ``pixels`` is (N, C).  ``between = sum_s |s| * ||mean_s - mean||^2`` and
    ``total = sum_p ||x_p - mean||^2``.
    """
    cdef Py_ssize_t n_pix = pixels.shape[0], n_ch = pixels.shape[1]
    cdef Py_ssize_t i, c, s
    cdef double d, between = 0.0, total = 0.0
    cdef double[::1] mean = np.zeros(n_ch, dtype=np.float64)
    cdef double[:, ::1] sums = np.zeros((n_sp, n_ch), dtype=np.float64)
    cdef int64_t[::1] sizes = np.zeros(n_sp, dtype=np.int64)
    with nogil:
        for i in range(n_pix):
            s = sp[i]
            sizes[s] += 1
            for c in range(n_ch):
                sums[s, c] += pixels[i, c]
        for s in range(n_sp):
            for c in range(n_ch):
                mean[c] += sums[s, c]
        for c in range(n_ch):
            mean[c] /= n_pix
        for i in range(n_pix):
            for c in range(n_ch):
                d = pixels[i, c] - mean[c]
                total += d * d
        for s in range(n_sp):
            if sizes[s] == 0:
                continue
            for c in range(n_ch):
                d = sums[s, c] / sizes[s] - mean[c]
                between += sizes[s] * d * d
    return between, total


def area_perimeter(const int64_t[:, ::1] dense, Py_ssize_t n_sp):
    """Return ``(area, perimeter)`` int64 arrays for dense ids.

    The perimeter counts the 4-connected pixel edges between a region and
    another region or the image border.
    """
    cdef Py_ssize_t h = dense.shape[0], w = dense.shape[1]
    cdef Py_ssize_t y, x
    cdef int64_t v, u
    area_arr = np.zeros(n_sp, dtype=np.int64)
    perim_arr = np.zeros(n_sp, dtype=np.int64)
    cdef int64_t[::1] area = area_arr
    cdef int64_t[::1] perim = perim_arr
    with nogil:
        for y in range(h):
            for x in range(w):
                v = dense[y, x]
                area[v] += 1
                if x + 1 < w:
                    u = dense[y, x + 1]
                    if u != v:
                        perim[v] += 1
                        perim[u] += 1
                if y + 1 < h:
                    u = dense[y + 1, x]
                    if u != v:
                        perim[v] += 1
                        perim[u] += 1
            # Left and right image border.
            perim[dense[y, 0]] += 1
            perim[dense[y, w - 1]] += 1
        for x in range(w):
            perim[dense[0, x]] += 1
            perim[dense[h - 1, x]] += 1
    return area_arr, perim_arr
