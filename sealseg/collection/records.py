"""What a collection run wrote, and from what: the record that makes a resume safe.

Every output folder holds a record (:data:`RECORD_NAME`, one JSON line per
event, appended): before a label file is written, a ``pending`` line names
it; once it (and its overlay) are in place, a ``done`` line gives what it
was made from (the image's path, size and modification time; the method, its
options with its defaults filled in, the hash of the weight file, the format) and what was written (size
and modification time of each output).

A resumed run then

- skips an output only when its ``done`` line matches the image and the
  settings of this run and the file is the one written then;
- redoes an output of its own that no longer matches (another method,
  another ``compactness``, another weight file, an image edited since, a
  default of the segmenter changed by a new release; records written before
  the defaults were recorded count as changed);
- refuses, before anything is written, to replace a file it did not write
  (no line for it) or that was changed since it wrote it, unless
  ``overwrite=True``.

Lines are small single writes to a file opened for appending, so workers of
one machine can add theirs concurrently; a line that cannot be parsed (a run
killed mid-write) is ignored, which at worst redoes an image.
"""
import json
import os
from pathlib import Path

from .._io import file_sha256, file_stamp

__all__ = ["RECORD_NAME", "effective_options", "settings_record", "source_record", "output_record", "read_record",
           "append_record", "relative_name"]

#: File name of the record in the output folder (hidden: never taken as an image).
RECORD_NAME = ".sealseg_record.jsonl"



#: Arguments that are not settings: the image and the count have their own
#: entries, the weights are recorded by their file's hash.
_NOT_SETTINGS = ("image", "n_segments", "weights")
#: Default values recorded as settings; any other default (an object) would
#: not repr the same way in the next run.
_PLAIN_DEFAULTS = (type(None), bool, int, float, str)


def effective_options(function, options):
    """``options`` with the segmenter's own defaults filled in for the rest.

    A default that changes between releases (e.g. ``relax``) is then a
    change of settings, so a resumed run redoes what the old default made.
    """
    import inspect

    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):     # a builtin without a signature: what was given
        return dict(options)
    defaults = {name: param.default for name, param in parameters.items()
                if name not in _NOT_SETTINGS and param.default is not param.empty
                and isinstance(param.default, _PLAIN_DEFAULTS)}
    return {**defaults, **dict(options)}


def settings_record(method, n_segments, format, options):
    """The settings of a run as a JSON-able dict (weights by the SHA-256 of their file).

    ``options`` should be the effective ones (:func:`effective_options`).
    """
    options = dict(options)
    weights = None
    if method == "seal_ers":
        from ..pan import registry
        from ..pan.pretrained import weights_path

        name = options.get("weights")
        if name is None or registry.is_shipped_name(name):
            weights = registry.get_weights(name).sha256
        else:
            weights = file_sha256(weights_path(name))
    return {"method": method, "n_segments": int(n_segments), "format": format,
            "options": {key: repr(options[key]) for key in sorted(options)
                        if key != "weights"},
            "weights_sha256": weights}


def source_record(path):
    """(path, size, modification time in ns) of an image, as a dict."""
    st = os.stat(path)
    return {"source": os.path.realpath(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def output_record(path):
    """[size, modification time in ns] of a written file, None when it is absent."""
    return file_stamp(path)


def relative_name(out_dir, path):
    """The key of an output in the record: its path under ``out_dir``, with ``/``."""
    return Path(path).relative_to(out_dir).as_posix()


def read_record(out_dir):
    """Last line per output name of the record in ``out_dir`` ({} when there is none)."""
    path = Path(out_dir) / RECORD_NAME
    entries = {}
    try:
        handle = open(path, encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return entries
    with handle:
        for line in handle:
            try:
                entry = json.loads(line)
                entries[entry["out"]] = entry
            except (ValueError, KeyError, TypeError):
                continue    # a line cut by a kill: that image is redone
    return entries


def append_record(out_dir, entry):
    """Append one line to the record (one ``write`` of a file opened for appending)."""
    line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(Path(out_dir) / RECORD_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
