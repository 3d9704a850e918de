"""``python -m benchmarks [--quick]``: the same as ``python benchmarks/run.py``."""
import sys

from benchmarks.run import main

# asv imports every module of the benchmark folder, this one included: run only as a script.
if __name__ == "__main__":
    sys.exit(main())
