"""Record or compare sealseg's outputs on a fixed set of cases.

A refactor or a kernel change must leave labels, metrics and affinities
bit-identical, unless it changes them on purpose: then the comparison lists
what differs, and the change's commit says why and which record is the new
one.  Run once before the change to record, once after to compare::

    python tools/compare_outputs.py record BEFORE.npz
    python tools/compare_outputs.py compare BEFORE.npz

Only public names of ``sealseg`` are used, so the script runs on both sides of
a change of layout.  Exit status 1 when any output differs.

A record made before the ERS kernel's rounded queue keys (commit 18deb82)
or before the default boundary relaxation (9bc8050; seal_ers's own lower
cost since afc3a6b) differs on every ``ers``/``seal_ers`` case that uses
the defaults and on the metrics of ``seal_ers`` labels: those changed the
outputs on purpose.  So do the kernel's join slack (``JOIN_SLACK`` in
``sealseg/_ext/_ers.pyx``: 64 for ``ers``, 256 with ``relax=0.3`` for
``seal_ers``) and the queue keyed again at each count of a list: against
a record made with ``JOIN_SLACK = 0`` before them (the kernel before),
73 of 103 cases differ, the ERS cases with more than one superpixel
(plain, relaxed, masked, stacked, on colours and on affinities) and the
metrics of ERS labels.  Make a new record from a build of today's main first.
"""
import sys

import numpy as np
from skimage import data, transform

import sealseg


def _images():
    astronaut = data.astronaut()[100:260, 140:340]
    coffee = data.coffee()[::3, ::3]
    camera = data.camera()[::4, ::4]
    rng = np.random.default_rng(0)
    noise = rng.random((37, 53, 3))
    return {"astronaut": astronaut, "coffee": coffee, "camera": camera, "noise": noise}


def cases():
    """Yield (name, callable) pairs; each callable returns an ndarray or float."""
    images = _images()
    for name, image in images.items():
        channel_axis = None if image.ndim == 2 else -1
        for n in (1, 17, 150):
            for connectivity in (4, 8):
                yield (f"ers/{name}/n{n}/c{connectivity}",
                       lambda image=image, n=n, c=connectivity, ca=channel_axis:
                       sealseg.ers(image, n, connectivity=c, channel_axis=ca))
        yield (f"ers/{name}/n150/c8/plain",
               lambda image=image, ca=channel_axis:
               sealseg.ers(image, 150, channel_axis=ca, relax=None))
        yield (f"ers/{name}/n150/c8/relax2",
               lambda image=image, ca=channel_axis:
               sealseg.ers(image, 150, channel_axis=ca, relax=2.0))
        yield (f"ers/{name}/lam0/start0",
               lambda image=image, ca=channel_axis:
               sealseg.ers(image, 40, lam=0.0, start_label=0, channel_axis=ca))
        mask = np.zeros(image.shape[:2], bool)
        mask[5:-7, 3:-9] = True
        mask[10:14, :] = False
        yield (f"ers/{name}/mask",
               lambda image=image, mask=mask, ca=channel_axis:
               sealseg.ers(image, 30, mask=mask, channel_axis=ca))
        yield (f"ers/{name}/stack",
               lambda image=image, ca=channel_axis:
               sealseg.ers(image, [150, 17, 60], channel_axis=ca))
        yield (f"rgb_affinities/{name}",
               lambda image=image, ca=channel_axis:
               sealseg.rgb_affinities(image, channel_axis=ca))
    rgb = {k: v for k, v in images.items() if k != "camera"}
    for name, image in rgb.items():
        for weights in ("bsds500", "bsds500-seal"):
            yield (f"learn_affinities/{name}/{weights}",
                   lambda image=image, w=weights: sealseg.learn_affinities(image, weights=w))
        yield (f"learn_affinities/{name}/tiled",
               lambda image=image: sealseg.learn_affinities(image, max_pixels_per_tile=4096))
        for n in (9, 120):
            for connectivity in (4, 8):
                yield (f"seal_ers/{name}/n{n}/c{connectivity}",
                       lambda image=image, n=n, c=connectivity:
                       sealseg.seal_ers(image, n, connectivity=c))
        yield (f"seal_ers/{name}/n120/c8/plain",
               lambda image=image: sealseg.seal_ers(image, 120, relax=None))
        # ers's default cost on the net's affinities: seal_ers has its own (lower).
        yield (f"seal_ers/{name}/n120/c8/relax0.35",
               lambda image=image: sealseg.seal_ers(image, 120, relax=0.35))
        mask = np.ones(image.shape[:2], bool)
        mask[:, : image.shape[1] // 3] = False
        yield (f"seal_ers/{name}/mask/start5",
               lambda image=image, mask=mask: sealseg.seal_ers(image, 25, mask=mask, start_label=5))
        aff = sealseg.learn_affinities(image)
        for dtype in (np.float32, np.float64):
            yield (f"ers_affinities/{name}/{np.dtype(dtype).name}",
                   lambda aff=aff, dtype=dtype: sealseg.ers(None, 60, affinities=aff.astype(dtype)))
        for scale in (0.5, 5.0):
            yield (f"felzenszwalb_affinity/{name}/s{scale}",
                   lambda aff=aff, scale=scale: sealseg.felzenszwalb_affinity(aff, scale))
    gt_image = images["astronaut"]
    gt = transform.resize(sealseg.ers(gt_image, 12), gt_image.shape[:2], order=0,
                          preserve_range=True, anti_aliasing=False).astype(np.int64)
    yield ("affinities_from_labels", lambda: sealseg.affinities_from_labels(gt))
    labels = sealseg.seal_ers(gt_image, 80)
    yield ("asa", lambda: sealseg.asa(labels, gt))
    yield ("asa/list", lambda: sealseg.asa(labels, [gt, gt[::-1, ::-1]]))
    for tolerance in (0, 1, 3):
        yield (f"boundary_recall/r{tolerance}", lambda t=tolerance: sealseg.boundary_recall(labels, gt, t))
        yield (f"boundary_precision/r{tolerance}",
               lambda t=tolerance: sealseg.boundary_precision(labels, gt, t))
    yield ("undersegmentation_error", lambda: sealseg.undersegmentation_error(labels, gt))
    yield ("explained_variation", lambda: sealseg.explained_variation(labels, gt_image))
    yield ("compactness", lambda: sealseg.compactness(labels))
    yield ("strip_share", lambda: sealseg.strip_share(labels))


def record(path, cases=cases):
    """Save the outputs of ``cases()`` (pairs of name and a call) to ``path``."""
    out = {}
    for name, run in cases():
        out[name] = np.asarray(run())
    np.savez_compressed(path, **out)
    print(f"recorded {len(out)} cases in {path}")
    return 0


def compare(path, cases=cases):
    """Compare the outputs of ``cases()`` with a record; 1 when any differs or is missing."""
    saved = np.load(path)
    n_same = n_diff = 0
    seen = set()
    for name, run in cases():
        seen.add(name)
        if name not in saved:
            print(f"NEW   {name} (not in the record)")
            continue
        got = np.asarray(run())
        want = saved[name]
        if got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want):
            n_same += 1
        else:
            n_diff += 1
            detail = (f"dtype {want.dtype}->{got.dtype}, shape {want.shape}->{got.shape}"
                      if got.shape != want.shape or got.dtype != want.dtype
                      else f"max abs diff {np.max(np.abs(got.astype(float) - want.astype(float)))}")
            print(f"DIFF  {name}: {detail}")
    missing = [name for name in saved.files if name not in seen]
    for name in missing:
        print(f"GONE  {name} (in the record, not run)")
    print(f"{n_same} identical, {n_diff} different, {len(missing)} missing")
    return 1 if n_diff or missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "compare"):
        sys.exit(__doc__)
    sys.exit((record if sys.argv[1] == "record" else compare)(sys.argv[2]))
