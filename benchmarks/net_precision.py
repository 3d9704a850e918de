"""The net's time in float32 and bfloat16, in one run (a plain script).

    python benchmarks/net_precision.py [--rounds 7] [--net NAME_OR_FILE ...]

On scikit-image's astronaut resized to 321x481 (BSDS500's size), for each net
(default: the twin ``"bsds500-dilated"``) and each of 1 and 2 torch threads,
``learn_affinities`` with ``precision="float32"`` and ``"bfloat16"`` in
alternation, after a warm-up call each, then ``seal_ers`` (n = 600) at
``precision="auto"`` and ``"float32"`` beside skimage's ``slic``; prints the
median time of each and its ratio to the first net's float32 time on the same
thread count, with whether the CPU computes bfloat16 natively
(``sealseg.pan.inference.native_bfloat16``: ``"auto"`` means bfloat16 there)
and the load average before and after.  The figures of a run are on the
results page ("Precision of the net").
"""
import argparse
import os
import statistics
import time

import numpy as np
from skimage import data, transform


def _image():
    image = transform.resize(data.astronaut(), (321, 481), anti_aliasing=True)
    return (image * 255).round().astype(np.uint8)


def _median_seconds(calls, rounds):
    """Median seconds of each call, the calls taken in turn ``rounds`` times."""
    times = [[] for _ in calls]
    for call in calls:
        call()                                  # warm-up
    for _ in range(rounds):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            call()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--net", nargs="+", default=["bsds500-dilated"],
                        help="registry names or model files")
    args = parser.parse_args(argv)

    import torch
    from skimage.segmentation import slic

    from sealseg import learn_affinities, seal_ers
    from sealseg.pan.inference import native_bfloat16

    image = _image()
    print(f"native bfloat16: {native_bfloat16()}; load average before: {os.getloadavg()}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        calls, names = [], []
        for net in args.net:
            for precision in ("float32", "bfloat16"):
                calls.append(lambda net=net, p=precision: learn_affinities(image, weights=net,
                                                                           precision=p))
                names.append(f"learn_affinities {net} {precision}")
        for precision in ("auto", "float32"):
            calls.append(lambda p=precision: seal_ers(image, 600, precision=p))
            names.append(f"seal_ers n=600 {precision}")
        calls.append(lambda: slic(image, 600, start_label=1))
        names.append("skimage slic n=600")
        medians = _median_seconds(calls, args.rounds)
        print(f"{threads} thread(s), median of {args.rounds}:")
        for name, seconds in zip(names, medians):
            print(f"  {name:52s} {seconds:.3f} s  {seconds / medians[0]:.2f}")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
