"""Record or compare the ERS kernel's labels on 40 varied cases (0.01 to 2 Mpx).

A change to ``sealseg/_ext/_ers.pyx`` or the queue in ``_graph.pxd`` must
leave the labels bit-identical.  ``tools/compare_outputs.py`` covers the whole
package on small images; this one covers the kernel alone, at sizes where
the queue's large-bucket paths and the 48-bit edge packing are exercised,
with ties (flat and quantised images), masks, ``lam``, both
connectivities and precomputed affinities::

    python tools/compare_ers_kernel.py record BEFORE.npz
    python tools/compare_ers_kernel.py compare BEFORE.npz

Exit status 1 when any label array differs.  About a minute on 2 cores.
"""
import sys
from pathlib import Path

import numpy as np
from skimage import data, transform, util

import sealseg

# The record and the comparison are compare_outputs' own, run on these cases.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_outputs  # noqa: E402


def _resized(image, height, width):
    return util.img_as_ubyte(transform.resize(image, (height, width), order=1))


def cases():
    """Yield (name, callable) pairs; each callable returns a label array."""
    rng = np.random.default_rng(20)
    astronaut, coffee = data.astronaut(), data.coffee()
    images = {
        "astronaut_100x100": _resized(astronaut, 100, 100),          # 0.01 Mpx
        "coffee_321x481": _resized(coffee, 321, 481),                # 0.15 Mpx
        "astronaut_642x962": _resized(astronaut, 642, 962),          # 0.6 Mpx
        "coffee_1024x2048": _resized(coffee, 1024, 2048),            # 2.1 Mpx
        "flat_200x300": np.full((200, 300, 3), 128, np.uint8),       # all ties
        "noise_257x311": rng.random((257, 311, 3)),                  # float input
        # Four grey levels: many equal weights, so the tie rule decides.
        "quantised_400x500": (rng.integers(0, 4, (400, 500)) * 60).astype(np.uint8),
        "camera_512x512": data.camera(),
    }
    plan = {
        "astronaut_100x100": [(1, 8), (50, 4), (50, 8), (2000, 8)],
        "coffee_321x481": [(100, 4), (600, 8), (600, 4), (1200, 8)],
        "astronaut_642x962": [(600, 8), (3000, 4)],
        "coffee_1024x2048": [(6000, 8), (600, 4)],
        "flat_200x300": [(10, 8), (300, 4)],
        "noise_257x311": [(40, 8), (500, 4)],
        "quantised_400x500": [(25, 8), (900, 4), (900, 8)],
        "camera_512x512": [(200, 8), (200, 4)],
    }
    for name, image in images.items():
        channel_axis = None if image.ndim == 2 else -1
        for n, connectivity in plan[name]:
            yield (f"{name}/n{n}/c{connectivity}",
                   lambda image=image, n=n, c=connectivity, ca=channel_axis:
                   sealseg.ers(image, n, connectivity=c, channel_axis=ca))
    for name in ("coffee_321x481", "quantised_400x500"):
        image = images[name]
        ca = None if image.ndim == 2 else -1
        for lam in (0.0, 0.05, 2.0):
            yield (f"{name}/lam{lam}",
                   lambda image=image, lam=lam, ca=ca: sealseg.ers(image, 300, lam=lam, channel_axis=ca))
    for name in ("coffee_321x481", "astronaut_642x962", "flat_200x300"):
        image = images[name]
        mask = np.ones(image.shape[:2], bool)
        mask[: image.shape[0] // 4] = False
        mask[:, 10:17] = False
        mask[image.shape[0] // 2, :] = False  # splits the mask in two parts
        for connectivity in (4, 8):
            yield (f"{name}/mask/c{connectivity}",
                   lambda image=image, mask=mask, c=connectivity:
                   sealseg.ers(image, 150, mask=mask, connectivity=c))
    for shape in ((300, 400), (1024, 1024)):
        aff = rng.random((2,) + shape)
        aff[:, :, ::7] = 0.5  # exact ties in a third of the columns
        for dtype in (np.float32, np.float64):
            yield (f"affinities_{shape[0]}x{shape[1]}/{np.dtype(dtype).name}",
                   lambda aff=aff, dtype=dtype: sealseg.ers(None, 800, affinities=aff.astype(dtype)))
    zeros = np.zeros((2, 120, 160))
    yield ("affinities_zero/c8", lambda: sealseg.ers(None, 30, affinities=zeros))
    yield ("affinities_zero/c4", lambda: sealseg.ers(None, 30, affinities=zeros, connectivity=4))


def record(path):
    return compare_outputs.record(path, cases)


def compare(path):
    return compare_outputs.compare(path, cases)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "compare"):
        sys.exit(__doc__)
    sys.exit((record if sys.argv[1] == "record" else compare)(sys.argv[2]))
