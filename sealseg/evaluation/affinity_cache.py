"""seal_ers with the net's affinities cached on disk, so that a rerun or a new n is ERS only.

``evaluate(..., affinity_cache=DIR)`` (``--affinity-cache DIR``) runs
``seal_ers`` and ``seal_ers@WEIGHTS`` through :class:`CachedSealErs`: the
affinities of :func:`sealseg.learn_affinities` are stored as
``DIR/<net>/<image>.npz`` and the superpixels are
``ers(None, n, affinities=A.astype(float64), relax=...)`` with seal_ers's
own default ``relax``, which are the labels of ``seal_ers(image, n,
weights=...)`` (see its Notes).  ``<net>`` is a digest of
the net's affinities on a fixed random image, so a changed weight file under
the same name never reads another net's cache; ``<image>`` a digest of the
image's pixels.
"""
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["CachedSealErs", "is_seal_ers"]


def is_seal_ers(method):
    """Whether ``method`` is ``'seal_ers'`` or ``'seal_ers@WEIGHTS'``."""
    return isinstance(method, str) and (method == "seal_ers" or method.startswith("seal_ers@"))


def _digest(array):
    array = np.ascontiguousarray(array)
    head = f"{array.dtype.str}{array.shape}".encode()
    return hashlib.sha256(head + array.tobytes()).hexdigest()[:24]


class CachedSealErs:
    """Runner of ``seal_ers`` that caches the net's affinities per image.

    Parameters
    ----------
    weights : str or path-like
        The net, as ``seal_ers`` takes it.
    folder : str or path-like
        Cache folder (created when needed).
    """

    def __init__(self, weights, folder):
        self.weights = weights
        self.folder = Path(os.fspath(folder))
        self._net_folder = None

    def prepare(self):
        """Load the net once (in this process) and name its cache folder; errors of the weights here."""
        self._net()
        return self

    def _net(self):
        if self._net_folder is None:
            from ..pan.inference import learn_affinities

            probe = np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)
            self._net_folder = self.folder / _digest(
                learn_affinities(probe, weights=self.weights))
        return self._net_folder

    def affinities(self, image):
        """The net's affinities of ``image``, from the cache or computed and stored."""
        from ..pan.inference import learn_affinities

        folder = self._net()
        path = folder / f"{_digest(image)}.npz"
        if path.is_file():
            with np.load(path) as stored:
                return stored["affinities"]
        affinities = learn_affinities(image, weights=self.weights)
        folder.mkdir(parents=True, exist_ok=True)
        # Written to a temporary file and renamed: a worker killed mid-write
        # leaves no truncated entry for the next run to read.
        handle, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, affinities=affinities)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return affinities

    def __call__(self, image, n, groundtruths):
        from ..seal import ers_as_seal_ers

        return ers_as_seal_ers(self.affinities(image), n)
