"""Tests of sealseg.training.exponent: the release rule that picks the affinity exponent."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sealseg.training import exponent as rule


def test_choose_exponent_bar_margin_is_the_smallest_margin_over_the_bar():
    means = {}
    for n, bar_asa, bar_br in zip(rule.N_SEGMENTS, rule.BAR_ASA, rule.BAR_BR):
        means["ers", n] = (0.9, 0.7)
        means[2.0, n] = (0.9 + bar_asa + 0.002, 0.7 + bar_br + 0.003)
    assert rule.bar_margin(means, 2.0) == pytest.approx(0.002)
    # one figure short of the bar makes the margin negative by the shortfall
    means[2.0, 100] = (means[2.0, 100][0], 0.7 - 0.0065)
    assert rule.bar_margin(means, 2.0) == pytest.approx(-0.0015)


def test_choose_exponent_pick_breaks_near_ties_by_boundary_recall():
    means = {}
    for n, bar_asa, bar_br in zip(rule.N_SEGMENTS, rule.BAR_ASA, rule.BAR_BR):
        means["ers", n] = (0.9, 0.7)
        for exponent in rule.EXPONENTS:
            means[exponent, n] = (0.9 + bar_asa - 0.01, 0.7)  # far below the bar
        means[1.75, n] = (0.9 + bar_asa + 0.0010, 0.7 + bar_br + 0.002)
        means[2.0, n] = (0.9 + bar_asa + 0.0009, 0.7 + bar_br + 0.006)
    # 1.75 has the larger smallest margin, but within the tie: 2 has more BR
    assert rule.bar_margin(means, 1.75) > rule.bar_margin(means, 2.0)
    assert rule.pick_exponent(means) == 2.0
    # beyond the tie the smallest margin alone decides
    assert rule.pick_exponent(means, tie=0.00005) == 1.75


def test_choose_exponent_write_sets_the_exponent_and_keeps_the_weights(tmp_path):
    torch = pytest.importorskip("torch")
    from sealseg.pan.model import PixelAffinityNet, prepare_input
    from sealseg.pan.pretrained import read_weight_file
    from sealseg.pan.pretrained import model_file_payload

    net = PixelAffinityNet(8, use_edges=False, dilations=(1, 2, 4)).eval()
    torch.save(model_file_payload(net), tmp_path / "plain.pt")
    rule.write(tmp_path / "plain.pt", 2.0, tmp_path / "sharp.pt")
    sharp = read_weight_file(tmp_path / "sharp.pt")
    assert sharp.exponent == 2.0 and list(sharp.config["dilations"]) == [1, 2, 4]
    x = prepare_input(np.random.default_rng(0).random((20, 24, 3)).astype(np.float32))
    with torch.no_grad():
        assert_allclose(sharp.eval()(x).numpy(), net(x).numpy() ** 2, rtol=1e-4)
