"""Stanford Background (SBD): images with region maps, the training list of the Stutz et al. benchmark."""
from .files import _check_label_file, find_root
from .samples import Dataset, _Entry

__all__ = ["load_sbd"]

_SOURCE = "Gould et al., ICCV 2009: http://dags.stanford.edu/projects/scenedataset.html"


def load_sbd(root=None):
    """The Stanford Background Dataset's images listed in ``train.txt``, with region maps.

    Parameters
    ----------
    root : str or path-like, optional
        The ``SBD`` folder, holding ``images/<id>.jpg``, ``layers/<id>.png``
        (16-bit region maps) and ``train.txt`` (one id a line).  By default
        ``$SEALSEG_DATA/SBD``, then ``../shared/datasets/SBD`` relative to
        the current directory.

    Returns
    -------
    dataset : Dataset
        Samples named by id, in the order of ``train.txt``, each with one
        ground truth: the region map (one value per region, from 0).

    Raises
    ------
    FileNotFoundError
        If the folder, ``train.txt``, or a listed image or region map is
        missing.
    ValueError
        If ``train.txt`` is empty or lists an id twice, or a listed file is
        not a regular file; on access, if a file cannot be read.

    Notes
    -----
    The list is the training list of the superpixel benchmark of Stutz et
    al. (238 images); its test list is not read here.

    References
    ----------
    .. [1] S. Gould, R. Fulton, D. Koller, "Decomposing a scene into
           geometric and semantically consistent regions", ICCV 2009.
           :DOI:`10.1109/ICCV.2009.5459211`
    .. [2] D. Stutz, A. Hermans, B. Leibe, "Superpixels: an evaluation of the
           state-of-the-art", CVIU 166, 2018. :DOI:`10.1016/j.cviu.2017.03.007`

    Examples
    --------
    >>> from sealseg.datasets import load_sbd
    >>> dataset = load_sbd()                         # doctest: +SKIP
    >>> len(dataset), dataset[0].groundtruths[0].shape  # doctest: +SKIP
    (238, (240, 320))
    """
    root = find_root("SBD", "SBD", root, ("images", "layers"), _SOURCE)
    listing = root / "train.txt"
    if not listing.is_file():
        raise FileNotFoundError(f"SBD list {listing} is missing (one image id a line)")
    ids = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    if not ids:
        raise ValueError(f"SBD list {listing} names no image")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"SBD list {listing} names {twice[0]!r} twice")
    entries = []
    for name in ids:
        image = root / "images" / f"{name}.jpg"
        _check_label_file(image, listing, "SBD list", "image")
        layers = root / "layers" / f"{name}.png"
        _check_label_file(layers, image, "SBD image", "region map")
        entries.append(_Entry(name, image, layers, "png"))
    return Dataset("sbd", entries)
