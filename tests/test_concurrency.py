"""Threads, memory and kills: results of concurrent calls equal serial ones, a thousand
calls do not grow memory, and a run killed mid-way (evaluate, train) resumes to the
result of an uninterrupted run."""
import csv
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skimage import io

from sealseg import (asa, boundary_precision, boundary_recall, compactness, ers,
                     explained_variation, seal_ers, undersegmentation_error)

REPO = Path(__file__).resolve().parents[1]

torch_cases = pytest.mark.skipif(
    __import__("importlib").util.find_spec("torch") is None, reason="needs torch")

# --------------------------------------------------------------------------- threads

def _hammer(func, n_threads=4, repeats=3):
    """Call ``func`` from ``n_threads`` threads released at the same moment."""
    barrier = threading.Barrier(n_threads)

    def work(_):
        barrier.wait()
        return [func() for _ in range(repeats)]

    with ThreadPoolExecutor(n_threads) as pool:
        return [r for rs in pool.map(work, range(n_threads)) for r in rs]


def test_ers_threads_match_serial():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (48, 64, 3)).astype(np.uint8)
    affinities = rng.random((2, 48, 64)).astype(np.float32)
    mask = np.ones((48, 64), bool)
    mask[10:20, 5:40] = False
    jobs = [lambda: ers(image, 40), lambda: ers(image, 25, connectivity=4, lam=0.0),
            lambda: ers(None, 30, affinities=affinities),
            lambda: ers(image, 12, mask=mask)]
    for job in jobs:
        expected = job()
        for result in _hammer(job):
            assert_array_equal(result, expected)


def test_metrics_threads_match_serial():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (60, 70, 3)).astype(np.uint8)
    labels = ers(image, 50)
    big = labels * (1 << 40) - (1 << 61)          # takes the hash relabelling path
    gts = [rng.integers(0, 4, (60, 70)), np.repeat(np.arange(7), 600).reshape(60, 70)]

    def scores():
        return (asa(labels, gts), asa(big, gts), undersegmentation_error(big, gts[0], kind="np"),
                boundary_recall(labels, gts, 2), boundary_precision(big, gts[1], 1, boundary="thick"),
                explained_variation(labels, image), compactness(big))

    expected = scores()
    for result in _hammer(scores):
        assert result == expected


@torch_cases
def test_seal_ers_threads_match_serial(tmp_path):
    import torch

    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.pretrained import model_file_payload

    torch.manual_seed(0)
    path = tmp_path / "tiny.pt"
    torch.save(model_file_payload(PixelAffinityNet(8).eval()), path)
    image = (np.random.default_rng(3).random((24, 28, 3)) * 255).astype(np.uint8)

    def job():
        return seal_ers(image, 15, weights=str(path), device="cpu")

    expected = job()
    assert np.unique(expected).size == 15
    for result in _hammer(job, repeats=2):
        assert_array_equal(result, expected)


# --------------------------------------------------------------------------- memory

def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_thousand_calls_do_not_grow_memory():
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    gt = rng.integers(0, 5, (32, 32))

    def once():
        labels = ers(image, 20)
        ers(None, 10, affinities=rng.random((2, 32, 32)), connectivity=4)
        asa(labels, gt)
        boundary_recall(labels, gt)
        compactness(labels * (1 << 35))

    for _ in range(100):      # warm-up: allocator pools, caches
        once()
    before = _rss_bytes()
    for _ in range(1000):
        once()
    grown = _rss_bytes() - before
    # A leak of even the 8 KB label array per call would add 8 MB; the bound is generous.
    assert grown < 4 * 2 ** 20, f"RSS grew by {grown / 2 ** 20:.1f} MB over 1000 calls"


# --------------------------------------------------------------------------- interruption

def _wait_for(predicate, proc, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def _make_folder_dataset(root, n_images=16):
    rng = np.random.default_rng(5)
    (root / "img").mkdir(parents=True)
    (root / "lab").mkdir()
    for i in range(n_images):
        gt = np.ones((16, 20), np.uint16)
        gt[:, 10:] = 2
        gt[8:, :4] = 3
        image = (gt[..., None] * 60 + rng.integers(0, 30, (16, 20, 3))).astype(np.uint8)
        io.imsave(root / "img" / f"{i:02d}.png", image, check_contrast=False)
        io.imsave(root / "lab" / f"{i:02d}.png", gt, check_contrast=False)
    return root / "img", root / "lab"


SLOW_ERS = '''
import time
from sealseg import ers

def slow_ers(image, n_segments):
    time.sleep(0.03)   # long enough for the kill to land mid-run
    return ers(image, n_segments)
'''


def _evaluate(images, labels, out, **kw):
    from sealseg.evaluation import evaluate

    return evaluate("folder", ["slow_method:slow_ers"], [4, 9], out, root=images,
                    labels=labels, progress=False, plots=False, log=lambda m: None, **kw)


def test_evaluation_killed_mid_run_resumes_to_the_same_result(tmp_path, monkeypatch):
    images, labels = _make_folder_dataset(tmp_path / "data")
    (tmp_path / "slow_method.py").write_text(SLOW_ERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "killed"
    child = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(tmp_path)!r}, {str(REPO)!r}]
        from sealseg.evaluation import evaluate
        evaluate("folder", ["slow_method:slow_ers"], [4, 9], {str(out)!r}, root={str(images)!r},
                 labels={str(labels)!r}, progress=False, plots=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stderr=subprocess.PIPE)
    results = out / "results.csv"

    def some_rows():
        return results.exists() and results.read_text().count("\n") >= 1 + 5

    try:
        assert _wait_for(some_rows, proc), proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # The CSV is parseable as it was left: a header and complete rows (at most the
    # last line cut short, which a resumed run drops).
    lines = results.read_text().splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        lines.pop()
    records = list(csv.reader(lines))
    from sealseg.evaluation import RESULT_FIELDS
    assert records[0] == RESULT_FIELDS
    assert all(len(r) == len(RESULT_FIELDS) for r in records[1:])
    n_before = len(records) - 1
    assert 5 <= n_before < 16 * 2, "the kill did not land mid-run"

    resumed = _evaluate(images, labels, out)
    full = _evaluate(images, labels, tmp_path / "full")
    def strip(summary):  # NaN (no class maps: no mIoU) compared as equal to NaN
        return [{k: None if isinstance(v, float) and math.isnan(v) else v
                 for k, v in s.items() if k != "seconds_median"} for s in summary]
    assert strip(resumed) == strip(full)
    with open(results, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 16 * 2
    assert len({(r["image"], r["n_segments"]) for r in rows}) == 16 * 2


TRAIN_CHILD = '''
import sys
sys.path[:0] = [{tests!r}, {repo!r}]
from test_training import _cfg, _synthetic
from sealseg.training.loop import train
train(_cfg(iters={iters}), {out!r}, progress=False, data=_synthetic())
'''


@torch_cases
def test_training_killed_mid_run_resumes_to_the_same_model(tmp_path):
    import torch

    sys.path.insert(0, str(REPO / "tests"))
    try:
        from test_training import _cfg, _synthetic
    finally:
        sys.path.remove(str(REPO / "tests"))
    from sealseg.pan import pretrained
    from sealseg.training.loop import train

    iters = 30
    out = tmp_path / "killed"
    code = TRAIN_CHILD.format(tests=str(REPO / "tests"), repo=str(REPO), iters=iters,
                              out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    ckpt = out / "checkpoint.pt"
    try:
        # _cfg checkpoints after every step: wait for a few, then kill at once.
        assert _wait_for(lambda: (out / "log.csv").exists()
                         and (out / "log.csv").read_text().count("\n") >= 1 + 3, proc), \
            proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    state = torch.load(ckpt, weights_only=True)
    assert 4 <= state["step"] < iters, "the kill did not land mid-run"
    pretrained.clear_cache()
    assert pretrained.get_model(str(out / "model.pt"), "cpu") is not None
    # The log of the killed run: whole rows, one per log_every (2) steps, in
    # order, none more than one logging window past the last checkpoint.
    with open(out / "log.csv") as f:
        logged = [int(r["step"]) for r in csv.DictReader(f)]
    assert logged == list(range(2, logged[-1] + 1, 2)) and logged[-1] <= state["step"] + 2

    threads = torch.get_num_threads()
    try:
        data = _synthetic()
        resumed = train(_cfg(iters=iters), out, resume=True, progress=False, data=data)
        full = train(_cfg(iters=iters), tmp_path / "full", progress=False, data=data)
    finally:
        torch.set_num_threads(threads)
    for (k, v), (k2, v2) in zip(full.state_dict().items(), resumed.state_dict().items()):
        assert k == k2 and torch.equal(v, v2), k
    assert torch.load(ckpt, weights_only=True)["step"] == iters
    with open(out / "log.csv", newline="") as f:
        steps = [int(r["step"]) for r in csv.DictReader(f)]
    assert steps == sorted(steps) and steps[-1] == iters



# --------------------------------------------------------------------------- fork

@torch_cases
def test_fork_pool_after_the_net_ran_in_the_parent_does_not_hang():
    # Issue 19: with multiprocessing's "fork" context, a child forked after the
    # net ran inherited torch's thread pool unusable and hung on its first call.
    script = textwrap.dedent("""
        import multiprocessing as mp
        import numpy as np
        import torch
        from sealseg import learn_affinities, seal_ers
        torch.set_num_threads(2)
        image = (np.random.default_rng(0).random((32, 32, 3)) * 255).astype(np.uint8)
        parent = learn_affinities(image)
        with mp.get_context("fork").Pool(2) as pool:
            outs = pool.map_async(learn_affinities, [image, image]).get(timeout=60)
            labels = pool.starmap_async(seal_ers, [(image, 5)]).get(timeout=60)
        assert all(np.allclose(out, parent, atol=1e-6) for out in outs)
        assert labels[0].max() == 5
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
