"""Finding a dataset's files: folder arguments, regular files, image/label pairs, default roots."""
import os
import warnings
from pathlib import Path

from .._io import not_a_regular_file, path_too_long
from .samples import _Entry

__all__ = ["DATA_ENV", "IMAGE_SUFFIXES", "data_candidates"]

#: Environment variable naming the folder that holds ``BSDS500/`` (and other datasets).
DATA_ENV = "SEALSEG_DATA"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".ppm")


def data_candidates(folder):
    """Where a dataset ``folder`` is looked for: ``$SEALSEG_DATA/<folder>``, then
    ``../shared/datasets/<folder>`` relative to the current directory."""
    candidates = []
    env = os.environ.get(DATA_ENV)
    if env:
        candidates.append(Path(env) / folder)
    candidates.append(Path.cwd().parent / "shared" / "datasets" / folder)
    return candidates


def _check_split(split, allowed):
    if not isinstance(split, str) or split not in allowed:
        raise ValueError(f"split must be one of {', '.join(map(repr, allowed))}, got {split!r}")
    return split


def _as_folder(value, name):
    """``value`` as a Path; a TypeError naming ``name`` for anything not path-like."""
    try:
        path = Path(os.fspath(value))
    except TypeError:
        raise TypeError(f"{name} must be a folder path (str or path-like), got "
                        f"{value!r} of type {type(value).__name__}") from None
    try:
        too_long = path_too_long(path)
    except ValueError:          # an embedded NUL byte
        raise ValueError(f"{name} holds a NUL character, which no path can") from None
    if too_long:
        raise ValueError(f"{name} is a path too long for the file system "
                         f"({len(str(path))} characters)")
    return path


def _regular_files(paths, stacklevel):
    """The regular files (or links to them) of ``paths``, in order.

    Any other entry (a FIFO, socket, device, folder, symlink loop or broken
    link) is never opened, since a FIFO would block its reader, and is not
    silently dropped either: a ``UserWarning`` names it and says what it
    is, so a dataset that shrank is noticed.  ``stacklevel`` points the
    warning at the loader's caller.
    """
    files = []
    for path in paths:
        kind = not_a_regular_file(path)
        if kind is None:
            files.append(path)
        else:
            warnings.warn(f"{path} is {kind}, not a regular file: left out of the dataset",
                          UserWarning, stacklevel=stacklevel + 1)
    return files


def _image_files(folder):
    # Called from the loaders through _paired_entries: their caller is 4 up.
    return _regular_files(sorted(p for p in Path(folder).iterdir()
                                 if p.suffix.lower() in IMAGE_SUFFIXES), stacklevel=4)


def _check_label_file(label, image, image_word, label_word):
    """FileNotFoundError for a missing label file, ValueError for one that is not a file."""
    kind = not_a_regular_file(label)
    if kind == "missing":
        raise FileNotFoundError(f"{image_word} {image} has no {label_word} {label}")
    if kind is not None:
        raise ValueError(f"{label_word} {label} of {image_word} {image} is {kind}, "
                         "not a regular file; it is not read")


def _require_folders(folders, message):
    """FileNotFoundError(``message(folder)``) for the first of ``folders`` that is missing."""
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(message(folder))


def _paired_entries(image_dir, label_dir, kind, image_word, label_word, if_empty):
    """One entry per image of ``image_dir`` with its ``<stem>.<kind>`` file of ``label_dir``.

    Raises FileNotFoundError for an image without its label file, or (with
    the message ``if_empty``) for a folder without images.
    """
    entries = []
    for path in _image_files(image_dir):
        label = label_dir / f"{path.stem}.{kind}"
        _check_label_file(label, path, image_word, label_word)
        entries.append(_Entry(path.stem, path, label, kind))
    if not entries:
        raise FileNotFoundError(if_empty)
    return entries


def find_root(title, folder, root, required, source):
    """The dataset folder: ``root`` if given, else the first default with ``required``.

    ``required`` are sub-folders that must exist; FileNotFoundError lists
    where it looked and where the data comes from (``source``).
    """
    tried = data_candidates(folder) if root is None else [_as_folder(root, "root")]
    for candidate in tried:
        if all((candidate / sub).is_dir() for sub in required):
            return candidate
    raise FileNotFoundError(
        f"{title} not found (looked for {', '.join(r + '/' for r in required)} in: "
        f"{', '.join(str(p) for p in tried)}); pass root=<the {folder} folder> or set "
        f"{DATA_ENV} to the folder that holds {folder}/ ({source})")
