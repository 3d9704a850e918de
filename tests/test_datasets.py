"""Tests of sealseg.datasets on tiny fake trees, and on BSDS500 when present."""
import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from numpy.testing import assert_array_equal, assert_equal
from skimage import io

from sealseg.datasets import (CAMVID_CLASSES, Dataset, Sample, load_bsds500, load_camvid,
                              load_cityscapes, load_ecssd, load_folder, load_sbd)

REPO = Path(__file__).resolve().parents[1]


def real_bsds500_root():
    """The real BSDS500 folder (found as sealseg finds it, from the repository), or None."""
    from sealseg.datasets import bsds500_root

    try:
        root = bsds500_root()
    except FileNotFoundError:
        try:
            root = bsds500_root(REPO.parent / "shared" / "datasets" / "BSDS500")
        except FileNotFoundError:
            return None
    return root if (root / "data" / "images" / "val").is_dir() else None


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    io.imsave(path, array, check_contrast=False)


def _save_mat(path, maps):
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = np.empty((1, len(maps)), dtype=object)
    for k, m in enumerate(maps):
        boundaries = np.zeros(m.shape, np.uint8)
        cells[0, k] = {"Segmentation": m.astype(np.uint16), "Boundaries": boundaries}
    scipy.io.savemat(path, {"groundTruth": cells})


def make_bsds_tree(root, split="val", names=("2", "1"), shape=(6, 8), n_gt=3):
    rng = np.random.default_rng(0)
    data = root / "BSDS500" / "data"
    truth = {}
    for name in names:
        image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
        maps = [rng.integers(1, 5, shape) for _ in range(n_gt)]
        _save(data / "images" / split / f"{name}.jpg", image)
        _save_mat(data / "groundTruth" / split / f"{name}.mat", maps)
        truth[name] = maps
    return root / "BSDS500", truth


# --------------------------------------------------------------------------- BSDS500

def test_bsds500_fake_tree(tmp_path):
    root, truth = make_bsds_tree(tmp_path)
    dataset = load_bsds500(root, split="val")
    assert isinstance(dataset, Dataset)
    assert len(dataset) == 2
    assert dataset.names == ["1", "2"]
    samples = list(dataset)
    assert [s.name for s in samples] == ["1", "2"]
    for sample in samples:
        assert isinstance(sample, Sample)
        assert sample.image.dtype == np.uint8
        assert sample.image.shape == (6, 8, 3)
        assert len(sample.groundtruths) == 3
        for got, expected in zip(sample.groundtruths, truth[sample.name]):
            assert got.dtype == np.int64
            assert_equal(got, expected)
    assert dataset[-1].name == "2"
    assert dataset["2"].name == "2"
    assert len(dataset[:1]) == 1
    with pytest.raises(KeyError, match="no sample named"):
        dataset["3"]
    # The data folder itself is accepted too, and datasets pickle (for workers).
    assert load_bsds500(root / "data").names == ["1", "2"]
    assert pickle.loads(pickle.dumps(dataset)).names == ["1", "2"]


def test_bsds500_default_root_env(tmp_path, monkeypatch):
    make_bsds_tree(tmp_path / "data_home", split="train", names=("7",))
    monkeypatch.setenv("SEALSEG_DATA", str(tmp_path / "data_home"))
    assert load_bsds500(split="train").names == ["7"]


def test_bsds500_default_root_cwd(tmp_path, monkeypatch):
    make_bsds_tree(tmp_path / "shared" / "datasets", split="val", names=("5",))
    (tmp_path / "repo").mkdir()
    monkeypatch.delenv("SEALSEG_DATA", raising=False)
    monkeypatch.chdir(tmp_path / "repo")
    assert load_bsds500().names == ["5"]


def test_bsds500_missing_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEALSEG_DATA", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="BSDS500 not found") as info:
        load_bsds500()
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "BSDS500") in message
    assert str(tmp_path.parent / "shared" / "datasets" / "BSDS500") in message
    assert "download" in message and "SEALSEG_DATA" in message
    with pytest.raises(FileNotFoundError, match="looked in: .*elsewhere"):
        load_bsds500(tmp_path / "elsewhere")


def test_bsds500_missing_split_and_files(tmp_path):
    root, _ = make_bsds_tree(tmp_path, split="val")
    with pytest.raises(FileNotFoundError, match="split 'train' not found"):
        load_bsds500(root, split="train")
    with pytest.raises(ValueError, match="split must be one of"):
        load_bsds500(root, split="validation")
    os.remove(root / "data" / "groundTruth" / "val" / "1.mat")
    with pytest.raises(FileNotFoundError, match="has no ground truth"):
        load_bsds500(root)


def test_bsds500_unreadable_files(tmp_path):
    root, _ = make_bsds_tree(tmp_path, split="val")
    (root / "data" / "groundTruth" / "val" / "1.mat").write_bytes(b"not a mat file")
    (root / "data" / "images" / "val" / "2.jpg").write_bytes(b"not a jpeg")
    dataset = load_bsds500(root)
    with pytest.raises(ValueError, match="cannot read BSDS500 ground truth .*1.mat"):
        dataset[0]
    with pytest.raises(ValueError, match="cannot read image .*2.jpg"):
        dataset[1]


def test_bsds500_shape_mismatch(tmp_path):
    root, _ = make_bsds_tree(tmp_path, split="val", names=("1",))
    _save_mat(root / "data" / "groundTruth" / "val" / "1.mat", [np.ones((8, 6))])
    with pytest.raises(ValueError, match="has shape"):
        load_bsds500(root)[0]


@pytest.mark.skipif(real_bsds500_root() is None,
                    reason="BSDS500 not found at $SEALSEG_DATA or ../shared/datasets")
def test_bsds500_real_val():
    dataset = load_bsds500(real_bsds500_root(), split="val")
    assert len(dataset) == 100
    sample = dataset[0]
    assert sample.image.dtype == np.uint8 and sample.image.ndim == 3
    assert sorted(sample.image.shape[:2]) == [321, 481]
    assert 4 <= len(sample.groundtruths) <= 9
    assert all(g.shape == sample.image.shape[:2] and g.min() >= 1 for g in sample.groundtruths)


# --------------------------------------------------------------------------- Cityscapes

def test_cityscapes_fake_tree(tmp_path):
    rng = np.random.default_rng(1)
    names = ["aachen_000000_000019", "bonn_000001_000002"]
    truth = {}
    for name in names:
        city = name.split("_")[0]
        _save(tmp_path / "leftImg8bit" / "val" / city / f"{name}_leftImg8bit.png",
              rng.integers(0, 256, (5, 7, 3), dtype=np.uint8))
        ids = rng.choice(np.array([0, 7, 8, 26001, 26002, 24000], np.uint16), (5, 7))
        _save(tmp_path / "gtFine" / "val" / city / f"{name}_gtFine_instanceIds.png", ids)
        truth[name] = ids
    dataset = load_cityscapes(tmp_path, split="val")
    assert dataset.names == names
    for sample in dataset:
        assert sample.image.shape == (5, 7, 3)
        assert len(sample.groundtruths) == 1
        assert_equal(sample.groundtruths[0], truth[sample.name])
    with pytest.raises(FileNotFoundError, match="Cityscapes split 'train' not found"):
        load_cityscapes(tmp_path, split="train")
    with pytest.raises(TypeError, match="root must be the Cityscapes folder"):
        load_cityscapes(None)
    os.remove(tmp_path / "gtFine" / "val" / "bonn" / f"{names[1]}_gtFine_instanceIds.png")
    with pytest.raises(FileNotFoundError, match="has no ground truth"):
        load_cityscapes(tmp_path)


# --------------------------------------------------------------------------- folder

def test_folder_16bit_labels(tmp_path):
    labels = (np.arange(12).reshape(3, 4) * 5000).astype(np.uint16)
    _save(tmp_path / "img" / "b.png", np.full((3, 4), 9, np.uint8))  # grey -> RGB
    _save(tmp_path / "img" / "a.jpg", np.zeros((3, 4, 3), np.uint8))
    _save(tmp_path / "lab" / "a.png", labels)
    _save(tmp_path / "lab" / "b.png", labels[::-1].copy())
    (tmp_path / "img" / "notes.txt").write_text("not an image")
    dataset = load_folder(tmp_path / "img", str(tmp_path / "lab"))
    assert dataset.names == ["a", "b"]
    a, b = dataset
    assert_equal(a.groundtruths[0], labels)
    assert_equal(b.groundtruths[0], labels[::-1])
    assert b.image.shape == (3, 4, 3) and b.image.dtype == np.uint8
    assert (b.image == 9).all()


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="images folder"):
        load_folder(tmp_path / "img", tmp_path / "lab")
    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    with pytest.raises(FileNotFoundError, match="no image"):
        load_folder(tmp_path / "img", tmp_path / "lab")
    _save(tmp_path / "img" / "a.png", np.zeros((3, 4, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match="has no label map"):
        load_folder(tmp_path / "img", tmp_path / "lab")
    _save(tmp_path / "lab" / "a.png", np.zeros((3, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="single-channel integer PNG"):
        load_folder(tmp_path / "img", tmp_path / "lab")[0]
    with pytest.raises(TypeError, match="images must be a folder"):
        load_folder(None, tmp_path)


def test_folder_entries_that_are_not_regular_files_are_named_in_a_warning_and_left_out(tmp_path):
    # A FIFO named like an image would block its reader; a loop or a broken
    # link cannot be read.  None is opened, none is dropped silently.
    _save(tmp_path / "img" / "a.png", np.zeros((3, 4, 3), np.uint8))
    _save(tmp_path / "lab" / "a.png", np.zeros((3, 4), np.uint8))
    os.mkfifo(tmp_path / "img" / "pipe.png")
    os.symlink("loop.png", tmp_path / "img" / "loop.png")
    os.symlink("missing.png", tmp_path / "img" / "broken.png")
    with pytest.warns(UserWarning) as record:
        dataset = load_folder(tmp_path / "img", tmp_path / "lab")
    assert dataset.names == ["a"]
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 3
    assert "broken.png is a broken link" in messages[0]
    assert "loop.png is a symlink loop" in messages[1]
    assert "pipe.png is a FIFO (named pipe)" in messages[2]
    assert all("left out of the dataset" in m for m in messages)


def test_folder_label_map_that_is_a_fifo_is_refused_not_read(tmp_path):
    _save(tmp_path / "img" / "a.png", np.zeros((3, 4, 3), np.uint8))
    (tmp_path / "lab").mkdir()
    os.mkfifo(tmp_path / "lab" / "a.png")
    with pytest.raises(ValueError, match=r"label map .*a.png of image .* is a FIFO"):
        load_folder(tmp_path / "img", tmp_path / "lab")


@pytest.mark.parametrize("call, name", [
    (lambda p: load_folder(p, "."), "images"), (lambda p: load_folder(".", p), "labels"),
    (lambda p: load_cityscapes(p), "root"), (lambda p: load_bsds500(p), "root"),
])
def test_folder_path_too_long_for_the_file_system_names_the_argument(call, name):
    # Was: OSError [Errno 36] File name too long from Path.is_dir().
    with pytest.raises(ValueError, match=f"{name} is a path too long for the file system"):
        call("x" * 5000)


def test_cityscapes_image_that_is_a_fifo_is_named_in_a_warning_and_left_out(tmp_path):
    name = "aachen_000000_000019"
    _save(tmp_path / "leftImg8bit" / "val" / "aachen" / f"{name}_leftImg8bit.png",
          np.zeros((5, 7, 3), np.uint8))
    _save(tmp_path / "gtFine" / "val" / "aachen" / f"{name}_gtFine_instanceIds.png",
          np.zeros((5, 7), np.uint16))
    os.mkfifo(tmp_path / "leftImg8bit" / "val" / "aachen" / "x_000000_000001_leftImg8bit.png")
    with pytest.warns(UserWarning, match="x_000000_000001_leftImg8bit.png is a FIFO"):
        dataset = load_cityscapes(tmp_path)
    assert dataset.names == [name]


def _warnings_of(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = call()
    return result, record


def test_warnings_about_left_out_files_point_at_the_callers_line(tmp_path):
    # The warning names the line that called the loader, not sealseg's source.
    bsds, _ = make_bsds_tree(tmp_path / "b")
    os.mkfifo(bsds / "data" / "images" / "val" / "3.jpg")
    _save(tmp_path / "img" / "a.png", np.zeros((3, 4, 3), np.uint8))
    _save(tmp_path / "lab" / "a.png", np.zeros((3, 4), np.uint8))
    os.mkfifo(tmp_path / "img" / "pipe.png")
    city = tmp_path / "c"
    name = "aachen_000000_000019"
    _save(city / "leftImg8bit" / "val" / "aachen" / f"{name}_leftImg8bit.png",
          np.zeros((5, 7, 3), np.uint8))
    _save(city / "gtFine" / "val" / "aachen" / f"{name}_gtFine_instanceIds.png",
          np.zeros((5, 7), np.uint16))
    os.mkfifo(city / "leftImg8bit" / "val" / "aachen" / "x_000000_000001_leftImg8bit.png")
    for call in (lambda: load_bsds500(bsds), lambda: load_folder(tmp_path / "img",
                                                                 tmp_path / "lab"),
                 lambda: load_cityscapes(city)):
        dataset, record = _warnings_of(call)
        assert len(dataset) >= 1
        assert [w.filename for w in record] == [__file__]


# --------------------------------------------------------------------------- bad inputs (formerly test_reliability.py)

from bad_input_cases import bad_input_test  # noqa: E402

BAD_INPUTS = (
    [
        ("load_bsds500-root-int", lambda: load_bsds500(3), TypeError,
         "root must be a folder path (str or path-like), got 3 of type int"),
        ("load_bsds500-split", lambda: load_bsds500(REPO, split="training"), ValueError,
         "split must be one of 'train', 'val', 'test', got 'training'"),
        ("load_cityscapes-root-None", lambda: load_cityscapes(None), TypeError,
         "root must be the Cityscapes folder"),
        ("load_cityscapes-root-int", lambda: load_cityscapes(3), TypeError,
         "root must be a folder path"),
        ("load_folder-images-None", lambda: load_folder(None, REPO), TypeError,
         "images must be a folder path, got None"),
        ("load_folder-labels-int", lambda: load_folder(REPO, 3), TypeError,
         "labels must be a folder path"),
    ]
)


test_bad_input = bad_input_test(BAD_INPUTS)


def _image(path, shape=(6, 8, 3)):
    path.parent.mkdir(parents=True, exist_ok=True)
    io.imsave(path, np.zeros(shape, np.uint8), check_contrast=False)


DATASET_CASES = [
    ("bsds500-missing-root", lambda t: load_bsds500(t / "nope"), "BSDS500 not found"),
    ("bsds500-empty-root", lambda t: load_bsds500(t), "BSDS500 not found"),
    ("bsds500-split-without-groundtruth",
     lambda t: (_image(t / "data" / "images" / "val" / "1.jpg"),
                (t / "data" / "groundTruth" / "val").mkdir(parents=True),
                load_bsds500(t)), "BSDS500 image"),
    ("bsds500-split-without-groundtruth-folder",
     lambda t: (_image(t / "data" / "images" / "val" / "1.jpg"), load_bsds500(t)),
     "groundTruth/val does not exist"),
    ("bsds500-split-without-images",
     lambda t: ((t / "data" / "images" / "val").mkdir(parents=True),
                (t / "data" / "groundTruth" / "val").mkdir(parents=True),
                load_bsds500(t)), "no image in"),
    ("cityscapes-missing-root", lambda t: load_cityscapes(t / "nope"),
     "Cityscapes split 'val' not found"),
    ("cityscapes-split-without-groundtruth",
     lambda t: (_image(t / "leftImg8bit" / "val" / "c" / "c_0_0_leftImg8bit.png"),
                (t / "gtFine" / "val" / "c").mkdir(parents=True), load_cityscapes(t)),
     "has no ground truth"),
    ("sbd-missing-root", lambda t: load_sbd(t / "nope"), "SBD not found"),
    ("sbd-without-list",
     lambda t: ((t / "images").mkdir(), (t / "layers").mkdir(), load_sbd(t)), "train.txt"),
    ("sbd-listed-image-missing",
     lambda t: ((t / "images").mkdir(), (t / "layers").mkdir(),
                (t / "train.txt").write_text("7\n"), load_sbd(t)), "7.jpg"),
    ("camvid-missing-root", lambda t: load_camvid(t / "nope"), "CamVid not found"),
    ("camvid-frame-without-class-map",
     lambda t: (_image(t / "val" / "f.png"), (t / "valannot").mkdir(), load_camvid(t)),
     "has no class map"),
    ("ecssd-missing-root", lambda t: load_ecssd(t / "nope"), "ECSSD not found"),
    ("ecssd-image-without-mask",
     lambda t: (_image(t / "images" / "0001.jpg"), (t / "masks").mkdir(), load_ecssd(t)),
     "has no mask"),
    ("folder-missing-images", lambda t: load_folder(t / "nope", t), "images folder"),
    ("folder-missing-labels", lambda t: load_folder(t, t / "nope"), "labels folder"),
    ("folder-empty", lambda t: load_folder(t, t), "no image"),
    ("folder-image-without-label",
     lambda t: (_image(t / "img" / "a.png"), (t / "lab").mkdir(),
                load_folder(t / "img", t / "lab")), "has no label map"),
]


@pytest.mark.parametrize("make, match", [c[1:] for c in DATASET_CASES],
                         ids=[c[0] for c in DATASET_CASES])
def test_bad_dataset_roots(tmp_path, make, match):
    # FileNotFoundError (an OSError, as for any missing file) naming what is missing.
    with pytest.raises(FileNotFoundError) as info:
        make(tmp_path)
    assert match in str(info.value)


# --------------------------------------------------------------------------- SBD, CamVid, ECSSD

def test_sbd_fake_tree_reads_the_listed_ids_in_order(tmp_path):
    rng = np.random.default_rng(0)
    regions = {}
    for name in ("0000051", "0000009", "0000700"):
        _image(tmp_path / "SBD" / "images" / f"{name}.jpg", (5, 7, 3))
        regions[name] = rng.integers(0, 40, (5, 7)).astype(np.uint16)
        _save(tmp_path / "SBD" / "layers" / f"{name}.png", regions[name])
    (tmp_path / "SBD" / "train.txt").write_text("0000051\n0000009\n")  # 0000700 not listed
    dataset = load_sbd(tmp_path / "SBD")
    assert dataset.name == "sbd" and dataset.names == ["0000051", "0000009"]
    sample = dataset["0000009"]
    assert len(sample.groundtruths) == 1 and sample.classes is None
    assert_equal(sample.groundtruths[0], regions["0000009"])
    assert sample.groundtruths[0].dtype == np.int64 and sample.image.shape == (5, 7, 3)


def test_sbd_list_naming_an_image_twice_is_refused(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "layers").mkdir()
    (tmp_path / "train.txt").write_text("1\n1\n")
    with pytest.raises(ValueError, match="'1' twice"):
        load_sbd(tmp_path)


def test_sbd_found_through_sealseg_data(tmp_path, monkeypatch):
    _image(tmp_path / "SBD" / "images" / "1.jpg", (3, 4, 3))
    _save(tmp_path / "SBD" / "layers" / "1.png", np.zeros((3, 4), np.uint16))
    (tmp_path / "SBD" / "train.txt").write_text("1\n")
    monkeypatch.setenv("SEALSEG_DATA", str(tmp_path))
    assert load_sbd().names == ["1"]


def test_camvid_void_is_filled_with_the_nearest_class_for_the_groundtruth(tmp_path):
    classes = np.array([[0, 0, 11, 3, 3],
                        [0, 0, 11, 11, 3],
                        [8, 8, 8, 8, 8]], np.uint8)
    _image(tmp_path / "val" / "f1.png", (3, 5, 3))
    _save(tmp_path / "valannot" / "f1.png", classes)
    sample = load_camvid(tmp_path)[0]
    assert sample.name == "f1" and sample.void == 11
    assert_equal(sample.classes, classes)
    # Each void pixel takes the class of a nearest non-void pixel (distance 1 here;
    # (0, 2) is as near to class 0 as to 3: either is right).
    filled = sample.groundtruths[0]
    assert filled[0, 2] in (0, 3) and filled[1, 2] in (0, 8) and filled[1, 3] == 3
    assert_equal(filled[classes != 11], classes[classes != 11])
    assert not (filled == 11).any()
    assert len(CAMVID_CLASSES) == 11


@pytest.mark.parametrize("annotation, match", [
    (np.full((3, 5), 12, np.uint8), "outside 0-11"),
    (np.full((3, 5), 11, np.uint8), "void everywhere"),
])
def test_camvid_bad_class_maps_are_refused_on_access(tmp_path, annotation, match):
    _image(tmp_path / "val" / "f.png", (3, 5, 3))
    _save(tmp_path / "valannot" / "f.png", annotation)
    dataset = load_camvid(tmp_path)
    with pytest.raises(ValueError, match=match):
        dataset[0]


def test_camvid_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        load_camvid(tmp_path, split="trainval")


def test_ecssd_masks_become_zero_one_classes(tmp_path):
    mask = np.zeros((4, 6), np.uint8)
    mask[1:3, 2:5] = 255
    for name in ("0002", "0001"):
        _image(tmp_path / "images" / f"{name}.jpg", (4, 6, 3))
        _save(tmp_path / "masks" / f"{name}.png", mask)
    dataset = load_ecssd(tmp_path)
    assert dataset.names == ["0001", "0002"]
    sample = dataset["0002"]
    assert_equal(sample.classes, (mask == 255).astype(np.int64))
    assert_equal(sample.groundtruths[0], sample.classes)
    assert sample.void is None


def test_ecssd_mask_with_grey_values_is_refused(tmp_path):
    _image(tmp_path / "images" / "0001.jpg", (4, 6, 3))
    _save(tmp_path / "masks" / "0001.png", np.full((4, 6), 128, np.uint8))
    with pytest.raises(ValueError, match="other than 0 and 255"):
        load_ecssd(tmp_path)[0]


def _shared(name):
    from sealseg.datasets.files import data_candidates

    candidates = data_candidates(name) + [REPO.parent / "shared" / "datasets" / name]
    return next((c for c in candidates if c.is_dir()), None)


@pytest.mark.skipif(_shared("SBD") is None, reason="SBD not found (SEALSEG_DATA or "
                    "../shared/datasets/SBD)")
def test_sbd_real_train_list():
    dataset = load_sbd(_shared("SBD"))
    assert len(dataset) == 238
    sample = dataset[0]
    assert sample.groundtruths[0].shape == sample.image.shape[:2]


@pytest.mark.skipif(_shared("CamVid") is None, reason="CamVid not found (SEALSEG_DATA or "
                    "../shared/datasets/CamVid)")
def test_camvid_real_val():
    dataset = load_camvid(_shared("CamVid"))
    assert len(dataset) == 101
    sample = dataset[0]
    assert sample.image.shape == (360, 480, 3) and sample.classes.max() <= 11
    assert sample.groundtruths[0].max() <= 10


@pytest.mark.skipif(_shared("ECSSD") is None, reason="ECSSD not found (SEALSEG_DATA or "
                    "../shared/datasets/ECSSD)")
def test_ecssd_real_first_half():
    dataset = load_ecssd(_shared("ECSSD"))
    assert len(dataset) == 500 and dataset.names[0] == "0001"
    assert set(np.unique(dataset[0].classes)) <= {0, 1}


def test_12_bit_images_are_scaled_by_their_declared_range_or_refused(tmp_path):
    from PIL import Image

    from sealseg.datasets.samples import _read_image

    samples = np.array([[0, 4095, 2048]], np.uint16)
    (tmp_path / "a.pgm").write_bytes(b"P5 3 1 4095\n" + samples.astype(">u2").tobytes())
    assert_array_equal(_read_image(tmp_path / "a.pgm")[..., 0], [[0, 255, 128]])
    Image.fromarray(samples).save(tmp_path / "b.png")     # 12-bit data, 16-bit file, no word
    with pytest.raises(ValueError, match="no larger than 4095"):
        _read_image(tmp_path / "b.png")
