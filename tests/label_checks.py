"""Checks on label maps shared by test modules (not a test module itself)."""
import numpy as np
from scipy import ndimage as ndi


def each_label_connected(labels, connectivity, skip_zero=False):
    """True when every label value is one connected region (4- or 8-connected);
    ``skip_zero``: label 0 (outside a mask) is not checked."""
    structure = np.ones((3, 3), bool) if connectivity == 8 else None
    return all(ndi.label(labels == value, structure=structure)[1] == 1
               for value in np.unique(labels) if not (skip_zero and value == 0))


def agreement_by_asa(labels, reference):
    """ASA of ``labels`` against ``reference`` as ground truth (1.0: every
    superpixel of ``labels`` lies inside one region of ``reference``)."""
    _, s_idx = np.unique(labels, return_inverse=True)
    _, g_idx = np.unique(reference, return_inverse=True)
    table = np.zeros((s_idx.max() + 1, g_idx.max() + 1))
    np.add.at(table, (s_idx.ravel(), g_idx.ravel()), 1)
    return table.max(axis=1).sum() / labels.size
