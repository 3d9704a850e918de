"""CamVid street scenes (the SegNet version): frames with 11-class maps and void."""
from .files import _check_split, _paired_entries, find_root
from .samples import CAMVID_VOID, Dataset, _Entry

__all__ = ["load_camvid", "CAMVID_CLASSES"]

#: CamVid's class names, by class value (11 is void).
CAMVID_CLASSES = ("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol",
                  "Fence", "Car", "Pedestrian", "Bicyclist")
_SOURCE = "the 360x480 CamVid that SegNet's tutorial distributes"


def load_camvid(root=None, split="val"):
    """CamVid frames with their class maps, as superpixel ground truth.

    Parameters
    ----------
    root : str or path-like, optional
        The ``CamVid`` folder, holding ``<split>/<name>.png`` (RGB frames)
        and ``<split>annot/<name>.png`` (uint8 class maps: 0-10 the classes
        of :data:`CAMVID_CLASSES`, 11 void).  By default
        ``$SEALSEG_DATA/CamVid``, then ``../shared/datasets/CamVid``
        relative to the current directory.
    split : {'train', 'val', 'test'}, optional
        Which split to read.

    Returns
    -------
    dataset : Dataset
        Samples named by file stem.  ``.classes`` is the class map as
        stored and ``.void`` is 11; ``.groundtruths`` holds one map: the
        class map with each void pixel given the class of its nearest
        non-void pixel (see Notes).

    Raises
    ------
    FileNotFoundError
        If the folders are missing, hold no frame, or a frame has no class
        map.
    ValueError
        If ``split`` is unknown or a class map is not a regular file; on
        access, if a class map holds values above 11 or only void.

    Notes
    -----
    The ground truth of ASA and of the boundary metrics is the class map,
    so its boundaries are those between classes (not between objects of one
    class).  Void (11) marks unlabelled pixels, mostly bands along object
    outlines (1.7% of the val pixels): scored as a segment of its own it
    would put two boundaries around every band, and left out it would lose
    the boundary the band hides.  Filling it with the nearest class puts one
    boundary inside each band.  The achievable mIoU
    (:func:`sealseg.metrics.achievable_miou`) reads ``.classes`` and leaves
    void out.

    References
    ----------
    .. [1] G. Brostow, J. Fauqueur, R. Cipolla, "Semantic object classes in
           video: a high-definition ground truth database", Pattern
           Recognition Letters 30(2), 2009. :DOI:`10.1016/j.patrec.2008.04.005`

    Examples
    --------
    >>> from sealseg.datasets import load_camvid
    >>> sample = load_camvid()[0]                    # doctest: +SKIP
    >>> sample.image.shape, sample.void              # doctest: +SKIP
    ((360, 480, 3), 11)
    """
    split = _check_split(split, ("train", "val", "test"))
    root = find_root("CamVid", "CamVid", root, (split, f"{split}annot"), _SOURCE)
    entries = _paired_entries(root / split, root / f"{split}annot", "png", "CamVid frame",
                              "class map", f"CamVid split {split!r}: no frame in {root / split}")
    return Dataset("camvid", [_Entry(e.name, e.image_path, e.label_path, "camvid")
                              for e in entries])


