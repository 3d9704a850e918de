"""What the rows of an evaluation were computed from, so that a resume redoes what changed.

``inputs.json`` in the output folder holds, for the rows of ``results.csv``,

- ``images``: per sample name, the size and modification time (ns) of its
  image and annotation files;
- ``methods``: per method name, what identifies it beyond its name: the
  SHA-256 of its weight file (``seal_ers``, ``seal_fh``, ``seal_ers@FILE``
  ...), or ``null`` where nothing more is known (a callable, a
  ``module:function``: its rows are kept as long as its name is).

A resumed run drops the rows whose image or method no longer matches and
computes them again.
"""
import json
import os

from .._io import atomic_write_text, file_sha256, file_stamp

__all__ = ["INPUTS_FILE", "dataset_root", "image_fingerprints", "method_fingerprints",
           "stale_rows", "write_inputs"]

INPUTS_FILE = "inputs.json"
# Methods on the shipped default weights (their rows depend on that file).
_SHIPPED_WEIGHT_METHODS = ("seal_ers", "seal_ers4", "seal_fh")


def _entries(data, n_images):
    # Datasets of sealseg.datasets keep their files in entries (image_path,
    # label_path); other sequences of samples have no files to look at.
    entries = getattr(data, "_entries", None)
    return list(entries[:n_images]) if isinstance(entries, list) else []


def dataset_root(data, n_images):
    """The folder holding the dataset's images (real path), or None when unknown."""
    parents = [os.path.dirname(os.path.realpath(e.image_path))
               for e in _entries(data, n_images) if getattr(e, "image_path", None)]
    return os.path.commonpath(parents) if parents else None


def _stat(path):
    """The file's stamp; None for a sample without that file (``path`` None)."""
    return None if path is None else file_stamp(path)


def image_fingerprints(data, n_images):
    """Sample name -> [[size, mtime] of the image, of the annotation] (files of the dataset)."""
    return {e.name: [_stat(getattr(e, "image_path", None)), _stat(getattr(e, "label_path", None))]
            for e in _entries(data, n_images)}



def method_fingerprints(methods):
    """Method name -> SHA-256 of the weights its rows depend on, or None.

    ``methods`` in any form :func:`sealseg.methods.resolve_methods` takes
    (resolved already: names and weight files are known to be valid).
    """
    from ..pan import registry
    from ..pan.pretrained import weights_path

    if isinstance(methods, dict):
        items = list(methods.items())
    elif isinstance(methods, (str, bytes)) or callable(methods):
        items = [(methods, methods)]
    else:
        items = [(m, m) for m in methods]
    prints = {}
    for name, method in items:
        if not isinstance(name, str):
            continue        # a callable: only its name identifies it
        if isinstance(method, str) and method in _SHIPPED_WEIGHT_METHODS:
            prints[name] = registry.get_weights(None).sha256      # the default net
        elif isinstance(method, str) and method.startswith("seal_ers@"):
            weights = method.partition("@")[2]
            prints[name] = (registry.get_weights(weights).sha256
                            if registry.is_shipped_name(weights)
                            else file_sha256(weights_path(weights)))
        else:
            prints[name] = None
    return prints


def stale_rows(out, images, methods):
    """Predicate on result rows: True for rows computed from other inputs than these."""
    try:
        with open(out / INPUTS_FILE, encoding="utf-8") as handle:
            previous = json.load(handle)
        old_images, old_methods = previous["images"], previous["methods"]
    except (OSError, ValueError, KeyError, TypeError):
        # No record (an earlier version's folder): nothing is known to be stale.
        return lambda row: False

    def stale(row):
        name, method = row["image"], row["method"]
        if name in images and name in old_images and images[name] != old_images[name]:
            return True
        return method in methods and old_methods.get(method, methods[method]) != methods[method]

    return stale


def write_inputs(out, images, methods):
    """Record the inputs of the rows now in ``results.csv`` (merged with the earlier ones)."""
    try:
        with open(out / INPUTS_FILE, encoding="utf-8") as handle:
            previous = json.load(handle)
        merged_images, merged_methods = dict(previous["images"]), dict(previous["methods"])
    except (OSError, ValueError, KeyError, TypeError):
        merged_images, merged_methods = {}, {}
    merged_images.update(images)
    merged_methods.update(methods)
    atomic_write_text(out / INPUTS_FILE, json.dumps(
        {"images": merged_images, "methods": merged_methods}, indent=1, sort_keys=True) + "\n")
