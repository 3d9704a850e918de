"""Readers for superpixel benchmark datasets.

Each loader returns a :class:`Dataset`: a sized, indexable sequence of
:class:`Sample` objects (``.name``, ``.image`` as uint8 RGB ``(H, W, 3)``,
``.groundtruths`` as a list of int64 ``(H, W)`` label maps).  Files are found
when the loader is called and read when a sample is accessed, so a dataset is
cheap to create and to send to worker processes.

The data is never part of the package: it is read from a path.
"""
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._io import not_a_regular_file, path_too_long

__all__ = ["Sample", "Dataset", "load_bsds500", "load_cityscapes", "load_folder",
           "bsds500_root", "DATA_ENV"]

_BSDS500_URL = ("https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/"
                "resources.html")
_CITYSCAPES_URL = "https://www.cityscapes-dataset.com/downloads/"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".ppm")


@dataclass(frozen=True)
class Sample:
    """One image and its ground-truth annotations.

    Attributes
    ----------
    name : str
        Identifier of the image within its dataset (file stem).
    image : (M, N, 3) ndarray of uint8
        RGB image.
    groundtruths : list of (M, N) ndarray of int64
        One label map per human annotation.
    """

    name: str
    image: np.ndarray = field(repr=False)
    groundtruths: list = field(repr=False)


@dataclass(frozen=True)
class _Entry:
    name: str
    image_path: Path
    label_path: Path
    kind: str  # "mat" (BSDS500 groundTruth) or "png" (one label map)


class Dataset:
    """A sized, indexable sequence of :class:`Sample`, read lazily.

    Parameters
    ----------
    name : str
        Dataset name (``'bsds500'``, ``'cityscapes'``, ``'folder'``).
    entries : list
        The files of each sample (internal).

    Examples
    --------
    >>> from sealseg.datasets import load_bsds500
    >>> dataset = load_bsds500(split="val")          # doctest: +SKIP
    >>> len(dataset), dataset.names[:2]              # doctest: +SKIP
    (100, ['101085', '101087'])
    >>> sample = dataset[0]                          # doctest: +SKIP
    >>> sample.image.shape, len(sample.groundtruths)  # doctest: +SKIP
    ((321, 481, 3), 5)
    """

    def __init__(self, name, entries):
        self.name = name
        self._entries = list(entries)

    @property
    def names(self):
        """Names of the samples, in order."""
        return [e.name for e in self._entries]

    def __len__(self):
        return len(self._entries)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Dataset(self.name, self._entries[index])
        if isinstance(index, str):
            for entry in self._entries:
                if entry.name == index:
                    return _read_entry(entry)
            raise KeyError(f"no sample named {index!r} in the {self.name} dataset")
        return _read_entry(self._entries[index])

    def __iter__(self):
        for entry in self._entries:
            yield _read_entry(entry)

    def __repr__(self):
        return f"<Dataset {self.name!r}: {len(self)} samples>"


# --------------------------------------------------------------------------- reading

def _read_image(path):
    from ._io import read_image

    try:
        image = read_image(path)
    except Exception as exc:  # PIL raises many types
        raise ValueError(f"cannot read image {path}: {exc}") from None
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    elif image.ndim == 3 and image.shape[-1] == 4:
        image = image[..., :3]
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"image {path} has shape {image.shape}; expected an RGB or grey image")
    if image.dtype != np.uint8:
        # Samples are 8-bit RGB (see Sample); 16-bit files keep their top 8 bits.
        if image.dtype == np.uint16:
            image = (image // 257).astype(np.uint8)
        else:
            raise ValueError(f"image {path} has dtype {image.dtype}; expected uint8 or uint16")
    return np.ascontiguousarray(image)


def _read_label_png(path):
    from ._io import read_labels

    try:
        labels = read_labels(path)
    except Exception as exc:
        raise ValueError(f"cannot read label map {path}: {exc}") from None
    if labels.ndim != 2:
        raise ValueError(f"label map {path} must be a single-channel integer PNG "
                         f"(8 or 16 bit), got shape {labels.shape}")
    return np.ascontiguousarray(labels, dtype=np.int64)


def _read_bsds_mat(path):
    from scipy import io

    try:
        cells = io.loadmat(path)["groundTruth"]
        maps = [np.ascontiguousarray(cells[0, k]["Segmentation"][0, 0], dtype=np.int64)
                for k in range(cells.shape[1])]
    except Exception as exc:
        raise ValueError(f"cannot read BSDS500 ground truth {path} (expected a .mat file "
                         f"with a 1xK 'groundTruth' cell of 'Segmentation' maps): {exc}") from None
    if not maps:
        raise ValueError(f"BSDS500 ground truth {path} holds no annotation")
    for m in maps:
        if m.ndim != 2:
            raise ValueError(f"BSDS500 ground truth {path} has a map of shape {m.shape}")
    return maps


def _read_entry(entry):
    image = _read_image(entry.image_path)
    if entry.kind == "mat":
        groundtruths = _read_bsds_mat(entry.label_path)
    else:
        groundtruths = [_read_label_png(entry.label_path)]
    for g in groundtruths:
        if g.shape != image.shape[:2]:
            raise ValueError(f"ground truth {entry.label_path} has shape {g.shape} but image "
                             f"{entry.image_path} has shape {image.shape[:2]}")
    return Sample(entry.name, image, groundtruths)


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
                                 if p.suffix.lower() in _IMAGE_SUFFIXES), stacklevel=4)


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


# --------------------------------------------------------------------------- BSDS500

#: Environment variable naming the folder that holds ``BSDS500/`` (and other datasets).
DATA_ENV = "SEALSEG_DATA"


def _bsds500_candidates():
    candidates = []
    env = os.environ.get(DATA_ENV)
    if env:
        candidates.append(Path(env) / "BSDS500")
    candidates.append(Path.cwd().parent / "shared" / "datasets" / "BSDS500")
    return candidates


def bsds500_root(root=None):
    """The BSDS500 folder: ``root`` if given, else the first default that exists.

    The one place where sealseg looks for BSDS500 (``load_bsds500``, ``python
    -m sealseg evaluate`` and ``train``, the benchmarks and the tests use it).

    Parameters
    ----------
    root : str or path-like, optional
        A BSDS500 folder (release layout ``data/images/<split>``, or its
        ``data`` folder).  By default ``$SEALSEG_DATA/BSDS500``, then
        ``../shared/datasets/BSDS500`` relative to the current directory.

    Returns
    -------
    root : pathlib.Path
        The folder, as given or found.

    Raises
    ------
    FileNotFoundError
        If no BSDS500 is there; the message lists where it looked and how to
        get the data.
    TypeError
        If ``root`` is not path-like.

    Examples
    --------
    >>> from sealseg.datasets import bsds500_root
    >>> bsds500_root()                               # doctest: +SKIP
    PosixPath('../shared/datasets/BSDS500')
    """
    tried = _bsds500_candidates() if root is None else [_as_folder(root, "root")]
    for candidate in tried:
        if _bsds500_data_dir(candidate) is not None:
            return candidate
    looked = ", ".join(str(p) for p in tried)
    raise FileNotFoundError(
        f"BSDS500 not found (looked in: {looked}); download BSR_bsds500.tgz from "
        f"{_BSDS500_URL}, unpack it and pass root=<.../BSR/BSDS500> or set {DATA_ENV} "
        "to the folder that holds BSDS500/")


def _bsds500_data_dir(root):
    """``root/data`` in the release layout, or ``root`` itself if it holds images/."""
    root = Path(root)
    if (root / "data" / "images").is_dir():
        return root / "data"
    if (root / "images").is_dir():
        return root
    return None


def load_bsds500(root=None, split="val"):
    """The Berkeley Segmentation Data Set 500 (images and human annotations).

    Parameters
    ----------
    root : str or path-like, optional
        The ``BSDS500`` folder of the public release (holding
        ``data/images/<split>/*.jpg`` and ``data/groundTruth/<split>/*.mat``),
        or its ``data`` folder.  By default ``$SEALSEG_DATA/BSDS500``, then
        ``../shared/datasets/BSDS500`` relative to the current directory.
    split : {'train', 'val', 'test'}, optional
        Which split to read.

    Returns
    -------
    dataset : Dataset
        Sized and indexable (by position or name) sequence of :class:`Sample`:
        ``.name`` (the image id), ``.image`` (uint8 RGB, 321x481 or 481x321),
        ``.groundtruths`` (the 4 to 9 annotations, int64 label maps from 1).

    Raises
    ------
    FileNotFoundError
        If no dataset is found (the message lists where it looked and how to
        get the data), the split folder is missing or an image has no ground
        truth file.
    ValueError
        If ``split`` is not a known split or a ground truth file is not a
        regular file (e.g. a FIFO); on access, if a file cannot be read.

    Warns
    -----
    UserWarning
        For each entry named like an image that is not a regular file (a
        FIFO, socket, device, folder, symlink loop or broken link): it is
        named, never opened, and left out.

    Notes
    -----
    Ground truths are read with ``scipy.io.loadmat`` from the ``Segmentation``
    field of each cell of ``groundTruth``.  Published figures on BSDS500 are
    means over (image, annotation) pairs.

    References
    ----------
    .. [1] P. Arbelaez, M. Maire, C. Fowlkes, J. Malik, "Contour detection and
           hierarchical image segmentation", IEEE TPAMI 33(5), 2011.
           :DOI:`10.1109/TPAMI.2010.161`

    Examples
    --------
    >>> from sealseg.datasets import load_bsds500
    >>> for sample in load_bsds500(split="val"):     # doctest: +SKIP
    ...     print(sample.name, sample.image.shape, len(sample.groundtruths))
    ...     break
    101085 (321, 481, 3) 5
    """
    split = _check_split(split, ("train", "val", "test"))
    data = _bsds500_data_dir(bsds500_root(root))
    image_dir = data / "images" / split
    gt_dir = data / "groundTruth" / split
    _require_folders((image_dir, gt_dir), lambda folder: (
        f"BSDS500 split {split!r} not found: {folder} does not exist; the release "
        f"layout is data/images/<split>/*.jpg and data/groundTruth/<split>/*.mat "
        f"(see {_BSDS500_URL})"))
    entries = _paired_entries(image_dir, gt_dir, "mat", "BSDS500 image", "ground truth",
                              f"BSDS500 split {split!r}: no image in {image_dir}")
    return Dataset("bsds500", entries)


# --------------------------------------------------------------------------- Cityscapes

def load_cityscapes(root, split="val"):
    """Cityscapes fine annotations as superpixel ground truth.

    Parameters
    ----------
    root : str or path-like
        Folder holding ``leftImg8bit/<split>/<city>/*_leftImg8bit.png`` and
        ``gtFine/<split>/<city>/*_gtFine_instanceIds.png``.
    split : {'train', 'val', 'test'}, optional
        Which split to read.

    Returns
    -------
    dataset : Dataset
        Samples named ``<city>_<seq>_<frame>`` with one ground truth each: the
        ``instanceIds`` map, in which each object instance and each stuff
        class (including the unlabelled class 0) is one segment.

    Raises
    ------
    FileNotFoundError
        If a folder or a ground-truth file is missing.
    ValueError
        If ``split`` is not a known split or a ground truth file is not a
        regular file (e.g. a FIFO); on access, if a file cannot be read.

    Warns
    -----
    UserWarning
        For each entry named like an image that is not a regular file (a
        FIFO, socket, device, folder, symlink loop or broken link): it is
        named, never opened, and left out.

    Notes
    -----
    In ``*_instanceIds.png`` pixels of countable objects hold
    ``class_id * 1000 + instance`` and other pixels the class id, so every
    distinct value is one segment.  Use ``tolerance=3`` for boundary recall, as
    the SEAL paper does on this dataset.

    References
    ----------
    .. [1] M. Cordts et al., "The Cityscapes dataset for semantic urban scene
           understanding", CVPR 2016. :DOI:`10.1109/CVPR.2016.350`

    Examples
    --------
    >>> from sealseg.datasets import load_cityscapes
    >>> dataset = load_cityscapes("/data/cityscapes")  # doctest: +SKIP
    """
    split = _check_split(split, ("train", "val", "test"))
    if root is None:
        raise TypeError("root must be the Cityscapes folder (holding leftImg8bit/ and "
                        f"gtFine/), got None; get the data from {_CITYSCAPES_URL}")
    root = _as_folder(root, "root")
    image_dir = root / "leftImg8bit" / split
    gt_dir = root / "gtFine" / split
    _require_folders((image_dir, gt_dir), lambda folder: (
        f"Cityscapes split {split!r} not found: {folder} does not exist; expected "
        f"leftImg8bit/<split>/<city>/ and gtFine/<split>/<city>/ under {root} "
        f"(packages leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from "
        f"{_CITYSCAPES_URL})"))
    suffix = "_leftImg8bit"
    entries = []
    for path in _regular_files(sorted(image_dir.glob(f"*/*{suffix}.png")), 2):
        name = path.stem[:-len(suffix)]
        gt = gt_dir / path.parent.name / f"{name}_gtFine_instanceIds.png"
        _check_label_file(gt, path, "Cityscapes image", "ground truth")
        entries.append(_Entry(name, path, gt, "png"))
    if not entries:
        raise FileNotFoundError(f"Cityscapes split {split!r}: no *{suffix}.png in "
                                f"{image_dir}/<city>/")
    return Dataset("cityscapes", entries)


# --------------------------------------------------------------------------- folder

def load_folder(images, labels):
    """A folder of images with label maps of the same file stem.

    Parameters
    ----------
    images : str or path-like
        Folder of images (``.jpg``, ``.jpeg``, ``.png``, ``.bmp``, ``.tif``,
        ``.tiff``, ``.ppm``).
    labels : str or path-like
        Folder of single-channel 8- or 16-bit PNG label maps named
        ``<image stem>.png``.

    Returns
    -------
    dataset : Dataset
        Samples named by the image stem, one ground truth each.

    Raises
    ------
    FileNotFoundError
        If a folder is missing, holds no image, or an image has no label map.
    ValueError
        If a label map is not a regular file (e.g. a FIFO).

    Warns
    -----
    UserWarning
        For each entry named like an image that is not a regular file (a
        FIFO, socket, device, folder, symlink loop or broken link): it is
        named, never opened, and left out.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from skimage import io
    >>> from sealseg.datasets import load_folder
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> (tmp / "img").mkdir(); (tmp / "lab").mkdir()
    >>> io.imsave(tmp / "img" / "a.png", np.zeros((4, 5, 3), np.uint8), check_contrast=False)
    >>> io.imsave(tmp / "lab" / "a.png", np.arange(20, dtype=np.uint16).reshape(4, 5) * 1000,
    ...           check_contrast=False)
    >>> sample = load_folder(tmp / "img", tmp / "lab")[0]
    >>> sample.name, sample.image.shape, int(sample.groundtruths[0].max())
    ('a', (4, 5, 3), 19000)
    >>> import shutil; shutil.rmtree(tmp)
    """
    for arg, value in (("images", images), ("labels", labels)):
        if value is None:
            raise TypeError(f"{arg} must be a folder path, got None")
    image_dir = _as_folder(images, "images")
    label_dir = _as_folder(labels, "labels")
    _require_folders((image_dir,), lambda folder: f"images folder {folder} does not exist")
    _require_folders((label_dir,), lambda folder: f"labels folder {folder} does not exist")
    entries = _paired_entries(image_dir, label_dir, "png", "image", "label map",
                              f"no image ({', '.join(_IMAGE_SUFFIXES)}) in {image_dir}")
    return Dataset("folder", entries)
