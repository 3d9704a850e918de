"""Argument checks shared by the public functions.

Every check raises ``ValueError``/``TypeError`` naming the argument and what
is accepted; nothing is clipped or guessed.  Numbers are range-checked here,
before they reach a kernel's native types (``Py_ssize_t``, ``int64``,
``double``), so none can overflow there.

Arrays: anything :func:`numpy.asarray` takes, of any strides, byte order or
writeability; a torch tensor is converted with ``detach().cpu().numpy()``
(whatever its device and ``requires_grad``).  A numpy masked array is refused
(its mask would silently be lost): pass ``numpy.asarray(a)``, or for an image
its mask as the ``mask`` argument of the segmenters (``mask=~a.mask``).
"""
import math
import numbers
import operator

import numpy as np

__all__ = [
    "check_image",
    "check_volume",
    "image_is_volume",
    "image_to_unit_range",
    "check_rgb_image",
    "check_label_image",
    "check_mask",
    "check_n_segments",
    "check_affinities",
    "check_start_label",
    "check_connectivity",
    "check_positive_real",
    "check_nonnegative_int",
    "check_bool",
    "check_positive_int",
    "check_optional_positive_int",
    "check_tolerance",
    "as_array",
    "MAX_INDEX",
    "MAX_TOLERANCE",
    "MAX_START_LABEL",
    "REAL_RANGE",
]

#: Largest count or size a kernel takes (``Py_ssize_t``, 64-bit).
MAX_INDEX = 2 ** 63 - 1
#: Largest boundary tolerance (pixels): a square of this radius covers any
#: image that fits in memory, and ``x + tolerance`` cannot overflow.
MAX_TOLERANCE = 2 ** 31 - 1
#: Largest ``start_label``: labels run up to ``start_label + number of
#: pixels - 1``, which stays within int64 for any image of up to 2**62 pixels.
MAX_START_LABEL = 2 ** 62
#: Accepted magnitudes of real parameters (sigma, lam, scale, ...): their
#: squares and reciprocal squares are finite, non-zero doubles, so no kernel
#: computes ``0 * inf`` (NaN) from them.
REAL_RANGE = (1e-150, 1e150)


def _integer(value, name, what):
    """``value`` as a Python int; Python and numpy integers only (not bool, not float)."""
    # np.timedelta64 subclasses np.signedinteger (so numbers.Integral) but is
    # a duration, not a count: operator.index refuses it.
    if isinstance(value, (bool, np.bool_, np.timedelta64)) \
            or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what}, got {value!r} of type {type(value).__name__}")
    return operator.index(value)


def _too_large(value, name, what, largest):
    if value > largest:
        raise ValueError(f"{name} must be {what} up to {largest} (2**{largest.bit_length()}"
                         f"{' - 1' if largest & (largest + 1) == 0 else ''}), got {value}")


def check_nonnegative_int(value, name):
    """Return ``value`` as a Python int in [0, MAX_INDEX]."""
    value = _integer(value, name, "an integer >= 0")
    if value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value}")
    _too_large(value, name, "an integer >= 0", MAX_INDEX)
    return value


def check_positive_int(value, name):
    """Return ``value`` as a Python int in [1, MAX_INDEX] (Python and numpy integers)."""
    value = _integer(value, name, "a positive integer")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    _too_large(value, name, "a positive integer", MAX_INDEX)
    return value


def check_optional_positive_int(value, name):
    """Return None, or ``value`` as a Python int in [1, MAX_INDEX]."""
    if value is None:
        return None
    value = _integer(value, name, "None or a positive integer")
    if value < 1:
        raise ValueError(f"{name} must be None or a positive integer, got {value}")
    _too_large(value, name, "None or a positive integer", MAX_INDEX)
    return value


def check_tolerance(tolerance):
    """Return a boundary tolerance (pixels) as a Python int in [0, MAX_TOLERANCE]."""
    what = "a non-negative integer (pixels)"
    tolerance = _integer(tolerance, "tolerance", what)
    if tolerance < 0:
        raise ValueError(f"tolerance must be {what}, got {tolerance}")
    _too_large(tolerance, "tolerance", what, MAX_TOLERANCE)
    return tolerance


def check_n_segments(n_segments, n_pixels=None, *, name="n_segments"):
    """Return ``n_segments`` as a Python int after checking it.

    Accepts Python and numpy integers (not bool, not float); with ``n_pixels``,
    also checks that there are at least that many pixels to segment.
    """
    n_segments = check_positive_int(n_segments, name)
    if n_pixels is not None and n_segments > n_pixels:
        raise ValueError(f"{name}={n_segments} is larger than the number of pixels "
                         f"to segment ({n_pixels}); ask for at most {n_pixels}")
    return n_segments


def check_start_label(start_label):
    """Return ``start_label`` as a Python int in [0, MAX_START_LABEL].

    The bound keeps every label (up to ``start_label`` + number of pixels - 1)
    within int64, whatever the image.
    """
    start_label = _integer(start_label, "start_label", "an integer")
    if start_label < 0:
        raise ValueError(f"start_label must be >= 0, got {start_label}")
    if start_label > MAX_START_LABEL:
        raise ValueError(f"start_label must be at most 2**62 = {MAX_START_LABEL}, so that "
                         f"every label fits int64, got {start_label}")
    return start_label


def check_connectivity(connectivity):
    # Integers only: 4.0 == 4 would pass a plain ``in (4, 8)`` test, and a
    # float here is as much a caller's mistake as a float n_segments.
    if isinstance(connectivity, (bool, np.bool_)) \
            or not isinstance(connectivity, numbers.Integral) or connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    return int(connectivity)


def check_positive_real(value, name, *, allow_zero=False):
    """Return ``value`` as a float in :data:`REAL_RANGE` (or 0 with ``allow_zero``)."""
    if isinstance(value, (bool, np.bool_, np.timedelta64)) \
            or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    low, high = REAL_RANGE
    if not (value == 0 and allow_zero) and not low <= value <= high:
        accepted = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {accepted}, got {value!r} (accepted: "
                         f"{'0 or ' if allow_zero else ''}{low:g} to {high:g}, so that its "
                         "square neither overflows nor underflows)")
    return value


def image_to_unit_range(image, *, name="image"):
    """Float64 copy of a real ``image`` on the [0, 1] scale: the one dtype rule.

    The same picture gives the same labels whatever dtype holds it:

    * ``bool``: False 0, True 1.
    * Integers whose values all lie in 0-255 (``uint8`` always, and any
      other integer type holding 8-bit values): ``v / 255``.
    * Other integers (12-, 16- or 32-bit data, negative values): rescaled by
      the image's own range, ``(v - min) / (max - min)``, as
      :func:`skimage.segmentation.slic` does (0 everywhere for a flat image).
    * Floats with values in [0, 1]: as they are.  Other finite floats (e.g.
      a float TIFF in 0-4095): rescaled by their own range, as integers.
      NaN or infinite values are an error.

    Images already on the 0-255 or [0, 1] scale are not stretched: ERS's
    colour kernel and the affinity net measure contrast on that scale, so a
    low-contrast 8-bit picture stays low-contrast.
    """
    arr = image
    if arr.dtype == np.bool_:
        return arr.astype(np.float64)
    if np.issubdtype(arr.dtype, np.integer):
        lo, hi = arr.min(), arr.max()
        if lo >= 0 and hi <= 255:
            return arr.astype(np.float64) / 255.0
        return _own_range_to_unit(arr.astype(np.float64), float(lo), float(hi))
    with np.errstate(over="ignore", invalid="ignore"):   # long double beyond float64
        out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or infinite values (or values beyond "
                         "the float64 range)")
    lo, hi = out.min(), out.max()
    if lo >= 0.0 and hi <= 1.0:
        return out
    return _own_range_to_unit(out, float(lo), float(hi))


def _own_range_to_unit(values, lo, hi):
    if not math.isfinite(hi - lo):
        # A range wider than the largest float64 (values near -max and +max):
        # halved first, so that neither ``values - lo`` nor ``hi - lo``
        # overflows to inf (and then NaN).
        values *= 0.5
        lo, hi = lo * 0.5, hi * 0.5
    values -= lo
    if hi > lo:
        values /= hi - lo
    return values


def _tensor_to_array(value, name):
    """A torch tensor (any device, any requires_grad) as a numpy array; None if not one."""
    if not type(value).__module__.startswith("torch") or not hasattr(value, "detach"):
        return None
    try:
        return value.detach().cpu().numpy()
    except (RuntimeError, TypeError, NotImplementedError) as exc:   # meta, bfloat16 ...
        raise TypeError(f"{name} is a torch tensor that cannot be converted to a numpy "
                        f"array ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                        ) from None


def as_array(value, name):
    """``value`` as a numpy array (:func:`numpy.asarray`), with errors naming ``name``.

    Torch tensors are converted (``detach().cpu().numpy()``); masked arrays
    and ragged nested lists are refused.
    """
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} is a numpy masked array, whose mask would be ignored; pass "
                        f"np.asarray({name}) (for an image, with mask=~{name}.mask where the "
                        "function takes a mask)")
    array = _tensor_to_array(value, name)
    if array is not None:
        return array
    try:
        return np.asarray(value)
    except (ValueError, TypeError, OverflowError) as exc:   # ragged lists, odd objects
        raise ValueError(f"{name} must be an array or nested lists of equal lengths; "
                         f"numpy cannot build one from it ({str(exc).splitlines()[0]})"
                         ) from None


def _real_array(image, name):
    """``image`` as a numpy array of a real numeric dtype (bool, integer or float)."""
    arr = as_array(image, name)
    if arr.dtype == object or np.issubdtype(arr.dtype, np.complexfloating) \
            or arr.dtype.kind in "USVMm":
        raise TypeError(f"{name} must be a real numeric array (bool, integer or float), "
                        f"got dtype {arr.dtype}")
    return arr


def _channels_last(image, channel_axis, name, *, n_spatial, grey_error, channels_error):
    """Shared body of :func:`check_image` and :func:`check_volume`.

    ``image`` with ``n_spatial`` spatial axes and its channels moved last
    (a grey one gets a channel axis of 1), as C-contiguous float64 in
    [0, 1].  ``grey_error`` and ``channels_error`` are the messages, formatted
    with the array's ``ndim`` and ``shape``, for a wrong number of dimensions without and
    with ``channel_axis``.  A 2-D array is a grey image whatever
    ``channel_axis`` says (as in skimage.slic).
    """
    if image is None:
        raise TypeError(f"{name} must be an array, got None")
    arr = _real_array(image, name)
    if channel_axis is None:
        if arr.ndim != n_spatial:
            raise ValueError(grey_error.format(ndim=arr.ndim, shape=arr.shape))
        arr = arr[..., np.newaxis]
    else:
        if isinstance(channel_axis, (bool, np.bool_)) or not isinstance(channel_axis, numbers.Integral):
            raise TypeError(f"channel_axis must be an integer or None, got {channel_axis!r}")
        if arr.ndim == 2 and n_spatial == 2:
            arr = arr[..., np.newaxis]
        elif arr.ndim == n_spatial + 1:
            if not -arr.ndim <= channel_axis < arr.ndim:
                raise ValueError(f"channel_axis={channel_axis} is out of range for a "
                                 f"{arr.ndim}-D {name} of shape {arr.shape}")
            arr = np.moveaxis(arr, channel_axis, -1)
        else:
            raise ValueError(channels_error.format(ndim=arr.ndim, shape=arr.shape))
    if 0 in arr.shape:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    return np.ascontiguousarray(image_to_unit_range(arr, name=name))


def check_image(image, channel_axis=-1, *, name="image"):
    """Return ``image`` as a C-contiguous float64 array of shape (H, W, C) in [0, 1].

    Parameters
    ----------
    image : (M, N[, C]) array_like
        2-D grey image (``channel_axis=None`` or a 2-D array), or an image with
        a channel axis.  Values are put on the [0, 1] scale by the rule of
        :func:`image_to_unit_range`.
    channel_axis : int or None
        Axis of the channels.  ``None`` means a grey 2-D image.
    """
    return _channels_last(
        image, channel_axis, name, n_spatial=2,
        grey_error=f"{name} must be 2-D when channel_axis is None, got shape {{shape}}",
        channels_error=(f"{name} must be 2-D (M, N) or 3-D (M, N, C) with a channel axis, "
                        f"got {{ndim}}-D shape {{shape}}"))


def image_is_volume(image, channel_axis):
    """True when ``image`` is a volume by :func:`skimage.segmentation.slic`'s rule.

    (P, M, N) with ``channel_axis=None`` is a grey volume and a 4-D array a
    volume with channels; a 2-D array, or a 3-D one with a channel axis, is
    an image.  Arrays of more dimensions count as volumes (that
    :func:`check_volume` refuses, naming the volume shapes).  ``image`` is
    anything :func:`as_array` takes (None: False).
    """
    if image is None:
        return False
    ndim = as_array(image, "image").ndim
    return ndim >= 4 or (ndim == 3 and channel_axis is None)


def check_volume(image, channel_axis=None, *, name="image"):
    """Return a volume as a C-contiguous float64 array of shape (P, M, N, C) in [0, 1].

    Parameters
    ----------
    image : (P, M, N[, C]) array_like
        Grey volume (3-D, ``channel_axis=None``) or a 4-D volume with a
        channel axis.  Values are put on the [0, 1] scale by the rule of
        :func:`image_to_unit_range`, as images are.
    channel_axis : int or None
        Axis of the channels of a 4-D volume; None for a grey 3-D volume.
    """
    return _channels_last(
        image, channel_axis, name, n_spatial=3,
        grey_error=(f"a grey volume {name} must be 3-D (P, M, N) when channel_axis is None, "
                    f"got shape {{shape}}; for a volume with channels pass channel_axis"),
        channels_error=(f"a volume {name} with channels must be 4-D (P, M, N, C), "
                        f"got shape {{shape}}"))


def check_rgb_image(image, channel_axis=-1, *, name="image"):
    """Return ``image`` as a C-contiguous float64 (H, W, 3) array in [0, 1].

    As :func:`check_image`; a grey image (or one with a single channel) is
    repeated into three channels, and 2, 4 or more channels are refused
    rather than guessed at (the Pixel Affinity Net was trained on RGB).
    """
    rgb = check_image(image, channel_axis, name=name)
    if rgb.shape[2] == 1:
        return np.repeat(rgb, 3, axis=2)
    if rgb.shape[2] == 4:
        raise ValueError(f"{name} must be grey or RGB (3 channels), got 4 channels "
                         f"(RGBA?): convert it with skimage.color.rgba2rgb({name}) or "
                         f"drop alpha with {name}[..., :3]")
    if rgb.shape[2] == 2:
        raise ValueError(f"{name} must be grey or RGB (3 channels), got 2 channels (grey + "
                         f"alpha?): pass the grey channel, {name}[..., 0]")
    if rgb.shape[2] != 3:
        raise ValueError(f"{name} must be grey or RGB (3 channels), got {rgb.shape[2]} "
                         "channels; pass three of them (e.g. a false-colour composite)")
    return rgb


def check_label_maps_container(value, name):
    """Refuse a one-pass iterable (generator, iterator), set or dict where label maps go.

    numpy would make it a 0-d object array ("dtype object"), and a
    generator would be used up by the first look at it.
    """
    import collections.abc

    if isinstance(value, (collections.abc.Iterator, collections.abc.Set,
                          collections.abc.Mapping)):
        raise TypeError(f"{name} must be a label map or a list of them, got a "
                        f"{type(value).__name__}; pass list(...) of the maps")


def check_label_image(labels, *, name="labels", shape=None):
    """Return ``labels`` as a C-contiguous int64 (H, W) array."""
    if labels is None:
        raise TypeError(f"{name} must be a 2-D integer array, got None")
    arr = as_array(labels, name)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    elif not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and arr.size and np.all(np.isfinite(arr)) \
                and np.all(arr == np.round(arr)):
            # -2**63 and 2**63 are exact floats: the int64 range is [-2**63, 2**63).
            if float(arr.min()) < -2.0 ** 63 or float(arr.max()) >= 2.0 ** 63:
                raise ValueError(f"{name} has values beyond the int64 range (float labels "
                                 f"from {arr.min():g} to {arr.max():g})")
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must be an integer label array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D label map, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)}")
    if arr.dtype == np.uint64 and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} has values beyond the int64 range")
    return np.ascontiguousarray(arr, dtype=np.int64)


def check_mask(mask, shape):
    """Return ``mask`` as a C-contiguous bool array of ``shape``, (H, W) or (P, M, N), or None."""
    if mask is None:
        return None
    arr = as_array(mask, "mask")
    if arr.dtype != np.bool_:
        raise TypeError(f"mask must be a boolean array, got dtype {arr.dtype}")
    if arr.shape != tuple(shape):
        axes = "(H, W)" if len(shape) == 2 else "(P, M, N)"
        raise ValueError(f"mask has shape {arr.shape}, expected the image's {axes} "
                         f"shape {tuple(shape)}")
    if not arr.any():
        raise ValueError("mask selects no pixel; at least one pixel must be True")
    return np.ascontiguousarray(arr)


def check_affinities(affinities, shape=None, *, name="affinities", n_spatial=2):
    """Return affinities as a C-contiguous float32/float64 (2, H, W) array in [0, 1].

    With ``n_spatial=3``, a volume's (3, P, M, N) affinities.
    """
    arr = as_array(affinities, name)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating)
                                   or np.issubdtype(arr.dtype, np.integer)
                                   or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if n_spatial == 3:
        if arr.ndim != 4 or arr.shape[0] != 3:
            raise ValueError(f"{name} of a volume must have shape (3, P, M, N) ([0] along N, "
                             f"[1] along M, [2] along P), got {arr.shape}")
    elif arr.ndim != 3 or arr.shape[0] != 2:
        raise ValueError(f"{name} must have shape (2, H, W) ([0] horizontal, [1] vertical), "
                         f"got {arr.shape}")
    if 0 in arr.shape[1:]:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if shape is not None and arr.shape[1:] != tuple(shape):
        raise ValueError(f"{name} has spatial shape {arr.shape[1:]}, expected {tuple(shape)}")
    # float32 stays float32 (the kernels take both); everything else becomes float64.
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    with np.errstate(over="ignore", invalid="ignore"):   # long double beyond float64
        out = np.ascontiguousarray(arr, dtype=dtype)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or infinite values")
    lo, hi = out.min(), out.max()
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{name} must have values in [0, 1], got range [{lo:g}, {hi:g}]")
    return out


def check_bool(value, name):
    """Return ``value`` as a bool: True, False or a numpy bool only.

    Not 0/1, strings or arrays: ``if flag:`` on an array raises numpy's
    ambiguity error, and on a string is always True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
