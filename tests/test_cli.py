"""Tests of the command line's shared error path (sealseg._cli): every command answers bad
input with one line on stderr and exit code 2, never a traceback."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from skimage import io

REPO = Path(__file__).resolve().parents[1]

def _png(folder, name="img.png", shape=(8, 9, 3)):
    path = folder / name
    io.imsave(path, (np.random.default_rng(0).random(shape) * 255).astype(np.uint8),
              check_contrast=False)
    return str(path)


CLI_CASES = [
    ("segment-missing-file", lambda t: ["segment", str(t / "no.png"), "-o", str(t / "o.png")],
     "no such image file"),
    ("segment-not-an-image", lambda t: ["segment", (t / "x.png").write_bytes(b"text") and
                                        str(t / "x.png"), "-o", str(t / "o.png")],
     "cannot read"),
    ("segment-empty-file", lambda t: ["segment", (t / "e.png").write_bytes(b"") or
                                      str(t / "e.png"), "-o", str(t / "o.png")],
     "cannot read"),
    ("segment-too-many-segments", lambda t: ["segment", _png(t), "-n", "73", "-o",
                                             str(t / "o.png")],
     "n_segments=73 is larger than the number of pixels to segment (72)"),
    ("segment-output-folder-missing", lambda t: ["segment", _png(t), "-n", "4", "-o",
                                                 str(t / "no" / "o.png")],
     "output folder does not exist"),
    ("segment-labels-folder-missing", lambda t: ["segment", _png(t), "-n", "4", "-o",
                                                 str(t / "o.png"), "--labels",
                                                 str(t / "no" / "l.npy")],
     "output folder does not exist"),
    ("segment-seal_ers-weights-missing", lambda t: ["segment", _png(t), "-n", "4", "-o",
                                                    str(t / "o.png"), "--method", "seal_ers"],
     "does not exist"),
    ("evaluate-n-0", lambda t: ["evaluate", "--out", str(t / "o"), "--root", str(t),
                                "--methods", "slic", "--n", "0"],
     "n_segments must be a positive integer, got 0"),
    ("evaluate-missing-root", lambda t: ["evaluate", "--out", str(t / "o"), "--root",
                                         str(t / "nope"), "--methods", "slic"],
     "BSDS500 not found"),
    ("evaluate-unknown-method", lambda t: ["evaluate", "--out", str(t / "o"), "--methods",
                                           "nope"], "unknown method 'nope'"),
    ("evaluate-jobs-0", lambda t: ["evaluate", "--out", str(t / "o"), "--methods", "slic",
                                   "--jobs", "0"], "jobs must be a positive integer"),
    ("batch-missing-input-folder", lambda t: ["batch", str(t / "nope"), str(t / "out"), "-n",
                                              "5"], "input folder does not exist"),
    ("train-iters-0", lambda t: ["train", "--out", str(t / "r"), "--iters", "0"],
     "--iters must be an integer from 1 to 1000000000, got 0"),
    ("train-threads-0", lambda t: ["train", "--out", str(t / "r"), "--threads", "0"],
     "--threads must be an integer from 1 to 1024, got 0"),
    ("train-lr-negative", lambda t: ["train", "--out", str(t / "r"), "--lr", "-1"],
     "--lr must be a finite number > 0 and <= 1, got -1.0"),
    ("train-out-is-a-file", lambda t: ["train", "--out", _png(t)], "is a file"),
    ("train-missing-root", lambda t: ["train", "--out", str(t / "r"), "--root",
                                      str(t / "nope")], "BSDS500 not found"),
    # issue 19: paths too long, outputs that would destroy an input or cannot be
    # written as asked, odd inputs, numbers past their range.
    ("segment-5000-char-path", lambda t: ["segment", "a" * 5000 + ".png", "-o",
                                          str(t / "o.png")],
     "image file path too long for the file system (5004 characters)"),
    ("segment-5000-char-output", lambda t: ["segment", _png(t), "-o", "a" * 5000 + ".png"],
     "-o path too long for the file system"),
    ("segment-5000-char-labels", lambda t: ["segment", _png(t), "-o", str(t / "o.png"),
                                            "--labels", "a" * 5000], "--labels path too long"),
    ("batch-5000-char-input", lambda t: ["batch", "a" * 5000, str(t / "out"), "-n", "5"],
     "input folder path too long"),
    ("batch-5000-char-output", lambda t: ["batch", str(t), "a" * 5000, "-n", "5"],
     "output folder path too long"),
    ("segment-o-without-ending", lambda t: ["segment", _png(t), "-o", str(t / "noext")],
     "has no file name ending; accepted: .png, .jpg"),
    ("segment-o-unknown-ending", lambda t: ["segment", _png(t), "-o", str(t / "o.xyz")],
     "has ending '.xyz'; accepted: .png, .jpg, .jpeg, .tif, .tiff, .bmp, .webp"),
    ("segment-o-is-a-folder", lambda t: ["segment", _png(t), "-o",
                                         (t / "d.png").mkdir() or str(t / "d.png")],
     "is a folder"),
    ("segment-o-is-the-input", lambda t: ["segment", _png(t), "-o", str(t / "img.png")],
     "is the input file"),
    ("segment-o-links-to-the-input", lambda t: ["segment", _png(t), "-o", os.symlink(
        t / "img.png", t / "link.png") or str(t / "link.png")], "is the input file"),
    ("segment-fifo", lambda t: ["segment", os.mkfifo(t / "f.png") or str(t / "f.png"), "-o",
                                str(t / "o.png")], "is not an image file but a FIFO"),
    ("batch-into-its-input", lambda t: ["batch", str(Path(_png(t)).parent), str(t), "-n", "5",
                                        "--method", "ers"], "is the input folder"),
    ("batch-retries-huge", lambda t: ["batch", str(Path(_png(t)).parent), str(t / "o"), "-n",
                                      "5", "--retries", str(2 ** 64)],
     "--retries must be from 0 to 2**63 - 1"),
    ("evaluate-tolerance-2**63-1", lambda t: ["evaluate", "--out", str(t / "o"), "--methods",
                                              "slic", "--tolerance", str(2 ** 63 - 1)],
     "tolerance must be a non-negative integer (pixels) up to 2147483647"),
]


@pytest.mark.parametrize("make_argv, match", [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, make_argv,
                                             match):
    from sealseg.__main__ import main
    from dataclasses import replace

    from sealseg.pan import registry

    # The shipped weights may or may not be present: point the default at a missing file.
    monkeypatch.setitem(registry._BY_NAME, registry.DEFAULT.name,
                        replace(registry.DEFAULT, file="never-shipped.pt"))
    argv = make_argv(tmp_path)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"python -m sealseg {argv[0]}: error: ")
    assert match in err[0]


@pytest.mark.parametrize("argv", [["segment", "--example", "coins", "-n", "0", "-o", "o.png"],
                                  ["segment", "--example", "coins", "-n", "abc", "-o", "o.png"],
                                  ["segment", "--example", "coins", "-n", str(2 ** 64), "-o",
                                   "o.png"],
                                  ["batch", "in", "out", "-n", "5", "--jobs", str(2 ** 64)],
                                  ["train", "--out", "r", "--iters", "x"],
                                  ["evaluate", "--out", "o", "--n", "x"]],
                         ids=["n-0", "n-abc", "n-2**64", "batch-jobs-2**64", "iters-x",
                              "evaluate-n-x"])
def test_cli_argument_errors_end_in_one_error_line(capsys, argv):
    # argparse's own errors: usage lines, then one "error:" line, exit code 2.
    from sealseg.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"python -m sealseg {argv[0]}: error: argument ")


def test_cli_subprocess_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sealseg", "train", "--out", str(tmp_path),
                           "--iters", "0"], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "python -m sealseg train: error: --iters must be an integer from 1 to 1000000000, got 0"]



# --------------------------------------------------------------------------- issue 19

@pytest.mark.parametrize("output", ["img.png", "noext", "o.xyz", "link.png"])
def test_segment_refusals_come_before_segmenting_and_write_nothing(tmp_path, monkeypatch,
                                                                   output):
    # -o X.png on X.png overwrote the source; -o noext crashed after segmenting
    # (KeyError: None); -o o.xyz wrote a TIFF although help said PNG.
    from sealseg import methods
    from sealseg.__main__ import main

    source = Path(_png(tmp_path))
    os.symlink(source, tmp_path / "link.png")
    before = source.read_bytes()
    monkeypatch.setattr(methods, "segmenter", lambda name: pytest.fail("segmented"))
    assert main(["segment", str(source), "-o", str(tmp_path / output), "--method", "ers"]) == 2
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.png", "link.png"]


@pytest.mark.parametrize("labels, written", [("o.jpg", "o.jpg.npy"), ("l.npy", "l.npy"),
                                             ("L.NPY", "L.NPY"), ("img.png", "img.png.npy")])
def test_segment_labels_prints_the_file_it_wrote(tmp_path, capsys, labels, written):
    # --labels src.jpg wrote src.jpg.npy but printed "labels -> src.jpg".
    from sealseg.__main__ import main

    source = Path(_png(tmp_path))
    before = source.read_bytes()
    assert main(["segment", str(source), "-n", "4", "-o", str(tmp_path / "o.png"),
                 "--labels", str(tmp_path / labels), "--method", "ers"]) in (0, None)
    assert capsys.readouterr().out.strip().endswith(f"labels -> {tmp_path / written}")
    assert np.load(tmp_path / written).max() == 4
    assert source.read_bytes() == before


def test_overlay_honours_the_umask(tmp_path):
    from sealseg.__main__ import main

    old = os.umask(0o027)
    try:
        main(["segment", _png(tmp_path), "-n", "4", "-o", str(tmp_path / "o.png"), "--labels",
              str(tmp_path / "l.npy"), "--method", "ers"])
    finally:
        os.umask(old)
    assert (tmp_path / "o.png").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "l.npy").stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------- issue 20

def _sealseg_process(argv, cwd):
    return subprocess.run([sys.executable, "-m", "sealseg", *argv], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize("method", ["ers", "seal_ers"])
def test_segment_process_ends_at_once_with_its_outputs_written(tmp_path, method):
    # The entry point ends a segment with os._exit (torch's teardown took
    # ~0.45 s): the overlay, the labels and the printed line must all be
    # complete by then, and the exit code 0.
    proc = _sealseg_process(["segment", _png(tmp_path, shape=(24, 31, 3)), "-n", "6",
                             "-o", str(tmp_path / "o.png"), "--labels",
                             str(tmp_path / "l.npy"), "--method", method], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(f", labels -> {tmp_path / 'l.npy'}\n")
    assert io.imread(tmp_path / "o.png").shape == (24, 31, 3)
    labels = np.load(tmp_path / "l.npy")
    assert labels.shape == (24, 31) and labels.max() - labels.min() + 1 == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.png", "l.npy", "o.png"]


def test_segment_process_keeps_the_error_exit_code(tmp_path):
    proc = _sealseg_process(["segment", _png(tmp_path), "-n", "73", "-o",
                             str(tmp_path / "o.png"), "--method", "ers"], tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("python -m sealseg segment: error: n_segments=73 is larger")
    assert not (tmp_path / "o.png").exists()


def test_main_returns_to_its_caller_after_segment(tmp_path, capsys):
    # Only the process entry point (run) exits; main() is for callers like this one.
    from sealseg.__main__ import main

    assert main(["segment", _png(tmp_path), "-n", "4", "-o", str(tmp_path / "o.png"),
                 "--method", "ers"]) == 0
    assert "4 superpixels" in capsys.readouterr().out


# --------------------------------------------------------------------------- manners

@pytest.mark.parametrize("command, argv, target, hint", [
    ("segment", lambda t: ["segment", _png(t), "-o", str(t / "o.png"), "--method", "ers"],
     ("sealseg.methods", "segmenter"), "no output is half written"),
    ("batch", lambda t: ["batch", str(t), str(t / "out"), "-n", "4", "--method", "ers"],
     ("sealseg.collection", "segment_collection"), "complete outputs are skipped"),
    ("evaluate", lambda t: ["evaluate", "--dataset", "folder", "--root", str(t), "--labels",
                            str(t), "--out", str(t / "out")],
     ("sealseg.evaluation", "evaluate"), "rows already computed are skipped"),
])
def test_ctrl_c_gives_one_line_with_how_to_go_on_and_exit_130(tmp_path, capsys, monkeypatch,
                                                              command, argv, target, hint):
    import importlib

    from sealseg.__main__ import main

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module(target[0]), target[1], stopped)
    assert main(argv(tmp_path)) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"python -m sealseg {command}: interrupted; ")
    assert hint in err[0]


def test_ctrl_c_of_evaluate_on_its_own_entry_point(tmp_path, capsys, monkeypatch):
    from sealseg import evaluation
    from sealseg.evaluation.cli import main

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluation, "evaluate", stopped)
    assert main(["--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err.startswith("python -m sealseg evaluate: interrupted; ")


def test_ctrl_c_in_a_batch_with_workers_is_one_line_and_the_run_resumes(tmp_path):
    # SIGINT goes to the whole process group, as a terminal sends it: the
    # workers ignore it, the parent prints one line and exits 130; a rerun
    # finishes the rest.  (Was: a traceback from the parent and each worker.)
    import signal
    import time

    images = tmp_path / "in"
    images.mkdir()
    for k in range(150):
        _png(images, f"{k:03d}.png", shape=(160, 160, 3))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "sealseg", "batch", str(images), str(out), "-n", "300",
            "--method", "ers", "--jobs", "2", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(out.glob("*.png"))) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [
        "python -m sealseg batch: interrupted; run the same command again to resume: "
        "complete outputs are skipped"]
    written = len(list(out.glob("*.png")))
    assert 0 < written < 150
    rerun = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert len(list(out.glob("*.png"))) == 150
    # Every file the stopped run left is complete: the rerun skips them all.
    assert rerun.stdout.startswith(f"{150 - written} done, {written} skipped ")


@pytest.mark.parametrize("command", ["segment", "batch"])
def test_device_option_applies_to_seal_ers_only(tmp_path, capsys, command):
    from sealseg.__main__ import main

    argv = (["segment", _png(tmp_path), "-o", str(tmp_path / "o.png")] if command == "segment"
            else ["batch", str(tmp_path), str(tmp_path / "out"), "-n", "4"])
    if command == "segment":     # CommandError: main returns 2
        assert main(argv + ["--method", "ers", "--device", "cpu"]) == 2
    else:                        # batch answers through _cli.fail: SystemExit(2)
        with pytest.raises(SystemExit) as exc:
            main(argv + ["--method", "ers", "--device", "cpu"])
        assert exc.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"python -m sealseg {command}: error: --device applies to --method seal_ers only"]


def test_segment_device_reaches_seal_ers(tmp_path, capsys):
    from sealseg.__main__ import main

    assert main(["segment", _png(tmp_path), "-n", "4", "-o", str(tmp_path / "o.png"),
                 "--device", "no-such-device", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "device='no-such-device'" in err[0], err
    assert main(["segment", _png(tmp_path), "-n", "4", "-o", str(tmp_path / "o.png"),
                 "--device", "cpu", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_batch_device_reaches_seal_ers(tmp_path, capsys):
    from sealseg.__main__ import main

    _png(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["batch", str(tmp_path), str(tmp_path / "out"), "-n", "4", "--device",
              "no-such-device", "--quiet"])
    assert exc.value.code == 2
    assert "device='no-such-device'" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), str(tmp_path / "out"), "-n", "4", "--device", "cpu",
                 "--quiet"]) == 0
    assert np.unique(io.imread(tmp_path / "out" / "img.png")).size == 4


@pytest.mark.parametrize("method", ["ers", "seal_ers"])
def test_segment_shows_its_steps_on_stderr_and_quiet_silences_them(tmp_path, capsys, method):
    from sealseg.__main__ import main

    argv = ["segment", _png(tmp_path), "-n", "4", "-o", str(tmp_path / "o.png"),
            "--method", method]
    assert main(argv) == 0
    steps = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("python -m sealseg segment: ") and line.endswith(" s]")
               for line in steps)
    assert any("ERS into 4 superpixels" in line for line in steps)
    assert any("affinity net on cpu in 1 tile(s)" in line for line in steps) == \
        (method == "seal_ers")
    assert "writing " in steps[-1]
    assert main(argv + ["--quiet", "--overwrite"]) == 0
    assert capsys.readouterr().err == ""


def test_quiet_is_the_one_name_of_the_option(tmp_path):
    from sealseg.__main__ import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in ("segment", "batch", "evaluate"):
        options = {s for a in commands[name]._actions for s in a.option_strings}
        assert "--quiet" in options and "--no-progress" not in options


@pytest.mark.parametrize("image", [
    np.linspace(-3.0, 7.0, 8 * 12).reshape(8, 12),                       # float outside [0, 1]
    (np.arange(8 * 12).reshape(8, 12) * 40).astype(np.uint16),           # 12-bit data
    np.linspace(-500, -100, 8 * 12).reshape(8, 12).astype(np.int32),     # negative
])
def test_overlays_scale_an_image_by_the_range_of_its_data(image):
    from sealseg._overlay import overlay

    labels = np.ones(image.shape, int)      # one superpixel: no boundary drawn
    shown = overlay(image, labels)[..., 0].astype(int)
    assert shown.min() == 0 and shown.max() == 255    # neither all black nor all white
    assert np.all(np.diff(shown.ravel()) >= 0)         # the order of the values is kept


# --------------------------------------------------------------------------- --relax

@pytest.mark.parametrize("text, value", [("0", 0.0), ("0.35", 0.35), ("2", 2.0), ("1e-3", 1e-3),
                                         ("none", None), ("None", None), (" NONE ", None)])
def test_relax_value_takes_numbers_from_0_and_none(text, value):
    from sealseg._cli import relax_value

    assert relax_value(text) == value


@pytest.mark.parametrize("text", ["-0.1", "nan", "inf", "-inf", "abc", "", "null", "0,3"])
def test_relax_value_refuses_the_rest(text):
    import argparse

    from sealseg._cli import relax_value

    with pytest.raises(argparse.ArgumentTypeError, match="'none'"):
        relax_value(text)


def test_relax_help_states_the_defaults_of_the_functions():
    # The help says what each method does without --relax: the defaults of
    # ers's and seal_ers's signatures (seal_ers has its own, lower one).
    import inspect

    from sealseg import ers, seal_ers
    from sealseg._cli import RELAX_HELP
    from sealseg.__main__ import build_parser

    for name, function in (("ers", ers), ("seal_ers", seal_ers)):
        default = inspect.signature(function).parameters["relax"].default
        assert f"{default} for {name}" in RELAX_HELP
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in ("segment", "batch"):
        relax = [a for a in commands[name]._actions if "--relax" in a.option_strings]
        assert len(relax) == 1 and relax[0].help == RELAX_HELP
        # Not given: absent from the arguments, so the function's default applies.
        assert not hasattr(commands[name].parse_args(
            ["x", "-o", "o.png"] if name == "segment" else ["x", "y", "-n", "4"]), "relax")
