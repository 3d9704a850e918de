"""Tests of reading shipped and user weight files (sealseg.pan.pretrained): SHA-256 checks, cache.

The records themselves are tested in test_registry.py.
"""
import hashlib
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sealseg import learn_affinities, seal_ers  # noqa: E402
from sealseg.pan import pretrained, registry  # noqa: E402
from sealseg.pan.model import PixelAffinityNet  # noqa: E402

SHIPPED = registry.list_weights()


def ship_as(monkeypatch, name, file):
    """Point the record of the shipped net ``name`` at ``file`` for one test."""
    from dataclasses import replace

    record = registry.get_weights(name)
    monkeypatch.setitem(registry._BY_NAME, record.name, replace(record, file=str(file)))


def _save_weights(path, **kw):
    from sealseg.pan.pretrained import model_file_payload

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
def test_registered_digest_matches_the_shipped_file(name):
    path = _shipped_path(name)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == registry.get_weights(name).sha256


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_load(name, fresh_cache):
    path = _shipped_path(name)
    assert path.stat().st_size < 5_000_000
    net = pretrained.get_model(name, "cpu")
    assert isinstance(net, PixelAffinityNet)
    assert net.config["width"] == 32 and net.config["use_edges"] is False
    # Each file holds the architecture and exponent its record states.
    record = registry.get_weights(name)
    assert {k: net.config[k] for k in record.architecture} == record.architecture
    assert net.exponent == record.exponent


def test_the_train_val_net_and_its_train_only_twin_are_different_nets(fresh_cache):
    # The train + val net must not be a copy of the train-only file.
    trainval = pretrained.read_weight_file("bsds500-trainval").state_dict()
    twin = pretrained.read_weight_file("bsds500-dilated").state_dict()
    assert trainval.keys() == twin.keys()
    assert any(not torch.equal(trainval[k], twin[k]) for k in trainval)


def test_corrupted_package_file_is_refused_by_name(tmp_path, monkeypatch, fresh_cache):
    original = _shipped_path("bsds500")
    copy = tmp_path / "pan_bsds500_copy.pt"
    shutil.copyfile(original, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF          # one byte, in the middle of the tensors
    copy.write_bytes(bytes(data))
    ship_as(monkeypatch, "bsds500", copy)
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
    ship_as(monkeypatch, "bsds500", path)
    with pytest.raises(ValueError, match="mine.pt.*SHA-256"):
        pretrained.get_model("bsds500", "cpu")


def test_digest_is_computed_once_per_file(monkeypatch, fresh_cache):
    _shipped_path("bsds500")
    calls = []
    real = pretrained.file_sha256
    monkeypatch.setattr(pretrained, "file_sha256", lambda path: calls.append(path) or real(path))
    pretrained.read_weight_file("bsds500")
    pretrained.read_weight_file("bsds500")
    pretrained.get_model("bsds500", "cpu")
    assert len(calls) == 1
    pretrained.clear_cache()               # e.g. after replacing a file: checked again
    pretrained.read_weight_file("bsds500")
    assert len(calls) == 2


def test_files_given_by_path_are_not_hashed(tmp_path, monkeypatch, fresh_cache):
    path = _save_weights(tmp_path / "w.pt")
    monkeypatch.setattr(pretrained, "file_sha256", lambda path: pytest.fail("hashed a user file"))
    assert isinstance(pretrained.get_model(str(path), "cpu"), PixelAffinityNet)
    assert isinstance(pretrained.read_weight_file(path), PixelAffinityNet)


def test_missing_registered_file_is_named(monkeypatch, fresh_cache):
    ship_as(monkeypatch, "bsds500", "never-shipped.pt")
    with pytest.raises(FileNotFoundError, match="never-shipped.pt"):
        pretrained.get_model("bsds500", "cpu")


def test_cache_and_architecture_from_the_file(tmp_path, fresh_cache):
    path = _save_weights(tmp_path / "w.pt", kernel="7x7", dilations=(1, 2, 4))
    assert pretrained.get_model(str(path), "cpu") is pretrained.get_model(path, "cpu")
    assert pretrained.get_model(path, "cpu").config["dilations"] == [1, 2, 4]
    deeper = _save_weights(tmp_path / "deeper.pt", dilations=(1, 2, 4, 1))
    assert len(pretrained.get_model(deeper, "cpu").blocks) == 4
    # a bare state dict works too (architecture read off the shapes)
    torch.save(PixelAffinityNet(8, use_edges=False).state_dict(), tmp_path / "bare.pt")
    net = pretrained.get_model(str(tmp_path / "bare.pt"), "cpu")
    assert net.config["use_edges"] is False and not net.training


# Bad weight files: refused, nothing executed.

REPO = Path(__file__).resolve().parents[1]
IMG = np.random.default_rng(0).random((12, 10, 3))

torch_cases = pytest.mark.skipif(
    __import__("importlib").util.find_spec("torch") is None, reason="needs torch")


class _Exploit:
    """Unpickling this would create a file: a weight file must never do that."""

    target = None

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


@pytest.fixture(scope="module")
def weight_files(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.pretrained import model_file_payload

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    good = folder / "good.pt"
    torch.save(model_file_payload(PixelAffinityNet(8).eval()), good)
    data = good.read_bytes()
    (folder / "truncated.pt").write_bytes(data[: len(data) // 2])
    (folder / "empty.pt").write_bytes(b"")
    exploit = _Exploit()
    exploit.target = str(folder / "PWNED")
    (folder / "pickle.pt").write_bytes(pickle.dumps(exploit))
    payload = model_file_payload(PixelAffinityNet(8))
    payload["config"]["width"] = 32               # tensors are width 8
    torch.save(payload, folder / "other_width.pt")
    mixed = PixelAffinityNet(8).state_dict()
    mixed["head.0.weight"] = PixelAffinityNet(16).state_dict()["head.0.weight"]
    torch.save(mixed, folder / "mixed_width_state_dict.pt")
    torch.save(PixelAffinityNet(16).state_dict(), folder / "bare_width16.pt")
    torch.save([1, 2, 3], folder / "list.pt")
    (folder / "a_folder.pt").mkdir()
    return folder


WEIGHT_CASES = [
    ("missing-file", "missing.pt", FileNotFoundError, "missing.pt' does not exist"),
    ("a-folder", "a_folder.pt", IsADirectoryError, "a_folder.pt' is a folder"),
    ("truncated-file", "truncated.pt", ValueError, "truncated, corrupt or not a torch file"),
    ("empty-file", "empty.pt", ValueError, "truncated, corrupt or not a torch file"),
    ("random-pickle", "pickle.pt", ValueError,
     "holds Python objects other than tensors and is refused"),
    ("config-of-another-width", "other_width.pt", ValueError,
     "does not match the Pixel Affinity Net architecture"),
    ("state-dict-of-mixed-widths", "mixed_width_state_dict.pt", ValueError,
     "size mismatch for"),
    ("not-a-dict", "list.pt", ValueError, "holds a list"),
]


@torch_cases
@pytest.mark.parametrize("name, error, match", [c[1:] for c in WEIGHT_CASES],
                         ids=[c[0] for c in WEIGHT_CASES])
def test_bad_weight_files(weight_files, name, error, match):
    from sealseg.pan import pretrained

    pretrained.clear_cache()
    path = weight_files / name
    with pytest.raises(error) as info:
        learn_affinities(IMG, weights=str(path), device="cpu")
    assert match in str(info.value) and name in str(info.value)
    # The same from seal_ers, and nothing in the file was ever executed.
    with pytest.raises(error):
        seal_ers(IMG, 3, weights=str(path), device="cpu")
    assert not (weight_files / "PWNED").exists()


@torch_cases
def test_weight_files_load_with_weights_only():
    # Every torch.load in the package passes weights_only=True.
    for path in (REPO / "sealseg").rglob("*.py"):
        text = path.read_text()
        for k, line in enumerate(text.splitlines()):
            if "torch.load(" in line and not line.lstrip().startswith(("#", ">>>")):
                call = " ".join(text.splitlines()[k:k + 3])
                assert "weights_only=True" in call, f"{path.name}:{k + 1}: {line.strip()}"


@torch_cases
def test_bare_state_dict_of_another_width_is_a_valid_net(weight_files):
    # A consistent state dict of width 16 is a different, valid net: its
    # architecture is read off the tensor shapes.
    a = learn_affinities(IMG, weights=str(weight_files / "bare_width16.pt"), device="cpu")
    assert a.shape == (2, 12, 10)



# --------------------------------------------------------------------------- issue 19
# Untrusted weight files are checked before anything large is built or read;
# devices are checked before the net is moved.

def _payload(path, *, config=None, state=None, **overrides):
    net = PixelAffinityNet(8).eval()
    payload = {"format": "sealseg-pan-1", "config": dict(net.config, **(config or {})),
               "state_dict": state if state is not None else net.state_dict()}
    payload.update(overrides)
    torch.save(payload, path)
    return str(path)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_weight_file_with_nan_or_inf_tensors_is_refused_naming_file_and_tensor(
        tmp_path, fresh_cache, value):
    # Was: learn_affinities returned all-NaN affinities; seal_ers said only
    # "affinities contains NaN", naming no file.
    state = PixelAffinityNet(8).state_dict()
    state["blocks.1.conv2.weight"][0, 0, 0, 0] = value
    path = _payload(tmp_path / "nan.pt", state=state)
    image = np.zeros((16, 16, 3))
    for call in (lambda: learn_affinities(image, weights=path),
                 lambda: seal_ers(image, 4, weights=path)):
        with pytest.raises(ValueError, match=r"nan\.pt' holds NaN or infinite values in "
                                             r"blocks\.1\.conv2\.weight"):
            call()


@pytest.mark.parametrize("config, match", [
    ({"dilations": [100000, 1, 1]}, r"config\['dilations'\] must be a number from 1 to 64"),
    ({"width": 10 ** 6}, r"config\['width'\] must be a number from 1 to 512"),
    ({"fusion": 2 ** 40}, r"config\['fusion'\] must be a number from 1 to 512"),
    ({"exponent": 1e30}, r"config\['exponent'\] must be a number from 0.001 to 64"),
    ({"exponent": float("nan")}, r"config\['exponent'\] must be a number"),
    ({"dilations": [1] * 100}, r"config\['dilations'\] has 100 entries"),
])
def test_absurd_config_is_refused_before_the_net_is_built(tmp_path, fresh_cache, monkeypatch,
                                                         config, match):
    # dilations=[100000, 1, 1] made the forward pass try to allocate 10 TB
    # (a RuntimeError escaped); width=10**6 would allocate 36 TB of weights.
    path = _payload(tmp_path / "bad.pt", config=config)
    built = []
    monkeypatch.setattr(PixelAffinityNet, "__init__", lambda *a, **k: built.append(k))
    with pytest.raises(ValueError, match=match + ".*refused"):
        pretrained.read_weight_file(path)
    assert built == []


def test_a_config_with_more_blocks_than_a_net_may_have_is_one_error(tmp_path, fresh_cache):
    path = _payload(tmp_path / "nine.pt", config={"dilations": [1] * 9})
    with pytest.raises(ValueError, match=r"nine\.pt.*dilations must be 1 to 8"):
        pretrained.read_weight_file(path)


def test_tensor_shapes_are_checked_against_the_config_before_loading(tmp_path, fresh_cache):
    state = PixelAffinityNet(8).state_dict()
    state["head.0.weight"] = torch.zeros(64, 4, 1, 7)
    path = _payload(tmp_path / "shape.pt", state=state)
    with pytest.raises(ValueError, match=r"size mismatch for head\.0\.weight: the file has "
                                         r"\(64, 4, 1, 7\), the net \(8, 4, 1, 7\)"):
        pretrained.read_weight_file(path)


def test_compressed_weight_file_is_refused_without_inflating_it(tmp_path, fresh_cache,
                                                                monkeypatch):
    # A 0.7 MB file holding a 512 MB zero tensor was inflated whole (10.6 s,
    # 766 MB) before being refused; here a 64 MB one, refused from the zip
    # directory alone: torch.load is never called.
    import time
    import zipfile

    state = PixelAffinityNet(8).state_dict()
    state["head.0.weight"] = torch.zeros(16 * 2 ** 20)
    stored = _payload(tmp_path / "stored.pt", state=state)
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(stored) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for record in src.infolist():
            dst.writestr(record.filename, src.read(record.filename))
    Path(stored).unlink()
    assert bomb.stat().st_size < 1_000_000
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    start = time.perf_counter()
    with pytest.raises(ValueError, match="compressed record .*refused without decompressing"):
        learn_affinities(np.zeros((8, 8, 3)), weights=str(bomb))
    assert time.perf_counter() - start < 2.0


def test_weight_file_with_more_data_than_any_net_is_refused_unread(tmp_path, fresh_cache,
                                                                  monkeypatch):
    monkeypatch.setattr(pretrained, "MAX_WEIGHT_BYTES", 10_000)
    path = _payload(tmp_path / "big.pt")
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    with pytest.raises(ValueError, match="holds more than 0 MB of data.*refused without"):
        pretrained.read_weight_file(path)


def test_stored_record_shorter_than_its_tensor_is_refused(tmp_path, fresh_cache):
    import zipfile

    state = PixelAffinityNet(8).state_dict()
    full = _payload(tmp_path / "full.pt", state=state)
    liar = tmp_path / "liar.pt"
    with zipfile.ZipFile(full) as src, zipfile.ZipFile(liar, "w") as dst:
        for record in src.infolist():
            data = src.read(record.filename)
            dst.writestr(record.filename, data[:8] if "/data/0" in record.filename else data)
    # With a memory-mapped load the short record was read past its end: the
    # net got other bytes (refused only when they happened to be NaN).
    with pytest.raises(ValueError, match=r"liar\.pt': truncated, corrupt.*record size"):
        pretrained.read_weight_file(str(liar))


@pytest.mark.parametrize("device, error, match", [
    ("cuda", ValueError, "this torch has no CUDA support"),
    ("cuda:7", ValueError, "cuda:7"),
    ("mps", ValueError, "no MPS support"),
    ("meta", ValueError, "not on 'meta'"),
    ("xla", ValueError, "not on 'xla'"),
    ("banana", ValueError, "is not a device name"),
    ("cpu:1", ValueError, "one cpu device, index 0"),
    (0, TypeError, "got 0 of type int"),
    (b"cpu", TypeError, "of type bytes"),
    (["cpu"], TypeError, "of type list"),
])
def test_unusable_device_is_one_error_naming_device_and_what_is_available(
        device, error, match, monkeypatch):
    # Were AssertionError (cuda), RuntimeError (mps, xla), NotImplementedError (meta).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(error, match=f"device.*{match}.*available: 'cpu'"):
        learn_affinities(np.zeros((8, 8, 3)), device=device)


def test_torch_device_objects_and_names_of_available_devices_work(fresh_cache):
    image = np.random.default_rng(0).random((10, 12, 3))
    expected = learn_affinities(image)
    for device in ("cpu", "cpu:0", torch.device("cpu")):
        np.testing.assert_array_equal(learn_affinities(image, device=device), expected)


def test_legacy_weight_file_loads_and_is_bounded_by_its_size(tmp_path, fresh_cache, monkeypatch):
    net = PixelAffinityNet(8).eval()
    path = tmp_path / "legacy.pt"
    torch.save({"format": "sealseg-pan-1", "config": net.config, "state_dict": net.state_dict()},
               path, _use_new_zipfile_serialization=False)
    assert pretrained.read_weight_file(str(path)).config == net.config
    monkeypatch.setattr(pretrained, "MAX_WEIGHT_BYTES", 10_000)
    with pytest.raises(ValueError, match="holds more than"):
        pretrained.read_weight_file(str(path))


# Weight files replaced, odd or mistaken.

def test_a_weight_file_replaced_at_the_same_path_is_loaded_again(tmp_path, fresh_cache):
    path = tmp_path / "model.pt"
    _save_weights(path)
    first = pretrained.get_model(str(path), "cpu")
    torch.manual_seed(1)
    torch.save(__import__("sealseg.pan.pretrained", fromlist=["x"]).model_file_payload(
        PixelAffinityNet(16).eval()), path)
    second = pretrained.get_model(str(path), "cpu")
    assert second is not first and second.config["width"] == 16
    assert pretrained.get_model(path, "cpu") is second      # unchanged file: cached


def test_complex_tensors_are_refused_not_cast(tmp_path, fresh_cache):
    state = PixelAffinityNet(8).eval().state_dict()
    key = next(k for k, v in state.items() if v.is_floating_point())
    state[key] = state[key].to(torch.complex64) * (1 + 1j)
    with pytest.raises(ValueError, match=f"{key} holds complex64"):
        pretrained.read_weight_file(_payload(tmp_path / "complex.pt", state=state))


@pytest.mark.parametrize("kind, error, match", [
    ("folder", IsADirectoryError, "is a folder"),
    ("fifo", ValueError, "FIFO"),
    ("device", ValueError, "character device"),
])
def test_a_weights_path_that_is_not_a_file_is_named_for_what_it_is(tmp_path, fresh_cache, kind,
                                                                      error, match):
    import os

    path = {"folder": tmp_path / "dir.pt", "fifo": tmp_path / "pipe.pt",
            "device": Path("/dev/zero")}[kind]
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(error, match=match):     # a FIFO opened would block here
        pretrained.get_model(str(path) if kind != "device" else path, "cpu")


def test_a_training_checkpoint_passed_as_weights_says_so(tmp_path, fresh_cache):
    net = PixelAffinityNet(8)
    torch.save({"step": 3, "config": {}, "model": net.state_dict(),
                "optimizer": torch.optim.SGD(net.parameters(), 0.1).state_dict()},
               tmp_path / "checkpoint.pt")
    with pytest.raises(ValueError, match="training checkpoint.*model.pt"):
        pretrained.read_weight_file(tmp_path / "checkpoint.pt")


def test_os_pathlike_weights_are_accepted(tmp_path, fresh_cache):
    class Where:
        def __init__(self, path):
            self.path = path

        def __fspath__(self):
            return str(self.path)

    path = _save_weights(tmp_path / "model.pt")
    assert pretrained.get_model(Where(path), "cpu") is pretrained.get_model(path, "cpu")
