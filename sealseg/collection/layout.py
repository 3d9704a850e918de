"""Where a collection is read and written: its image files and their output files.

Only regular files are read: a folder scan or a list of paths may hold
symlink loops, broken links, FIFOs, sockets or devices under image names,
and each is reported (with what it is) instead of being opened; ``os.stat``
tells them apart without opening anything, so a FIFO cannot block the run.

No output may overwrite an input: outputs that are (or, through a link or a
case-insensitive file system, would be) one of the images are refused before
anything is written, as are two outputs of the same name.
"""
import os
import tempfile
from pathlib import Path

from .._io import LABEL_FORMATS, TMP_PREFIX, not_a_regular_file

__all__ = ["IMAGE_EXTENSIONS", "scan_folder", "check_files", "not_a_regular_file",
           "output_paths", "check_outputs", "check_writable"]

#: File name endings (lower case) taken as images when a folder is scanned.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp",
                    ".ppm", ".pgm", ".pnm")

def scan_folder(folder, *, exclude=None):
    """Image files under ``folder`` (recursive, sorted) and the odd entries met.

    Returns
    -------
    images : list of pathlib.Path
        Regular files (or links to them) whose name ends in one of
        :data:`IMAGE_EXTENSIONS`, hidden entries and ``exclude`` left out.
        Links to folders are followed, each folder once (no loops).
    odd : list of (pathlib.Path, str)
        Entries with an image name that are not regular files, with what
        they are (a symlink loop, a FIFO, ...).
    """
    folder = Path(folder)
    skip = _identity(exclude) if exclude is not None else None
    images, odd = [], []
    # Links to folders are followed (a collection assembled from links is
    # common); each folder is entered once, so a link to a parent cannot
    # loop and a folder reached twice is not segmented twice.
    seen = {_identity(folder)}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        here = Path(dirpath)
        # Prune hidden folders, the output folder and folders already seen in
        # place (os.walk honours it).
        kept = []
        for name in sorted(dirnames):
            identity = _identity(here / name)
            if name.startswith(".") or identity is None or identity in seen \
                    or (skip is not None and identity == skip):
                continue
            seen.add(identity)
            kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            reason = not_a_regular_file(here / name)
            if reason is None:
                images.append(here / name)
            else:
                odd.append((here / name, reason))
    return sorted(images), sorted(odd)


def check_files(paths):
    """Split a list of paths into regular files and (path, what it is) for the others."""
    images, odd = [], []
    for path in paths:
        reason = not_a_regular_file(path)
        if reason is None:
            images.append(path)
        else:
            odd.append((path, reason))
    return images, odd


def _identity(path):
    """(device, inode) of an existing path (links followed), else None."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _case_insensitive(folder):
    """True when file names in ``folder`` (or its nearest existing parent) ignore case."""
    folder = Path(folder)
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    try:
        fd, probe = tempfile.mkstemp(prefix=f"{TMP_PREFIX}case-probe-", dir=folder)
    except OSError:
        return False     # unwritable: check_writable says so
    os.close(fd)
    try:
        name = os.path.basename(probe)
        return os.path.exists(os.path.join(folder, name.upper()))
    finally:
        os.unlink(probe)


def output_paths(sources, root, out_dir, fmt, overlay, folder=None):
    """Label file (and overlay file or None) of each source, keeping the layout under root.

    An image reached through a link to a folder outside ``root`` keeps its
    layout under the scanned ``folder`` (the path it was found at).
    """
    outs, overlays = [], []
    for source in sources:
        try:
            relative = Path(os.path.realpath(source)).relative_to(root)
        except ValueError:
            try:
                relative = Path(os.path.abspath(source)).relative_to(os.path.abspath(folder))
            except (ValueError, TypeError):
                relative = Path(source.name)
        out = out_dir / relative.with_suffix(LABEL_FORMATS[fmt])
        outs.append(out)
        overlays.append(out.with_name(out.stem + ".overlay.png") if overlay else None)
    return outs, overlays


def check_outputs(sources, outs, overlays, out_dir, folder=None):
    """Refuse outputs that would overwrite an input or each other (ValueError).

    Checked before anything is written: the output folder is the input
    folder; an output file is one of the images (same file through any
    path: links, ``..``, another case on a case-insensitive file system,
    hard links); two outputs (label files and overlays) are the same file.
    """
    if folder is not None and _identity(folder) is not None \
            and _identity(folder) == _identity(out_dir):
        raise ValueError(f"out_dir {str(out_dir)!r} is the input folder: the label files "
                         "would be written among the images (overwriting those of the same "
                         "name, and read as images by the next run); choose another folder")
    inputs = {}
    for source in sources:
        inputs.setdefault(_identity(source), source)
    fold = _case_insensitive(out_dir)
    written = {}
    for source, out, over in zip(sources, outs, overlays):
        for path in (out, over):
            if path is None:
                continue
            same = inputs.get(_identity(path)) if os.path.lexists(path) else None
            if same is not None:
                raise ValueError(f"the output {str(path)!r} of {str(source)!r} is the input "
                                 f"image {str(same)!r}; it would be overwritten. Choose an "
                                 "out_dir outside the images' folders")
            key = os.path.normpath(path)
            key = key.casefold() if fold else key
            if key in written and written[key][1] != source:
                raise ValueError(f"{str(written[key][1])!r} and {str(source)!r} would write the "
                                 f"same output file {str(path)!r}; rename one of them or "
                                 "segment them separately")
            written[key] = (path, source)


def check_writable(out_dir):
    """Create ``out_dir`` if missing and check a file can be written there (OSError).

    Checked once, up front: otherwise every image would be segmented (and
    retried) before its write failed.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f"{TMP_PREFIX}write-probe-", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OSError(exc.errno, f"out_dir {str(out_dir)!r} is not writable: "
                                 f"{exc.strerror or exc}") from None
