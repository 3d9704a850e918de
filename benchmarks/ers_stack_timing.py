"""Time one call of ers with a list of counts against one call per count (A/B, one process).

On BSDS500 val images (``SEALSEG_DATA`` or ``../shared/datasets``), colour
ERS: for each image and round, in turn, one call at the smallest count, one
call with the whole list, and one call per count; prints the median ratios
of the list call to the two others::

    python benchmarks/ers_stack_timing.py --images 5 --rounds 3
"""
import argparse
import time

import numpy as np

from sealseg import ers, load_bsds500

N_LIST = [100, 200, 300, 400, 600, 800, 1000, 1200]


def _seconds(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    data = load_bsds500(split="val")
    to_smallest, to_separate = [], []
    for index in range(args.images):
        image = data[index].image
        ers(image, N_LIST)  # warm-up
        for _ in range(args.rounds):
            one = _seconds(lambda: ers(image, min(N_LIST)))
            stack = _seconds(lambda: ers(image, N_LIST))
            separate = _seconds(lambda: [ers(image, n) for n in N_LIST])
            to_smallest.append(stack / one)
            to_separate.append(stack / separate)
    print(f"list of {len(N_LIST)} counts / one call at n = {min(N_LIST)}: "
          f"median {np.median(to_smallest):.2f} (range {min(to_smallest):.2f}-"
          f"{max(to_smallest):.2f}); / one call per count: median {np.median(to_separate):.2f} "
          f"({len(to_smallest)} pairs)")


if __name__ == "__main__":
    main()
