"""Tests of sealseg.evaluation: tables, resume, plots, bad input, real BSDS500 when present."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from skimage import io

from sealseg.datasets import Sample, load_bsds500
from sealseg.evaluation import (
    RESULT_FIELDS,
    available_methods,
    evaluate,
    summarize,
    summary_table,
)
from sealseg.evaluation.cli import main

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_datasets import real_bsds500_root  # noqa: E402


class TinyDataset(list):
    name = "tiny"

    @property
    def names(self):
        return [s.name for s in self]


def halves(image, n_segments):
    """Left/right halves, whatever n_segments (a module-level, picklable method)."""
    labels = np.ones(image.shape[:2], np.int64)
    labels[:, image.shape[1] // 2:] = 2
    return labels


def grid(image, n_segments):
    """k x k blocks, k = floor(sqrt(n))."""
    h, w = image.shape[:2]
    k = max(1, int(np.sqrt(n_segments)))
    yy, xx = np.mgrid[:h, :w]
    return (yy * k // h) * k + xx * k // w


def make_tiny():
    image = np.zeros((12, 16, 3), np.uint8)
    image[:, 8:] = 200
    gt_a = np.zeros((12, 16), np.int64)
    gt_a[:, 8:] = 1
    gt_b = np.zeros((12, 16), np.int64)
    gt_b[6:, :] = 1
    return TinyDataset([Sample("one", image, [gt_a, gt_b]),
                        Sample("two", image[::-1].copy(), [gt_a])])


def make_fake_bsds(root, n_images=2):
    rng = np.random.default_rng(0)
    data = root / "BSDS500" / "data"
    (data / "images" / "val").mkdir(parents=True)
    (data / "groundTruth" / "val").mkdir(parents=True)
    for i in range(n_images):
        image = np.zeros((20, 24, 3), np.uint8)
        image[:, 12:] = 180
        image += rng.integers(0, 20, image.shape, dtype=np.uint8)
        io.imsave(data / "images" / "val" / f"{i}.png", image, check_contrast=False)
        gt = np.ones((20, 24), np.uint16)
        gt[:, 12:] = 2
        cells = np.empty((1, 2), dtype=object)
        cells[0, 0] = {"Segmentation": gt}
        cells[0, 1] = {"Segmentation": gt.T[:20, :24] if False else gt[::-1].copy()}
        scipy.io.savemat(data / "groundTruth" / "val" / f"{i}.mat", {"groundTruth": cells})
    # The fake images are .png: the loader takes any image suffix.
    return root / "BSDS500"


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- in memory

def test_known_scores_in_memory():
    summary = evaluate(make_tiny(), {"halves": halves}, [2, 5], progress=False)
    assert [(s["method"], s["n_segments"]) for s in summary] == [("halves", 2), ("halves", 5)]
    s = summary[0]
    assert s["images"] == 2 and s["pairs"] == 3 and s["n_obtained"] == 2
    # Pair (one, gt_a): ASA 1, BR 1; (one, gt_b): ASA 0.5, and BR 3/16 (the 16
    # pixels of its horizontal line, 3 of them next to the vertical cut);
    # (two, gt_a): ASA 1, BR 1.
    assert s["asa"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert s["br"] == pytest.approx((1 + 3 / 16 + 1) / 3)
    assert "| halves | 2 | 2 |" in summary_table(summary)


def test_callable_list_and_named_methods():
    summary = evaluate(make_tiny(), [halves, grid], [4], progress=False)
    assert [s["method"] for s in summary] == ["halves", "grid"]
    grid_row = summary[1]
    assert grid_row["asa"] == 1.0  # 6x8 blocks never cross the ground-truth lines
    assert grid_row["n_obtained"] == 4


def test_slic_on_tiny():
    summary = evaluate(make_tiny(), ["slic"], [4], progress=False)
    assert summary[0]["method"] == "slic" and summary[0]["asa"] > 0.7


def test_unavailable_method_is_skipped(monkeypatch):
    from sealseg import methods
    monkeypatch.setitem(methods.METHODS, "lsc",
                        methods.Method(methods.METHODS["lsc"].run,
                                       lambda: "cv2.ximgproc is not installed"))
    messages = []
    summary = evaluate(make_tiny(), ["lsc", "slic"], [4], progress=False, log=messages.append)
    assert [s["method"] for s in summary] == ["slic"]
    assert messages == ["skipping lsc: cv2.ximgproc is not installed"]
    with pytest.raises(ValueError, match="no method can run here: lsc"):
        evaluate(make_tiny(), ["lsc"], [4], progress=False, log=messages.append)


def test_oracle_on_tiny():
    summary = evaluate(make_tiny(), ["oracle"], [2], progress=False)
    assert summary[0]["n_obtained"] == 2
    # On "two" the oracle halves match its only annotation exactly.
    assert summary[0]["asa"] >= 0.5


def test_seal_ers_with_own_weights(tmp_path):
    torch = pytest.importorskip("torch")
    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.pretrained import model_file_payload

    torch.manual_seed(0)
    path = tmp_path / "mine.pt"
    torch.save(model_file_payload(PixelAffinityNet(4).eval()), path)
    summary = evaluate(make_tiny(), [f"seal_ers@{path}"], [2], progress=False)
    assert summary[0]["method"] == f"seal_ers@{path}" and summary[0]["n_obtained"] == 2
    with pytest.raises(ValueError, match="no weight file"):
        evaluate(make_tiny(), [f"seal_ers@{tmp_path / 'none.pt'}"], [2], progress=False)
    with pytest.raises(ValueError, match="neither a shipped net.s name"):
        evaluate(make_tiny(), ["seal_ers@nonsense"], [2], progress=False)


def test_seal_fh_on_tiny():
    pytest.importorskip("torch")
    if available_methods()["seal_fh"] is not None:
        pytest.skip(available_methods()["seal_fh"])
    summary = evaluate(make_tiny(), ["seal_fh"], [2], progress=False)
    assert summary[0]["method"] == "seal_fh" and summary[0]["n_obtained"] >= 1


# --------------------------------------------------------------------------- files and resume

def test_files_and_resume(tmp_path):
    out = tmp_path / "out"
    calls = []

    def counted(image, n):
        calls.append(n)
        return halves(image, n)

    evaluate(make_tiny(), {"halves": counted}, [2, 3], out, progress=False, log=lambda m: None)
    assert len(calls) == 4
    assert {p.name for p in out.iterdir()} == {"config.json", "results.csv", "summary.csv",
                                                "asa.png", "br.png", "asa_br.png", "br_share.png",
                                                "inputs.json"}
    rows = read_rows(out / "results.csv")
    assert list(rows[0]) == RESULT_FIELDS
    assert len(rows) == 2 * 3  # n values x (image, annotation) pairs
    assert {r["n_segments"] for r in rows} == {"2", "3"}
    summary = read_rows(out / "summary.csv")
    assert [(r["method"], r["n_segments"]) for r in summary] == [("halves", "2"),
                                                                 ("halves", "3")]
    assert float(summary[0]["asa"]) == pytest.approx(2.5 / 3, abs=1e-6)
    for png in ("asa.png", "br.png", "asa_br.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"

    # Same run again: nothing recomputed; a new n computes only that n.
    evaluate(make_tiny(), {"halves": counted}, [2, 3], out, progress=False, log=lambda m: None)
    assert len(calls) == 4
    evaluate(make_tiny(), {"halves": counted}, [2, 3, 7], out, progress=False,
             log=lambda m: None)
    assert calls[4:] == [7, 7]
    assert len(read_rows(out / "results.csv")) == 9
    assert not list(out.glob(".*tmp*"))


def test_resume_after_interrupted_write(tmp_path):
    out = tmp_path / "out"
    evaluate(make_tiny(), {"halves": halves}, [2], out, progress=False, plots=False,
             log=lambda m: None)
    path = out / "results.csv"
    text = path.read_text()
    # Cut the last row in the middle: image "two" is incomplete, "one" is whole.
    path.write_text(text[:-10])
    calls = []

    def counted(image, n):
        calls.append(n)
        return halves(image, n)

    evaluate(make_tiny(), {"halves": counted}, [2], out, progress=False, plots=False,
             log=lambda m: None)
    assert calls == [2]
    rows = read_rows(path)
    assert sorted((r["image"], r["annotation"]) for r in rows) == [("one", "0"), ("one", "1"),
                                                                    ("two", "0")]
    # A half-written group (annotation 1 of 2 missing) is recomputed too.
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(l for l in lines if not l.startswith("halves,one,1,")))
    evaluate(make_tiny(), {"halves": counted}, [2], out, progress=False, plots=False,
             log=lambda m: None)
    assert calls == [2, 2]
    assert len(read_rows(path)) == 3


def test_other_evaluation_in_same_folder(tmp_path):
    out = tmp_path / "out"
    evaluate(make_tiny(), {"halves": halves}, [2], out, progress=False, log=lambda m: None)
    with pytest.raises(ValueError, match="holds results of another evaluation"):
        evaluate(make_tiny(), {"halves": halves}, [2], out, tolerance=3, progress=False,
                 log=lambda m: None)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.csv").write_text("a,b\n")
    # A results.csv without the config.json of an evaluation: not this command's file.
    with pytest.raises(ValueError, match="results.csv but no config.json"):
        evaluate(make_tiny(), {"halves": halves}, [2], tmp_path / "bad", progress=False,
                 log=lambda m: None)
    (tmp_path / "bad" / "config.json").write_text((out / "config.json").read_text())
    with pytest.raises(ValueError, match="not a results file"):
        evaluate(make_tiny(), {"halves": halves}, [2], tmp_path / "bad", progress=False,
                 log=lambda m: None)


def test_parallel_jobs_match_serial(tmp_path):
    root = make_fake_bsds(tmp_path / "data", n_images=3)
    serial = evaluate("bsds500", [halves, "slic"], [4, 9], tmp_path / "a", root=root,
                      progress=False, plots=False, log=lambda m: None)
    parallel = evaluate("bsds500", [halves, "slic"], [4, 9], tmp_path / "b", root=root,
                        jobs=2, progress=False, plots=False, log=lambda m: None)
    for s, p in zip(serial, parallel):
        for key in ("method", "n_segments", "images", "pairs", "n_obtained", "asa", "br"):
            assert s[key] == p[key]
    assert len(read_rows(tmp_path / "b" / "results.csv")) == 2 * 2 * 3 * 2


def test_summarize_orders_methods():
    rows = [dict(method=m, image="x", annotation=0, annotations=1, n_segments=n,
                 n_obtained=n, asa=0.5, br=0.25, bp=0.2, boundary_share=0.1,
                 miou=float("nan"), seconds=1.0)
            for m in ("b", "a") for n in (20, 10)]
    summary = summarize(rows, ["b"])
    assert [(s["method"], s["n_segments"]) for s in summary] == [
        ("b", 10), ("b", 20), ("a", 10), ("a", 20)]


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("methods, n, match", [
    (["nope"], [4], "unknown method 'nope'"),
    ([], [4], "methods is empty"),
    (["slic", "slic"], [4], "given twice"),
    (["slic"], [], "n_segments is empty"),
    (["slic"], [0], "n_segments must be a positive integer"),
    (["slic"], [-3], "n_segments must be a positive integer"),
    (["no_such_module_xyz:f"], [4], "cannot import"),
])
def test_bad_arguments(methods, n, match):
    with pytest.raises(ValueError, match=match):
        evaluate(make_tiny(), methods, n, progress=False)


def test_bad_jobs_limit_dataset():
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        evaluate(make_tiny(), ["slic"], [4], jobs=0, progress=False)
    with pytest.raises(ValueError, match="limit must be None or a positive integer"):
        evaluate(make_tiny(), ["slic"], [4], limit=0, progress=False)
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        evaluate("mnist", ["slic"], [4], progress=False)
    with pytest.raises(ValueError, match="tolerance must be"):
        evaluate(make_tiny(), ["slic"], [4], tolerance=-1, progress=False)


def test_jobs_beyond_the_tasks_are_capped_not_passed_to_the_pool(tmp_path):
    # Was: --jobs 2**40 reached ProcessPoolExecutor and raised OverflowError
    # there; now at most one worker per task (here one task: run serially).
    one_image = TinyDataset(make_tiny()[:1])
    summary = evaluate(one_image, {"halves": halves}, [2], jobs=2 ** 40, progress=False,
                       log=lambda m: None)
    serial = evaluate(one_image, {"halves": halves}, [2], progress=False, log=lambda m: None)
    for key in ("images", "pairs", "n_obtained", "asa", "br"):
        assert summary[0][key] == serial[0][key]


@pytest.mark.parametrize("jobs, error, match", [
    (2 ** 63, ValueError, "jobs must be a positive integer up to"),
    (2.0, TypeError, "jobs must be a positive integer"),
    (True, TypeError, "jobs must be a positive integer"),
    ("2", TypeError, "jobs must be a positive integer"),
])
def test_jobs_is_checked_as_a_positive_int_named_jobs(jobs, error, match):
    with pytest.raises(error, match=match):
        evaluate(make_tiny(), ["slic"], [4], jobs=jobs, progress=False)


@pytest.mark.parametrize("name", ["progress", "plots"])
def test_evaluate_flags_are_checked_as_flags(name):
    with pytest.raises(TypeError, match=f"{name} must be True or False"):
        evaluate(make_tiny(), ["slic"], [4], **{"progress": False, name: np.array([])})


def test_method_returning_bad_labels():
    with pytest.raises(ValueError, match="labels returned by method 'bad' has shape"):
        evaluate(make_tiny(), {"bad": lambda image, n: np.zeros((3, 3), int)}, [2],
                 progress=False)


def _cli_error(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    return err


@pytest.mark.parametrize("extra, message", [
    (["--methods", "ers", "bogus"], "unknown method 'bogus'"),
    (["--methods", "slic", "--n"], "n_segments is empty"),
    (["--methods", "slic", "--n", "0"], "n_segments must be a positive integer, got 0"),
    (["--methods", "slic", "--jobs", "0"], "jobs must be a positive integer"),
])
def test_cli_one_line_errors(tmp_path, capsys, extra, message):
    err = _cli_error(capsys, ["--out", str(tmp_path / "o"), "--root", str(tmp_path)] + extra)
    assert len(err) == 1
    assert err[0].startswith("python -m sealseg evaluate: error: ")
    assert message in err[0]


def test_cli_missing_data(tmp_path, capsys):
    err = _cli_error(capsys, ["--out", str(tmp_path / "o"), "--root", str(tmp_path / "none"),
                              "--methods", "slic"])
    assert len(err) == 1 and "BSDS500 not found" in err[0]


def test_cli_unreadable_data(tmp_path, capsys):
    root = make_fake_bsds(tmp_path / "data", n_images=1)
    (root / "data" / "groundTruth" / "val" / "0.mat").write_bytes(b"garbage")
    err = _cli_error(capsys, ["--out", str(tmp_path / "o"), "--root", str(root),
                              "--methods", "slic", "--n", "4", "--quiet"])
    assert len(err) == 1 and "cannot read BSDS500 ground truth" in err[0]


def test_cli_runs_and_writes(tmp_path, capsys):
    root = make_fake_bsds(tmp_path / "data", n_images=2)
    out = tmp_path / "o"
    assert main(["--root", str(root), "--methods", "slic", "felzenszwalb", "--n", "4", "8",
                 "--out", str(out), "--limit", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| slic | 4 |" in printed and "| felzenszwalb | 8 |" in printed
    rows = read_rows(out / "results.csv")
    assert {r["image"] for r in rows} == {"0"}
    assert len(rows) == 2 * 2 * 2
    assert json.loads((out / "config.json").read_text())["split"] == "val"


def test_cli_subprocess_exit_code(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sealseg.evaluation", "--out", str(tmp_path),
                           "--methods", "nope"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "python -m sealseg evaluate: error: unknown method 'nope'; known: ers, seal_ers, "
        "slic, slico, felzenszwalb, seeds, lsc, snic, oracle, canny_ers, seal_fh, ers4, "
        "seal_ers4, 'seal_ers@WEIGHTS', "
        "'module:function', or a callable f(image, n_segments)"]


# --------------------------------------------------------------------------- real data

REFERENCE = REPO.parent / "shared" / "fixtures" / "reference_val_ers.csv"


def plain_ers(image, n):
    """ERS without the boundary relaxation: the reference implementation's algorithm."""
    from sealseg import ers

    return ers(image, n, relax=None)


@pytest.mark.skipif(real_bsds500_root() is None,
                    reason="BSDS500 not found at $SEALSEG_DATA or ../shared/datasets")
def test_real_bsds500_two_images(tmp_path):
    dataset = load_bsds500(real_bsds500_root(), split="val")[:2]
    summary = evaluate(dataset, ["test_evaluation:plain_ers"], [200], tmp_path, progress=False,
                       plots=False, log=lambda m: None)
    (s,) = summary
    assert s["images"] == 2 and s["n_obtained"] == 200
    assert 8 <= s["pairs"] <= 18
    assert 0.85 < s["asa"] <= 1.0 and 0.5 < s["br"] <= 1.0
    if REFERENCE.is_file():
        ref = [r for r in read_rows(REFERENCE)
               if r["image"] in dataset.names and r["n_segments"] == "200"]
        pairs = sum(int(r["annotations"]) for r in ref)
        assert pairs == s["pairs"]
        ref_asa = sum(float(r["asa_sum"]) for r in ref) / pairs
        ref_br = sum(float(r["br_sum"]) for r in ref) / pairs
        # Our ERS follows the reference; ties may break differently, so allow a
        # little on two images (the 100-image means agree to 0.005).
        assert abs(s["asa"] - ref_asa) < 0.01
        assert abs(s["br"] - ref_br) < 0.03



# --------------------------------------------------------------------------- yardstick

def test_rows_and_summary_carry_the_yardstick():
    summary = evaluate(make_tiny(), {"halves": halves, "grid": grid}, [4], progress=False)
    by = {s["method"]: s for s in summary}
    # halves: one thin boundary column (x = 7) of 12 pixels in 12 x 16.  The vertical
    # annotation is recalled and matched fully; of the horizontal one (row 5), 3 of its
    # 16 boundary pixels lie within 1 of the column, and 3 of the column's 12 within 1
    # of the row.
    assert by["halves"]["boundary_share"] == pytest.approx(12 / 192)
    assert by["halves"]["br"] == pytest.approx((1 + 3 / 16 + 1) / 3)
    assert by["halves"]["bp"] == pytest.approx((1 + 3 / 12 + 1) / 3)
    assert np.isnan(by["halves"]["miou"])          # no class maps here
    # grid 2 x 2: a column and a row of boundary: 12 + 16 - 1 pixels.
    assert by["grid"]["boundary_share"] == pytest.approx(27 / 192)
    assert by["grid"]["reference"] == "halves"


def test_achievable_miou_is_recorded_for_samples_with_classes():
    image = np.zeros((6, 8, 3), np.uint8)
    classes = np.zeros((6, 8), np.int64)
    classes[:, 4:] = 3
    classes[0, :] = 11                                 # a void row
    data = TinyDataset([Sample("c", image, [classes], classes, 11)])
    summary = evaluate(data, {"halves": halves}, [2], progress=False)
    assert summary[0]["miou"] == 1.0


def test_br_at_share_interpolates_inside_the_sweep_only():
    from sealseg.evaluation import br_at_equal_share, br_at_share

    summary = [{"method": "m", "n_segments": n, "boundary_share": s, "br": b}
               for n, s, b in ((100, 0.10, 0.60), (400, 0.30, 0.80), (200, 0.20, 0.76))]
    assert br_at_share(summary, "m", 0.15) == pytest.approx(0.68)
    assert br_at_share(summary, "m", 0.25) == pytest.approx(0.78)
    assert br_at_share(summary, "m", 0.30) == pytest.approx(0.80)
    assert np.isnan(br_at_share(summary, "m", 0.05))
    assert np.isnan(br_at_share(summary, "m", 0.31))
    summary += [{"method": "ref", "n_segments": 200, "boundary_share": 0.25, "br": 0.75}]
    assert br_at_equal_share(summary, "m", "ref") == {200: (0.25, 0.75, pytest.approx(0.78))}
    with pytest.raises(ValueError, match="'nope' is not in the summary"):
        br_at_share(summary, "nope", 0.2)
    with pytest.raises(ValueError, match="share must be"):
        br_at_share(summary, "m", 1.5)


def test_reference_must_be_one_of_the_methods():
    with pytest.raises(ValueError, match="reference must be one of"):
        evaluate(make_tiny(), {"halves": halves}, [2], progress=False, reference="ssn")
    summary = evaluate(make_tiny(), {"halves": halves, "grid": grid}, [1, 4, 9],
                       progress=False, reference="grid")
    grid_rows = [s for s in summary if s["method"] == "grid"]
    assert all(s["br_at_ref_share"] == pytest.approx(s["br"]) for s in grid_rows)


def _anchor_folder(root, names, n_values=(200, 600, 1200)):
    for name in names:
        for n in n_values:
            labels = np.zeros((12, 16), np.uint16)
            labels[:, 8:] = 1
            path = root / "labels" / f"{name}_n{n}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            io.imsave(path, labels, check_contrast=False)
    (root / "ssn_val.csv").write_text(
        "image,n_asked,n_actual,seconds\n" + "".join(
            f"{name},{n},2,4.5\n" for name in names for n in n_values))
    return root


def test_ssn_anchor_reads_saved_maps_and_refuses_other_n(tmp_path):
    folder = _anchor_folder(tmp_path / "anchor", ["one", "two"])
    summary = evaluate(make_tiny(), [f"ssn-anchor@{folder}"], [200, 600], progress=False)
    assert [s["n_obtained"] for s in summary] == [2, 2]
    assert summary[0]["asa"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert summary[0]["seconds_median"] == 4.5
    with pytest.raises(ValueError, match="n = 200, 600, 1200 only, not for 400, 800"):
        evaluate(make_tiny(), [f"ssn-anchor@{folder}"], [400, 800], progress=False)
    messages = []
    summary = evaluate(make_tiny(), {"a": f"ssn-anchor@{folder}", "halves": halves},
                       [200, 400], progress=False, log=messages.append)
    assert [(s["method"], s["n_segments"]) for s in summary] == [
        ("a", 200), ("halves", 200), ("halves", 400)]
    assert messages == ["a: no label maps at n = 400; scored at n = 200 only"]
    (folder / "labels" / "two_n600.png").unlink()
    with pytest.raises(FileNotFoundError, match="no label map for image 'two' at n = 600"):
        evaluate(make_tiny(), [f"ssn-anchor@{folder}"], [600], progress=False)
    with pytest.raises(FileNotFoundError, match="no SSN anchor folder"):
        evaluate(make_tiny(), [f"ssn-anchor@{tmp_path / 'nope'}"], [200], progress=False)


def test_ssn_anchor_found_beside_the_datasets(tmp_path, monkeypatch):
    _anchor_folder(tmp_path / "anchors" / "ssn_bsds500_val", ["one", "two"], (200,))
    monkeypatch.setenv("SEALSEG_DATA", str(tmp_path / "datasets"))
    summary = evaluate(make_tiny(), {"ssn-anchor": "ssn-anchor", "halves": halves}, [200],
                       progress=False)
    assert [s["method"] for s in summary] == ["ssn-anchor", "halves"]


def test_affinity_cache_gives_seal_ers_labels_and_is_reused(tmp_path):
    torch = pytest.importorskip("torch")
    from sealseg.evaluation.affinity_cache import CachedSealErs
    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.pretrained import model_file_payload
    from sealseg.seal import seal_ers

    torch.manual_seed(0)
    weights = tmp_path / "mine.pt"
    torch.save(model_file_payload(PixelAffinityNet(4).eval()), weights)
    image = make_tiny()[0].image
    runner = CachedSealErs(str(weights), tmp_path / "cache").prepare()
    np.testing.assert_array_equal(runner(image, 5, None), seal_ers(image, 5, weights=str(weights)))
    # With seal_ers's own default relax, not ers's: on a net and image where
    # the two defaults give other labels.
    from sealseg import ers, learn_affinities
    from synthetic import picture, sensitive_weights

    sensitive, blocks = sensitive_weights(tmp_path / "sensitive.pt"), picture(40, 48, 0)
    affinities = learn_affinities(blocks, weights=sensitive).astype(np.float64)
    assert not np.array_equal(ers(None, 30, affinities=affinities),
                              seal_ers(blocks, 30, weights=sensitive))
    np.testing.assert_array_equal(
        CachedSealErs(sensitive, tmp_path / "other").prepare()(blocks, 30, None),
        seal_ers(blocks, 30, weights=sensitive))
    stored = list((tmp_path / "cache").rglob("*.npz"))
    assert len(stored) == 1
    # A second runner of the same net reads the stored affinities (changed here on
    # purpose, so that reading is seen).
    with np.load(stored[0]) as f:
        affinities = f["affinities"]
    np.savez(stored[0], affinities=np.ones_like(affinities))
    again = CachedSealErs(str(weights), tmp_path / "cache").prepare()
    assert np.array_equal(again.affinities(image), np.ones_like(affinities))
    summary = evaluate(make_tiny(), [f"seal_ers@{weights}"], [2], progress=False,
                       affinity_cache=tmp_path / "cache")
    assert summary[0]["n_obtained"] == 2


@pytest.mark.parametrize("dataset, split, match", [
    ("sbd", "val", "split 'train' only"),
    ("camvid", "test", "split 'val' only"),
    ("imagenet", None, "unknown dataset 'imagenet'"),
])
def test_one_split_datasets_refuse_other_splits(dataset, split, match):
    with pytest.raises(ValueError, match=match):
        evaluate(dataset, {"halves": halves}, [2], split=split, progress=False)


def test_camvid_fake_tree_through_the_command_line(tmp_path, capsys):
    root = tmp_path / "CamVid"
    classes = np.full((12, 16), 3, np.uint8)
    classes[:, 8:] = 8
    classes[:, 7] = 11
    for name in ("a", "b"):
        (root / "val").mkdir(parents=True, exist_ok=True)
        (root / "valannot").mkdir(parents=True, exist_ok=True)
        io.imsave(root / "val" / f"{name}.png", np.zeros((12, 16, 3), np.uint8),
                  check_contrast=False)
        io.imsave(root / "valannot" / f"{name}.png", classes, check_contrast=False)
    out = tmp_path / "out"
    assert main(["--dataset", "camvid", "--root", str(root), "--methods", "slic",
                 "--n", "4", "16", "--out", str(out), "--quiet"]) == 0
    rows = read_rows(out / "summary.csv")
    assert {r["n_segments"] for r in rows} == {"4", "16"}
    assert all(0 <= float(r["miou"]) <= 1 for r in rows)
    assert (out / "br_share.png").is_file()
    assert "BR at slic's share" in capsys.readouterr().out


def test_plots_of_tables_without_boundary_share_leave_out_br_share(tmp_path):
    from sealseg.evaluation import plot_summary

    rows = [{"method": "m", "n_segments": n, "n_obtained": n, "asa": 0.9, "br": 0.8}
            for n in (100, 200)]
    assert [p.name for p in plot_summary(rows, tmp_path, "t")] == [
        "asa.png", "br.png", "asa_br.png"]


def test_reference_may_be_a_method_of_an_earlier_run_into_the_same_folder(tmp_path):
    out = tmp_path / "out"
    evaluate(make_tiny(), {"grid": grid}, [1, 4, 9], out, progress=False, plots=False,
             log=lambda m: None)
    summary = evaluate(make_tiny(), {"halves": halves}, [4], out, progress=False,
                       plots=False, reference="grid", log=lambda m: None)
    assert {s["method"] for s in summary} == {"grid", "halves"}
    assert all(s["reference"] == "grid" for s in summary)


def test_metric_at_reads_asa_at_another_count():
    from sealseg.evaluation import metric_at

    summary = [{"method": "m", "n_obtained": n, "asa": a}
               for n, a in ((200, 0.95), (300, 0.96), (100, 0.93))]
    assert metric_at(summary, "m", "asa", "n_obtained", 250) == pytest.approx(0.955)
    assert metric_at(summary, "m", "asa", "n_obtained", 100) == pytest.approx(0.93)
    assert np.isnan(metric_at(summary, "m", "asa", "n_obtained", 301))


def test_ctrl_c_stops_evaluate_with_workers_in_one_line_exit_130(tmp_path):
    # A method that never returns (as OpenCV SEEDS did) in two worker processes:
    # Ctrl-C (SIGINT to the process group, as a terminal sends it) ends the run.
    import os
    import signal
    import time

    root = make_fake_bsds(tmp_path)
    # Each call of the method leaves a file: the signal is sent once both workers
    # are stuck in it.  (A fixed wait of 8 s was too short on a loaded machine:
    # the signal then came while the command started up, e.g. while its
    # workers were being spawned, when the parent dropped it and hung.)
    calls = tmp_path / "calls"
    calls.mkdir()
    (tmp_path / "stuck.py").write_text(
        "import os, pathlib, time\n\ndef forever(image, n):\n"
        f"    pathlib.Path({str(calls)!r}, str(os.getpid())).touch()\n"
        "    while True:\n        time.sleep(0.1)\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    process = subprocess.Popen(
        [sys.executable, "-m", "sealseg", "evaluate", "--dataset", "bsds500", "--root", str(root),
         "--methods", "stuck:forever", "--n", "4", "--jobs", "2", "--quiet",
         "--out", str(tmp_path / "out")], stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while len(list(calls.iterdir())) < 2 and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None
        assert len(list(calls.iterdir())) == 2      # two workers, each stuck in a call
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert "evaluate: interrupted" in stderr.strip().splitlines()[-1]
    assert "Traceback" not in stderr


# --------------------------------------------------------------------------- stale resume

def _counting(calls):
    def counted(image, n):
        calls.append(n)
        return halves(image, n)
    return counted


def test_resume_into_the_folder_of_another_data_set_is_refused(tmp_path):
    first, second = make_fake_bsds(tmp_path / "a"), make_fake_bsds(tmp_path / "b")
    evaluate("bsds500", ["ers"], [4], tmp_path / "out", root=first, progress=False,
             plots=False, log=lambda m: None)
    with pytest.raises(ValueError, match="another evaluation"):
        evaluate("bsds500", ["ers"], [4], tmp_path / "out", root=second, progress=False,
                 plots=False, log=lambda m: None)


def test_resume_redoes_the_rows_of_an_image_that_changed(tmp_path):
    root = make_fake_bsds(tmp_path)
    calls = []
    run = dict(root=root, progress=False, plots=False, log=lambda m: None)
    evaluate("bsds500", {"halves": _counting(calls)}, [2], tmp_path / "out", **run)
    assert len(calls) == 2
    image = root / "data" / "images" / "val" / "1.png"
    io.imsave(image, np.full((20, 24, 3), 90, np.uint8), check_contrast=False)
    evaluate("bsds500", {"halves": _counting(calls)}, [2], tmp_path / "out", **run)
    assert len(calls) == 3                       # image 1 only
    assert len(read_rows(tmp_path / "out" / "results.csv")) == 4     # 2 images x 2 annotations


def test_resume_redoes_the_rows_of_a_weight_file_that_changed(tmp_path):
    torch = pytest.importorskip("torch")
    from sealseg.pan.model import PixelAffinityNet
    from sealseg.pan.pretrained import model_file_payload

    path = tmp_path / "mine.pt"
    torch.manual_seed(0)
    torch.save(model_file_payload(PixelAffinityNet(4).eval()), path)
    root = make_fake_bsds(tmp_path)
    run = dict(root=root, progress=False, plots=False, log=lambda m: None)
    evaluate("bsds500", [f"seal_ers@{path}"], [3], tmp_path / "out", **run)
    stamp = (tmp_path / "out" / "results.csv").read_text()
    evaluate("bsds500", [f"seal_ers@{path}"], [3], tmp_path / "out", **run)
    assert (tmp_path / "out" / "results.csv").read_text() == stamp     # resumed: nothing redone
    torch.manual_seed(1)
    torch.save(model_file_payload(PixelAffinityNet(4).eval()), path)
    evaluate("bsds500", [f"seal_ers@{path}"], [3], tmp_path / "out", **run)
    rows = read_rows(tmp_path / "out" / "results.csv")
    assert len(rows) == 4 and (tmp_path / "out" / "results.csv").read_text() != stamp


def test_evaluate_never_replaces_files_it_did_not_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("someone's table\n")
    with pytest.raises(ValueError, match="no config.json"):
        evaluate(make_tiny(), {"halves": halves}, [2], out, progress=False, log=lambda m: None)
    assert (out / "summary.csv").read_text() == "someone's table\n"


def test_a_corrupt_weight_file_of_a_method_stops_evaluate_up_front(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "bad.pt").write_bytes(b"PK\x03\x04 not a torch file")
    with pytest.raises(ValueError, match="bad.pt"):
        evaluate(make_tiny(), [f"seal_ers@{tmp_path / 'bad.pt'}"], [2], progress=False)


@pytest.mark.parametrize("argv, match", [
    (["--dataset", "bsds500", "--labels", "x"], "--labels applies to --dataset folder only"),
    (["--dataset", "folder", "--root", "x", "--labels", "y", "--split", "test"],
     "--split does not apply"),
])
def test_evaluate_options_without_effect_are_refused(tmp_path, capsys, argv, match):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--methods", "ers", "--out", str(tmp_path / "out")])
    assert exc.value.code == 2 and match in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
