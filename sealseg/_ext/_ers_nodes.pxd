"""The ERS greedy's per-pixel state and the arithmetic of its gains (used by ``_ers.pyx``).

Pixels and edges are numbered as in ``_grid.pxd``.
"""
from libc.math cimport M_LN2, log
from libc.stdint cimport uint64_t

cdef extern from *:
    void prefetch "__builtin_prefetch" (const void*) nogil


cdef inline double xlogx(double x) noexcept nogil:
    # 0 ln 0 = 0; tiny negative values from float cancellation count as 0 too.
    return x * log(x) if x > 0.0 else 0.0


cdef inline double entropy_rate_gain(double w, double ca, double cb) noexcept nogil:
    """Gain in entropy rate from moving weight w of two self-loops onto edge (a, b)."""
    return (xlogx(w + ca) + xlogx(w + cb) - xlogx(ca) - xlogx(cb) - 2.0 * xlogx(w)) / M_LN2


cdef inline double balancing_gain(const double* size_xlogx, Py_ssize_t sa,
                                  Py_ssize_t sb) noexcept nogil:
    """Gain in the cluster-size entropy from joining clusters of sizes sa and sb.

    ``size_xlogx[k]`` holds (k/n) ln(k/n): the greedy loop evaluates this gain
    millions of times and a table lookup replaces three logarithms.
    """
    return (-size_xlogx[sa + sb] + size_xlogx[sa] + size_xlogx[sb]) / M_LN2 + 1.0


# Per-pixel state of the greedy loop with the weights of the pixel's edges,
# in one 64-byte cache line: at millions of pixels the edges come out of the
# queue at places scattered over the image and the loop is bound by cache
# misses, not arithmetic, so evaluating an edge should touch one line per end
# (it touched one per array: parent, size, loop, weight and cached gain).
cdef struct Node:
    Py_ssize_t parent
    # The cluster size (valid at roots) times 256, plus the joins made through
    # an edge at this pixel (<= its degree, 8; each changed the loop): both
    # fit one word, which leaves room for ``loop_xlogx`` in the line.
    uint64_t size_joins
    double loop        # self-loop weight: the part of the pixel's edge weights not yet moved onto a chosen edge
    double loop_xlogx  # xlogx(loop), kept up to date (see ``node_gain``)
    # The weights of the edges e = p * n_dirs + d starting here, by direction
    # d, as given (-1: no edge): the greedy divides them by the total weight
    # where it uses them (``scaled_weight``), and the kernel gives them back
    # in its ``weights`` array at the end, for the boundary relaxation.
    double weight[4]


cdef inline double scaled_weight(double w, double total) noexcept nogil:
    """An edge weight as the random walk uses it: divided by the total weight (when > 0)."""
    return w / total if total > 0.0 and w >= 0.0 else w


cdef inline uint64_t node_size(const Node* n) noexcept nogil:
    return n.size_joins >> 8


cdef inline uint64_t node_joins(const Node* n) noexcept nogil:
    return n.size_joins & 0xFF


cdef inline double xlogx_known(double x, double known, double known_xlogx) noexcept nogil:
    """``xlogx(x)``, looked up when ``x`` is exactly ``known``."""
    return known_xlogx if x == known else xlogx(x)


cdef inline double node_gain(double w, const Node* a, const Node* b) noexcept nogil:
    """``entropy_rate_gain(w, a.loop - w, b.loop - w)``, bit for bit, with fewer logarithms.

    Its first two terms take xlogx of ``(loop - w) + w``, which in floating
    point is mostly (99% at 2 Mpx) exactly ``loop`` again: then the node's
    cached ``loop_xlogx`` replaces a logarithm.  The terms are added in the
    same order as in ``entropy_rate_gain``, so the sum rounds the same way.
    """
    cdef double ca = a.loop - w
    cdef double cb = b.loop - w
    return (xlogx_known(w + ca, a.loop, a.loop_xlogx) + xlogx_known(w + cb, b.loop, b.loop_xlogx)
            - xlogx(ca) - xlogx(cb) - 2.0 * xlogx(w)) / M_LN2


cdef inline Py_ssize_t node_find(Node* nodes, Py_ssize_t x) noexcept nogil:
    """Root of ``x``, halving the path on the way (as ``uf_find``)."""
    while nodes[x].parent != x:
        nodes[x].parent = nodes[nodes[x].parent].parent
        x = nodes[x].parent
    return x


cdef inline void node_union(Node* nodes, Py_ssize_t ra, Py_ssize_t rb) noexcept nogil:
    """Join the trees of roots ``ra`` and ``rb`` by size (as ``uf_union``)."""
    if node_size(&nodes[ra]) < node_size(&nodes[rb]):
        ra, rb = rb, ra
    nodes[rb].parent = ra
    nodes[ra].size_joins += nodes[rb].size_joins & ~(<uint64_t>0xFF)


# The entropy-rate gain of a queued edge travels with its queue entry, and
# so do the join counts of its two ends at the time it was computed: the gain
# is stale when a join has since changed the self-loop of one of its ends,
# which the counts in the two nodes (read anyway to find the clusters) tell.
# An array of cached gains took 64 MB at 2 Mpx and a cache miss per pop, and
# marking the gains around each join stale cost several more.  A count is at
# most the degree (an edge joins once), so 8 bits each suffice; the edge
# index takes the other 48.
cdef inline uint64_t pack_item(Py_ssize_t e, Py_ssize_t joins_a, Py_ssize_t joins_b) noexcept nogil:
    return ((<uint64_t>e) << 16) | ((<uint64_t>joins_a) << 8) | (<uint64_t>joins_b)


cdef inline Py_ssize_t item_edge(Py_ssize_t item) noexcept nogil:
    """The edge index of a queue item made by ``pack_item``."""
    return <Py_ssize_t>(<uint64_t>item >> 16)


# Edge e = p * n_dirs + d joins pixel p to p + offsets[d] (``grid_offsets``);
# the caller passes log2(n_dirs) and n_dirs - 1, so that p and d come by a
# shift and a mask, not a division.
cdef inline void edge_ends(Py_ssize_t e, int dir_shift, Py_ssize_t dir_mask,
                           const Py_ssize_t* offsets, Py_ssize_t* a, Py_ssize_t* b) noexcept nogil:
    """Set ``a`` and ``b`` to the two pixels of edge ``e``."""
    a[0] = e >> dir_shift
    b[0] = a[0] + offsets[e & dir_mask]


cdef inline void prefetch_ends(const Node* nodes, Py_ssize_t e, int dir_shift, Py_ssize_t dir_mask,
                               const Py_ssize_t* offsets) noexcept nogil:
    """Start loading the nodes of both pixels of edge ``e`` into the cache."""
    cdef Py_ssize_t a, b
    edge_ends(e, dir_shift, dir_mask, offsets, &a, &b)
    prefetch(&nodes[a])
    prefetch(&nodes[b])
