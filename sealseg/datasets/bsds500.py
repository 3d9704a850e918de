"""BSDS500, the Berkeley Segmentation Data Set: finding it and reading its splits."""
from pathlib import Path

from .files import (DATA_ENV, _as_folder, _check_split, _paired_entries, _require_folders,
                    data_candidates)
from .samples import Dataset

__all__ = ["bsds500_root", "load_bsds500"]

_BSDS500_URL = ("https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/"
                "resources.html")


def _bsds500_candidates():
    return data_candidates("BSDS500")


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
