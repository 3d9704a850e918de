"""Readers for superpixel benchmark datasets.

Each loader returns a :class:`Dataset`: a sized, indexable sequence of
:class:`Sample` objects (``.name``, ``.image`` as uint8 RGB ``(H, W, 3)``,
``.groundtruths`` as a list of int64 ``(H, W)`` label maps, and for data
sets with class maps ``.classes`` and ``.void``).  Files are found when the
loader is called and read when a sample is accessed, so a dataset is cheap
to create and to send to worker processes.

The data is never part of the package: it is read from a path, by default
``$SEALSEG_DATA/<name>``, then ``../shared/datasets/<name>`` relative to the
current directory.  One module per data set (``bsds500``, ``sbd``,
``camvid``, ``ecssd``, ``cityscapes``, ``folder``); ``samples`` holds the
samples and how files are read, ``files`` how they are found.
"""
from .bsds500 import _bsds500_data_dir, bsds500_root, load_bsds500  # noqa: F401 (benchmarks)
from .camvid import CAMVID_CLASSES, load_camvid
from .cityscapes import load_cityscapes
from .ecssd import load_ecssd
from .files import DATA_ENV
from .folder import load_folder
from .samples import Dataset, Sample
from .sbd import load_sbd

__all__ = ["Sample", "Dataset", "load_bsds500", "load_sbd", "load_camvid", "load_ecssd",
           "load_cityscapes", "load_folder", "bsds500_root", "DATA_ENV", "CAMVID_CLASSES"]
