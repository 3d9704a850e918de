"""The samples of a dataset: :class:`Sample`, the lazy :class:`Dataset`, and how files are read."""
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Sample", "Dataset"]

#: The class value of void pixels in CamVid's class maps (the SegNet version).
CAMVID_VOID = 11


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
    classes : (M, N) ndarray of int64 or None
        The semantic class of each pixel, for datasets with class maps
        (CamVid, ECSSD); else None.
    void : int or None
        The value of ``classes`` that marks pixels without a class (CamVid:
        11), or None.
    """

    name: str
    image: np.ndarray = field(repr=False)
    groundtruths: list = field(repr=False)
    classes: object = field(default=None, repr=False)
    void: object = None


@dataclass(frozen=True)
class _Entry:
    name: str
    image_path: Path
    label_path: Path
    # "mat" (BSDS500 groundTruth), "png" (one label map), "camvid" (a class map
    # with void) or "mask" (a 0/255 object mask)
    kind: str


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



def _read_image(path):
    from .._io import read_image

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
        # Samples are 8-bit RGB (see Sample).  read_image scales samples a
        # file declares narrower (a PGM maxval of 4095, a 12-bit TIFF) onto
        # 0-65535, so 65535 is white here; 16-bit samples that never exceed
        # 12 bits without saying so would turn black at 8 bits: refused.
        if image.dtype != np.uint16:
            raise ValueError(f"image {path} has dtype {image.dtype}; expected uint8 or uint16")
        if image.size and int(image.max()) < 4096:
            raise ValueError(f"image {path} holds 16-bit samples no larger than "
                             f"{int(image.max())} (12-bit data stored without saying so?): "
                             "read as 16 bits it is nearly black at 8 bits; save it scaled to "
                             "0-65535, as 8 bits, or as a PGM/PPM with its real maxval")
        image = ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    return np.ascontiguousarray(image)


def _read_label_png(path):
    from .._io import read_labels

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


def _fill_void(classes, void):
    """``classes`` with each void pixel given the class of its nearest non-void pixel."""
    from scipy import ndimage

    is_void = classes == void
    if not is_void.any():
        return classes.copy()
    _, (iy, ix) = ndimage.distance_transform_edt(is_void, return_indices=True)
    return classes[iy, ix]


def _read_camvid(path):
    """(filled class map, class map) of a CamVid annotation: classes 0-10, void 11."""
    classes = _read_label_png(path)
    bad = (classes < 0) | (classes > CAMVID_VOID)
    if bad.any():
        raise ValueError(f"CamVid class map {path} holds values outside 0-{CAMVID_VOID} "
                         f"(e.g. {int(classes[bad][0])}); expected the 11 classes and "
                         f"{CAMVID_VOID} = void")
    if (classes == CAMVID_VOID).all():
        raise ValueError(f"CamVid class map {path} is void everywhere")
    return _fill_void(classes, CAMVID_VOID), classes


def _read_mask(path):
    """A 0/255 object mask as a 0/1 map."""
    mask = _read_label_png(path)
    values = np.unique(mask)
    if not np.isin(values, (0, 255)).all():
        raise ValueError(f"mask {path} holds values other than 0 and 255 "
                         f"({values[~np.isin(values, (0, 255))][:5].tolist()}); "
                         "expected a binary object mask")
    return (mask == 255).astype(np.int64)


def _read_entry(entry):
    image = _read_image(entry.image_path)
    classes, void = None, None
    if entry.kind == "mat":
        groundtruths = _read_bsds_mat(entry.label_path)
    elif entry.kind == "camvid":
        filled, classes = _read_camvid(entry.label_path)
        groundtruths, void = [filled], CAMVID_VOID
    elif entry.kind == "mask":
        classes = _read_mask(entry.label_path)
        groundtruths = [classes]
    else:
        groundtruths = [_read_label_png(entry.label_path)]
    for g in groundtruths:
        if g.shape != image.shape[:2]:
            raise ValueError(f"ground truth {entry.label_path} has shape {g.shape} but image "
                             f"{entry.image_path} has shape {image.shape[:2]}")
    return Sample(entry.name, image, groundtruths, classes, void)
