"""Tests of the weight files sealseg.pan.pretrained reads: bad files refused, nothing executed."""
import pickle
from pathlib import Path

import numpy as np
import pytest

from sealseg import learn_affinities, seal_ers

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
    from sealseg.pan.train import model_file_payload

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

