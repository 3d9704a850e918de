"""Fuzz test of the command lines, with hypothesis over argv.

Each example builds a command line of ``segment``, ``batch``, ``evaluate`` or
``train``
from the options each takes, with values a careless or hostile user could
type (negative, huge, non-numeric, empty, a newline, a path that is a folder,
a missing file, a FIFO, an undecodable image, an existing file that is not
the command's, the input itself), runs it in this process in a fresh folder
and checks what every command promises:

* it ends with exit code 0, 1 (some images of a batch failed) or 2 (a
  usage error, one line on stderr), never another code, never an exception
  (a traceback);
* it ends within a time budget (a watchdog alarm fails the example);
* no file outside the outputs the command line names changes or appears, and
  no file that was there before changes without ``--overwrite``.

``train`` lines start with ``--iters 2 --crop 8`` on a folder data set of two
20x24 images (a later option wins), so that a line that is valid trains for
seconds, not hours.

The budget is ``SEALSEG_CLI_FUZZ_EXAMPLES`` examples per command (default
12: about a minute for the module on a loaded 2-core machine); a long run is
``SEALSEG_CLI_FUZZ_EXAMPLES=300 python -m pytest tests/test_cli_fuzz.py``;
``SEALSEG_CLI_FUZZ_REPORT=codes.json`` counts the exit codes per command.
"""
import collections
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sealseg.__main__ import main
from test_evaluation import make_fake_bsds

EXAMPLES = int(os.environ.get("SEALSEG_CLI_FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
#: Seconds one command line may take before it counts as a hang (the first
#: seal_ers call loads the net; the images are at most 24x32 pixels).
BUDGET = 120

NUMBERS = ["1", "2", "5", "17", "0", "-3", "nan", "inf", "1e308", "2.5", "abc", "", "9" * 30,
           "4\n"]
#: Mostly counts the images can take, sometimes anything.
COUNTS = st.one_of(st.sampled_from(["2", "5", "17"]), st.sampled_from(NUMBERS))
INPUT_PATHS = ["in/a.png", "in/grey.tif", "in/sub/c.jpg", "in/bad.png", "in/pipe.png",
               "in/missing.png", "in/new\nline.png", "in", "data", "in/anim.gif",
               "in/deep.ppm"]
OUTPUT_FILES = ["out/o.png", "out/o.jpg", "out/foreign.png", "out/o.txt", "out", "in/a.png",
                "out/sub/none/o.png", "out/o\nx.png", "out/labels.npy", "out/labels"]
OUTPUT_DIRS = ["out", "out/run", "in", "in/sub", "out/foreign.png", "missing/deeper"]


#: (command, exit code) -> examples, written to SEALSEG_CLI_FUZZ_REPORT when set.
CODES = collections.Counter()


class Hang(Exception):
    pass


def _template(root):
    """The files every example starts from: images, odd entries, a fake BSDS500."""
    rng = np.random.default_rng(0)
    (root / "in" / "sub").mkdir(parents=True)
    (root / "out").mkdir()
    Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)).save(root / "in" / "a.png")
    Image.fromarray(rng.integers(0, 255, (10, 14), dtype=np.uint8)).save(root / "in" / "grey.tif")
    Image.fromarray(rng.integers(0, 255, (16, 12, 3), dtype=np.uint8)).save(
        root / "in" / "sub" / "c.jpg")
    (root / "in" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not a png")
    frames = [Image.fromarray(np.full((6, 7), 50 * k, np.uint8)) for k in range(2)]
    frames[0].save(root / "in" / "anim.gif", save_all=True, append_images=frames[1:])
    (root / "in" / "deep.ppm").write_bytes(
        b"P6 7 6 65535\n" + rng.integers(0, 65535, (6, 7, 3)).astype(">u2").tobytes())
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / "out" / "foreign.png")
    (root / "weights").mkdir()
    (root / "weights" / "corrupt.pt").write_bytes(b"PK\x03\x04 not a torch file")
    make_fake_bsds(root / "data")
    # a tiny folder data set for train: images and label maps of the same names
    (root / "train" / "img").mkdir(parents=True)
    (root / "train" / "lab").mkdir()
    for k in range(2):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(
            root / "train" / "img" / f"t{k}.png")
        label = np.zeros((20, 24), np.uint8)
        label[:, 12:] = 1
        label[10:, :] += 2
        Image.fromarray(label).save(root / "train" / "lab" / f"t{k}.png")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-fuzz-template")
    _template(root)
    return root


def _options(pairs):
    """A strategy of a list of options: each (name, values) maybe present, in any order."""
    def pick(name, values):
        if values is None:
            return st.just([name])
        return st.sampled_from(values).map(lambda v: [name, v])

    return st.lists(st.sampled_from(pairs), max_size=5, unique_by=lambda p: p[0]).flatmap(
        lambda chosen: st.tuples(*[pick(n, v) for n, v in chosen]) if chosen
        else st.just(())).map(lambda parts: [token for part in parts for token in part])


SEGMENT = st.tuples(
    st.sampled_from(INPUT_PATHS).map(lambda p: [p]),
    st.sampled_from(OUTPUT_FILES).map(lambda p: ["-o", p]),
    COUNTS.map(lambda n: ["-n", n]),
    _options([("-n", NUMBERS), ("--method", ["ers", "seal_ers", "slic", ""]),
              ("--compactness", NUMBERS), ("--relax", NUMBERS + ["none"]),
              ("--labels", OUTPUT_FILES), ("--overwrite", None),
              ("-o", OUTPUT_FILES)]),
).map(lambda parts: ["segment"] + [t for part in parts for t in part])

BATCH = st.tuples(
    st.sampled_from(["in", "in/sub", "in/a.png", "missing", "out", "data"]).map(lambda p: [p]),
    st.sampled_from(OUTPUT_DIRS).map(lambda p: [p]),
    COUNTS.map(lambda n: ["-n", n]),
    _options([("--method", ["ers", "seal_ers", "nonsense"]), ("--compactness", NUMBERS),
              ("--relax", NUMBERS + ["none"]), ("--jobs", ["1", "0", "-2", "x"]), ("--format", ["png16", "npy", "jpg"]),
              ("--overlay", None), ("--retries", ["0", "1", "-1", "x", "9" * 25]),
              ("--weights", ["weights/corrupt.pt", "weights", "weights/none.pt", "bsds500",
                             "in/pipe.png", "unknown-name"]),
              ("--overwrite", None)]),
).map(lambda parts: ["batch"] + [t for part in parts for t in part] + ["--quiet"])

EVALUATE = st.tuples(
    COUNTS.map(lambda n: ["--n", n]),
    _options([("--dataset", ["bsds500", "folder", "cityscapes", "nonsense"]),
              ("--root", ["data/BSDS500", "in", "missing", "in/a.png", "data/x\ny"]),
              ("--labels", ["in", "missing"]), ("--split", ["val", "test", ""]),
              ("--jobs", ["1", "0", "x"]), ("--limit", NUMBERS),
              ("--tolerance", NUMBERS)]),
    st.lists(st.sampled_from(["ers", "slic", "felzenszwalb", "seeds", "oracle", "nonsense",
                              "seal_ers@weights/corrupt.pt", "seal_ers@weights",
                              "os:getcwd", "lsc"]), min_size=1, max_size=3, unique=True),
    st.sampled_from(["out/eval", "out", "in", "out/foreign.png", "missing/deep"]),
).map(lambda parts: ["evaluate", "--root", "data/BSDS500", *parts[0], *parts[1],
                     "--methods", *parts[2], "--out", parts[3], "--quiet"])

TRAIN = st.tuples(
    st.sampled_from(OUTPUT_DIRS + ["out/run", "out/run"]).map(lambda p: ["--out", p]),
    _options([("--iters", ["1", "3", "0", "-3", "nan", "abc", "9" * 30]),
              ("--crop", ["8", "12", "0", "9999", "x"]), ("--width", ["4", "0", "-1", "x", "9" * 30]),
              ("--lr", NUMBERS), ("--batch", ["1", "2", "0", "x"]),
              ("--init", ["weights/corrupt.pt", "weights", "bsds500", "unknown-name", "in/a.png"]),
              ("--resume", None), ("--val-every", ["0", "1", "-1", "x"]),
              ("--val-images", ["0", "1", "-3"]), ("--ckpt-minutes", ["nan", "1", "-1", "inf"]),
              ("--n-segments", NUMBERS), ("--dataset", ["bsds500", "folder", "x"]),
              ("--root", ["train/img", "data/BSDS500", "in", "missing"]),
              ("--labels", ["train/lab", "in", "missing"]), ("--loss", ["seal", "bce", "x"]),
              ("--max-minutes", ["0.01", "nan", "-1"]), ("--threads", ["1", "0"])]),
).map(lambda parts: ["train", "--dataset", "folder", "--root", "train/img", "--labels",
                     "train/lab", "--iters", "2", "--crop", "8", *parts[0], *parts[1]])

COMMANDS = {"segment": SEGMENT, "batch": BATCH, "evaluate": EVALUATE, "train": TRAIN}


def _snapshot(root):
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if path.is_fifo():
                files[path] = "fifo"
            elif path.is_file():
                files[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def _named_outputs(argv, root):
    """The paths the command line names as outputs (files, or folders and all under them)."""
    options = {"segment": ("-o", "--labels"), "evaluate": ("--out",), "batch": (),
               "train": ("--out",)}[argv[0]]
    named = []
    for option in options:
        named += [argv[k + 1] for k, token in enumerate(argv[:-1]) if token == option]
    if argv[0] == "batch":
        named.append(argv[2])       # OUTPUT_DIR
    if argv[0] == "segment":
        named += [p + ".npy" for p in named]    # --labels adds the ending
    return [os.path.normpath(root / p) for p in named]


def _inside(path, outputs):
    path = os.path.normpath(path)
    return any(path == out or path.startswith(out + os.sep) for out in outputs)


def _run(argv, root):
    stdout, stderr = io.StringIO(), io.StringIO()

    def alarm(signum, frame):
        raise Hang(f"no answer within {BUDGET} s: {argv!r}")

    old_cwd = os.getcwd()
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(BUDGET)
    try:
        os.chdir(root)
        # A command may warn (a FIFO left out of a data set): a user sees the
        # warning on stderr; here it must not turn into an exception.  The
        # recorded block keeps pytest's "error" filter unless it is reset.
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
                warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(old_cwd)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_command_lines_end_in_0_1_or_2_without_traceback_or_stray_writes(template, command):
    @FUZZ
    @given(argv=COMMANDS[command])
    def check(argv):
        root = Path(tempfile.mkdtemp(prefix="sealseg-cli-fuzz-"))
        try:
            shutil.copytree(template, root, dirs_exist_ok=True)
            os.mkfifo(root / "in" / "pipe.png")
            before = _snapshot(root)
            code, out, err = _run(argv, root)
            CODES[f"{argv[0]} exit {code}"] += 1
            assert code in (0, 1, 2), (argv, code, err[-500:])
            assert "Traceback" not in err, (argv, err[-2000:])
            if code == 2:
                lines = [line for line in err.splitlines() if "error" in line]
                assert len(lines) == 1, (argv, err)
            after = _snapshot(root)
            outputs = _named_outputs(argv, root)
            for path, digest in before.items():
                if _inside(path, outputs) and "--overwrite" in argv:
                    continue
                assert after.get(path) == digest, (argv, f"{path} changed or removed")
            for path in set(after) - set(before):
                assert _inside(path, outputs), (argv, f"{path} written outside the outputs")
        finally:
            shutil.rmtree(root, ignore_errors=True)

    check()
    report = os.environ.get("SEALSEG_CLI_FUZZ_REPORT")
    if report:
        with open(report, "w") as handle:
            json.dump(dict(sorted(CODES.items())), handle, indent=1)
