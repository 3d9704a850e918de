"""Registry of shipped Pixel Affinity Net weights, loaded lazily and cached.

A weight file is a ``torch.save`` of ``{"format": "sealseg-pan-1", "config":
{...PixelAffinityNet keyword arguments...}, "state_dict": {...}}``; it loads with
``torch.load(..., weights_only=True)``.  A bare state dict is accepted too: its
architecture is then read off the tensor shapes.

A shipped file (a registered name) is checked against the SHA-256 recorded
for it in :data:`SHA256` before it is first read, once per file and process;
a file given by path is not (no digest is known for it).
"""
import hashlib
import pickle
import threading
import warnings
from pathlib import Path

__all__ = ["REGISTRY", "SHA256", "weights_path", "read_weight_file", "get_model",
           "resolve_device", "clear_cache"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: Registered names -> file in ``sealseg/pan/weights``.  Both nets are width
#: 32 without the edge channel, trained on BSDS500 train on a CPU (records in
#: ``training/README.md``).  "bsds500", the default: residual blocks dilated
#: 1, 2, 4, trained with HED's class-balanced loss (not SEAL) and read with
#: the affinity exponent 2 chosen on BSDS500 val; it gave the better
#: superpixels on every ASA and boundary-recall figure of the val split.
#: "bsds500-seal": the paper's shape (no dilation) trained with the SEAL loss
#: only, exponent 1.
REGISTRY = {
    "bsds500": "pan_bsds500_bbce_dilated_c32.pt",
    "bsds500-seal": "pan_bsds500_seal_c32.pt",
}

#: Registered names -> SHA-256 (hex) of their file, checked before the file is
#: first read: a truncated, corrupted or replaced package file is refused with
#: an error naming it instead of loading as another net.  Update it with the
#: file (``sha256sum sealseg/pan/weights/*.pt``).
SHA256 = {
    "bsds500": "69eb3ac19f895759367297567cab10fb21733347d32ff54087ce897f130b8c3c",
    "bsds500-seal": "531a76c92bfc69d9b80abfd31d555194954cd9f3f218c938d3c29d64f82774fe",
}

_CACHE = {}
_LOCK = threading.Lock()
# (resolved path, expected digest) of the shipped files already checked.  Set
# operations are atomic, so no lock: two threads may at worst both hash a file.
_VERIFIED = set()


def weights_path(weights):
    """File of a registered name or of a path; raises ValueError/TypeError otherwise.

    Only resolves the name; the file's SHA-256 is checked when it is read.
    """
    if isinstance(weights, Path):
        return weights
    if not isinstance(weights, str):
        raise TypeError(f"weights must be a registered name ({', '.join(sorted(REGISTRY))}) or "
                        f"a path to a weight file, got {type(weights).__name__}")
    if weights in REGISTRY:
        return WEIGHTS_DIR / REGISTRY[weights]
    if weights.endswith((".pt", ".pth")) or "/" in weights or "\\" in weights:
        return Path(weights)
    raise ValueError(f"weights={weights!r} is neither a registered name "
                     f"({', '.join(sorted(REGISTRY))}) nor a path to a .pt/.pth file")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_shipped_file(weights, path):
    """For a registered name, check its file's SHA-256 (once per file); else nothing.

    A missing file is left to :func:`read_weight_file`, which names it.
    """
    if not (isinstance(weights, str) and weights in REGISTRY):
        return
    expected = SHA256.get(weights)
    if expected is None:
        raise ValueError(f"registered weights {weights!r} have no SHA-256 recorded in "
                         "sealseg.pan.pretrained.SHA256; every shipped file needs one")
    key = (str(path.resolve()), expected)
    if key in _VERIFIED or not path.is_file():
        return
    actual = _sha256(path)
    if actual != expected:
        raise ValueError(f"weight file {str(path)!r} (registered as {weights!r}) has SHA-256 "
                         f"{actual}, but {expected} is recorded for it: the file is corrupted "
                         "or was replaced; reinstall sealseg to restore it")
    _VERIFIED.add(key)


def resolve_device(device):
    """None -> 'cuda' when available else 'cpu'; otherwise a torch.device."""
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be None, 'cpu', 'cuda' or a torch.device, "
                         f"got {device!r}") from exc


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


def read_weight_file(weights):
    """A trainable PixelAffinityNet (train mode, BatchNorm kept) from a weight file.

    ``weights`` is a registered name or a path.  Every way a file can be
    wrong -> FileNotFoundError/IsADirectoryError/ValueError naming the file
    (for a registered name, a SHA-256 other than the recorded one too); the
    file is read with ``weights_only=True``.
    """
    path = weights_path(weights)
    import torch

    from .model import build_model

    expected = ("a sealseg Pixel Affinity Net weight file (a dict with 'config' and "
                "'state_dict', or a PixelAffinityNet state dict)")
    if path.is_dir():
        raise IsADirectoryError(f"weight file {str(path)!r} is a folder; expected {expected}")
    if not path.is_file():
        raise FileNotFoundError(f"weight file {str(path)!r} does not exist; expected {expected}")
    _check_shipped_file(weights, path)
    try:
        with warnings.catch_warnings():
            # A foreign pickle makes torch warn about its protocol before it
            # refuses the file; the refusal below is the message that matters.
            warnings.simplefilter("ignore", UserWarning)
            # weights_only=True: tensors and plain containers only, so a
            # weight file can never run code while it is read.
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
    try:
        if "state_dict" in payload and "config" in payload:
            config, state = dict(payload["config"]), payload["state_dict"]
        else:
            state = payload
            config = _infer_config(state)
        model = build_model(config)
        model.load_state_dict(state, strict=True)
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ValueError(f"weight file {str(path)!r} does not match the Pixel Affinity Net "
                         f"architecture; expected {expected}. Details: "
                         f"{_first_line(exc)}") from exc
    return model


def _load(weights, device):
    model = read_weight_file(weights)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    # The cached model only ever runs inference: fold BatchNorm, channels-last.
    return model.fuse_for_inference().to(device)


def get_model(weights="bsds500", device=None):
    """The network for ``weights`` on ``device``, loaded on first use and cached.

    A registered name's file is checked against its recorded SHA-256 first
    (once per file), also when the same file is in the cache under its path.
    """
    path = weights_path(weights)
    dev = resolve_device(device)
    _check_shipped_file(weights, path)
    key = (str(path.resolve()), str(dev))
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = _load(weights, dev)
            _CACHE[key] = model
    return model


def clear_cache():
    """Forget every loaded model and checked file (for tests and after replacing a weight file)."""
    with _LOCK:
        _CACHE.clear()
        _VERIFIED.clear()
