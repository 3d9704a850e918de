"""A folder of images with label maps of the same file stem."""
from .files import IMAGE_SUFFIXES, _as_folder, _paired_entries, _require_folders
from .samples import Dataset

__all__ = ["load_folder"]


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
                              f"no image ({', '.join(IMAGE_SUFFIXES)}) in {image_dir}")
    return Dataset("folder", entries)
