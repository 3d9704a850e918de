# cython: boundscheck=False, wraparound=False, cdivision=True, nonecheck=False
"""C-level union-find and max-heap shared by the graph segmenters.

All functions work on raw buffers the caller allocates before its loop, so
they run without the GIL and touch no Python object.
"""


cdef inline Py_ssize_t uf_find(Py_ssize_t* parent, Py_ssize_t x) noexcept nogil:
    """Root of ``x``, halving the path on the way (amortised near O(1))."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


cdef inline Py_ssize_t uf_union(Py_ssize_t* parent, Py_ssize_t* size,
                                Py_ssize_t ra, Py_ssize_t rb) noexcept nogil:
    """Join the trees of roots ``ra`` and ``rb`` (by size); return the new root."""
    if size[ra] < size[rb]:
        ra, rb = rb, ra
    parent[rb] = ra
    size[ra] += size[rb]
    return ra


cdef inline void heap_sift_down(double* key, Py_ssize_t* item, Py_ssize_t n,
                                Py_ssize_t i) noexcept nogil:
    """Restore the max-heap order below position ``i`` (hole technique)."""
    cdef double k = key[i]
    cdef Py_ssize_t it = item[i]
    cdef Py_ssize_t c
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and key[c + 1] > key[c]:
            c += 1
        if key[c] <= k:
            break
        key[i] = key[c]
        item[i] = item[c]
        i = c
    key[i] = k
    item[i] = it


cdef inline void heap_heapify(double* key, Py_ssize_t* item, Py_ssize_t n) noexcept nogil:
    """Arrange ``n`` (key, item) pairs into a max-heap in O(n)."""
    cdef Py_ssize_t i = n // 2 - 1
    while i >= 0:
        heap_sift_down(key, item, n, i)
        i -= 1


cdef inline Py_ssize_t heap_pop(double* key, Py_ssize_t* item, Py_ssize_t n) noexcept nogil:
    """Remove the top of a heap of ``n`` pairs; return the new size."""
    n -= 1
    if n > 0:
        key[0] = key[n]
        item[0] = item[n]
        heap_sift_down(key, item, n, 0)
    return n
