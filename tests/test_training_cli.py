"""Tests of the train command (sealseg.training.cli): its data, and every argument checked up front.

Each bad argument ends in one line on stderr and exit code 2, before the run
folder is touched; the old answers were tracebacks (exit 1) or silent runs.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_datasets import make_bsds_tree  # noqa: E402

# A tiny run: width 4, 16-pixel crops, two steps, no validation, one thread.
TINY = ["--width", "4", "--crop", "16", "--iters", "2", "--val-every", "0", "--threads", "1",
        "--batch", "2"]


def _folder(root, n=3, shape=(30, 40), seed=0):
    """A folder data set: ``root/images/*.png`` and ``root/labels/*.png``."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for k in range(n):
        labels = np.ones(shape, np.uint16)
        labels[5:20, 8:25] = 2
        labels[18:, 20:] = 3
        image = (rng.integers(0, 40, shape + (3,)) + 60 * labels[..., None]).astype(np.uint8)
        Image.fromarray(image).save(root / "images" / f"im{k}.png")
        Image.fromarray(labels).save(root / "labels" / f"im{k}.png")
    return ["--dataset", "folder", "--root", str(root / "images"),
            "--labels", str(root / "labels")]


def _weights(path, width=4, exponent=2.0):
    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.pretrained import model_file_payload

    torch.manual_seed(0)
    payload = model_file_payload(PixelAffinityNet(width, dilations=(1, 2, 1)).eval())
    payload["config"]["exponent"] = exponent
    torch.save(payload, path)
    return path


def _train(argv, capsys):
    from sealseg.__main__ import main

    capsys.readouterr()
    code = main(["train", *argv])
    return code, capsys.readouterr().err.strip().splitlines()


def _refused(argv, capsys, match):
    code, err = _train(argv, capsys)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("python -m sealseg train: error: "), err
    assert match in err[0], err[0]
    return err[0]


@pytest.fixture
def data(tmp_path):
    return _folder(tmp_path / "data")


def test_a_folder_data_set_trains_and_writes_the_run(tmp_path, data, capsys):
    out = tmp_path / "run"
    code, err = _train(["--out", str(out), *data, *TINY], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "config.json", "log.csv",
                                                      "model.pt"]
    saved = torch.load(out / "model.pt", weights_only=True)
    # the shipped recipe's design: no edge channel, blocks dilated 1, 2, 4
    assert saved["config"]["dilations"] == [1, 2, 4] and not saved["config"]["use_edges"]


def test_dilations_give_one_residual_block_each(tmp_path, data, capsys):
    out = tmp_path / "run"
    code, err = _train(["--out", str(out), *data, *TINY, "--dilations", "1", "2", "4", "1"],
                       capsys)
    assert code == 0, err
    saved = torch.load(out / "model.pt", weights_only=True)
    assert saved["config"]["dilations"] == [1, 2, 4, 1]
    assert "blocks.3.conv1.weight" in saved["state_dict"]


def test_defaults_are_the_shipped_recipe():
    from sealseg.pan.registry import DEFAULT
    from sealseg.training.loop import TrainConfig, model_config

    cfg = TrainConfig()
    assert (cfg["loss"], cfg["use_edges"], cfg["dilations"], cfg["width"]) == \
        ("balanced_bce", False, (1, 2, 4), 32)
    assert {k: v for k, v in model_config(cfg).items()} == \
        {k: v for k, v in DEFAULT.architecture.items() if k in model_config(cfg)}


def test_init_fine_tunes_and_keeps_the_architecture_and_exponent(tmp_path, data, capsys):
    init = _weights(tmp_path / "w.pt", width=4, exponent=2.0)
    out = tmp_path / "ft"
    code, err = _train(["--out", str(out), *data, *TINY, "--init", str(init), "--lr", "1e-4"],
                       capsys)
    assert code == 0, err
    config = torch.load(out / "model.pt", weights_only=True)["config"]
    assert config["width"] == 4 and config["dilations"] == [1, 2, 1]
    assert config["exponent"] == 2.0       # read out as the net it started from


def test_init_from_a_shipped_name(tmp_path, data, capsys):
    from sealseg.pan.pretrained import weights_path

    if not weights_path(None).is_file():
        pytest.skip("shipped weights not present")
    out = tmp_path / "ft"
    argv = ["--out", str(out), *data, "--crop", "16", "--iters", "1", "--val-every", "0",
            "--threads", "1", "--batch", "1", "--init", "bsds500"]
    code, err = _train(argv, capsys)
    assert code == 0, err
    assert torch.load(out / "model.pt", weights_only=True)["config"]["width"] == 32


@pytest.mark.parametrize("make_init, match", [
    (lambda tmp: tmp, "is a folder"),
    (lambda tmp: tmp / "none.pt", "does not exist"),
    (lambda tmp: Path(torch.save({"config": {"arch": "multiscale", "width": 4},
                                  "state_dict": {}}, tmp / "ms.pt") or tmp / "ms.pt"),
     "arch must be 'pan'"),
])
def test_init_that_is_no_weight_file_is_one_line(tmp_path, data, capsys, make_init, match):
    init = make_init(tmp_path)
    err = _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--init", str(init)],
                   capsys, match)
    assert err.startswith(f"python -m sealseg train: error: --init {init}")
    assert not (tmp_path / "run").exists()


def test_init_with_another_architecture_given_is_refused(tmp_path, data, capsys):
    init = _weights(tmp_path / "w.pt", width=4)
    # TINY gives --width 4; the last --width wins
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--init", str(init), "--width", "8"],
             capsys, "--width (the file: 4) differ")


@pytest.mark.parametrize("option, value, match", [
    ("--dilations", ["100000", "1", "1"], "--dilations must be an integer from 1 to 64"),
    ("--dilations", ["1"] * 9, "--dilations must be 1 to 8 integers"),
    ("--lr", ["1e308"], "--lr must be a finite number > 0 and <= 1"),
    ("--lr", ["inf"], "--lr must be a finite number > 0"),
    ("--lr", ["nan"], "--lr must be a finite number > 0"),
    ("--lr", ["0"], "--lr must be a finite number > 0"),
    ("--n-segments", ["257"], "--n-segments must be an integer from 1 to 256"),
    ("--ckpt-minutes", ["nan"], "--ckpt-minutes must be a finite number >= 0"),
    ("--val-every", ["-1"], "--val-every must be an integer from 0"),
    ("--val-images", ["-3"], "--val-images must be an integer from 1"),
    ("--width", ["0"], "--width must be an integer from 1 to 512"),
    ("--seed", ["-1"], "--seed must be an integer from 0"),
    ("--max-minutes", ["nan"], "--max-minutes must be a finite number > 0"),
])
def test_settings_out_of_range_are_one_line(tmp_path, data, capsys, option, value, match):
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, option, *value], capsys, match)
    assert not (tmp_path / "run").exists()


def test_a_device_that_is_not_there_is_one_line(tmp_path, data, capsys):
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--device", "cuda:99"], capsys,
             "--device: ")
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--device", "gpu"], capsys,
             "--device: ")
    assert not (tmp_path / "run").exists()


def test_the_device_may_change_on_resume(tmp_path, data, capsys):
    out = tmp_path / "run"
    assert _train(["--out", str(out), *data, *TINY], capsys)[0] == 0
    code, err = _train(["--out", str(out), *data, "--resume", "--iters", "3", "--device", "cpu"],
                       capsys)
    assert code == 0, err
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 3


def test_crop_larger_than_the_images_is_refused_not_clipped(tmp_path, data, capsys):
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--crop", "31"], capsys,
             "--crop 31 is larger than the training image")


def test_out_under_a_file_is_one_line(tmp_path, data, capsys):
    (tmp_path / "file").write_text("x")
    _refused(["--out", str(tmp_path / "file" / "run"), *data, *TINY], capsys, "a file")


def test_out_over_an_earlier_run_is_refused_without_resume(tmp_path, data, capsys):
    out = tmp_path / "run"
    assert _train(["--out", str(out), *data, *TINY], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _refused(["--out", str(out), *data, *TINY], capsys, "holds an earlier run")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_resume_without_a_checkpoint_is_refused(tmp_path, data, capsys):
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--resume"], capsys,
             "nothing to resume")


def test_resume_of_a_corrupt_checkpoint_is_one_line(tmp_path, data, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--resume"], capsys,
             "cannot resume from")


def test_resume_with_conflicting_settings_is_refused(tmp_path, data, capsys):
    out = tmp_path / "run"
    assert _train(["--out", str(out), *data, *TINY], capsys)[0] == 0
    _refused(["--out", str(out), *data, "--resume", "--width", "16", "--lr", "0.1"], capsys,
             "--width (checkpoint: 4), --lr (checkpoint: 0.001) differ")
    # the length of the schedule and the data's place may change
    code, err = _train(["--out", str(out), *data, "--resume", "--iters", "3"], capsys)
    assert code == 0, err
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 3


def test_missing_validation_folder_is_one_line(tmp_path, data, capsys):
    _refused(["--out", str(tmp_path / "run"), *data, *TINY, "--val-every", "1", "--val-root",
              str(tmp_path / "none"), "--val-labels", str(tmp_path / "none")], capsys,
             "does not exist")


def test_bsds500_without_its_val_split_is_one_line(tmp_path, capsys):
    root, _ = make_bsds_tree(tmp_path, split="train", shape=(20, 24), n_gt=1)
    _refused(["--out", str(tmp_path / "run"), "--root", str(root), "--width", "4", "--crop",
              "16", "--iters", "1", "--threads", "1"], capsys, "val")


def test_bsds500_with_a_corrupt_mat_file_is_one_line(tmp_path, capsys):
    root, _ = make_bsds_tree(tmp_path, split="train", shape=(20, 24), n_gt=1)
    next((root / "data" / "groundTruth" / "train").glob("*.mat")).write_bytes(b"garbage")
    _refused(["--out", str(tmp_path / "run"), "--root", str(root), *TINY], capsys, ".mat")


def test_a_nan_loss_stops_the_run_and_keeps_the_last_finite_checkpoint(tmp_path, data, capsys,
                                                                       monkeypatch):
    from sealseg.training import loop

    real = loop.compute_loss
    calls = []

    def nan_at_the_second_step(model, x, gts, cfg, timer):
        calls.append(1)
        loss, gamma = real(model, x, gts, cfg, timer)
        return (loss * float("nan") if len(calls) == 2 else loss), gamma

    monkeypatch.setattr(loop, "compute_loss", nan_at_the_second_step)
    out = tmp_path / "run"
    code, err = _train(["--out", str(out), *data, *TINY, "--ckpt-minutes", "0", "--iters", "5"],
                       capsys)
    # the progress bar's lines, then the one error line; no traceback
    assert code == 2 and not any("Traceback" in line for line in err), err
    assert err[-1] == ("python -m sealseg train: error: the loss became NaN or infinite at step "
                       "2; the run stops and keeps the files of its last checkpoint (try a "
                       "smaller --lr)")
    state = torch.load(out / "model.pt", weights_only=True)["state_dict"]
    assert all(bool(torch.isfinite(v).all()) for v in state.values())
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 1


def test_parser_defaults_come_from_the_config():
    import argparse

    from sealseg.training.cli import add_train_parser

    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", "--out", "x"])
    # None: not given (a resumed run keeps its checkpoint's value)
    assert args.dilations is None and args.use_edges is None and args.lr is None
    args = parser.parse_args(["train", "--out", "x", "--edges", "--dilations", "1", "1", "1"])
    assert args.use_edges is True and args.dilations == [1, 1, 1]
