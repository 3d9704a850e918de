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
     "iters must be a positive integer, got 0"),
    ("train-threads-0", lambda t: ["train", "--out", str(t / "r"), "--threads", "0"],
     "threads must be a positive integer"),
    ("train-lr-negative", lambda t: ["train", "--out", str(t / "r"), "--lr", "-1"],
     "--lr must be > 0"),
    ("train-out-is-a-file", lambda t: ["train", "--out", _png(t)], "is a file"),
    ("train-missing-root", lambda t: ["train", "--out", str(t / "r"), "--root",
                                      str(t / "nope")], "BSDS500 not found"),
]


@pytest.mark.parametrize("make_argv, match", [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, make_argv,
                                             match):
    from sealseg.__main__ import main
    from sealseg.pan import pretrained

    # The shipped weights may or may not be present: point the name at a missing file.
    monkeypatch.setitem(pretrained.REGISTRY, "bsds500", "never-shipped.pt")
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
                                  ["train", "--out", "r", "--iters", "x"],
                                  ["evaluate", "--out", "o", "--n", "x"]],
                         ids=["n-0", "n-abc", "iters-x", "evaluate-n-x"])
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
        "python -m sealseg train: error: iters must be a positive integer, got 0"]

