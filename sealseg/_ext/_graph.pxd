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


# A 4-ary max-heap of (key, item) pairs stored side by side: the four children
# of a node share one 64-byte cache line, and the heap is half as deep as a
# binary one, which matters because the greedy segmenters are pop-bound.
cdef struct HeapEntry:
    double key
    Py_ssize_t item


cdef inline void heap_sift_down(HeapEntry* heap, Py_ssize_t n, Py_ssize_t i) noexcept nogil:
    """Restore the max-heap order below position ``i`` (hole technique)."""
    cdef HeapEntry moving = heap[i]
    cdef Py_ssize_t first, best, c, last
    while True:
        first = 4 * i + 1
        if first >= n:
            break
        best = first
        last = first + 4 if first + 4 <= n else n
        for c in range(first + 1, last):
            if heap[c].key > heap[best].key:
                best = c
        if heap[best].key <= moving.key:
            break
        heap[i] = heap[best]
        i = best
    heap[i] = moving


cdef inline void heap_heapify(HeapEntry* heap, Py_ssize_t n) noexcept nogil:
    """Arrange ``n`` entries into a max-heap in O(n)."""
    cdef Py_ssize_t i = (n - 2) // 4
    while i >= 0:
        heap_sift_down(heap, n, i)
        i -= 1


cdef inline Py_ssize_t heap_pop(HeapEntry* heap, Py_ssize_t n) noexcept nogil:
    """Remove the top of a heap of ``n`` entries; return the new size."""
    n -= 1
    if n > 0:
        heap[0] = heap[n]
        heap_sift_down(heap, n, 0)
    return n
