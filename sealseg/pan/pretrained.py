"""Reading, checking and caching Pixel Affinity Net weight files.

A weight file is a ``torch.save`` of ``{"format": "sealseg-pan-1", "config":
{...PixelAffinityNet keyword arguments...}, "state_dict": {...}}``
(:func:`model_file_payload`); it loads with ``torch.load(...,
weights_only=True)``.  A bare state dict is accepted too: its architecture is
then read off the tensor shapes.

``weights`` is None (the default net), the name of a shipped net
(:mod:`sealseg.pan.registry`) or a path.  A shipped file is checked against
the SHA-256 of its record before it is first read, once per file and
process; a file given by path is not (no digest is known for it).
"""
import math
import numbers
import os
import pickle
import threading
import warnings
import zipfile
from pathlib import Path

from .._io import file_sha256
from . import registry

__all__ = ["weights_path", "read_weight_file", "get_model", "resolve_device", "clear_cache",
           "model_file_payload", "MAX_WEIGHT_BYTES", "CONFIG_BOUNDS"]

_CACHE = {}
_LOCK = threading.Lock()
# (resolved path, expected digest) of the shipped files already checked.  Set
# operations are atomic, so no lock: two threads may at worst both hash a file.
_VERIFIED = set()


def weights_path(weights):
    """File of ``weights``: None (the default net), a shipped net's name or a path.

    Only resolves the name; the file's SHA-256 is checked when it is read.

    Raises
    ------
    TypeError, ValueError
        ``weights`` is of another type, or a string that is neither a shipped
        net's name nor a path to a ``.pt``/``.pth`` file.
    """
    if weights is None or registry.is_shipped_name(weights):
        return registry.get_weights(weights).path
    if isinstance(weights, os.PathLike):
        path = os.fspath(weights)
        if isinstance(path, str):
            return Path(path)
    names = ", ".join(registry.known_names())
    if not isinstance(weights, str):
        raise TypeError(f"weights must be None, a shipped net's name ({names}) or a path to a "
                        f"weight file, got {type(weights).__name__}")
    if weights.endswith((".pt", ".pth")) or "/" in weights or "\\" in weights:
        return Path(weights)
    raise ValueError(f"weights={weights!r} is neither a shipped net's name ({names}) nor a "
                     "path to a .pt/.pth file")



def _check_shipped_file(weights, path):
    """For a shipped net (None or a name), check its file's SHA-256 (once per file).

    A missing file is left to :func:`read_weight_file`, which names it.
    """
    if not (weights is None or registry.is_shipped_name(weights)):
        return
    record = registry.get_weights(weights)
    key = (str(path.resolve()), record.sha256)
    if key in _VERIFIED or not path.is_file():
        return
    actual = file_sha256(path)
    if actual != record.sha256:
        raise ValueError(f"weight file {str(path)!r} (shipped as {record.name!r}) has SHA-256 "
                         f"{actual}, but {record.sha256} is recorded for it: the file is "
                         "corrupted or was replaced; reinstall sealseg to restore it")
    _VERIFIED.add(key)


def _available_devices(torch):
    """Names of the devices this torch can run the net on, e.g. ['cpu', 'cuda:0']."""
    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{k}" for k in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    return names


def resolve_device(device):
    """None -> 'cuda' when available else 'cpu'; otherwise a checked torch.device.

    Raises
    ------
    TypeError
        ``device`` is not None, a str or a torch.device (an int, bytes ...).
    ValueError
        A device this torch cannot run the net on: an unknown name, CUDA on a
        CPU-only torch or an index past the GPUs, ``"mps"`` where it is not
        available, ``"meta"``, ``"xla"`` ...; the message lists the devices
        that are available.
    """
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return _check_device(torch, device)


def _check_device(torch, device):
    available = _available_devices(torch)
    listed = ", ".join(repr(name) for name in available)
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be None, a device name (str) or a torch.device; got "
                        f"{device!r} of type {type(device).__name__} (available: {listed})")
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device={device!r} is not a device name; available: {listed}"
                         ) from None
    if parsed.type == "cpu" and parsed.index in (None, 0):
        return parsed
    if parsed.type == "cuda" and torch.cuda.is_available() \
            and (parsed.index is None or parsed.index < torch.cuda.device_count()):
        return parsed
    if parsed.type == "mps" and "mps" in available and parsed.index in (None, 0):
        return parsed
    if parsed.type == "cuda" and not torch.cuda.is_available():
        why = "this torch has no CUDA support or sees no GPU"
    elif parsed.type == "cuda":
        why = f"there are {torch.cuda.device_count()} CUDA devices"
    elif parsed.type == "mps" and "mps" not in available:
        why = "this torch has no MPS support or the machine has no Apple GPU"
    elif parsed.type in ("cpu", "mps"):
        why = f"there is one {parsed.type} device, index 0"
    else:
        why = f"the net runs on cpu, cuda or mps only, not on {parsed.type!r}"
    raise ValueError(f"device={device!r} cannot be used: {why}; available: {listed}")


def _infer_config(state_dict):
    """Architecture of a bare PixelAffinityNet state dict, from the tensor shapes."""
    head = state_dict["head.0.weight"]
    mid = state_dict["mid.weight"]
    fuse = state_dict["fuse.0.weight"]
    return dict(width=int(head.shape[0]),
                kernel="1x7" if tuple(head.shape[2:]) == (1, 7) else "7x7",
                use_edges=int(head.shape[1]) == 4,
                one_way=int(mid.shape[0]) == 1,
                fusion=int(fuse.shape[0]))


def _first_line(exc):
    """The informative line of an exception's message.

    ``load_state_dict`` puts "Error(s) in loading state_dict" first and the
    mismatch (e.g. a tensor of another width) on the next lines.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("size mismatch", "Missing key", "Unexpected key")):
            return line
    return lines[0] if lines else type(exc).__name__


#: Largest total size of the tensors of a weight file (bytes, uncompressed).
#: The shipped files hold 0.23 MB; a width-512 net, the largest config
#: allowed, about 60 MB.  Checked on the file's records before anything is read.
MAX_WEIGHT_BYTES = 256 * 2 ** 20
#: Bounds of a weight file's ``config`` values, checked before a net is built
#: from it: (low, high) for the named values; every other integer of the
#: config (or of a list in it) must lie in ``"other integers"``.
CONFIG_BOUNDS = {"width": (1, 512), "fusion": (1, 512), "dilations": (1, 64),
                 "exponent": (1e-3, 64.0), "other integers": (0, 4096)}


def _check_archive(path):
    """Refuse a file whose tensors would be large, before any of it is decompressed.

    ``torch.save`` writes a zip archive of stored (uncompressed) records; the
    central directory gives every record's size without reading it.  A
    compressed record can only be a crafted file (a few hundred kB that
    inflate to gigabytes) and is refused as such.  A legacy (non-zip) torch
    file is stored raw, so its own size bounds what reading it allocates.
    """
    too_large = (f"weight file {str(path)!r} holds more than {MAX_WEIGHT_BYTES // 2 ** 20} MB "
                 "of data, more than any Pixel Affinity Net this package builds; refused "
                 "without reading it")
    if not zipfile.is_zipfile(path):
        if path.stat().st_size > MAX_WEIGHT_BYTES:
            raise ValueError(too_large)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            records = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValueError(f"cannot read weight file {str(path)!r}: corrupt zip archive "
                         f"({exc})") from None
    for record in records:
        if record.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"weight file {str(path)!r} has a compressed record "
                             f"{record.filename!r} ({record.compress_size} bytes inflating to "
                             f"{record.file_size}); torch.save writes none, so the file is "
                             "refused without decompressing it")
    if sum(record.file_size for record in records) > MAX_WEIGHT_BYTES:
        raise ValueError(too_large)


def _check_config(config, path):
    """Refuse config values that would build an absurd net (TB of weights or padding)."""
    where = f"weight file {str(path)!r}"
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise ValueError(f"{where}: config must be a dict of keyword arguments, got "
                         f"{type(config).__name__}")

    def check_number(key, value, low, high):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"{where}: config[{key!r}] must be a number from {low} to "
                             f"{high}, got {value!r}; refused before building the net")

    low_other, high_other = CONFIG_BOUNDS["other integers"]
    for key, value in config.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if len(values) > 64:
            raise ValueError(f"{where}: config[{key!r}] has {len(values)} entries; refused")
        low, high = CONFIG_BOUNDS.get(key, (low_other, high_other))
        for item in values:
            if key in CONFIG_BOUNDS or (isinstance(item, numbers.Integral)
                                        and not isinstance(item, bool)):
                check_number(key, item, low, high)
            elif isinstance(item, numbers.Real) and not isinstance(item, bool) \
                    and not math.isfinite(item):
                check_number(key, item, -math.inf, math.inf)


def _check_tensors(state, expected, path):
    """Shapes against the architecture (before a net is built), then finiteness."""
    import torch

    where = f"weight file {str(path)!r}"
    if not isinstance(state, dict):
        raise ValueError(f"{where}: state_dict must be a dict of tensors, got "
                         f"{type(state).__name__}")
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{where}: state_dict[{key!r}] is a {type(value).__name__}, "
                             "not a tensor")
        if key in expected and tuple(value.shape) != expected[key]:
            raise ValueError(f"{where} does not match the Pixel Affinity Net architecture of "
                             f"its config: size mismatch for {key}: the file has "
                             f"{tuple(value.shape)}, the net {expected[key]}")
    for key, value in state.items():
        # A net's tensors are real floats (and BatchNorm's integer counter):
        # complex values would lose their imaginary part when loaded.
        if value.is_complex() or not (value.is_floating_point() or key.endswith(
                "num_batches_tracked")):
            raise ValueError(f"{where}: {key} holds {str(value.dtype).replace('torch.', '')} "
                             "values; a Pixel Affinity Net's are real floating point, so the "
                             "file is refused")
    for key, value in state.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{where} holds NaN or infinite values in {key}; a net with them "
                             "would predict NaN affinities, so the file is refused")


def _expected_shapes(config):
    """Tensor shapes of the net of ``config``, built on the meta device (no memory)."""
    import torch

    from .model import build_model

    with torch.device("meta"):
        skeleton = build_model(config)
    return {key: tuple(value.shape) for key, value in skeleton.state_dict().items()}


def read_weight_file(weights):
    """A trainable PixelAffinityNet (train mode, BatchNorm kept) from a weight file.

    ``weights`` is None (the default net), a shipped net's name or a path.
    Every way a file can be wrong -> FileNotFoundError/IsADirectoryError/
    ValueError naming the file (for a shipped net, a SHA-256 other than its
    record's too); the file is read with ``weights_only=True``.
    """
    path = weights_path(weights)
    import torch

    from .model import build_model

    expected = ("a sealseg Pixel Affinity Net weight file (a dict with 'config' and "
                "'state_dict', or a PixelAffinityNet state dict)")
    from .._io import not_a_regular_file

    odd = not_a_regular_file(path)     # nothing opened: a FIFO or /dev/zero cannot block
    if odd == "a folder":
        raise IsADirectoryError(f"weight file {str(path)!r} is a folder; expected {expected}")
    if odd == "missing":
        raise FileNotFoundError(f"weight file {str(path)!r} does not exist; expected {expected}")
    if odd is not None:
        raise ValueError(f"weight file {str(path)!r} is not a regular file but {odd}; "
                         f"expected {expected}")
    _check_shipped_file(weights, path)
    _check_archive(path)
    try:
        with warnings.catch_warnings():
            # A foreign pickle makes torch warn about its protocol before it
            # refuses the file; the refusal below is the message that matters.
            warnings.simplefilter("ignore", UserWarning)
            # weights_only=True: tensors and plain containers only, so a
            # weight file can never run code while it is read.
            # No mmap: a memory-mapped tensor whose record is shorter than
            # the tensor reads past its record (other records, or past the
            # end of the file) unchecked; a plain load checks every record's
            # size, and _check_archive has bounded what it reads.
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's own message suggests weights_only=False, which is exactly
        # what must not be done with a file of unknown origin.
        raise ValueError(f"weight file {str(path)!r} holds Python objects other than tensors "
                         "and is refused (loading it could run arbitrary code); expected "
                         f"{expected}") from exc
    except Exception as exc:   # truncated, corrupt or not a torch file
        raise ValueError(f"cannot read weight file {str(path)!r}: truncated, corrupt or not a "
                         f"torch file ({type(exc).__name__}: {_first_line(exc)}); expected "
                         f"{expected}") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"weight file {str(path)!r} holds a {type(payload).__name__}; "
                         f"expected {expected}")
    mismatch = (KeyError, RuntimeError, TypeError, ValueError, AttributeError, IndexError)

    def refuse(exc):
        return ValueError(f"weight file {str(path)!r} does not match the Pixel Affinity Net "
                          f"architecture; expected {expected}. Details: {_first_line(exc)}")

    if "model" in payload and "optimizer" in payload:
        raise ValueError(f"weight file {str(path)!r} is a training checkpoint (it holds "
                         "'model', 'optimizer', 'step' ...), not a weight file: pass the "
                         "model.pt that `python -m sealseg train` writes next to it")
    try:
        if "state_dict" in payload and "config" in payload:
            config, state = dict(payload["config"]), payload["state_dict"]
        else:
            state = payload
            config = _infer_config(state)
    except mismatch as exc:
        raise refuse(exc) from exc
    # Bounds, then shapes, then values, before a net is built; what was read
    # is bounded by _check_archive.
    _check_config(config, path)
    try:
        shapes = _expected_shapes(config)
    except mismatch as exc:
        raise refuse(exc) from exc
    _check_tensors(state, shapes, path)
    try:
        model = build_model(config)
        model.load_state_dict(state, strict=True)
    except mismatch as exc:
        raise refuse(exc) from exc
    return model


def model_file_payload(model):
    """What ships: {"format", "config", "state_dict"} (loads with weights_only=True)."""
    return {"format": "sealseg-pan-1", "config": dict(model.config),
            "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}


def _load(weights, device):
    model = read_weight_file(weights)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    # The cached model only ever runs inference: fold BatchNorm, channels-last.
    return model.fuse_for_inference().to(device)


def get_model(weights=None, device=None):
    """The network for ``weights`` on ``device``, loaded on first use and cached.

    ``weights``: None (the default net), a shipped net's name or a path.  A
    shipped net's file is checked against its record's SHA-256 first (once
    per file), also when the same file is in the cache under its path.
    """
    path = weights_path(weights)
    dev = resolve_device(device)
    _check_shipped_file(weights, path)
    # The file's identity is part of the key: a file replaced at the same
    # path (another training run's model.pt) is loaded again, not served
    # from the cache.
    key = (str(path.resolve()), _file_identity(path), str(dev))
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = _load(weights, dev)
            for stale in [k for k in _CACHE if k[0] == key[0] and k[2] == key[2]]:
                del _CACHE[stale]     # the net of the file's earlier content
            _CACHE[key] = model
    return model


def _file_identity(path):
    """(size, mtime in ns, inode, ctime in ns) of a file; None when it cannot be looked up."""
    try:
        st = os.stat(path)
    except OSError:
        return None     # read_weight_file names what is wrong with it
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns


def clear_cache():
    """Forget every loaded model and checked file (for tests and after replacing a weight file)."""
    with _LOCK:
        _CACHE.clear()
        _VERIFIED.clear()
