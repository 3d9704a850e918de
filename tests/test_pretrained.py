"""Tests of the weight registry (sealseg.pan.pretrained): names, SHA-256 checks, cache."""
import hashlib
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sealseg.pan import pretrained  # noqa: E402
from sealseg.pan.model import PixelAffinityNet  # noqa: E402

SHIPPED = ["bsds500", "bsds500-seal"]


def _save_weights(path, **kw):
    from sealseg.pan.train import model_file_payload

    torch.manual_seed(0)
    torch.save(model_file_payload(PixelAffinityNet(8, **kw).eval()), path)
    return path


@pytest.fixture
def fresh_cache():
    pretrained.clear_cache()
    yield
    pretrained.clear_cache()


def _shipped_path(name):
    path = pretrained.weights_path(name)
    if not path.exists():
        pytest.skip("shipped weights not present")
    return path


def test_every_registered_name_has_a_digest():
    assert sorted(pretrained.REGISTRY) == sorted(SHIPPED)
    assert sorted(pretrained.SHA256) == sorted(pretrained.REGISTRY)
    for digest in pretrained.SHA256.values():
        assert len(digest) == 64 and int(digest, 16) >= 0


@pytest.mark.parametrize("name", SHIPPED)
def test_registered_digest_matches_the_shipped_file(name):
    path = _shipped_path(name)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == pretrained.SHA256[name]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_load(name, fresh_cache):
    path = _shipped_path(name)
    assert path.stat().st_size < 5_000_000
    net = pretrained.get_model(name, "cpu")
    assert isinstance(net, PixelAffinityNet)
    assert net.config["width"] == 32 and net.config["use_edges"] is False
    # The default is the dilated net read with the exponent chosen on BSDS500
    # val (training/choose_exponent.py); the SEAL-only net is read as trained.
    assert list(net.config["dilations"]) == {"bsds500": [1, 2, 4], "bsds500-seal": [1, 1, 1]}[name]
    assert net.exponent == {"bsds500": 2.0, "bsds500-seal": 1.0}[name]


def test_corrupted_package_file_is_refused_by_name(tmp_path, monkeypatch, fresh_cache):
    original = _shipped_path("bsds500")
    copy = tmp_path / "pan_bsds500_copy.pt"
    shutil.copyfile(original, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF          # one byte, in the middle of the tensors
    copy.write_bytes(bytes(data))
    monkeypatch.setitem(pretrained.REGISTRY, "bsds500", str(copy))
    for load in (lambda: pretrained.get_model("bsds500", "cpu"),
                 lambda: pretrained.read_weight_file("bsds500")):
        with pytest.raises(ValueError, match=r"pan_bsds500_copy\.pt.*SHA-256.*corrupted"):
            load()
    from sealseg import learn_affinities
    with pytest.raises(ValueError, match=r"pan_bsds500_copy\.pt"):
        learn_affinities(np.zeros((8, 8, 3)))


def test_a_registered_file_is_checked_even_when_cached_under_its_path(
        tmp_path, monkeypatch, fresh_cache):
    # A file loaded by path is not checked; the same file asked for by name is.
    path = _save_weights(tmp_path / "mine.pt")
    pretrained.get_model(str(path), "cpu")
    monkeypatch.setitem(pretrained.REGISTRY, "bsds500", str(path))
    with pytest.raises(ValueError, match="mine.pt.*SHA-256"):
        pretrained.get_model("bsds500", "cpu")


def test_digest_is_computed_once_per_file(monkeypatch, fresh_cache):
    _shipped_path("bsds500")
    calls = []
    real = pretrained._sha256
    monkeypatch.setattr(pretrained, "_sha256", lambda path: calls.append(path) or real(path))
    pretrained.read_weight_file("bsds500")
    pretrained.read_weight_file("bsds500")
    pretrained.get_model("bsds500", "cpu")
    assert len(calls) == 1
    pretrained.clear_cache()               # e.g. after replacing a file: checked again
    pretrained.read_weight_file("bsds500")
    assert len(calls) == 2


def test_files_given_by_path_are_not_hashed(tmp_path, monkeypatch, fresh_cache):
    path = _save_weights(tmp_path / "w.pt")
    monkeypatch.setattr(pretrained, "_sha256", lambda path: pytest.fail("hashed a user file"))
    assert isinstance(pretrained.get_model(str(path), "cpu"), PixelAffinityNet)
    assert isinstance(pretrained.read_weight_file(path), PixelAffinityNet)


def test_missing_registered_file_is_named(monkeypatch, fresh_cache):
    monkeypatch.setitem(pretrained.REGISTRY, "bsds500", "never-shipped.pt")
    with pytest.raises(FileNotFoundError, match="never-shipped.pt"):
        pretrained.get_model("bsds500", "cpu")


def test_name_without_digest_is_refused(tmp_path, monkeypatch, fresh_cache):
    path = _save_weights(tmp_path / "w.pt")
    monkeypatch.setitem(pretrained.REGISTRY, "unhashed", str(path))
    with pytest.raises(ValueError, match="'unhashed' have no SHA-256"):
        pretrained.get_model("unhashed", "cpu")


def test_cache_and_architecture_from_the_file(tmp_path, fresh_cache):
    path = _save_weights(tmp_path / "w.pt", kernel="7x7", dilations=(1, 2, 4))
    assert pretrained.get_model(str(path), "cpu") is pretrained.get_model(path, "cpu")
    assert pretrained.get_model(path, "cpu").config["dilations"] == [1, 2, 4]
    # a bare state dict works too (architecture read off the shapes)
    torch.save(PixelAffinityNet(8, use_edges=False).state_dict(), tmp_path / "bare.pt")
    net = pretrained.get_model(str(tmp_path / "bare.pt"), "cpu")
    assert net.config["use_edges"] is False and not net.training
