"""Tests of learn_affinities (sealseg.pan.inference): prediction, errors, lazy torch."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bad_input_cases import GREY, IMG, bad_input_test, image_cases  # noqa: E402
from sealseg import learn_affinities  # noqa: E402
from sealseg.pan.model import PixelAffinityNet, prepare_input  # noqa: E402

from synthetic import two_region_image as _image  # noqa: E402

torch.set_num_threads(2)




def _save_weights(path, **kw):
    from sealseg.pan.pretrained import model_file_payload

    torch.manual_seed(0)
    torch.save(model_file_payload(PixelAffinityNet(8, **kw).eval()), path)
    return path


def test_learn_affinities_is_the_public_name():
    import sealseg
    from sealseg.pan import inference

    assert sealseg.learn_affinities is inference.learn_affinities
    assert learn_affinities.__module__ == "sealseg.pan.inference"


def test_learn_affinities_runs_canny_only_for_nets_with_the_edge_channel(tmp_path, monkeypatch):
    from sealseg.pan import model as pan_model

    calls = []
    canny = pan_model.canny_edges
    monkeypatch.setattr(pan_model, "canny_edges", lambda rgb: calls.append(1) or canny(rgb))
    for use_edges in (True, False):
        path = _save_weights(tmp_path / f"edges_{use_edges}.pt", use_edges=use_edges)
        net = PixelAffinityNet(8, use_edges=use_edges)
        net.load_state_dict(torch.load(path, weights_only=True)["state_dict"])
        with torch.inference_mode():
            expected = net.eval()(prepare_input(_image()))[0].numpy()
        calls.clear()
        # float32: "auto" is bfloat16 on a CPU that has it natively.
        got = learn_affinities(_image(), weights=str(path), device="cpu", precision="float32")
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert len(calls) == (1 if use_edges else 0)


def test_learn_affinities_shape_dtype_range_and_grey(tmp_path):
    path = _save_weights(tmp_path / "w.pt", kernel="7x7", dilations=(1, 2, 4))
    a = learn_affinities(_image(), weights=str(path), device="cpu")
    assert a.shape == (2, 24, 20) and a.dtype == np.float32 and a.flags.c_contiguous
    assert a.min() > 0 and a.max() <= 1
    np.testing.assert_array_equal(a[0, :, -1], 1)
    np.testing.assert_array_equal(a[1, -1, :], 1)
    grey = learn_affinities(_image()[..., 0], weights=str(path), channel_axis=None)
    assert grey.shape == (2, 24, 20)
    # a grey image is the same grey value in all three channels
    grey3 = np.repeat(_image()[..., :1], 3, axis=2)
    np.testing.assert_array_equal(grey, learn_affinities(grey3, weights=str(path)))


def test_weights_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.pt"):
        learn_affinities(_image(), weights=str(tmp_path / "nothere.pt"))
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="corrupt.pt"):
        learn_affinities(_image(), weights=str(bad))
    other = tmp_path / "other.pt"
    torch.save({"conv.weight": torch.zeros(3, 3)}, other)
    with pytest.raises(ValueError, match="other.pt.*does not match"):
        learn_affinities(_image(), weights=str(other))
    with pytest.raises(ValueError, match="shipped net"):
        learn_affinities(_image(), weights="imagenet")
    with pytest.raises(TypeError, match="weights"):
        learn_affinities(_image(), weights=3)
    path = _save_weights(tmp_path / "ok.pt")
    with pytest.raises(ValueError, match="channels"):
        learn_affinities(np.zeros((8, 8, 4)), weights=str(path))
    with pytest.raises(ValueError, match="device"):
        learn_affinities(_image(), weights=str(path), device="abacus")


def test_arguments_are_checked_before_the_net_is_loaded(monkeypatch):
    from sealseg.pan import pretrained

    def no_load(*args, **kwargs):
        raise AssertionError("the net was looked up before the arguments were checked")

    monkeypatch.setattr(pretrained, "get_model", no_load)
    with pytest.raises(ValueError, match="got 2 channels"):
        learn_affinities(np.zeros((6, 5, 2)))
    with pytest.raises(ValueError, match="max_pixels_per_tile must be None or a positive"):
        learn_affinities(_image(), max_pixels_per_tile=0)
    with pytest.raises(TypeError, match="max_pixels_per_tile must be None or a positive"):
        learn_affinities(_image(), max_pixels_per_tile=True)


def test_import_does_not_import_torch_until_the_first_prediction(tmp_path):
    path = _save_weights(tmp_path / "w.pt")
    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        import sealseg
        import sealseg.pan.inference, sealseg.pan.pretrained, sealseg.pan.tiling, sealseg.seal
        assert "torch" not in sys.modules, "import sealseg imported torch"
        a = sealseg.learn_affinities(np.zeros((8, 9, 3)), weights={str(path)!r})
        assert "torch" in sys.modules and a.shape == (2, 8, 9)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("preset, torch_first, expected", [
    (None, False, "PASSIVE"),      # sealseg imports torch: passive waiting
    ("ACTIVE", False, "ACTIVE"),   # the user's own setting is kept
    (None, True, None),            # torch already loaded: nothing is changed
])
def test_omp_wait_policy_is_set_only_when_sealseg_loads_torch(tmp_path, preset, torch_first,
                                                              expected):
    import os

    path = _save_weights(tmp_path / "w.pt")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if preset is not None:
        env["OMP_WAIT_POLICY"] = preset
    code = textwrap.dedent(f"""
        import os
        import numpy as np
        {"import torch" if torch_first else ""}
        import sealseg
        sealseg.learn_affinities(np.zeros((8, 9, 3)), weights={str(path)!r})
        print(os.environ.get("OMP_WAIT_POLICY"))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(expected)


def _learn_never_reading_weights(image, **kw):
    return learn_affinities(image, weights="/nonexistent/never-read.pt", **kw)


BAD_INPUTS = (
    image_cases("learn_affinities", _learn_never_reading_weights)
    + [
        ("learn_affinities-image-2-channels",
         lambda: _learn_never_reading_weights(IMG[..., :2]), ValueError,
         "image must be grey or RGB (3 channels), got 2 channels"),
        ("learn_affinities-image-4-channels",
         lambda: _learn_never_reading_weights(np.dstack([IMG, GREY])), ValueError,
         "got 4 channels"),
        ("learn_affinities-image-16-channels",
         lambda: _learn_never_reading_weights(np.zeros((6, 5, 16))), ValueError,
         "got 16 channels"),
        ("learn_affinities-weights-int", lambda: learn_affinities(IMG, weights=3), TypeError,
         "weights must be None, a shipped net's name"),
        ("learn_affinities-weights-unknown-name", lambda: learn_affinities(IMG, weights="coco"),
         ValueError, "weights='coco' is neither a shipped net's name"),
        ("learn_affinities-max_pixels_per_tile-0",
         lambda: _learn_never_reading_weights(IMG, max_pixels_per_tile=0), ValueError,
         "max_pixels_per_tile must be None or a positive integer, got 0"),
        ("learn_affinities-max_pixels_per_tile-float",
         lambda: _learn_never_reading_weights(IMG, max_pixels_per_tile=2.5), TypeError,
         "max_pixels_per_tile must be None or a positive integer"),
    ]
)

test_bad_input = bad_input_test(BAD_INPUTS)


# --------------------------------------------------------------------------- issue 19

def test_net_that_overflows_float32_is_refused_naming_the_file(tmp_path):
    # Finite weights whose activations overflow: the net's NaN must not reach
    # ERS as affinities (documented range [0, 1]).
    from sealseg import seal_ers
    from sealseg.pan import pretrained
    from sealseg.pan.pretrained import model_file_payload

    net = PixelAffinityNet(8).eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.mul_(1e30)
    path = tmp_path / "overflow.pt"
    torch.save(model_file_payload(net), path)
    pretrained.clear_cache()
    for call in (lambda: learn_affinities(_image(), weights=str(path)),
                 lambda: seal_ers(_image(), 5, weights=str(path))):
        with pytest.raises(ValueError, match="overflow.pt' predicted NaN or infinite affinities"):
            call()


def test_affinities_stay_in_the_documented_closed_range(tmp_path):
    # Saturated logits underflow float32 to exactly 0: the documented range is [0, 1].
    from sealseg.pan.pretrained import model_file_payload

    net = PixelAffinityNet(8).eval()
    with torch.no_grad():
        net.fuse[2].weight.mul_(1e6)
    path = tmp_path / "saturated.pt"
    torch.save(model_file_payload(net), path)
    out = learn_affinities(_image(), weights=str(path))
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


def test_absurd_tile_budget_is_refused_at_once(tmp_path):
    # max_pixels_per_tile=1225 (the old minimum for the dilated net) on 100 x 100
    # did not finish in 300 s; it is now below the minimum, (3 * 17)**2.
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"max_pixels_per_tile must be at least 2601 = "
                                         r"\(3 \* 17\)\*\*2"):
        learn_affinities(_image(100, 100), max_pixels_per_tile=1225)
    assert time.perf_counter() - start < 5.0


def test_precision_is_checked_up_front():
    with pytest.raises(ValueError, match="precision must be one of 'auto', 'float32'"):
        learn_affinities(_image(), precision="float16")
    with pytest.raises(TypeError, match="precision must be one of"):
        learn_affinities(_image(), precision=16)


def test_auto_precision_follows_the_cpu_detection(monkeypatch):
    from sealseg.pan import inference

    image = _image()
    fp32 = learn_affinities(image, device="cpu", precision="float32")
    monkeypatch.setattr(inference, "native_bfloat16", lambda: False)
    assert np.array_equal(learn_affinities(image, device="cpu"), fp32)
    monkeypatch.setattr(inference, "native_bfloat16", lambda: True)
    bf16 = learn_affinities(image, device="cpu", precision="bfloat16")
    assert np.array_equal(learn_affinities(image, device="cpu"), bf16)


def test_bfloat16_moves_affinities_a_little_and_keeps_float32_output():
    image = _image()
    fp32 = learn_affinities(image, device="cpu", precision="float32")
    bf16 = learn_affinities(image, device="cpu", precision="bfloat16")
    assert bf16.dtype == np.float32 and bf16.shape == fp32.shape
    assert not np.array_equal(bf16, fp32)          # the convolutions did run in bfloat16
    assert np.abs(bf16 - fp32).max() < 0.15
    assert (bf16[0, :, -1] == 1).all() and (bf16[1, -1, :] == 1).all()


def test_native_bfloat16_is_a_bool():
    from sealseg.pan.inference import native_bfloat16

    assert native_bfloat16() in (True, False)


def test_a_tiled_call_logs_its_progress_and_is_silent_by_default(caplog, capsys):
    # The sign of life of a long call (``segment`` shows it on stderr): one
    # line for the plan, then about ten for the tiles, whatever their number.
    image = np.random.default_rng(0).random((96, 200, 3))
    with caplog.at_level("INFO", logger="sealseg"):
        learn_affinities(image, max_pixels_per_tile=60 * 60, device="cpu")
    messages = [r.getMessage() for r in caplog.records if r.name == "sealseg.pan.inference"]
    n_tiles = int(messages[0].split(" in ")[1].split(" ")[0])
    assert n_tiles > 10
    assert messages[0].startswith("affinity net on cpu in ")
    assert 2 <= len(messages) - 1 <= 11
    assert messages[-1] == f"affinity net: tile {n_tiles} of {n_tiles} done"
    caplog.clear()
    learn_affinities(image, max_pixels_per_tile=60 * 60, device="cpu")
    assert capsys.readouterr().err == ""
