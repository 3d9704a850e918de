"""Tests of the weight registry (sealseg.pan.pretrained): names, cache."""
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


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_load(name, fresh_cache):
    assert sorted(pretrained.REGISTRY) == sorted(SHIPPED)
    path = _shipped_path(name)
    assert path.stat().st_size < 5_000_000
    net = pretrained.get_model(name, "cpu")
    assert isinstance(net, PixelAffinityNet)
    assert net.config["width"] == 32 and net.config["use_edges"] is False
    # The default is the dilated net read with the exponent chosen on BSDS500
    # val (training/choose_exponent.py); the SEAL-only net is read as trained.
    assert list(net.config["dilations"]) == {"bsds500": [1, 2, 4], "bsds500-seal": [1, 1, 1]}[name]
    assert net.exponent == {"bsds500": 2.0, "bsds500-seal": 1.0}[name]


def test_cache_and_architecture_from_the_file(tmp_path, fresh_cache):
    path = _save_weights(tmp_path / "w.pt", kernel="7x7", dilations=(1, 2, 4))
    assert pretrained.get_model(str(path), "cpu") is pretrained.get_model(path, "cpu")
    assert pretrained.get_model(path, "cpu").config["dilations"] == [1, 2, 4]
    # a bare state dict works too (architecture read off the shapes)
    torch.save(PixelAffinityNet(8, use_edges=False).state_dict(), tmp_path / "bare.pt")
    net = pretrained.get_model(str(tmp_path / "bare.pt"), "cpu")
    assert net.config["use_edges"] is False and not net.training
