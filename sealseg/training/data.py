"""The training data: a data set's samples as lists, and the random crops of a step.

A sample is ``(name, uint8 image (H, W, 3), [label maps])``; the data sets
are read by :mod:`sealseg.datasets` (BSDS500, or a folder of images and label
maps, the layout ``evaluate --dataset folder`` reads).
"""
import numpy as np

__all__ = ["DATASETS", "Sampler", "samples", "load_bsds_split", "training_data", "smallest_side"]

#: Data sets ``train`` reads (``--dataset``).
DATASETS = ("bsds500", "folder")


def samples(dataset, limit=None):
    """The first ``limit`` (all if None) samples of a :class:`sealseg.datasets.Dataset`, as a list.

    Every image is read here: a corrupt file fails now, before training.
    """
    out = []
    for k, s in enumerate(dataset):
        if limit is not None and k >= limit:
            break
        out.append((s.name, np.asarray(s.image), [np.asarray(g) for g in s.groundtruths]))
    return out


def load_bsds_split(root, split, limit=None):
    """List of (name, uint8 image (H, W, 3), [label maps]) of a BSDS500 split.

    ``root`` None: the default BSDS500 folder (:func:`sealseg.datasets.bsds500_root`).
    """
    from ..datasets import load_bsds500

    return samples(load_bsds500(root, split), limit)


def training_data(cfg):
    """(train, val) sample lists of a run's config (``val`` None without validation).

    BSDS500: ``cfg["split"]`` (``"train"``, or ``"trainval"`` for train + val)
    to train on and the first ``val_images`` of val; a folder data set:
    ``root`` (images) and ``labels``, and ``val_root``/``val_labels`` when
    given.
    """
    validate = bool(cfg["val_every"])
    if cfg["dataset"] == "folder":
        from ..datasets import load_folder

        data = samples(load_folder(cfg["root"], cfg["labels"]))
        val = None
        if validate and cfg["val_root"] is not None:
            val = samples(load_folder(cfg["val_root"], cfg["val_labels"]), cfg["val_images"])
        return data, val
    data = load_bsds_split(cfg["root"], "train")
    if cfg["split"] == "trainval":
        # the final run of a recipe: the in-training val rows then score
        # images the net trains on (a progress check, not a selection)
        data += load_bsds_split(cfg["root"], "val")
    val = load_bsds_split(cfg["root"], "val", limit=cfg["val_images"]) if validate else None
    return data, val


def smallest_side(data):
    """The shortest side (pixels) of the label maps of ``data``, and the sample that has it."""
    side, name = min((min(g.shape), n) for n, _, gts in data for g in gts)
    return side, name


class Sampler:
    """Random crops of (image, edge, annotation) with 90-degree rotations and flips.

    ``use_edges=False`` (a net that never reads the edge channel) fills the
    channel with zeros instead of running Canny on every training image; the
    crops and the random stream are the same either way.
    """

    def __init__(self, data, crop, use_edges=True):
        from ..pan.model import edge_channel

        self.images = [img for _, img, _ in data]
        self.edges = [edge_channel(img.astype(np.float32) / 255.0, use_edges)
                      for img in self.images]
        self.pairs = [(i, j) for i, (_, _, gts) in enumerate(data) for j in range(len(gts))]
        self.gts = [gts for _, _, gts in data]
        self.crop = crop

    def sample(self, rng):
        """One random (4, crop, crop) float32 input and its (crop, crop) int64 label map."""
        i, j = self.pairs[rng.integers(len(self.pairs))]
        img, edge, gt = self.images[i], self.edges[i], self.gts[i][j]
        h, w = gt.shape
        c = self.crop
        y = rng.integers(h - c + 1)
        x = rng.integers(w - c + 1)
        k = int(rng.integers(4))
        flip = bool(rng.integers(2))
        im = img[y:y + c, x:x + c].astype(np.float32) / 255.0
        ed = edge[y:y + c, x:x + c]
        g = gt[y:y + c, x:x + c].astype(np.int64)
        im, ed, g = (np.rot90(a, k, axes=(0, 1)) for a in (im, ed, g))
        if flip:
            im, ed, g = (a[:, ::-1] for a in (im, ed, g))
        x4 = np.concatenate([im, ed[..., None]], axis=-1).transpose(2, 0, 1)
        return np.ascontiguousarray(x4), np.ascontiguousarray(g)
