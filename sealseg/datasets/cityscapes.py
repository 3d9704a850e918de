"""Cityscapes fine annotations as superpixel ground truth."""
from .files import _as_folder, _check_label_file, _check_split, _regular_files, _require_folders
from .samples import Dataset, _Entry

__all__ = ["load_cityscapes"]

_CITYSCAPES_URL = "https://www.cityscapes-dataset.com/downloads/"


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
