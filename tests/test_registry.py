"""Tests of the records of the shipped nets (sealseg.pan.registry)."""
import re
import subprocess
import sys

import pytest

from sealseg import list_weights
from sealseg.pan import registry


def test_list_weights_names_every_record_default_first():
    assert list_weights() == [record.name for record in registry.SHIPPED]
    assert list_weights()[0] == registry.DEFAULT.name
    assert len(set(list_weights())) == len(list_weights())


@pytest.mark.parametrize("record", registry.SHIPPED, ids=lambda r: r.name)
def test_every_record_is_complete(record):
    # the form sha256sum prints: 64 lower-case hexadecimal digits
    assert re.fullmatch("[0-9a-f]{64}", record.sha256), record.sha256
    assert record.file.endswith(".pt") and "/" not in record.file
    assert record.path.parent == registry.WEIGHTS_DIR
    assert {"width", "dilations"} <= set(record.architecture)
    assert record.exponent > 0
    for text in (record.recipe, record.val_figures, record.doc):
        assert isinstance(text, str) and text.strip()
    assert "training/README.md" in record.recipe
    assert "results.rst" in record.val_figures


def test_no_two_records_share_a_file_or_a_digest():
    assert len({r.file for r in registry.SHIPPED}) == len(registry.SHIPPED)
    assert len({r.sha256 for r in registry.SHIPPED}) == len(registry.SHIPPED)


def test_the_default_is_the_train_only_twin():
    # Chosen from held-out BSDS500 test figures (the train + val net was
    # below its twin at every n up to 600): the twin is the default again.
    assert registry.DEFAULT.name == "bsds500-dilated"
    assert registry.DEFAULT.file == "pan_bsds500_bbce_dilated_c32.pt"
    assert registry.get_weights(None) is registry.DEFAULT


def test_bsds500_is_another_name_of_the_default():
    assert registry.get_weights("bsds500") is registry.get_weights(None)
    assert registry.get_weights("bsds500-dilated") is registry.DEFAULT
    assert registry.is_shipped_name("bsds500") and "bsds500" in registry.known_names()
    assert "bsds500" not in list_weights()      # an alias, not a record


def test_the_train_val_net_and_the_seal_net_keep_their_names():
    assert registry.get_weights("bsds500-trainval").file == \
        "pan_bsds500_trainval_bbce_dilated_c32.pt"
    assert registry.get_weights("bsds500-seal").file == "pan_bsds500_seal_c32.pt"


@pytest.mark.parametrize("name, error", [("bsds", ValueError), ("BSDS500", ValueError),
                                         ("", ValueError), (3, ValueError)])
def test_unknown_names_are_refused_with_the_known_ones(name, error):
    with pytest.raises(error, match="not a shipped net; shipped: bsds500-dilated, "):
        registry.get_weights(name)
    assert not registry.is_shipped_name(name)


def _run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_records_import_neither_torch_nor_numpy():
    # loaded on its own, outside the package (whose __init__ imports numpy)
    _run("import importlib.util, sys; "
         f"spec = importlib.util.spec_from_file_location('records', {registry.__file__!r}); "
         "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
         "m.list_weights(); m.get_weights('bsds500'); "
         "assert 'torch' not in sys.modules and 'numpy' not in sys.modules")


def test_list_weights_from_the_package_does_not_import_torch():
    _run("import sys, sealseg; assert sealseg.list_weights()[0] == 'bsds500-dilated'; "
         "assert 'torch' not in sys.modules")
