"""The speed goals of ``seal_ers`` (asv style; also a plain script).

    python benchmarks/benchmark_seal.py

``SealERSGoals`` reports, on scikit-image's astronaut resized to 321x481
(BSDS500's size), n_segments=600, 8-connected, with torch's default threads:

- ``seal_ers_over_slic``: seal_ers time / slic time (goal: at most 2), the
  median of 5 back-to-back pairs;
- ``busy_neighbour_slowdown``: how much slower seal_ers gets while another
  process keeps the other core busy (a pure-CPU spin), the median of 3;

each with the shipped net (``net="shipped"``) and with an untrained net of a
cheaper design (``"pan-w16-two-output"`` of ``_common.NET_DESIGNS``: width
16, both directions in one pass, 0.17 of the shipped net's time in
``benchmark_pan.Architectures`` on a quiet 2-core machine), which shows what
such a design would give end to end; its labels mean nothing.

The net is loaded (and torch imported) in ``setup``, outside the timings.
OpenMP's wait policy is read once, when torch loads: run the script with
``OMP_WAIT_POLICY=ACTIVE`` to time torch's own default instead of the passive
waiting sealseg asks for (``doc/speed.rst``).
"""
import os
import sys
from pathlib import Path

from skimage.segmentation import slic

from sealseg import seal_ers

if __package__:
    from ._common import (NET_DESIGNS, random_weights, ratio_of_pairs, slowdown_beside, spin,
                          timing_weights)
    from .benchmark_ers import make_image
else:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._common import (NET_DESIGNS, random_weights, ratio_of_pairs,
                                    slowdown_beside, spin, timing_weights)
    from benchmarks.benchmark_ers import make_image

N_SEGMENTS = 600


# Nets timed: the shipped one, and an untrained net of the cheapest design.
NETS = ["shipped", "pan-w16-two-output"]


class SealERSGoals:
    """seal_ers against slic, and beside a busy neighbour, on 321x481 at n=600."""

    params = (NETS,)
    param_names = ["net"]
    timeout = 600

    def setup(self, net):
        self.image = make_image("0.15Mpx")
        if net == "shipped":
            self.weights, self.kind = timing_weights()
        else:
            self.weights, self.kind = random_weights(NET_DESIGNS[net]), "random-init"
        seal_ers(self.image, N_SEGMENTS, weights=self.weights)   # load the net

    def _seal(self):
        seal_ers(self.image, N_SEGMENTS, weights=self.weights)

    def track_seal_ers_over_slic(self, net):
        return ratio_of_pairs(self._seal,
                              lambda: slic(self.image, N_SEGMENTS, start_label=1), pairs=5)

    track_seal_ers_over_slic.unit = "ratio"

    def track_busy_neighbour_slowdown(self, net):
        return slowdown_beside(self._seal, spin, pairs=3)

    track_busy_neighbour_slowdown.unit = "ratio"


def main():
    for net in NETS:
        goals = SealERSGoals()
        goals.setup(net)
        if net == NETS[0]:
            # Read after the first setup: sealseg sets it when it imports torch.
            policy = os.environ.get("OMP_WAIT_POLICY", "unset")
            print(f"OMP_WAIT_POLICY when torch loaded: {policy}")
        ratio = goals.track_seal_ers_over_slic(net)
        slowdown = goals.track_busy_neighbour_slowdown(net)
        print(f"net {net} ({goals.kind}): seal_ers / slic {ratio:.2f}, "
              f"slowdown beside a busy core {slowdown:.2f}")


if __name__ == "__main__":
    main()
