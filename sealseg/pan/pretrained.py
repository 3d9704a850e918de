"""Registry of shipped Pixel Affinity Net weights, loaded lazily and cached.

A weight file is a ``torch.save`` of ``{"format": "sealseg-pan-1", "config":
{...PixelAffinityNet keyword arguments...}, "state_dict": {...}}``; it loads with
``torch.load(..., weights_only=True)``.  A bare state dict is accepted too: its
architecture is then read off the tensor shapes.
"""
import threading
from pathlib import Path

__all__ = ["REGISTRY", "weights_path", "get_model", "resolve_device", "clear_cache"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: Registered names -> file in ``sealseg/pan/weights``.
REGISTRY = {
    "bsds500": "pan_bsds500_seal_c32.pt",
}

_CACHE = {}
_LOCK = threading.Lock()


def weights_path(weights):
    """File of a registered name or of a path; raises ValueError/TypeError otherwise."""
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


def _load(path, device):
    import torch

    from .model import PixelAffinityNet

    expected = ("a sealseg Pixel Affinity Net weight file (a dict with 'config' and "
                "'state_dict', or a PixelAffinityNet state dict)")
    if not path.is_file():
        raise FileNotFoundError(f"weight file {str(path)!r} does not exist; expected {expected}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:   # corrupt or not a torch file
        raise ValueError(f"cannot read weight file {str(path)!r} ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}); expected "
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
        model = PixelAffinityNet(**config)
        model.load_state_dict(state, strict=True)
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ValueError(f"weight file {str(path)!r} does not match the Pixel Affinity Net "
                         f"architecture; expected {expected}. Details: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                         ) from exc
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)


def get_model(weights="bsds500", device=None):
    """The network for ``weights`` on ``device``, loaded on first use and cached."""
    path = weights_path(weights)
    dev = resolve_device(device)
    key = (str(path.resolve()), str(dev))
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = _load(path, dev)
            _CACHE[key] = model
    return model


def clear_cache():
    """Forget every loaded model (for tests and after replacing a weight file)."""
    with _LOCK:
        _CACHE.clear()
