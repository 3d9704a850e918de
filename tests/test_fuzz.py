"""Fuzz test of every public function (issue 19), with hypothesis.

Each example takes a valid call of one public function, replaces one or two of
its arguments by anything a user could pass (arrays of every dtype, shape,
memory layout, flag and value class; scalars of every kind; lists, tensors,
masked arrays, paths) and checks the one property every function promises:

* it returns a result that meets its documented contract (shape, dtype,
  range; for the segmenters the exact number of labels, consecutive from
  ``start_label``, each one connected region, 0 outside the mask), or
* it raises exactly ``ValueError`` or ``TypeError`` (or an error its
  docstring documents for that argument, e.g. ``FileNotFoundError`` for a
  path) whose message names the argument (or an argument it is checked
  against: a mask against the image's shape ...);

never another exception, a ``RuntimeWarning`` (turned into an error here: a
warning with a result is silent garbage), a crash, a hang (a watchdog alarm
fails the example) or a changed input (every argument is compared with a copy
taken before the call).

The images are tiny (6x7), so every call is fast.  The budget is
``SEALSEG_FUZZ_EXAMPLES`` examples per function (default 25: about 30-60 s for
the module on a loaded 2-core machine); a long run is
``SEALSEG_FUZZ_EXAMPLES=2000 SEALSEG_FUZZ_REPORT=counts.json python -m pytest
tests/test_fuzz.py``: the report file counts, per function, the calls that
returned ("accepted") and those refused ("refused: <type>").  (The examples
run under a ``@given`` inside each test, so ``--hypothesis-show-statistics``
does not see them.)
"""
import atexit
import collections
import json
import math
import os
import shutil
import signal
import tempfile
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage as ndi

import sealseg
from sealseg.datasets import Dataset
from sealseg.pan import pretrained

torch = pytest.importorskip("torch")

EXAMPLES = int(os.environ.get("SEALSEG_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
#: Seconds one call may take before it counts as a hang (the first call of a
#: net loads it; everything else takes milliseconds on 6x7 pixels).
WATCHDOG_SECONDS = 60

H, W = 6, 7
_rng = np.random.default_rng(19)
IMG = _rng.integers(0, 256, (H, W, 3)).astype(np.uint8)
AFF = _rng.random((2, H, W))
LAB = np.repeat(np.arange(1, 4), H * W // 3 + 1)[:H * W].reshape(H, W)
GT = (np.indices((H, W))[1] >= 3).astype(np.int64) + 1

# Files for memory-mapped arrays; removed when the test process ends.
_MEMMAP_DIR = None


def _memmap_dir():
    global _MEMMAP_DIR
    if _MEMMAP_DIR is None:
        _MEMMAP_DIR = tempfile.mkdtemp(prefix="sealseg-fuzz-")
        atexit.register(shutil.rmtree, _MEMMAP_DIR, True)
    return _MEMMAP_DIR


# ------------------------------------------------------------------ arrays of every kind

DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
          np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64,
          np.complex128, object, "U4", "S3", "M8[s]", "m8[s]"]
VALUE_CLASSES = ["unit", "byte", "labels", "zeros", "constant", "negative", "huge", "nan",
                 "inf", "-inf", "extremes", "random_bool"]
LAYOUTS = ["C", "F", "strided", "reversed", "readonly", "memmap", "byteswapped",
           "broadcast", "list", "ragged", "masked", "tensor", "tensor_grad"]
#: Shapes around the valid ones: 0-d, empty, 1-D, the image's, transposed,
#: every channel count, affinity-like, 4-D.
SHAPES = [(), (0,), (5,), (0, W), (H, 0, 3), (H, W), (W, H), (H, W, 1), (H, W, 2), (H, W, 3),
          (H, W, 4), (3, H, W), (2, H, W), (2, W, H), (2, H, W + 1), (2, 0, W), (1, H, W, 3),
          (H, W, 3, 1), (1, 1), (1, 1, 3), (2, 1, 1), (H, 1), (1, W)]
IMAGE_SHAPES = [(H, W), (H, W, 3), (H, W, 1), (H, W, 4), (3, H, W), (1, 1), (1, 1, 3),
                (2, 2, 3), (H, W, 2), (W, H, 3)]
LABEL_SHAPES = [(H, W), (W, H), (1, 1), (H, W, 1), (1, W), (H, 1), (0, W)]
AFFINITY_SHAPES = [(2, H, W), (2, 1, 1), (2, 1, W), (2, W, H), (3, H, W), (2, H, W, 1)]
MASK_SHAPES = [(H, W), (H, W), (W, H), (1, 1), (H, W, 1)]


def _values(shape, value_class, dtype, rng):
    """float64 values of ``value_class`` (or values of ``dtype`` for 'extremes')."""
    return np.asarray(_raw_values(shape, value_class, dtype, rng))   # shape (): not a float


def _raw_values(shape, value_class, dtype, rng):
    if value_class == "unit":
        return rng.random(shape)
    if value_class == "byte":
        return rng.integers(0, 256, shape).astype(np.float64)
    if value_class == "labels":
        return rng.integers(0, 4, shape).astype(np.float64)
    if value_class == "zeros":
        return np.zeros(shape)
    if value_class == "constant":
        return np.full(shape, 0.5)
    if value_class == "negative":
        return -100 * rng.random(shape)
    if value_class == "huge":
        return 1e300 * rng.random(shape)
    if value_class == "random_bool":
        return (rng.random(shape) < 0.5).astype(np.float64)
    if value_class == "extremes":
        dt = np.dtype(dtype)
        if dt.kind in "iu":
            info = np.iinfo(dt)
            return rng.choice(np.array([info.min, info.max, 0], dtype=dt), shape)
        if dt.kind in "fc":
            top = np.finfo(dt).max
            return rng.choice(np.array([-top, top, np.finfo(dt).tiny, 0], dtype=dt), shape)
        return rng.choice(np.array([-1e300, 1e300]), shape)
    out = np.asarray(rng.random(shape))      # one NaN or infinity in random values
    if out.size:
        out.flat[rng.integers(out.size)] = {"nan": np.nan, "inf": np.inf,
                                            "-inf": -np.inf}[value_class]
    return out


def _cast(values, dtype):
    dt = np.dtype(dtype)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if values.dtype == dt:
            return values
        if dt.kind == "b":
            return values != 0
        if dt.kind in "Mm":
            return np.nan_to_num(values.astype(np.float64)).astype(np.int64).astype(dt)
        if dt.kind == "U":
            return values.astype(str).astype(dt)
        if dt.kind == "S":
            return values.astype(str).astype(dt)
        return values.astype(dt)


_TORCH_DTYPES = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.float16,
                 np.float32, np.float64, np.complex64, np.complex128)


def _lay_out(arr, layout, rng):
    if layout == "F":
        return np.asfortranarray(arr)
    if layout == "strided" and arr.ndim:
        return np.repeat(arr, 2, axis=-1)[..., ::2]
    if layout == "reversed" and arr.ndim:
        return arr[::-1]
    if layout == "readonly":
        arr = arr.copy()
        arr.setflags(write=False)
        return arr
    if layout == "memmap" and arr.size and arr.dtype != object:
        fd, path = tempfile.mkstemp(dir=_memmap_dir(), suffix=".dat")
        os.close(fd)
        out = np.memmap(path, dtype=arr.dtype, mode="w+", shape=arr.shape)
        out[...] = arr
        out.flush()
        return np.memmap(path, dtype=arr.dtype, mode=rng.choice(["r", "r+", "c"]),
                         shape=arr.shape)
    if layout == "byteswapped" and arr.dtype.kind in "iufc" and arr.dtype.itemsize > 1:
        return arr.astype(arr.dtype.newbyteorder())
    if layout == "broadcast" and arr.ndim and arr.shape[-1]:
        return np.broadcast_to(arr[..., :1], arr.shape)     # zero strides, read-only
    if layout == "list" and arr.dtype.kind not in "Mm":
        return arr.tolist()
    if layout == "ragged" and arr.ndim >= 2 and arr.shape[0] > 1 and arr.shape[1] > 1:
        rows = arr.tolist()
        rows[-1] = rows[-1][:-1]
        return rows
    if layout == "masked":
        return np.ma.masked_array(arr, mask=rng.random(arr.shape) < 0.2)
    if layout in ("tensor", "tensor_grad") and arr.dtype.type in _TORCH_DTYPES:
        tensor = torch.from_numpy(np.ascontiguousarray(arr).copy())
        if layout == "tensor_grad" and arr.dtype.kind in "fc":
            tensor.requires_grad_(True)
        return tensor
    return arr


@st.composite
def arrays(draw, shapes=SHAPES, dtypes=DTYPES, value_classes=VALUE_CLASSES,
           layouts=LAYOUTS):
    """An array-like of a drawn shape, dtype, value class and layout."""
    shape = draw(st.sampled_from(shapes))
    dtype = draw(st.sampled_from(dtypes))
    value_class = draw(st.sampled_from(value_classes))
    layout = draw(st.sampled_from(layouts))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    return _lay_out(_cast(_values(shape, value_class, dtype, rng), dtype), layout, rng)


# ------------------------------------------------------------------ scalars of every kind

SCALARS = [
    True, False, np.bool_(True), 0, 1, 2, 3, 4, 5, 8, -1, -5, 2 ** 31, 2 ** 62, 2 ** 62 + 1,
    2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63, -2 ** 64, 10 ** 30, np.int64(4), np.int8(-1),
    np.uint64(2 ** 64 - 1), np.uint8(8), np.int32(2), 0.0, -0.0, 0.5, 1.0, 4.0, 15.0, 1e-300,
    1e-160, 5e-324, 1e300, 1.7e308, math.nan, math.inf, -math.inf, np.float32(np.nan),
    np.float16(3), np.float64(2.0), np.longdouble(1.5), 1 + 0j, np.complex64(1), Fraction(1, 3),
    "", "a", "4", "val", "train", "test", "thin", "thick", "np", "corrected", "png16", "npy",
    "ers", "seal_ers", "slic", "bsds500", "bsds500-dilated", "bsds500-trainval", "bsds500-seal",
    "cpu", "cuda", "cuda:1", "mps", "meta",
    "cpu:1", b"x", "x" * 5000, None, [], [1, 2], (1, 2), (1.0, 1.0), (0, 1), (1, 1, 1),
    [math.nan, 1.0], (-1, 1), np.array(3), np.array([1, 2]), np.array([]), np.array(True),
    {}, {"a": 1}, object(), Path("nowhere.png"), Ellipsis,
]
scalars = st.sampled_from(SCALARS)
anything = st.one_of(scalars, arrays())


# ------------------------------------------------------------------ contracts

def _np(value):
    """A value accepted as an array, as numpy (tensors detached)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _spatial(image, channel_axis):
    shape = _np(image).shape
    if len(shape) == 2:
        return shape
    return tuple(np.delete(shape, int(channel_axis) % 3))


def _segments_shape(kw):
    if kw.get("affinities") is not None:
        return _np(kw["affinities"]).shape[1:]
    return _spatial(kw["image"], kw.get("channel_axis", -1))


def _check_segments(labels, kw, *, exact_n):
    shape = _segments_shape(kw)
    assert isinstance(labels, np.ndarray) and labels.dtype == np.int64
    counts = _np(kw.get("n_segments", 0))
    if exact_n and counts.ndim == 1:
        # A sequence of counts: a stack of label maps, one per count in the order given.
        assert labels.shape == (len(counts),) + shape
        for layer, n in zip(labels, counts.tolist()):
            _check_segments(layer, {**kw, "n_segments": n}, exact_n=True)
        return
    assert labels.shape == shape
    mask = kw.get("mask")
    inside = np.ones(shape, bool) if mask is None else _np(mask).astype(bool)
    start = int(kw.get("start_label", 1))
    found = np.unique(labels[inside])
    n = int(kw["n_segments"]) if exact_n else len(found)
    assert found.tolist() == list(range(start, start + n)), (found[:10], start, n)
    assert (labels[~inside] == 0).all()
    connectivity = kw.get("connectivity", 4 if not exact_n else 8)
    # None is ERS's own default for images: the 8-connected graph
    connectivity = 8 if connectivity is None else int(connectivity)
    structure = np.ones((3, 3), bool) if connectivity == 8 else None
    for label in found:
        assert ndi.label(labels == label, structure=structure)[1] == 1, label


def _check_affinities(out, shape, dtype):
    assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == (2,) + shape
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


def _check_score(low, high):
    def check(value, kw):
        assert isinstance(value, (float, np.floating)) and low <= value <= high, value
    return check


# ------------------------------------------------------------------ the functions

@dataclass
class Spec:
    """One public function: a valid call, what may replace each argument, its contract."""
    func: object
    valid: object                      # () -> dict of a valid call (fresh arrays)
    args: dict                         # argument -> strategy of plausible values
    contract: object                   # (result, kwargs) -> None, asserting
    related: dict = field(default_factory=dict)   # argument -> names checked against it
    documented: dict = field(default_factory=dict)  # exception type -> arguments


def _image_values():
    return st.one_of(arrays(IMAGE_SHAPES), anything)


def _label_values():
    return st.one_of(arrays(LABEL_SHAPES, value_classes=["labels", "byte", "zeros",
                                                          "extremes", "nan", "huge"]),
                     anything)


def _mask_values():
    return st.one_of(arrays(MASK_SHAPES, dtypes=[np.bool_, np.bool_, np.uint8],
                            value_classes=["random_bool", "zeros", "unit"]), anything)


def _count(high):
    return st.one_of(st.integers(-2, high + 2), scalars)


def _real():
    return st.one_of(st.floats(allow_nan=True, allow_infinity=True), scalars)


_SLIC_ARGS = dict(
    n_segments=_count(H * W), compactness=_real(), max_num_iter=anything, sigma=_real(),
    spacing=st.one_of(st.tuples(_real(), _real()), anything), convert2lab=anything,
    enforce_connectivity=anything, min_size_factor=anything, max_size_factor=anything,
    slic_zero=anything, start_label=_count(3), mask=_mask_values(),
    channel_axis=st.one_of(st.integers(-4, 3), scalars), lam=_real(),
    connectivity=st.one_of(st.sampled_from([4, 8, 6]), scalars))
_SEGMENT_RELATED = dict(
    image={"mask", "affinities", "n_segments", "convert2lab", "channel_axis"},
    channel_axis={"image", "mask", "n_segments", "convert2lab"},
    n_segments={"mask"}, mask={"n_segments", "start_label"}, start_label={"mask"},
    affinities={"image", "mask", "n_segments"}, connectivity={"mask"},
    convert2lab={"image", "channel_axis"}, sigma={"spacing"}, spacing={"sigma"})


def _weights_file():
    """A tiny random net (width 4), written once per process."""
    path = Path(_memmap_dir()) / "tiny.pt"
    if not path.exists():
        from sealseg.pan.model import PixelAffinityNet
        from sealseg.pan.pretrained import model_file_payload

        torch.manual_seed(0)
        torch.save(model_file_payload(PixelAffinityNet(4).eval()), path)
    return str(path)


def _weights_values():
    return st.one_of(st.sampled_from(["bsds500", "bsds500-dilated", "bsds500-trainval",
                                      "bsds500-seal", "tiny", "nowhere.pt", "/", "",
                                      "bsds500 "]), scalars)


def _resolve_tiny(kw):
    if isinstance(kw.get("weights"), str) and kw["weights"] == "tiny":
        kw["weights"] = _weights_file()
    return kw


_NET_ARGS = dict(weights=_weights_values(),
                 device=st.one_of(st.sampled_from(["cpu", torch.device("cpu"), "cuda", "meta",
                                                   "mps", "cpu:0", "nope"]), scalars),
                 max_pixels_per_tile=_count(4000))
_NET_DOCUMENTED = {FileNotFoundError: {"weights"}, IsADirectoryError: {"weights"}}


def _score_args(**extra):
    return dict(labels=_label_values(),
                groundtruth=st.one_of(_label_values(), st.lists(_label_values(), max_size=3)),
                **extra)


_SCORE_RELATED = dict(labels={"groundtruth", "image"}, groundtruth={"labels"},
                      image={"labels", "channel_axis"}, channel_axis={"image", "labels"})


def _collection_valid(root):
    def valid():
        out = Path(tempfile.mkdtemp(dir=root, prefix="out-"))
        return dict(paths=str(root / "in"), out_dir=str(out / "labels"), n_segments=4,
                    method="ers", progress=False)
    return valid


def _check_collection(summary, kw):
    assert isinstance(summary, sealseg.collection.CollectionSummary)
    reported = len(summary.done) + len(summary.skipped) + len(summary.failed)
    paths = kw["paths"]
    # Every listed file is reported once; the test's folders hold one image each.
    if not isinstance(paths, (str, os.PathLike)):       # any iterable of paths
        assert reported == len(list(paths)), summary
    elif Path(paths).name in ("in", "lab"):
        assert reported == 1, summary
    for name in summary.done:
        assert Path(name).exists()


def _check_pooled(out, kw):
    values = _np(kw["values"])   # a tensor that requires grad has no plain np.asarray
    assert out.shape == values.shape and np.issubdtype(out.dtype, np.floating)
    assert np.all(np.isfinite(out))


def _check_dataset(dataset, kw):
    assert isinstance(dataset, Dataset) and len(dataset) >= 1


def _specs(root):
    """The public functions; ``root`` is a folder holding one image for the loaders."""
    folder_args = dict(images=st.one_of(st.sampled_from([str(root / "in"), root / "in",
                                                         str(root / "lab"), str(root)]),
                                        scalars),
                       labels=st.one_of(st.sampled_from([str(root / "lab"), root / "in"]),
                                        scalars))
    return {
        "ers": Spec(sealseg.ers, lambda: dict(image=IMG.copy(), n_segments=5),
                    dict(image=_image_values(), affinities=st.one_of(arrays(AFFINITY_SHAPES),
                                                                       anything),
                         color_sigma=_real(), **_SLIC_ARGS),
                    lambda out, kw: _check_segments(out, kw, exact_n=True), _SEGMENT_RELATED),
        "ers-affinities": Spec(
            sealseg.ers, lambda: dict(image=None, n_segments=5, affinities=AFF.copy()),
            dict(affinities=st.one_of(arrays(AFFINITY_SHAPES), anything),
                 image=_image_values(), color_sigma=_real(), **_SLIC_ARGS),
            lambda out, kw: _check_segments(out, kw, exact_n=True), _SEGMENT_RELATED),
        "seal_ers": Spec(sealseg.seal_ers, lambda: dict(image=IMG.copy(), n_segments=5),
                         dict(image=_image_values(), **_SLIC_ARGS, **_NET_ARGS),
                         lambda out, kw: _check_segments(out, kw, exact_n=True),
                         _SEGMENT_RELATED, _NET_DOCUMENTED),
        "felzenszwalb_affinity": Spec(
            sealseg.felzenszwalb_affinity, lambda: dict(affinities=AFF.copy(), min_size=2),
            dict(affinities=st.one_of(arrays(AFFINITY_SHAPES), anything), scale=_real(),
                 min_size=_count(H * W), connectivity=_SLIC_ARGS["connectivity"],
                 start_label=_count(3), mask=_mask_values()),
            lambda out, kw: _check_segments(out, kw, exact_n=False),
            dict(affinities={"mask"}, mask={"start_label", "affinities"},
                 start_label={"mask"})),
        "rgb_affinities": Spec(
            sealseg.rgb_affinities, lambda: dict(image=IMG.copy()),
            dict(image=_image_values(), color_sigma=_real(),
                 channel_axis=_SLIC_ARGS["channel_axis"], convert2lab=anything),
            lambda out, kw: _check_affinities(
                out, _spatial(kw["image"], kw.get("channel_axis", -1)), np.float64),
            dict(image={"channel_axis", "convert2lab"}, channel_axis={"image", "convert2lab"},
                 convert2lab={"image", "channel_axis"})),
        "thin_boundaries": Spec(
            sealseg.thin_boundaries, lambda: dict(affinities=AFF.copy(), factor=0.5),
            dict(affinities=st.one_of(arrays(AFFINITY_SHAPES), anything), factor=_real()),
            lambda out, kw: _check_affinities(
                out, _np(kw["affinities"]).shape[1:],
                np.float32 if _np(kw["affinities"]).dtype == np.float32 else np.float64)),
        "affinities_from_labels": Spec(
            sealseg.affinities_from_labels, lambda: dict(groundtruth=LAB.copy()),
            dict(groundtruth=st.one_of(_label_values(), st.lists(_label_values(),
                                                                  max_size=3))),
            lambda out, kw: _check_affinities(out, out.shape[1:], np.float64)),
        "learn_affinities": Spec(
            sealseg.learn_affinities, lambda: dict(image=IMG.copy()),
            dict(image=_image_values(), channel_axis=_SLIC_ARGS["channel_axis"], **_NET_ARGS),
            lambda out, kw: _check_affinities(
                out, _spatial(kw["image"], kw.get("channel_axis", -1)), np.float32),
            dict(image={"channel_axis", "max_pixels_per_tile"},
                 channel_axis={"image", "max_pixels_per_tile"}), _NET_DOCUMENTED),
        "asa": Spec(sealseg.asa, lambda: dict(labels=LAB.copy(), groundtruth=GT.copy()),
                    _score_args(), _check_score(0.0, 1.0), _SCORE_RELATED),
        "undersegmentation_error": Spec(
            sealseg.undersegmentation_error,
            lambda: dict(labels=LAB.copy(), groundtruth=GT.copy()),
            _score_args(kind=st.one_of(st.sampled_from(["np", "corrected"]), scalars)),
            _check_score(0.0, 1.0), _SCORE_RELATED),
        "boundary_recall": Spec(
            sealseg.boundary_recall, lambda: dict(labels=LAB.copy(), groundtruth=GT.copy()),
            _score_args(tolerance=_count(10), boundary=scalars), _check_score(0.0, 1.0),
            _SCORE_RELATED),
        "boundary_precision": Spec(
            sealseg.boundary_precision, lambda: dict(labels=LAB.copy(), groundtruth=GT.copy()),
            _score_args(tolerance=_count(10), boundary=scalars), _check_score(0.0, 1.0),
            _SCORE_RELATED),
        "boundary_share": Spec(
            sealseg.boundary_share, lambda: dict(labels=LAB.copy()),
            dict(labels=_label_values(), boundary=scalars), _check_score(0.0, 1.0)),
        "strip_share": Spec(
            sealseg.strip_share, lambda: dict(labels=LAB.copy()),
            dict(labels=_label_values(), width=_count(10)), _check_score(0.0, 1.0)),
        "achievable_miou": Spec(
            sealseg.achievable_miou, lambda: dict(labels=LAB.copy(), classes=GT.copy()),
            dict(labels=_label_values(), classes=_label_values(), void=scalars),
            _check_score(0.0, 1.0),
            dict(labels={"classes"}, classes={"labels", "void"}, void={"classes"})),
        "explained_variation": Spec(
            sealseg.explained_variation, lambda: dict(labels=LAB.copy(), image=IMG.copy()),
            dict(labels=_label_values(), image=_image_values(),
                 channel_axis=_SLIC_ARGS["channel_axis"]),
            _check_score(0.0, 1.0), _SCORE_RELATED),
        "compactness": Spec(sealseg.compactness, lambda: dict(labels=LAB.copy()),
                            dict(labels=_label_values()), _check_score(0.0, 1.0)),
        "superpixel_mean": Spec(
            sealseg.superpixel_mean,
            lambda: dict(values=IMG.astype(np.float32), labels=LAB.copy()),
            dict(values=_image_values(), labels=_label_values()), _check_pooled,
            dict(values={"labels"}, labels={"values"})),
        "load_bsds500": Spec(
            sealseg.load_bsds500, lambda: dict(root=str(root / "nowhere")),
            dict(root=st.one_of(st.sampled_from([str(root), root / "in"]), scalars),
                 split=scalars),
            _check_dataset, documented={FileNotFoundError: {"root", "split"}}),
        "load_sbd": Spec(
            sealseg.load_sbd, lambda: dict(root=str(root / "nowhere")),
            dict(root=st.one_of(st.sampled_from([str(root), root / "in"]), scalars)),
            _check_dataset, documented={FileNotFoundError: {"root"}}),
        "load_camvid": Spec(
            sealseg.load_camvid, lambda: dict(root=str(root / "nowhere")),
            dict(root=st.one_of(st.sampled_from([str(root), root / "in"]), scalars),
                 split=scalars),
            _check_dataset, documented={FileNotFoundError: {"root", "split"}}),
        "load_ecssd": Spec(
            sealseg.load_ecssd, lambda: dict(root=str(root / "nowhere")),
            dict(root=st.one_of(st.sampled_from([str(root), root / "in"]), scalars)),
            _check_dataset, documented={FileNotFoundError: {"root"}}),
        "load_cityscapes": Spec(
            sealseg.load_cityscapes, lambda: dict(root=str(root)),
            dict(root=st.one_of(st.sampled_from([str(root), root / "in"]), scalars),
                 split=scalars),
            _check_dataset, documented={FileNotFoundError: {"root", "split"}}),
        "load_folder": Spec(
            sealseg.load_folder, lambda: dict(images=str(root / "in"), labels=str(root / "lab")),
            folder_args, _check_dataset, dict(images={"labels"}, labels={"images"}),
            {FileNotFoundError: {"images", "labels"}}),
        "segment_collection": Spec(
            sealseg.segment_collection, _collection_valid(root),
            dict(paths=st.one_of(st.sampled_from([[str(root / "in" / "a.png")],
                                                  [root / "in" / "a.png", "nowhere.png"],
                                                  str(root / "lab")]), scalars),
                 out_dir=scalars, n_segments=_count(H * W),
                 method=st.one_of(st.sampled_from(["ers", "seal_ers"]), scalars),
                 jobs=_count(3), format=scalars, overlay=anything, client=scalars,
                 retries=_count(3), overwrite=anything, progress=anything,
                 lam=_real(), connectivity=_SLIC_ARGS["connectivity"]),
            _check_collection,
            dict(paths={"out_dir", "n_segments"}, out_dir={"paths"},
                 n_segments={"format", "paths"}, format={"n_segments"}),
            {OSError: {"out_dir"}}),
        "weights_path": Spec(pretrained.weights_path, lambda: dict(weights="bsds500"),
                             dict(weights=_weights_values()),
                             lambda out, kw: isinstance(out, Path)),
        "read_weight_file": Spec(pretrained.read_weight_file, lambda: dict(weights="tiny"),
                                 dict(weights=_weights_values()),
                                 lambda out, kw: isinstance(out, torch.nn.Module),
                                 documented=_NET_DOCUMENTED),
        "get_model": Spec(pretrained.get_model, lambda: dict(weights="tiny"),
                          dict(weights=_weights_values(), device=_NET_ARGS["device"]),
                          lambda out, kw: isinstance(out, torch.nn.Module),
                          documented=_NET_DOCUMENTED),
        "resolve_device": Spec(pretrained.resolve_device, lambda: dict(device=None),
                               dict(device=_NET_ARGS["device"]),
                               lambda out, kw: isinstance(out, torch.device)),
    }


# ------------------------------------------------------------------ the property

class Hang(BaseException):
    """Raised by the watchdog: a call took longer than WATCHDOG_SECONDS."""


def _on_alarm(signum, frame):
    raise Hang(f"call did not return within {WATCHDOG_SECONDS} s")


def _snapshot(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, np.ma.MaskedArray):
        return value.copy()
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    return value


def _unchanged(before, after):
    if isinstance(after, torch.Tensor):
        return _unchanged(before.numpy(), after.detach().cpu().numpy())
    if isinstance(after, np.ma.MaskedArray):
        return _unchanged(before.data, after.data) and np.array_equal(
            np.ma.getmaskarray(before), np.ma.getmaskarray(after))
    if isinstance(after, np.ndarray):
        if before.shape != after.shape or before.dtype != after.dtype:
            return False
        if after.dtype == object:
            return all(x is y for x, y in zip(before.ravel(), after.ravel()))
        if after.dtype.kind in "fc":
            return np.array_equal(before, after, equal_nan=True)
        return before.tobytes() == after.tobytes()
    if isinstance(after, (list, tuple)):
        return type(before) is type(after) and len(before) == len(after) and all(
            _unchanged(b, a) for b, a in zip(before, after))
    return before is after or before == after or before != before   # NaN


def _named(message, names):
    return any(name in message for name in names)


#: Outcome counts per function, written to $SEALSEG_FUZZ_REPORT at the end.
COUNTS = collections.defaultdict(collections.Counter)


def _count_outcome(function, outcome):
    COUNTS[function][outcome] += 1
    event(outcome)


def _write_report():
    path = os.environ.get("SEALSEG_FUZZ_REPORT")
    if path and COUNTS:
        with open(path, "w") as f:
            json.dump({name: dict(c) for name, c in sorted(COUNTS.items())}, f, indent=1)


atexit.register(_write_report)


def _run(spec, data, function=""):
    replaced = data.draw(st.lists(st.sampled_from(sorted(spec.args)), min_size=1, max_size=2,
                                  unique=True), label="replaced")
    kwargs = spec.valid()
    for name in replaced:
        kwargs[name] = data.draw(spec.args[name], label=name)
    kwargs = _resolve_tiny(kwargs)
    before = {name: _snapshot(value) for name, value in kwargs.items()}
    accepted_names = set(replaced).union(*(spec.related.get(n, ()) for n in replaced))
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(WATCHDOG_SECONDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)     # "has no effect" warnings
            warnings.simplefilter("error", RuntimeWarning)   # overflow, invalid value ...
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            result = spec.func(**kwargs)
    except (ValueError, TypeError) as exc:
        assert type(exc) in (ValueError, TypeError), \
            f"{type(exc).__name__} (a subclass) from deep inside: {exc}"
        assert _named(str(exc), accepted_names), \
            f"{type(exc).__name__} names none of {sorted(accepted_names)}: {exc}"
        _count_outcome(function, f"refused: {type(exc).__name__}")
    except tuple(spec.documented) as exc:
        documented_for = set().union(*(names for kind, names in spec.documented.items()
                                       if isinstance(exc, kind)))
        assert documented_for & set(replaced), \
            f"{type(exc).__name__} is documented for {documented_for}, not {replaced}: {exc}"
        _count_outcome(function, f"refused: {type(exc).__name__}")
    else:
        spec.contract(result, kwargs)
        _count_outcome(function, "accepted")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    for name, value in kwargs.items():
        assert _unchanged(before[name], value), f"the call changed its argument {name}"


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "in").mkdir()
    (root / "lab").mkdir()
    Image.fromarray(IMG).save(root / "in" / "a.png")
    Image.fromarray(GT.astype(np.uint8)).save(root / "lab" / "a.png")
    return _specs(root)


NAMES = list(_specs(Path("/nonexistent")))


@pytest.mark.parametrize("name", NAMES)
def test_public_function_meets_its_contract_or_names_the_bad_argument(name, specs,
                                                                       monkeypatch, tmp_path):
    # Relative paths ("", "a", "nowhere.png") land in a folder of this test.
    monkeypatch.chdir(tmp_path)
    spec = specs[name]

    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        _run(spec, data, name)

    fuzz()


def test_every_public_function_is_fuzzed():
    import inspect

    covered = {spec.func.__name__ for spec in _specs(Path("/nonexistent")).values()}
    # a function without parameters (list_weights) has no argument to fuzz
    covered |= {name for name in sealseg.__all__
                if not inspect.signature(getattr(sealseg, name)).parameters}
    assert set(sealseg.__all__) <= covered, set(sealseg.__all__) - covered
