"""C-level union-find and a monotone priority queue shared by the graph segmenters.

All functions work on raw buffers the caller allocates before its loop, so
they run without the GIL and touch no Python object.
"""
from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcpy, memset

cdef extern from *:
    int __builtin_clzll(unsigned long long) nogil
    int __builtin_ctzll(unsigned long long) nogil


# Arrays the greedy loops read at random places (one entry per pixel or
# edge, tens of MB): 64-byte aligned, and on Linux backed by transparent huge
# pages where the system allows, since with 4 kB pages nearly every access to
# them also misses the TLB.  Free with ``big_free``.
cdef extern from *:
    """
    #include <stdlib.h>
    #if defined(_WIN32)
    #include <malloc.h>
    static inline void* sealseg_big_alloc(size_t n) { return _aligned_malloc(n ? n : 1, 64); }
    static inline void sealseg_big_free(void* p) { _aligned_free(p); }
    #else
    #include <sys/mman.h>
    static inline void* sealseg_big_alloc(size_t n) {
        void* p = NULL;
        size_t align = n >= ((size_t)4 << 20) ? ((size_t)2 << 20) : 64;
        if (posix_memalign(&p, align, n ? n : 1) != 0)
            return NULL;
    #ifdef MADV_HUGEPAGE
        if (align > 64)
            madvise(p, n, MADV_HUGEPAGE);
    #endif
        return p;
    }
    static inline void sealseg_big_free(void* p) { free(p); }
    #endif
    """
    void* big_alloc "sealseg_big_alloc" (size_t n) nogil
    void big_free "sealseg_big_free" (void* p) nogil


# Scratch memory a kernel has read for the last time: the whole pages within
# [start, start + n) go back to the system (Linux: madvise MADV_DONTNEED; they
# read as zeros if touched again), which lowers the peak memory of a call
# whose scratch would otherwise be held while it fills other arrays.  Does
# nothing elsewhere.
cdef extern from *:
    """
    #include <stdint.h>
    #if defined(__linux__)
    #include <sys/mman.h>
    #include <unistd.h>
    static inline void sealseg_release_pages(void* start, size_t n) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t lo = ((uintptr_t)start + page - 1) & ~(page - 1);
        uintptr_t hi = ((uintptr_t)start + n) & ~(page - 1);
        if (hi > lo)
            madvise((void*)lo, hi - lo, MADV_DONTNEED);
    }
    #else
    static inline void sealseg_release_pages(void* start, size_t n) { (void)start; (void)n; }
    #endif
    """
    void release_pages "sealseg_release_pages" (void* start, size_t n) nogil


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
#
# The buckets go by bytes: bucket 0 holds the keys equal to ``last``, bucket
# (L, d) the keys whose highest byte differing from ``last`` is byte L and
# has the value d there.  Taking the minimum empties the lowest non-empty
# bucket into buckets of lower levels, so a key moves at most 8 times (with
# one bucket per differing bit it moved up to 64 times, 11 on average in ERS
# at 2 Mpx, and these moves took a fifth to a third of the greedy loop).
#
# Equal keys are always in the same bucket, which keeps them in insertion
# order, and bucket 0 gives them out last-in first-out: the order in which
# entries come out is (key ascending, latest insertion first), whatever the
# bucket layout.
#
# Bucket 0 may also hold a sorted run of different keys: ``rq_settle`` sorts
# a small lowest bucket straight into it rather than moving its entries down
# level by level, one settle per distinct key (at 2 Mpx in ERS, three
# quarters of the settles moved a single entry and the moves took a fifth of
# the greedy loop).  The run is kept in the order above, and ``rq_push``
# inserts a key that falls within it in place, so the order is the same.


# Buckets of at least this many entries are sorted by radix (see rq_settle).
cdef enum:
    RADIX_SORT_MIN = 64


# 16 bytes: the queue holds every edge of the graph (about 4 a pixel with
# 8-connectivity), so at 12 Mpx each byte of an entry is about 50 MB.
cdef struct RadixEntry:
    uint32_t key  # the caller keeps its keys below 2**32 (all arguments are uint64)
    float value   # the caller's payload: saves a random read when the item comes out
    Py_ssize_t item


cdef struct RadixBucket:
    RadixEntry* entries
    Py_ssize_t size
    Py_ssize_t capacity


cdef struct RadixQueue:
    RadixBucket* buckets     # 1 + 8 * 256: bucket (L, d) is 1 + 256 * L + d
    uint64_t occupied[8][4]  # bit d of level L is set when bucket (L, d) is not empty
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


cdef inline int rq_init(RadixQueue* q) noexcept nogil:
    """Set up an empty queue; -1 when out of memory (then ``rq_free`` is still safe)."""
    cdef int i, j
    q.buckets = <RadixBucket*>calloc(1 + 8 * 256, sizeof(RadixBucket))
    for i in range(8):
        for j in range(4):
            q.occupied[i][j] = 0
    q.last = 0
    q.count = 0
    return 0 if q.buckets != NULL else -1


cdef inline void rq_free(RadixQueue* q) noexcept nogil:
    cdef int i
    if q.buckets == NULL:
        return
    for i in range(1 + 8 * 256):
        free(q.buckets[i].entries)
    free(q.buckets)
    q.buckets = NULL


cdef inline int rq_bucket_of(uint64_t key, uint64_t last) noexcept nogil:
    cdef int level
    if key == last:
        return 0
    level = (63 - __builtin_clzll(key ^ last)) >> 3
    return 1 + (level << 8) + <int>((key >> (level << 3)) & 255)


cdef inline void rq_mark(RadixQueue* q, int b, bint occupied) noexcept nogil:
    """Set (``occupied``) or clear the bit of bucket ``b`` (> 0) in ``q.occupied``.

    Callers pass a constant ``occupied``: inlined, the test folds away.
    """
    cdef uint64_t bit
    b -= 1
    bit = (<uint64_t>1) << (b & 63)
    if occupied:
        q.occupied[b >> 8][(b >> 6) & 3] |= bit
    else:
        q.occupied[b >> 8][(b >> 6) & 3] &= ~bit


cdef inline int rq_append(RadixQueue* q, int b, const RadixEntry* entry) noexcept nogil:
    """Append a copy of ``entry`` to bucket ``b``, growing it by doubling; -1 when out of memory."""
    cdef RadixBucket* bucket = &q.buckets[b]
    # A full bucket asks for one more entry, which rq_reserve meets by
    # doubling (256 when empty).  Testing first keeps the call off the
    # common path.
    if bucket.size == bucket.capacity and rq_reserve(bucket, bucket.size + 1) != 0:
        return -1
    if bucket.size == 0 and b > 0:
        rq_mark(q, b, True)
    bucket.entries[bucket.size] = entry[0]
    bucket.size += 1
    return 0


cdef inline int rq_push(RadixQueue* q, uint64_t key, Py_ssize_t item, double value) noexcept nogil:
    """Insert; ``key`` must be >= the last key taken (monotone queue)."""
    cdef RadixEntry entry
    cdef RadixBucket* run = &q.buckets[0]
    cdef Py_ssize_t i
    entry.key = key
    entry.value = value
    entry.item = item
    q.count += 1
    if run.size == 0 or key > run.entries[0].key:
        return rq_append(q, rq_bucket_of(key, q.last), &entry)
    # Within the range of the sorted run (see rq_settle): insert in order,
    # ahead of (nearer the end than) the entries of equal key.
    if rq_append(q, 0, &entry) != 0:
        return -1
    i = run.size - 1
    while i > 0 and run.entries[i - 1].key < key:
        run.entries[i] = run.entries[i - 1]
        i -= 1
    run.entries[i] = entry
    return 0


cdef inline int rq_lowest(RadixQueue* q) noexcept nogil:
    """The lowest non-empty bucket other than 0 (the next ``rq_settle`` empties it), or -1."""
    cdef int level, word
    for level in range(8):
        for word in range(4):
            if q.occupied[level][word]:
                return 1 + (level << 8) + (word << 6) + __builtin_ctzll(q.occupied[level][word])
    return -1


cdef inline int rq_reserve(RadixBucket* bucket, Py_ssize_t n) noexcept nogil:
    """Make room for ``n`` entries in all, doubling the capacity from 256;
    -1 when out of memory."""
    cdef Py_ssize_t cap = bucket.capacity if bucket.capacity else 256
    cdef RadixEntry* grown
    if n <= bucket.capacity:
        return 0
    while cap < n:
        cap *= 2
    grown = <RadixEntry*>realloc(bucket.entries, cap * sizeof(RadixEntry))
    if grown == NULL:
        return -1
    bucket.entries = grown
    bucket.capacity = cap
    return 0


cdef inline void rq_sort_descending(RadixEntry* a, RadixEntry* out, Py_ssize_t n) noexcept nogil:
    """Copy ``a[:n]`` to ``out`` sorted by descending key, stably (equal keys
    keep their order); ``a`` is scratch space.

    Insertion sort of runs of 16, then merges back and forth between the two
    arrays: the buckets sorted are up to a few hundred entries, where
    insertion sort alone moved entries quadratically often.
    """
    cdef Py_ssize_t i, j, k, lo, mid, hi, width = 16
    cdef RadixEntry x
    cdef RadixEntry* src = a
    cdef RadixEntry* dst = out
    cdef RadixEntry* tmp
    cdef RadixEntry* pick
    cdef Py_ssize_t take_left
    lo = 0
    while lo < n:
        hi = lo + width if lo + width < n else n
        for j in range(lo + 1, hi):
            x = a[j]
            k = j
            while k > lo and a[k - 1].key < x.key:
                a[k] = a[k - 1]
                k -= 1
            a[k] = x
        lo = hi
    while width < n:
        lo = 0
        while lo < n:
            mid = lo + width if lo + width < n else n
            hi = lo + 2 * width if lo + 2 * width < n else n
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                # >= takes the left run first among equal keys: stable.  The
                # choice is by a select, not a branch: the keys come in random
                # order and a branch mispredicted about every other entry.
                take_left = src[i].key >= src[j].key
                pick = &src[i] if take_left else &src[j]
                dst[k] = pick[0]
                i += take_left
                j += 1 - take_left
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
            lo = hi
        tmp = src
        src = dst
        dst = tmp
        width *= 2
    if src != out:
        memcpy(out, src, n * sizeof(RadixEntry))


cdef inline void rq_radix_sort_descending(RadixEntry* a, RadixEntry* out,
                                          Py_ssize_t n) noexcept nogil:
    """As ``rq_sort_descending``, by least-significant-digit radix sort.

    One stable counting pass per byte in which the keys differ (a settled
    bucket's keys share every byte from their level up, so there are few),
    instead of about log2(n) merge passes whose every step waits on the one
    before.
    """
    cdef uint64_t diff = 0
    cdef Py_ssize_t counts[256]
    cdef Py_ssize_t j, total, c
    cdef int shift, digit
    cdef RadixEntry* src = a
    cdef RadixEntry* dst = out
    cdef RadixEntry* tmp
    for j in range(1, n):
        diff |= a[j].key ^ a[0].key
    for shift in range(0, 64, 8):
        if not (diff >> shift) & 255:
            continue
        memset(counts, 0, sizeof(counts))
        # Digit 255 - byte: ascending digits are descending keys.
        for j in range(n):
            counts[255 - <int>((src[j].key >> shift) & 255)] += 1
        total = 0
        for digit in range(256):
            c = counts[digit]
            counts[digit] = total
            total += c
        for j in range(n):
            digit = 255 - <int>((src[j].key >> shift) & 255)
            dst[counts[digit]] = src[j]
            counts[digit] += 1
        tmp = src
        src = dst
        dst = tmp
    if src != out:
        memcpy(out, src, n * sizeof(RadixEntry))


cdef inline int rq_settle(RadixQueue* q, Py_ssize_t sort_max) noexcept nogil:
    """Make bucket 0 hold the smallest keys (if any); -1 when out of memory.

    The lowest non-empty bucket holds the smallest keys.  When it has at most
    ``sort_max`` entries they all move to bucket 0, sorted by descending key
    and, among equal keys, in insertion order (a stable sort): bucket
    0 is then a run that ``rq_pop`` takes from its end in exactly the order of
    the queue, and ``rq_push`` inserts in order into it the keys that fall in
    its range.  A bucket of many entries is emptied into buckets of lower
    levels around its minimum, as in the radix heap.  Either way its minimum
    becomes the new ``last``.  (Sorting small buckets at once saves moving
    their entries down level by level and settling them one at a time; it
    also shows what comes out next, for prefetching.)
    """
    cdef int i
    cdef Py_ssize_t j, n
    cdef uint64_t m
    cdef RadixEntry* entries
    cdef RadixBucket* bucket
    if q.buckets[0].size > 0 or q.count == 0:
        return 0
    i = rq_lowest(q)
    bucket = &q.buckets[i]
    entries = bucket.entries
    n = bucket.size
    m = entries[0].key
    for j in range(1, n):
        if entries[j].key < m:
            m = entries[j].key
    q.last = m
    bucket.size = 0
    rq_mark(q, i, False)
    if n <= sort_max:
        if rq_reserve(&q.buckets[0], n) != 0:
            return -1
        if n >= RADIX_SORT_MIN:
            rq_radix_sort_descending(entries, q.buckets[0].entries, n)
        else:
            rq_sort_descending(entries, q.buckets[0].entries, n)
        q.buckets[0].size = n
        return 0
    # Each key shares byte L and all above with m: it goes to a lower level.
    for j in range(n):
        if rq_append(q, rq_bucket_of(entries[j].key, m), &entries[j]) != 0:
            return -1
    if bucket.capacity > 65536:
        # A large emptied bucket would keep a copy's worth of memory that the
        # lower buckets now hold: give it back (it regrows if refilled).
        free(bucket.entries)
        bucket.entries = NULL
        bucket.capacity = 0
    return 0


cdef inline RadixEntry* rq_top(RadixQueue* q) noexcept nogil:
    """The entry that comes out next, after ``rq_settle``; NULL when empty."""
    if q.buckets[0].size == 0:
        return NULL
    return &q.buckets[0].entries[q.buckets[0].size - 1]


cdef inline RadixEntry* rq_peek(RadixQueue* q, Py_ssize_t k) noexcept nogil:
    """About the entry that comes out ``k`` places after ``rq_top`` (0 is the
    top) if nothing is pushed before then; NULL past the end.  Meant for
    prefetching: the buckets come out in the order of their index, but the
    entries of a bucket other than 0 in the order of their keys, which this
    does not sort out.
    """
    cdef Py_ssize_t n = q.buckets[0].size
    cdef int level, word, d
    cdef uint64_t bits
    cdef RadixBucket* bucket
    if k < n:
        return &q.buckets[0].entries[n - 1 - k]
    k -= n
    for level in range(8):
        for word in range(4):
            bits = q.occupied[level][word]
            while bits:
                d = __builtin_ctzll(bits)
                bucket = &q.buckets[1 + (level << 8) + (word << 6) + d]
                if k < bucket.size:
                    return &bucket.entries[bucket.size - 1 - k]
                k -= bucket.size
                bits &= bits - 1
    return NULL


cdef inline void rq_pop(RadixQueue* q, RadixEntry* out) noexcept nogil:
    """Take the entry ``rq_top`` points to (the queue must be settled and not empty)."""
    q.buckets[0].size -= 1
    q.count -= 1
    out[0] = q.buckets[0].entries[q.buckets[0].size]
