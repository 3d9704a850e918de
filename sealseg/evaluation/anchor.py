"""The SSN anchor as a method: saved SSN label maps of BSDS500 val, read instead of computed.

``ssn-anchor`` reads ``labels/<image>_n<N>.png`` of the SSN anchor folder
(SSN, Jampani et al., ECCV 2018, through a PyTorch port with its released
weights; how the maps were made is in the folder's README), so that SSN is
scored by the same metric code as the other methods.  The folder is
``$SEALSEG_DATA/../anchors/ssn_bsds500_val``, then
``../shared/anchors/ssn_bsds500_val`` relative to the current directory;
``ssn-anchor@FOLDER`` names one.
"""
import csv
import os
from pathlib import Path

import numpy as np

__all__ = ["SSN_ANCHOR", "SSN_ANCHOR_N", "SavedLabels", "ssn_anchor"]

#: Method name of the SSN anchor in ``evaluate``.
SSN_ANCHOR = "ssn-anchor"
#: The numbers of superpixels asked of SSN for which the anchor holds label maps.
SSN_ANCHOR_N = (200, 600, 1200)
_FOLDER = "ssn_bsds500_val"


def _anchor_candidates():
    from ..datasets import DATA_ENV

    candidates = []
    env = os.environ.get(DATA_ENV)
    if env:
        candidates.append(Path(env).parent / "anchors" / _FOLDER)
    candidates.append(Path.cwd().parent / "shared" / "anchors" / _FOLDER)
    return candidates


class SavedLabels:
    """A method whose label maps were computed elsewhere: ``labels/<image>_n<N>.png``.

    A runner of :func:`sealseg.evaluation.evaluate` that takes the image's
    name (``needs_name``).  ``seconds`` is the time recorded in the folder's
    CSV (column ``seconds`` by ``image`` and ``n_asked``) when there is one,
    else NaN.

    Parameters
    ----------
    folder : str or path-like
        Folder holding ``labels/``.
    n_values : tuple of int
        The numbers of superpixels there are maps for.
    name : str
        Method name, for messages.
    """

    needs_name = True

    def __init__(self, folder, n_values, name):
        self.folder = Path(folder)
        self.n_values = tuple(n_values)
        self.name = name
        self._seconds = None

    def path(self, image, n):
        return self.folder / "labels" / f"{image}_n{n}.png"

    def check(self, names, n_list):
        """The n of ``n_list`` there are maps for; errors if none, or a map is missing.

        Raises
        ------
        ValueError
            If none of ``n_list`` has maps.
        FileNotFoundError
            If an image of ``names`` has no map at one of those n.
        """
        usable = [n for n in n_list if n in self.n_values]
        if not usable:
            raise ValueError(f"method {self.name!r} has label maps for n = "
                             f"{', '.join(map(str, self.n_values))} only, not for "
                             f"{', '.join(map(str, n_list))}; give --n from those")
        for image in names:
            for n in usable:
                if not self.path(image, n).is_file():
                    raise FileNotFoundError(
                        f"method {self.name!r} has no label map for image {image!r} at n = "
                        f"{n} ({self.path(image, n)} is missing); it holds BSDS500 val only")
        return usable

    def _recorded_seconds(self, image, n):
        if self._seconds is None:
            self._seconds = {}
            table = self.folder / "ssn_val.csv"
            if table.is_file():
                with open(table, newline="") as handle:
                    for row in csv.DictReader(handle):
                        self._seconds[(row["image"], int(row["n_asked"]))] = \
                            float(row["seconds"])
        return self._seconds.get((image, n), float("nan"))

    def __call__(self, image, n, groundtruths, *, name):
        from .._io import read_labels

        labels = np.asarray(read_labels(self.path(name, n)), dtype=np.int64)
        return labels, self._recorded_seconds(name, n)


def ssn_anchor(method=SSN_ANCHOR):
    """The runner of ``ssn-anchor`` or ``ssn-anchor@FOLDER``.

    Raises
    ------
    FileNotFoundError
        If the anchor folder is not found (the message lists where it looked).
    """
    _, _, folder = method.partition("@")
    tried = [Path(folder)] if folder else _anchor_candidates()
    for candidate in tried:
        if (candidate / "labels").is_dir():
            return SavedLabels(candidate, SSN_ANCHOR_N, method)
    raise FileNotFoundError(f"method {method!r}: no SSN anchor folder (with labels/) in "
                            f"{', '.join(map(str, tried))}; give ssn-anchor@FOLDER")
