"""Every Cython kernel on small inputs, to run under valgrind memcheck (not a pytest module).

The interpreter and numpy's start-up produce valgrind reports of their own
(uninitialised reads in CPython's small-int cache, ld.so's SSE strncmp, objects
kept until exit).  They are made into suppressions by a run that only imports
(``--imports-only``); the full run must then report no error at all::

    cd tests
    V="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \\
       --errors-for-leak-kinds=definite --num-callers=30"
    PYTHONMALLOC=malloc $V --gen-suppressions=all --log-file=/tmp/vg-base.log \\
        python valgrind_kernels.py --imports-only
    python valgrind_kernels.py --suppressions-from /tmp/vg-base.log > /tmp/python.supp
    PYTHONMALLOC=malloc $V --suppressions=/tmp/python.supp --log-file=/tmp/vg.log \\
        python valgrind_kernels.py
    grep -E "ERROR SUMMARY|definitely lost" /tmp/vg.log
    # expected: "definitely lost: 0 bytes in 0 blocks", "ERROR SUMMARY: 0 errors"

Without suppressions, compare the error counts of the two runs instead: the
kernels add none, and no report has a frame in ``sealseg/_ext``.
"""
import re
import sys


def suppressions(log_path):
    """The suppressions of a ``--gen-suppressions=all`` log, cut to their top 6 frames.

    Six frames keep them specific to the interpreter's own code paths while
    still matching the same noise reached through other Python call stacks.
    """
    text = open(log_path).read()
    out = []
    for k, block in enumerate(re.findall(r"^\{\n.*?^\}\n", text, flags=re.S | re.M)):
        lines = block.strip().splitlines()
        kind = lines[2]
        body = [line for line in lines[3:-1] if line.strip().startswith("match-leak-kinds")]
        frames = [line for line in lines[3:-1]
                  if line.strip().startswith(("fun:", "obj:", "..."))][:6]
        entry = "{\n   python-noise-%d\n%s\n%s\n   ...\n}\n" % (
            k, kind, "\n".join(body + frames))
        if entry.split("\n", 2)[2] not in (e.split("\n", 2)[2] for e in out):
            out.append(entry)
    return "".join(out)


def run_kernels():
    import numpy as np

    from sealseg import (asa, boundary_precision, boundary_recall, compactness, ers,
                         explained_variation, felzenszwalb_affinity, rgb_affinities,
                         undersegmentation_error)
    from sealseg._ext import _metrics, _seal

    rng = np.random.default_rng(0)
    for h, w in [(1, 1), (1, 7), (7, 1), (2, 2), (9, 13), (24, 31)]:
        img = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        aff = rng.random((2, h, w))
        for conn in (4, 8):
            for n in sorted({1, max(1, h * w // 3), h * w}):
                labels = ers(img, n, connectivity=conn)
                ers(None, n, affinities=aff.astype(np.float32), connectivity=conn)
                ers(None, n, affinities=aff, connectivity=conn, lam=0.0)
                if h * w >= 4:
                    mask = np.zeros((h, w), bool)
                    mask[h // 2:, :] = True
                    mask[0, 0] = True
                    ers(None, min(max(n, 2), int(mask.sum())), affinities=aff,
                        connectivity=conn, mask=mask)
                    felzenszwalb_affinity(aff, 0.5, min_size=2, connectivity=conn, mask=mask)
            felzenszwalb_affinity(aff, 1.0, min_size=3, connectivity=conn)
        gt = rng.integers(0, 3, (h, w))
        big = labels.astype(np.int64) * (1 << 40) - (1 << 62)   # hash relabelling path
        for lab in (labels, big):
            asa(lab, [gt, gt[::-1]])
            undersegmentation_error(lab, gt, kind="np")
            boundary_recall(lab, gt, 0)
            boundary_recall(lab, gt, 3)
            boundary_precision(lab, gt, 2, boundary="thick")
            explained_variation(lab, img)
            compactness(lab)
        dense, n_sp = _metrics.relabel_dense(np.ascontiguousarray(labels, np.int64).ravel())
        _seal.seal_gamma(dense.reshape(h, w), gt.astype(np.int64), int(n_sp), 3)
        try:   # the out-of-range branch
            _seal.seal_gamma(dense.reshape(h, w), gt.astype(np.int64) + 5, int(n_sp), 3)
        except ValueError:
            pass
        rgb_affinities(img)
    # volumes: the 6-connected graph (4 slots per voxel, slot 3 unused)
    for p, m, n_ in [(1, 1, 1), (1, 3, 4), (3, 1, 1), (2, 3, 4), (5, 6, 7)]:
        vol = rng.random((p, m, n_))
        vaff = rng.random((3, p, m, n_))
        size = p * m * n_
        for n in sorted({1, max(1, size // 3), size}):
            ers(vol, n, channel_axis=None)
            ers(np.stack([vol, vol[::-1]], axis=-1), n, compactness=30)
            ers(None, n, affinities=vaff.astype(np.float32))
        if size >= 4:
            mask = np.zeros((p, m, n_), bool)
            mask[p // 2:] = True
            ers(None, max(1, int(mask.sum()) // 2), affinities=vaff, mask=mask)
    ers(rng.random((20, 24, 28)), 200, channel_axis=None)
    # a larger image: queue buckets past the prefetch batch, many settles
    img = rng.integers(0, 256, (160, 200, 3)).astype(np.uint8)
    for conn in (4, 8):
        ers(img, 300, connectivity=conn)
    # a hash table that grows several times
    labels = (rng.permutation(5000).reshape(50, 100).astype(np.int64) * 7919) << 20
    _metrics.relabel_dense(labels.ravel())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--suppressions-from"]:
        sys.stdout.write(suppressions(sys.argv[2]))
    elif sys.argv[1:2] == ["--imports-only"]:
        import numpy as np

        import sealseg  # noqa: F401
        # Every module run_kernels reaches, so that their shared libraries'
        # one-off loader allocations land in the suppressions too.
        from sealseg import asa, ers, felzenszwalb_affinity, rgb_affinities  # noqa: F401
        from sealseg._ext import _ers, _ers_weights, _fh, _metrics, _seal  # noqa: F401
        np.unique(np.random.default_rng(0).random((9, 13, 3)))
    else:
        run_kernels()
    print("done", file=sys.stderr)
