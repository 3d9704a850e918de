# cython: boundscheck=False, wraparound=False, cdivision=True, nonecheck=False
"""C-level union-find and a monotone priority queue shared by the graph segmenters.

All functions work on raw buffers the caller allocates before its loop, so
they run without the GIL and touch no Python object.
"""
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

cdef extern from *:
    int __builtin_clzll(unsigned long long) nogil


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


# A radix heap (Ahuja, Mehlhorn, Orlin & Tarjan, 1990) over 64-bit keys: a
# priority queue for "monotone" use, where no key smaller than the last one
# taken is ever inserted.  Greedy segmenters with lazy re-evaluation use it
# this way (a re-evaluated gain never exceeds the current best), and a radix
# heap then costs O(1) per insertion and streams through memory, where a
# binary heap of millions of edges misses the cache at every level.
# Bucket 0 holds the keys equal to ``last``; bucket i >= 1 the keys whose
# highest bit differing from ``last`` is bit i-1.


cdef struct RadixEntry:
    uint64_t key
    Py_ssize_t item


cdef struct RadixQueue:
    RadixEntry* bucket[65]
    Py_ssize_t size[65]
    Py_ssize_t capacity[65]
    uint64_t last
    Py_ssize_t count


cdef inline uint64_t priority_key(double gain) noexcept nogil:
    """Map a gain to a uint64 whose ascending order is the gain's descending order.

    The IEEE-754 bits of a double, with the sign bit flipped for positive values
    and all bits flipped for negative ones, sort as the numbers do.
    """
    cdef uint64_t bits
    memcpy(&bits, &gain, 8)
    if bits >> 63:
        bits = ~bits
    else:
        bits |= (<uint64_t>1) << 63
    return ~bits


cdef inline void rq_init(RadixQueue* q) noexcept nogil:
    cdef int i
    for i in range(65):
        q.bucket[i] = NULL
        q.size[i] = 0
        q.capacity[i] = 0
    q.last = 0
    q.count = 0


cdef inline void rq_free(RadixQueue* q) noexcept nogil:
    cdef int i
    for i in range(65):
        free(q.bucket[i])
        q.bucket[i] = NULL


cdef inline int rq_bucket_of(uint64_t key, uint64_t last) noexcept nogil:
    if key == last:
        return 0
    return 64 - __builtin_clzll(key ^ last)


cdef inline int rq_append(RadixQueue* q, int b, uint64_t key, Py_ssize_t item) noexcept nogil:
    """Append to bucket ``b``, growing it by doubling; -1 when out of memory."""
    cdef Py_ssize_t cap
    cdef RadixEntry* grown
    if q.size[b] == q.capacity[b]:
        cap = q.capacity[b] * 2 if q.capacity[b] else 1024
        grown = <RadixEntry*>realloc(q.bucket[b], cap * sizeof(RadixEntry))
        if grown == NULL:
            return -1
        q.bucket[b] = grown
        q.capacity[b] = cap
    q.bucket[b][q.size[b]].key = key
    q.bucket[b][q.size[b]].item = item
    q.size[b] += 1
    return 0


cdef inline int rq_push(RadixQueue* q, uint64_t key, Py_ssize_t item) noexcept nogil:
    """Insert; ``key`` must be >= the last key taken (monotone queue)."""
    q.count += 1
    return rq_append(q, rq_bucket_of(key, q.last), key, item)


cdef inline int rq_settle(RadixQueue* q) noexcept nogil:
    """Make bucket 0 hold the smallest keys (if any); -1 when out of memory.

    The lowest non-empty bucket is emptied into lower ones around its minimum:
    every key moves to a strictly lower bucket, at most 64 times in all.
    """
    cdef int i, b
    cdef Py_ssize_t j, n
    cdef uint64_t m
    cdef RadixEntry* entries
    if q.size[0] > 0 or q.count == 0:
        return 0
    i = 1
    while q.size[i] == 0:
        i += 1
    entries = q.bucket[i]
    n = q.size[i]
    m = entries[0].key
    for j in range(1, n):
        if entries[j].key < m:
            m = entries[j].key
    q.last = m
    q.size[i] = 0
    for j in range(n):
        b = rq_bucket_of(entries[j].key, m)
        if rq_append(q, b, entries[j].key, entries[j].item) != 0:
            return -1
    if q.capacity[i] > 65536:
        # A large emptied bucket would keep a copy's worth of memory that the
        # lower buckets now hold: give it back (it regrows if refilled).
        free(q.bucket[i])
        q.bucket[i] = NULL
        q.capacity[i] = 0
    return 0
