"""Checks on label maps shared by test modules (not a test module itself)."""
import numpy as np
from scipy import ndimage as ndi


def each_label_connected(labels, connectivity, skip_zero=False):
    """True when every label value is one connected region (4- or 8-connected);
    ``skip_zero``: label 0 (outside a mask) is not checked."""
    structure = np.ones((3, 3), bool) if connectivity == 8 else None
    return all(ndi.label(labels == value, structure=structure)[1] == 1
               for value in np.unique(labels) if not (skip_zero and value == 0))
