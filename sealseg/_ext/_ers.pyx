"""Entropy Rate Superpixels (Liu et al., CVPR 2011): the greedy graph kernel.

Pixels and edges are numbered as in ``_grid.pxd``.  An edge that leaves the
image has weight -1 and takes no part in the graph.
"""
import numpy as np

from cython cimport floating
from libc.math cimport NAN, exp, log, sqrt
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc

from ._graph cimport (RadixBucket, RadixEntry, RadixQueue, big_alloc, big_free, priority_key,
                     release_pages, rq_free, rq_init, rq_lowest, rq_pop, rq_push, rq_peek, rq_settle, rq_top)
from ._grid cimport (diagonal_affinity, grid_offsets, n_directions, number_in_raster_order,
                    volume_offsets)

cdef double LN2 = log(2.0)
cdef double INV_SQRT2 = 1.0 / sqrt(2.0)


cdef inline double xlogx(double x) noexcept nogil:
    # 0 ln 0 = 0; tiny negative values from float cancellation count as 0 too.
    return x * log(x) if x > 0.0 else 0.0


cdef inline double entropy_rate_gain(double w, double ca, double cb) noexcept nogil:
    """Gain in entropy rate from moving weight w of two self-loops onto edge (a, b)."""
    return (xlogx(w + ca) + xlogx(w + cb) - xlogx(ca) - xlogx(cb) - 2.0 * xlogx(w)) / LN2


cdef inline double balancing_gain(const double* size_xlogx, Py_ssize_t sa,
                                  Py_ssize_t sb) noexcept nogil:
    """Gain in the cluster-size entropy from joining clusters of sizes sa and sb.

    ``size_xlogx[k]`` holds (k/n) ln(k/n): the greedy loop evaluates this gain
    millions of times and a table lookup replaces three logarithms.
    """
    return (-size_xlogx[sa + sb] + size_xlogx[sa] + size_xlogx[sb]) / LN2 + 1.0


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
            - xlogx(ca) - xlogx(cb) - 2.0 * xlogx(w)) / LN2


# When the queue settles a bucket of at most this many entries, they are
# the next edges to come out (bar re-queued ones): their pixels are
# prefetched then, so that the loop waits on many memory accesses at once.
cdef Py_ssize_t PREFETCH_AHEAD = 512
# Besides, each turn of the loop prefetches the pixels of the edge this many
# places ahead in the queue (``rq_peek``), and the parents of those of the
# edge ROOTS_AHEAD places ahead, whose pixels came in NODES_AHEAD -
# ROOTS_AHEAD turns earlier: a pixel and then its root take a cache miss
# each, and one turn ahead (as for the top) is too short to hide them.
# Measured at 2 Mpx: 8 and 2 about as fast as 6-8 and 2-4; 12 or 16 slower.
cdef Py_ssize_t NODES_AHEAD = 8
cdef Py_ssize_t ROOTS_AHEAD = 2
# Queue buckets of at most this many entries are sorted into bucket 0 at
# once (see ``rq_settle``).  Measured: 1024 to 4096 best at 0.15 and 2 Mpx,
# 64 about 10% slower; 65536 five times slower at 0.15 Mpx, as an edge
# pushed back into the range of a long run shifts the entries behind it.
cdef Py_ssize_t SORT_MAX = 1024

cdef extern from *:
    void prefetch "__builtin_prefetch" (const void*) nogil

# The initial gains are given back to the system in stretches of this many
# (2 MB of doubles) as the queue takes them in.
cdef Py_ssize_t RELEASE_STRETCH = 1 << 18


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


# Queue keys keep the top 20 bits of a gain's ``priority_key`` (sign,
# exponent and 8 bits of mantissa): gains within a factor of about 1 + 2**-8
# of each other share a key, and joins of equal keys come out in the
# queue's order (last in, first out).  Exact keys made the lazy greedy push
# an edge back for any drop of its gain, however small, and sort entries by
# all 8 bytes of their keys.  Keys below 2**32 also halve the key in the
# queue's entries.  What this gains in time and costs in ASA and boundary
# recall: doc/speed.rst.
cdef int KEY_SHIFT = 44


cdef inline uint64_t gain_key(double g) noexcept nogil:
    """The queue key of gain ``g``: keys ascend as gains descend (see KEY_SHIFT)."""
    return priority_key(g) >> KEY_SHIFT


cdef inline double balancing_change(const double* size_xlogx, Py_ssize_t sa,
                                    Py_ssize_t sb) noexcept nogil:
    """``balancing_gain`` less its constant 1, which every join shares.

    The queue orders joins by this, not by the balancing gain: without the 1
    (which the balancing weight scales to far more than any entropy-rate
    gain) the keys' relative precision applies to the part that differs
    between joins.
    """
    return (-size_xlogx[sa + sb] + size_xlogx[sa] + size_xlogx[sb]) / LN2


def entropy_rate_segmentation(double[::1] weights, Py_ssize_t height, Py_ssize_t width,
                              int connectivity, levels, double lam,
                              const unsigned char[:, ::1] mask=None, Py_ssize_t depth=1):
    """Greedy entropy-rate clustering of the pixel graph, stopped at each count of ``levels``.

    Parameters
    ----------
    weights : (D * H * W * n_dirs,) float64
        Edge weights (see the module docstring); -1 marks a missing edge.
        Used as scratch space during the run; on return it holds the weights
        again (-1 now also on the edges that leave the mask), unless a
        MemoryError was raised.
    connectivity : {4, 8, 6}
        6: the volume graph of ``depth`` planes of H x W (``_grid.pxd``).
    levels : int or (L,) sequence of int
        The number of clusters, or the numbers at which the labels are taken, strictly
        decreasing, each >= 1.  The greedy runs once: from the pixels down
        to ``levels[0]`` with the balancing weight ``beta`` of
        ``levels[0]``, then on to each next level with that level's
        ``beta`` (proportional to the count), so the clusters of a level
        are unions of those of the level before.  ``beta`` only decreases
        along the run, so every queued gain stays an upper bound of the
        edge's current gain, which the lazy greedy and the monotone queue
        rely on.  The first level is the labels of a run with that count
        alone.
    mask : (D * H, W) uint8 or None
        Pixels with 0 take no part in the graph.
    depth : int
        Number of planes P of a volume (connectivity 6); 1 for an image.

    Returns
    -------
    labels : (L, H, W) int64, (L, D, H, W) with connectivity 6
        Per level (no first axis when ``levels`` is an int): 0..k-1 in
        raster order of first appearance, -1 outside the mask.
    n_clusters : int
        Number of clusters k of the last level (``levels[-1]`` unless the
        graph ran out of edges).
    """
    cdef Py_ssize_t n_dirs = n_directions(connectivity)
    # e = p * n_dirs + d with n_dirs 2 or 4: shifts and masks, not divisions.
    cdef int dir_shift = 2 if n_dirs == 4 else 1
    cdef Py_ssize_t dir_mask = n_dirs - 1
    cdef Py_ssize_t n_pixels = depth * height * width
    cdef Py_ssize_t n_slots = n_pixels * n_dirs
    cdef Py_ssize_t offsets[4]
    if connectivity == 6:
        volume_offsets(offsets, height, width)
    else:
        grid_offsets(offsets, width)
    cdef bint has_mask = mask is not None
    cdef const unsigned char* mask_ptr = &mask[0, 0] if has_mask else NULL

    single = np.ndim(levels) == 0
    cdef const int64_t[::1] counts = np.ascontiguousarray(np.atleast_1d(levels), dtype=np.int64)
    cdef Py_ssize_t n_levels = counts.shape[0], level
    if n_levels < 1:
        raise ValueError("levels must hold at least one count")
    for level in range(n_levels):
        if counts[level] < 1 or (level > 0 and counts[level] >= counts[level - 1]):
            raise ValueError("levels must be >= 1 and strictly decreasing")
    labels_arr = np.empty((n_levels, depth * height, width), dtype=np.int64)
    # How the input is named in errors: a volume's messages give its planes.
    size = f"{height}x{width} pixels" if depth == 1 else f"{depth}x{height}x{width} voxels"
    cdef int64_t[:, :, ::1] labels = labels_arr
    cdef Py_ssize_t n_segments = counts[0]

    if n_slots >= (<Py_ssize_t>1) << 48:  # see pack_item
        raise ValueError(f"input of {size} is too large for ERS")
    cdef Node* nodes = <Node*>big_alloc(n_pixels * sizeof(Node))
    cdef double* size_xlogx = <double*>malloc((n_pixels + 1) * sizeof(double))
    cdef RadixQueue queue
    cdef int queue_ok = rq_init(&queue) == 0
    if not (nodes and size_xlogx and queue_ok):
        big_free(nodes); free(size_xlogx); rq_free(&queue)
        raise MemoryError(f"not enough memory for the ERS graph of {size}")

    cdef Py_ssize_t p, q, d, e, a, b, ra, rb, n_edges = 0, n_vertices = 0, n_clusters = 0
    cdef Py_ssize_t i, ya = -1, yb = -1, released
    cdef int64_t* label_of
    cdef RadixEntry entry
    cdef RadixEntry* top
    cdef RadixEntry* ahead
    cdef Py_ssize_t ahead_a, ahead_b
    cdef RadixBucket* lowest
    cdef double w, total = 0.0, g, er, max_er = 0.0, max_b = 0.0, beta, start_balance
    cdef double best_gain = 0.0
    cdef bint scale_beta = False
    cdef uint64_t key, best_key, bound
    cdef bint out_of_memory = False
    try:
        with nogil:
            for p in range(n_pixels):
                nodes[p].loop = 0.0
                nodes[p].parent = p
                nodes[p].size_joins = 1 << 8
                if not has_mask or mask_ptr[p]:
                    n_vertices += 1
            # Keep the edges that join two pixels of the mask; sum self-loops.
            for p in range(n_pixels):
                for d in range(n_dirs):
                    e = p * n_dirs + d
                    w = weights[e]
                    if w < 0.0:
                        continue
                    q = p + offsets[d]
                    if has_mask and not (mask_ptr[p] and mask_ptr[q]):
                        weights[e] = -1.0
                        continue
                    nodes[p].loop += w
                    nodes[q].loop += w
                    n_edges += 1
            for p in range(n_pixels):
                total += nodes[p].loop
            # Normalise the loops, and copy the weights into the nodes, in one pass.
            for p in range(n_pixels):
                if total > 0.0:
                    nodes[p].loop /= total
                nodes[p].loop_xlogx = xlogx(nodes[p].loop)
                for d in range(n_dirs):
                    nodes[p].weight[d] = weights[p * n_dirs + d]
            # Initial gains; every cluster is a single pixel, so the balancing
            # gain is the same for all edges.  The weights now live in the
            # nodes, and ``weights`` holds the gains instead (NaN where there
            # is no edge): a second array of that size took 64 MB at 2 Mpx,
            # and its first touch cost a page fault every 4 kB.
            best_key = 0xFFFFFFFFFFFFFFFF
            for e in range(n_slots):
                edge_ends(e, dir_shift, dir_mask, offsets, &p, &q)
                w = scaled_weight(nodes[p].weight[e & dir_mask], total)
                if w < 0.0:
                    weights[e] = NAN
                    continue
                g = node_gain(w, &nodes[p], &nodes[q])
                weights[e] = g
                if g > max_er:
                    max_er = g
                key = priority_key(g)
                if key < best_key:
                    best_key = key
                    best_gain = g
            for p in range(n_vertices + 1):
                size_xlogx[p] = xlogx(p / <double>n_vertices)
            if n_edges > 0:
                max_b = balancing_gain(size_xlogx, 1, 1)
            if max_b > 0.0 and max_er > 0.0:
                beta = lam * n_segments * max_er / max_b
            elif max_er > 0.0:
                beta = 0.0  # two pixels: the balancing gain is 0 for every join
            else:
                beta = 1.0  # no entropy-rate signal (all weights 0): balance sizes only
            start_balance = beta * balancing_change(size_xlogx, 1, 1)
            # The later levels' beta: the same formula with their count.
            scale_beta = max_b > 0.0 and max_er > 0.0
            # The smallest key of the queue: adding start_balance keeps the
            # order of the gains (rounding is monotone), so it is the key of
            # the largest gain, in the order of the keys (where -0 < +0).
            queue.last = gain_key(best_gain + start_balance) if n_edges > 0 else best_key >> KEY_SHIFT
            # In raster order of the edges: equal keys come out last in, first
            # out (see below), so this order breaks ties.
            # The gains are read once, in order: each stretch read is given
            # back to the system at once (``release_pages``), so that the
            # array's pages and the queue's are not both held at the peak.
            released = 0
            for e in range(n_slots):
                g = weights[e]
                if g == g and rq_push(&queue, gain_key(g + start_balance),
                                      <Py_ssize_t>pack_item(e, 0, 0), g):
                    out_of_memory = True
                    break
                if e - released >= RELEASE_STRETCH:
                    release_pages(&weights[released], (e - released) * sizeof(double))
                    released = e

            # Lazy greedy: queued gains are upper bounds of the current gains
            # (both terms only decrease as clusters grow), so an edge whose
            # recomputed gain is unchanged is the best join.  A changed gain
            # goes back into the queue.
            #
            # The radix queue gives out equal keys last-in first-out, so the
            # order of the joins is fixed by (key, insertion order) alone.  The
            # loop keeps that order but settles the queue as soon as the entry
            # just taken has emptied bucket 0, before evaluating it:
            # - the next entry to come out is then known, and its pixels are
            #   prefetched while this one is evaluated (the loop is bound by
            #   cache misses on pixels scattered over the image);
            # - ``bound`` is the smallest key left (the top's), and an edge
            #   whose lowered gain still has a key <= bound is joined at once:
            #   pushed back, it would come out next (first among equal keys,
            #   being the last in) with the same gain, and be joined then.
            n_clusters = n_vertices
            if not out_of_memory and rq_settle(&queue, SORT_MAX):
                out_of_memory = True
            for level in range(n_levels):
                if level > 0:
                    n_segments = counts[level]
                    if scale_beta:
                        beta = lam * n_segments * max_er / max_b
                while not out_of_memory and n_clusters > n_segments and queue.count > 0:
                    rq_pop(&queue, &entry)
                    if queue.buckets[0].size == 0 and queue.count > 0:
                        # The lowest non-empty bucket is about to be settled: its
                        # entries are the next to come out (see PREFETCH_AHEAD).
                        lowest = &queue.buckets[rq_lowest(&queue)]
                        if lowest.size <= PREFETCH_AHEAD:
                            for i in range(lowest.size):
                                prefetch_ends(nodes, item_edge(lowest.entries[i].item),
                                              dir_shift, dir_mask, offsets)
                        if rq_settle(&queue, SORT_MAX):
                            out_of_memory = True
                            break
                    top = rq_top(&queue)
                    if top != NULL:
                        bound = top.key
                        # Fetch the next edge's pixels now, and their parents
                        # (mostly the roots) once this edge's roots are found:
                        # measured 15% faster at 2 Mpx than without the latter.
                        edge_ends(item_edge(top.item), dir_shift, dir_mask, offsets, &ya, &yb)
                        prefetch(&nodes[ya])
                        prefetch(&nodes[yb])
                    else:
                        bound = 0xFFFFFFFFFFFFFFFF
                        ya = -1
                    # Further ahead (see NODES_AHEAD); a wrong guess costs a
                    # wasted prefetch, never a different result.
                    ahead = rq_peek(&queue, NODES_AHEAD)
                    if ahead != NULL:
                        prefetch_ends(nodes, item_edge(ahead.item), dir_shift, dir_mask, offsets)
                    ahead = rq_peek(&queue, ROOTS_AHEAD)
                    if ahead != NULL:
                        edge_ends(item_edge(ahead.item), dir_shift, dir_mask, offsets,
                                  &ahead_a, &ahead_b)
                        prefetch(&nodes[nodes[ahead_a].parent])
                        prefetch(&nodes[nodes[ahead_b].parent])
                    er = entry.value
                    e = item_edge(entry.item)
                    edge_ends(e, dir_shift, dir_mask, offsets, &a, &b)
                    ra = node_find(nodes, a)
                    rb = node_find(nodes, b)
                    if ya >= 0:
                        prefetch(&nodes[nodes[ya].parent])
                        prefetch(&nodes[nodes[yb].parent])
                    if ra == rb:
                        continue  # already in one cluster: the edge is dropped
                    w = scaled_weight(nodes[a].weight[e & dir_mask], total)
                    if (node_joins(&nodes[a]) != ((<uint64_t>entry.item >> 8) & 0xFF)
                            or node_joins(&nodes[b]) != (<uint64_t>entry.item & 0xFF)):
                        er = node_gain(w, &nodes[a], &nodes[b])
                    g = er + beta * balancing_change(size_xlogx, node_size(&nodes[ra]),
                                                     node_size(&nodes[rb]))
                    key = gain_key(g)
                    if key > bound:
                        # The gain went down and another edge is now better.
                        if rq_push(&queue, key, <Py_ssize_t>pack_item(e, node_joins(&nodes[a]),
                                                                      node_joins(&nodes[b])), er):
                            out_of_memory = True
                        continue
                    node_union(nodes, ra, rb)
                    nodes[a].loop -= w
                    nodes[b].loop -= w
                    nodes[a].loop_xlogx = xlogx(nodes[a].loop)
                    nodes[b].loop_xlogx = xlogx(nodes[b].loop)
                    nodes[a].size_joins += 1
                    nodes[b].size_joins += 1
                    n_clusters -= 1
                if out_of_memory:
                    break
                if level == n_levels - 1:
                    # The queue is done with; the weights go back into
                    # ``weights`` (-1 also on the edges that leave the mask)
                    # before the nodes become scratch below.
                    rq_free(&queue)
                    for p in range(n_pixels):
                        for d in range(n_dirs):
                            weights[p * n_dirs + d] = nodes[p].weight[d]
                # Number the clusters in raster order of their first pixel.
                # The last level's root -> label map goes in the nodes, no
                # longer needed then (64 bytes a pixel); an earlier level's
                # in the last level's labels, not yet written.
                label_of = &labels[level, 0, 0]
                for p in range(n_pixels):
                    if not has_mask or mask_ptr[p]:
                        label_of[p] = node_find(nodes, p)
                if level == n_levels - 1:
                    number_in_raster_order(label_of, n_pixels, mask_ptr, <Py_ssize_t*>nodes)
                else:
                    number_in_raster_order(label_of, n_pixels, mask_ptr,
                                           <Py_ssize_t*>&labels[n_levels - 1, 0, 0])
    finally:
        big_free(nodes)
        free(size_xlogx)
        rq_free(&queue)
    if out_of_memory:
        raise MemoryError(f"not enough memory for the ERS queue of {size}")
    if connectivity == 6:
        labels_arr = labels_arr.reshape(n_levels, depth, height, width)
    return (labels_arr[0] if single else labels_arr), n_clusters
