"""Entropy Rate Superpixels (Liu et al., CVPR 2011): the greedy graph kernel.

Pixels and edges are numbered as in ``_grid.pxd``.  An edge that leaves the
image has weight -1 and takes no part in the graph; the weights come from
``_ers_weights.pyx``, the per-pixel state and the gains' arithmetic from
``_ers_nodes.pxd``, the queue from ``_graph.pxd``.
"""
import numpy as np

from libc.math cimport M_LN2, NAN
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

from ._ers_nodes cimport (Node, balancing_gain, edge_ends, item_edge, node_find, node_gain,
                          node_joins, node_size, node_union, pack_item, prefetch,
                          prefetch_ends, scaled_weight, xlogx)
from ._graph cimport (RadixBucket, RadixEntry, RadixQueue, big_alloc, big_free, priority_key,
                     release_pages, rq_free, rq_init, rq_lowest, rq_pop, rq_push, rq_peek,
                     rq_settle, rq_top)
from ._grid cimport grid_offsets, n_directions, number_in_raster_order, volume_offsets


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

# The initial gains are given back to the system in stretches of this many
# (2 MB of doubles) as the queue takes them in.
cdef Py_ssize_t RELEASE_STRETCH = 1 << 18


# Queue keys keep the top 20 bits of a gain's ``priority_key`` (sign,
# exponent and 8 bits of mantissa): gains within a factor of about 1 + 2**-8
# of each other share a key, and joins of equal keys come out in the
# queue's order (last in, first out).  Exact keys made the lazy greedy push
# an edge back for any drop of its gain, however small, and sort entries by
# all 8 bytes of their keys.  Keys below 2**32 also halve the key in the
# queue's entries.  What this gains in time and costs in ASA and boundary
# recall: doc/speed.rst.
cdef int KEY_SHIFT = 44

# A popped edge whose recomputed gain went down is joined at once, not
# pushed back, when its key is at most this many steps above the smallest
# key left: a gain within about 2**-8 * JOIN_SLACK of the best one's binade,
# 1/4 of it at 64 (a key step is one unit of the 8 mantissa bits kept).
# The lazy greedy pushed each edge back 2 times on average (70% of the
# pops at 0.15 Mpx): most joins lower the balancing gain of the edges
# around them a little, and every such drop below the next key sent the
# edge round the queue again.  What it gains in time and what it does to
# ASA, recall and boundary length: doc/speed.rst.  Read at each call (a
# module attribute, so that a scan can set 0, the exact lazy greedy on
# the rounded keys).
JOIN_SLACK = 64


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
    return (-size_xlogx[sa + sb] + size_xlogx[sa] + size_xlogx[sb]) / M_LN2


cdef int rekey_queue(RadixQueue* queue, Node* nodes, double beta, const double* size_xlogx,
                     int dir_shift, Py_ssize_t dir_mask, const Py_ssize_t* offsets) noexcept nogil:
    """Key every queued edge again for a new ``beta``; -1 when out of memory.

    The key of an edge is its queued entropy-rate gain (an upper bound of
    the current one) plus ``beta`` times the balancing change of its two
    clusters as they are now; edges inside a cluster are dropped.  The queue
    is rebuilt with the entries in bucket order (deterministic).
    """
    cdef Py_ssize_t n = queue.count, k = 0, i, j, a, b, ra, rb
    cdef RadixEntry* entries = <RadixEntry*>malloc((n if n > 0 else 1) * sizeof(RadixEntry))
    cdef RadixEntry* entry
    cdef RadixBucket* bucket
    cdef uint64_t key, lowest = 0xFFFFFFFFFFFFFFFF
    if entries == NULL:
        return -1
    for i in range(1 + 8 * 256):
        bucket = &queue.buckets[i]
        for j in range(bucket.size):
            entry = &bucket.entries[j]
            edge_ends(item_edge(entry.item), dir_shift, dir_mask, offsets, &a, &b)
            ra = node_find(nodes, a)
            rb = node_find(nodes, b)
            if ra == rb:
                continue
            key = gain_key(entry.value + beta * balancing_change(
                size_xlogx, node_size(&nodes[ra]), node_size(&nodes[rb])))
            entries[k] = entry[0]
            entries[k].key = <uint32_t>key
            k += 1
            if key < lowest:
                lowest = key
    rq_free(queue)
    if rq_init(queue) != 0:
        free(entries)
        return -1
    queue.last = lowest if k > 0 else 0
    for i in range(k):
        if rq_push(queue, entries[i].key, entries[i].item, entries[i].value) != 0:
            free(entries)
            return -1
    free(entries)
    return 0


def entropy_rate_segmentation(double[::1] weights, Py_ssize_t height, Py_ssize_t width,
                              int connectivity, levels, double lam,
                              const unsigned char[:, ::1] mask=None, Py_ssize_t depth=1,
                              Py_ssize_t join_slack=-1):
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
        are unions of those of the level before.  At each new level the
        queue is keyed again with the new ``beta`` (``rekey_queue``): the
        keys leave out the balancing gain's constant, so a lower ``beta``
        raises the queued gains, and the lazy greedy relies on them being
        upper bounds.  The first level is the labels of a run with that
        count alone.
    mask : (D * H, W) uint8 or None
        Pixels with 0 take no part in the graph.
    depth : int
        Number of planes P of a volume (connectivity 6); 1 for an image.
    join_slack : int
        Key steps within which a popped edge is joined at once (see
        ``JOIN_SLACK``); -1: the module's ``JOIN_SLACK``.

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
    cdef uint64_t slack = JOIN_SLACK if join_slack < 0 else join_slack
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
            # - ``bound`` is the smallest key left (the top's) plus the slack,
            #   and an edge whose lowered gain still has a key <= bound is
            #   joined at once.  With no slack, pushed back, it would come out
            #   next (first among equal keys, being the last in) with the same
            #   gain, and be joined then; with ``JOIN_SLACK`` > 0 an edge whose
            #   key is within the slack of the top's is joined too (the only
            #   departure from the lazy greedy on rounded keys: such a join
            #   comes before a slightly better one).
            n_clusters = n_vertices
            if not out_of_memory and rq_settle(&queue, SORT_MAX):
                out_of_memory = True
            for level in range(n_levels):
                if level > 0:
                    n_segments = counts[level]
                    if scale_beta:
                        beta = lam * n_segments * max_er / max_b
                        # The keys leave out the balancing gain's constant
                        # (``balancing_change``), so a lower beta raises the
                        # gains of the queued edges: they are re-keyed, or the
                        # queue would hide better joins behind stale keys.
                        if (rekey_queue(&queue, nodes, beta, size_xlogx, dir_shift, dir_mask,
                                        offsets) != 0 or rq_settle(&queue, SORT_MAX)):
                            out_of_memory = True
                            break
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
                        bound = top.key + slack
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
                        # The gain went down and another edge is now better
                        # by more than the slack.
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
