"""File input and output shared by the tools: atomic writes, images, label maps.

One home for each: :func:`atomic_write` (every file the package writes that a
reader or a resumed run may find: label maps, results tables, plots, training
checkpoints), :func:`read_image` (every image the package reads from a file)
and :func:`read_labels` / :func:`write_labels` (label maps of
``segment_collection``).  numpy, PIL and (when present) tifffile only; never
torch.
"""
import errno
import hashlib
import os
import stat
import tempfile
import threading
from pathlib import Path

import numpy as np

__all__ = ["file_sha256", "file_stamp", "atomic_write", "atomic_write_text", "read_image", "read_labels", "write_labels",
           "image_size", "not_a_regular_file", "LABEL_FORMATS", "PNG16_MAX", "TMP_PREFIX"]

#: Prefix of the temporary files of :func:`atomic_write` (hidden files).
TMP_PREFIX = ".sealseg-"
#: Label file formats of :func:`write_labels` and their file name endings.
LABEL_FORMATS = {"png16": ".png", "npy": ".npy"}
#: Largest label a 16-bit PNG can hold.
PNG16_MAX = 65535



def file_stamp(path):
    """``[size, modification time in ns]`` of a file, None when it cannot be looked up.

    What the run records of ``batch`` and ``evaluate`` compare to tell a file
    that changed since it was recorded.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "three"
    >>> _ = path.write_bytes(b"abc")
    >>> file_stamp(path)[0], file_stamp(path.with_name("absent"))
    (3, None)
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns]


def file_sha256(path):
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write(path, write):
    """Call ``write(handle)`` on a temporary binary file next to ``path``, then rename it.

    The rename is atomic on POSIX and Windows file systems (and on NFS), so
    ``path`` is either absent, its old content, or complete: never half
    written, even when the process is killed.  The data is flushed to disk
    before the rename (on shared storage it must be there before the file
    shows up as complete).  The temporary file is removed on any error.
    The file gets the permissions ``open`` would give it: those of the file
    it replaces, else ``0o666`` less the umask (a temporary file is created
    ``0o600``, which would hide results from others on shared storage).

    Parameters
    ----------
    path : str or path-like
        File to write; its folder is created if missing.
    write : callable
        ``write(handle)`` writes the content to the open binary ``handle``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sealseg._io import atomic_write
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> atomic_write(path, lambda handle: handle.write(b"data"))
    >>> path.read_bytes()
    b'data'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{path.name}.", suffix=".tmp",
                               dir=path.parent)
    try:
        if hasattr(os, "fchmod"):   # POSIX
            os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_UMASK_LOCK = threading.Lock()


def _umask():
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status") as status:     # Linux >= 4.7
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:   # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _mode_for(path):
    """Permissions of the file ``path`` will be: those it has, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8, newlines as given) to ``path`` through :func:`atomic_write`."""
    data = text.encode("utf-8")
    atomic_write(path, lambda handle: handle.write(data))


_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device")]


def not_a_regular_file(path):
    """None for a regular file (or a link to one); else what ``path`` is, in words.

    Nothing is opened: a FIFO is recognised, not read.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> from sealseg._io import not_a_regular_file
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "a.png").touch(); os.symlink("a.png", root / "link.png")
    >>> os.symlink("loop.png", root / "loop.png"); os.mkfifo(root / "pipe.png")
    >>> [not_a_regular_file(root / name) for name in ("a.png", "link.png", "loop.png",
    ...                                                "pipe.png", "missing.png")]
    [None, None, 'a symlink loop', 'a FIFO (named pipe)', 'missing']
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        if exc.errno == errno.ENOENT:
            return "a broken link" if os.path.islink(path) else "missing"
        if exc.errno == errno.ENAMETOOLONG:
            return "a path too long for the file system"
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def path_too_long(path):
    """True when the file system refuses the name ``path`` as too long (ENAMETOOLONG).

    ``Path.exists()`` and ``is_dir()`` hide a missing file but raise on such
    a name, from whichever call first touches it: callers check here and say
    so in their own error type.  A NUL character raises ValueError, as in
    ``os.stat``.

    Examples
    --------
    >>> from sealseg._io import path_too_long
    >>> path_too_long("x" * 100_000), path_too_long("missing.png")
    (True, False)
    """
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ENAMETOOLONG
    return False


def read_image(path):
    """An image file as an array of its own dtype: nothing clipped, no bit depth lost.

    Parameters
    ----------
    path : str or path-like
        Image file (PNG, JPEG, TIFF, BMP, ...).

    Returns
    -------
    image : ndarray
        Grey images are 2-D: ``uint8``, ``uint16`` (16-bit PNG, PGM or
        TIFF), ``int32`` (32-bit integer TIFF) or ``float32`` (float TIFF).
        RGB images are ``(H, W, 3)`` of the file's dtype (16-bit RGB TIFF,
        PNG and PPM files stay ``uint16``; planar TIFFs are read as such).
        Grey + alpha becomes grey; palette, RGBA, CMYK and bilevel images
        become 8-bit RGB (alpha dropped).  Values are as stored, with one
        exception: samples a file declares to have fewer bits than their
        dtype (a PGM/PPM ``maxval`` of 4095, a 12-bit TIFF, a 16-bit PNG
        whose ``sBIT`` chunk says 12 and whose values were not scaled) are
        scaled onto the dtype's range, so that the dtype's maximum is white
        in every image.  Rescaling for the net is the segmenter's business.

    Raises
    ------
    OSError, ValueError
        If the file is missing or cannot be opened (OSError), or is not an
        image this package reads (ValueError with the reason): not a regular
        file (a FIFO, socket, device, folder or symlink loop is recognised
        without being opened, so none can block), an undecodable file,
        several images in one file (a multi-page TIFF, an animated GIF, PNG
        or WebP; a camera's MPO is read as its first picture), more pixels
        than PIL's decompression-bomb limit (read from the header, nothing
        decoded), a TIFF that is neither grey nor RGB.

    Notes
    -----
    The format is told by the file's first bytes, not its name.  TIFF files
    are read with ``tifffile`` (it keeps every sample format); 16-bit colour
    and grey + alpha PNG files, which PIL would read at 8 bits, with OpenCV
    (``opencv-python-headless``; without it they are refused with a
    ``ValueError`` rather than read at 8 bits); PGM/PPM files of more than
    8 bits here; all other files with PIL.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from PIL import Image
    >>> from sealseg._io import read_image
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "deep.png"
    >>> Image.fromarray(np.array([[0, 4095]], np.uint16)).save(path)
    >>> image = read_image(path)
    >>> image.dtype, image.max()
    (dtype('uint16'), np.uint16(4095))
    """
    path = Path(path)
    odd = not_a_regular_file(path)
    if odd == "missing":
        raise FileNotFoundError(errno.ENOENT, "no such image file", str(path))
    if odd is not None:
        raise ValueError(f"{path} is not a regular file but {odd}; not read")
    from ._image_read import decode_image

    return decode_image(path)


def write_labels(path, labels, format="png16"):
    """Write a label map atomically: ``"png16"`` (16-bit grey PNG) or ``"npy"`` (int64).

    ``"npy"`` holds the labels as the segmenters return them (int64, as
    slic's): ``segment --labels`` and ``batch --format npy`` both write it
    here, so their files have one dtype, and no label is narrowed.

    Raises
    ------
    ValueError
        If ``format`` is unknown, or a label does not fit a 16-bit PNG.
    """
    if format not in LABEL_FORMATS:
        raise ValueError(f"format must be one of {', '.join(LABEL_FORMATS)}, got {format!r}")
    labels = np.asarray(labels)
    if format == "png16":
        from PIL import Image

        if labels.max() > PNG16_MAX:
            raise ValueError(f"labels up to {labels.max()} do not fit a 16-bit PNG "
                             f"(max {PNG16_MAX}); use format='npy'")
        picture = Image.fromarray(labels.astype(np.uint16))
        atomic_write(path, lambda handle: picture.save(handle, format="PNG"))
    else:
        labels = labels.astype(np.int64, casting="safe", copy=False)
        atomic_write(path, lambda handle: np.save(handle, labels))


def read_labels(path):
    """A label file written by :func:`write_labels` (.png or .npy) as int64.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from sealseg._io import read_labels, write_labels
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.png"
    >>> write_labels(path, np.array([[1, 2], [3, 300]]))
    >>> read_labels(path)
    array([[  1,   2],
           [  3, 300]])
    """
    path = Path(path)
    if path.suffix == ".npy":
        return np.load(path).astype(np.int64)
    from PIL import Image

    with Image.open(path) as opened:
        return np.asarray(opened).astype(np.int64)


def image_size(path):
    """(height, width) of an image file from its header (nothing is decoded)."""
    from PIL import Image

    with Image.open(path) as opened:
        return opened.size[::-1]
