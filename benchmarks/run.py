"""Run the asv-style suites of ``benchmarks/`` without asv and print tables.

    python benchmarks/run.py [--quick] [--only NAME ...] [-k SUBSTRING]
    python -m benchmarks [--quick]

Every ``benchmarks/benchmark_*.py`` module is imported; every class in it with
``time_*``, ``peakmem_*`` or ``track_*`` methods is a suite.  For each
combination of its ``params`` (with ``--quick``: its ``quick_params`` if it has
them, else the first value of every parameter) the runner calls ``setup``
(``NotImplementedError`` skips the combination, as in asv) and then

- ``time_*``: wall time of the call, median of the repeats (``--quick``: one
  call, repeated only while the total stays under 0.5 s);
- ``peakmem_*``: peak resident memory (MB) of a fresh process that runs
  ``setup`` and then the call, as asv measures it;
- ``track_*``: the value returned, with the method's ``unit``.

When a suite has a ``time_slic`` benchmark, every other ``time_*`` of the same
parameters is also reported as a ratio to it ("x slic"): both are measured in
the same run, on the same input.
"""
import argparse
import importlib
import inspect
import itertools
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

KINDS = ("time_", "peakmem_", "track_")
REFERENCE = "time_slic"


def discover(only=None):
    """[(module name, class)] of every suite, in file order."""
    suites = []
    for path in sorted((REPO / "benchmarks").glob("benchmark_*.py")):
        if only and path.stem not in only:
            continue
        module = importlib.import_module(f"benchmarks.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and _methods(cls):
                suites.append((path.stem, cls))
    return suites


def _methods(cls):
    return sorted(name for name in dir(cls)
                  if name.startswith(KINDS) and callable(getattr(cls, name)))


def _param_lists(cls, quick):
    params = getattr(cls, "params", [])
    if quick and hasattr(cls, "quick_params"):
        params = cls.quick_params
    params = list(params)
    if params and not all(isinstance(p, (list, tuple)) for p in params):
        params = [params]                      # asv: one parameter, list of its values
    if quick and not hasattr(cls, "quick_params"):
        params = [p[:1] for p in params]
    names = list(getattr(cls, "param_names", [f"param{i}" for i in range(len(params))]))
    return names, params


def _time(func, args, quick):
    samples = []
    budget = 0.5 if quick else 2.0
    min_repeat = 1 if quick else 3
    if not quick:
        func(*args)                            # warm-up, as asv does
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        func(*args)
        samples.append(time.perf_counter() - t0)
        spent = time.perf_counter() - start
        if len(samples) >= min_repeat and (spent > budget or len(samples) >= 20):
            break
    return statistics.median(samples)


def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return None


def _peakmem_child(module, cls_name, method, args, quick_flag, queue):
    sys.path.insert(0, str(REPO))
    if quick_flag:
        os.environ["SEALSEG_BENCH_QUICK"] = "1"
    cls = getattr(importlib.import_module(f"benchmarks.{module}"), cls_name)
    suite = cls()
    if hasattr(suite, "setup"):
        suite.setup(*args)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                       # reset the peak (VmHWM) to the current RSS
        getattr(suite, method)(*args)
        peak_kb = _status_kb("VmHWM:")
    except OSError:                            # not Linux: the process's max RSS so far
        import resource
        getattr(suite, method)(*args)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put(peak_kb / 1024)


def _peakmem(module, cls, method, args, quick):
    ctx = multiprocessing.get_context("spawn")  # fork is unsafe after torch's threads start
    queue = ctx.Queue()
    proc = ctx.Process(target=_peakmem_child,
                       args=(module, cls.__name__, method, args, quick, queue))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"{method} failed in its process (exit code {proc.exitcode})")
    return queue.get()


def _format(value, unit):
    if isinstance(value, str):
        return value
    if unit == "s":
        return f"{value * 1e3:.2f} ms" if value < 0.1 else f"{value:.3f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.4g} {unit}".rstrip()


def run_suite(module, cls, quick, pattern=None):
    names, lists = _param_lists(cls, quick)
    methods = [m for m in _methods(cls) if pattern is None or pattern in m]
    if not methods:
        return []
    rows = []
    print(f"\n== {module}.{cls.__name__} ==", flush=True)
    if cls.__doc__:
        print(" ".join(cls.__doc__.split()))
    header = names + ["benchmark", "result", f"x {REFERENCE[5:]}"]
    widths = [max(9, len(n)) for n in names] + [30, 14, 8]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), flush=True)
    for args in itertools.product(*lists):
        suite = cls()
        try:
            if hasattr(suite, "setup"):
                suite.setup(*args)
        except NotImplementedError as exc:
            cells = [str(a) for a in args] + ["(all)", f"skipped: {exc}", ""]
            print("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip(), flush=True)
            continue
        results = {}
        for method in methods:
            func = getattr(suite, method)
            try:
                if method.startswith("time_"):
                    value, unit = _time(func, args, quick), "s"
                elif method.startswith("peakmem_"):
                    value, unit = _peakmem(module, cls, method, args, quick), "MB"
                else:
                    value, unit = func(*args), getattr(func, "unit", "")
            except NotImplementedError as exc:
                value, unit = f"skipped: {exc}", ""
            results[method] = (value, unit)
        ref = results.get(REFERENCE, (None,))[0]
        for method, (value, unit) in results.items():
            ratio = ""
            if (method.startswith("time_") and method != REFERENCE
                    and isinstance(ref, float) and isinstance(value, float)):
                ratio = f"{value / ref:.2f}"
            cells = [str(a) for a in args] + [method, _format(value, unit), ratio]
            print("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip(), flush=True)
            rows.append(dict(zip(names, args), suite=f"{module}.{cls.__name__}",
                             benchmark=method, value=value, unit=unit, ratio=ratio))
        if hasattr(suite, "teardown"):
            suite.teardown(*args)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/run.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one call per benchmark, the suites' quick parameters")
    parser.add_argument("--only", nargs="+", metavar="MODULE",
                        help="run only these modules (e.g. benchmark_ers_grid)")
    parser.add_argument("-k", metavar="SUBSTRING", help="run only benchmarks whose "
                        "method name contains SUBSTRING")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["SEALSEG_BENCH_QUICK"] = "1"
    import numpy
    import skimage

    import sealseg
    print(f"sealseg {sealseg.__version__}, numpy {numpy.__version__}, scikit-image "
          f"{skimage.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
          f"{', quick run' if args.quick else ''}")
    start = time.perf_counter()
    for module, cls in discover(args.only):
        run_suite(module, cls, args.quick, args.k)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
