"""ECSSD, the salient-object data set: images with binary object masks."""
from .files import _paired_entries, find_root
from .samples import Dataset, _Entry

__all__ = ["load_ecssd"]

_SOURCE = "Shi et al., TPAMI 2016: https://www.cse.cuhk.edu.hk/leojia/projects/hsaliency/"


def load_ecssd(root=None):
    """ECSSD images with their salient-object masks.

    Parameters
    ----------
    root : str or path-like, optional
        The ``ECSSD`` folder, holding ``images/<name>.jpg`` and
        ``masks/<name>.png`` (binary masks, 0 or 255).  By default
        ``$SEALSEG_DATA/ECSSD``, then ``../shared/datasets/ECSSD`` relative
        to the current directory.

    Returns
    -------
    dataset : Dataset
        Samples named by file stem (``'0001'``...).  ``.classes`` and the
        one ground truth are the mask as 0 (background) and 1 (object).

    Raises
    ------
    FileNotFoundError
        If the folders are missing, hold no image, or an image has no mask.
    ValueError
        If a mask is not a regular file; on access, if a mask holds values
        other than 0 and 255.

    References
    ----------
    .. [1] J. Shi, Q. Yan, L. Xu, J. Jia, "Hierarchical image saliency
           detection on extended CSSD", IEEE TPAMI 38(4), 2016.
           :DOI:`10.1109/TPAMI.2015.2465960`

    Examples
    --------
    >>> from sealseg.datasets import load_ecssd
    >>> sample = load_ecssd()["0001"]                # doctest: +SKIP
    >>> sorted(set(sample.classes.ravel().tolist()))  # doctest: +SKIP
    [0, 1]
    """
    root = find_root("ECSSD", "ECSSD", root, ("images", "masks"), _SOURCE)
    entries = _paired_entries(root / "images", root / "masks", "png", "ECSSD image", "mask",
                              f"ECSSD: no image in {root / 'images'}")
    return Dataset("ecssd", [_Entry(e.name, e.image_path, e.label_path, "mask")
                             for e in entries])
