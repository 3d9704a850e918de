"""Compare superpixel methods on a dataset: methods x n_segments x images -> CSV and plots.

``evaluate`` segments every image of a dataset with every method at every
requested number of superpixels, scores each (image, annotation) pair with
the yardstick of :mod:`sealseg.metrics` (ASA, boundary recall and precision,
the superpixels' boundary share, the number obtained and, on data sets with
class maps, the achievable mIoU), and writes

- ``results.csv``: one row per (method, image, annotation, n_segments), appended
  and flushed as the run goes, so an interrupted run resumes where it stopped;
- ``summary.csv``: means per (method, n_segments), with each method's BR at
  the reference method's boundary share (:func:`br_at_share`);
- ``asa.png``, ``br.png``, ``asa_br.png``: ASA and BR against the number of
  superpixels, and mean ASA against mean BR over all n (the layout of Figure 6
  of the SEAL paper); ``br_share.png``: BR against n beside BR against the
  boundary share.

Command line: ``python -m sealseg evaluate --dataset bsds500 --split val
--methods ers slic --n 100 200 400 --out DIR [--jobs K] [--limit M]``.

The package: the methods come from :mod:`sealseg.methods`, the SSN anchor
from ``anchor``, seal_ers with cached affinities from ``affinity_cache``;
``results`` holds the files and resume, ``yardstick`` the comparison at equal
boundary share, ``plots`` the figures, ``cli`` the command.
"""
import os
import sys
import time
from pathlib import Path

import numpy as np

from .._io import atomic_write_text
from .._pools import spawn_ignoring_ctrl_c
from .._validation import (check_bool, check_label_image, check_n_segments,
                           check_optional_positive_int, check_positive_int, check_tolerance)
from ..methods import available_methods, count_segments, resolve_methods
from .affinity_cache import CachedSealErs, is_seal_ers
from .anchor import SSN_ANCHOR, SavedLabels, ssn_anchor
from .plots import PLOT_FILES, plot_summary
from .results import (RESULT_FIELDS, SUMMARY_FIELDS, check_config, format_header, format_row,
                      load_results, summarize, summary_csv, summary_table)

from .yardstick import add_equal_share, br_at_equal_share, br_at_share, metric_at

__all__ = ["evaluate", "summarize", "summary_table", "plot_summary", "available_methods",
           "br_at_share", "br_at_equal_share", "add_equal_share", "metric_at", "DATASETS",
           "DEFAULT_N_SEGMENTS", "RESULT_FIELDS", "SUMMARY_FIELDS"]

#: Datasets ``evaluate`` reads by name.
DATASETS = ("bsds500", "sbd", "camvid", "ecssd", "cityscapes", "folder")
# Datasets of which this evaluation knows one split only (the others are held out).
_ONE_SPLIT = {"sbd": "train", "camvid": "val", "ecssd": "first-half"}

DEFAULT_N_SEGMENTS = (100, 200, 400, 600, 800, 1200)


def _check_n_list(n_segments):
    if isinstance(n_segments, (int, np.integer)) and not isinstance(n_segments, bool):
        n_segments = [n_segments]
    n_list = list(n_segments)
    if not n_list:
        raise ValueError("n_segments is empty; give at least one number of superpixels")
    out = []
    for n in n_list:
        n = check_n_segments(n)
        if n not in out:
            out.append(n)
    return out


def _score(dataset, index, method, runner, n_list, tolerance):
    """Segment sample ``index`` with one method at each n; yield lists of result rows."""
    from ..metrics import achievable_miou, asa, boundary_precision, boundary_recall, \
        boundary_share

    sample = dataset[index]
    image, gts = sample.image, sample.groundtruths
    classes = getattr(sample, "classes", None)
    extra = {"name": sample.name} if getattr(runner, "needs_name", False) else {}
    for n in n_list:
        start = time.perf_counter()
        out = runner(image, n, gts, **extra)
        seconds = time.perf_counter() - start
        if isinstance(out, tuple):
            out, seconds = out
        labels = check_label_image(out, name=f"labels returned by method {method!r}",
                                   shape=image.shape[:2])
        n_obtained = count_segments(labels)
        share = boundary_share(labels)
        miou = (float("nan") if classes is None
                else achievable_miou(labels, classes, void=getattr(sample, "void", None)))
        rows = []
        for k, g in enumerate(gts):
            rows.append({
                "method": method, "image": sample.name, "annotation": k,
                "annotations": len(gts), "n_segments": n, "n_obtained": n_obtained,
                "asa": asa(labels, g), "br": boundary_recall(labels, g, tolerance),
                "bp": boundary_precision(labels, g, tolerance), "boundary_share": share,
                "miou": miou, "seconds": seconds,
            })
        yield rows


def _score_all(dataset, index, method, runner, n_list, tolerance):
    """Worker-process entry point: all n for one (image, method)."""
    return list(_score(dataset, index, method, runner, n_list, tolerance))


def _load_dataset(dataset, split, root, labels):
    from .. import datasets
    if not isinstance(dataset, str):
        return dataset, getattr(dataset, "name", type(dataset).__name__)
    if dataset not in _ONE_SPLIT:
        split = "val" if split is None else split
    if dataset == "bsds500":
        return datasets.load_bsds500(root, split=split), "bsds500"
    if dataset == "cityscapes":
        return datasets.load_cityscapes(root, split=split), "cityscapes"
    if dataset in _ONE_SPLIT:
        if split not in (None, _ONE_SPLIT[dataset]):
            raise ValueError(f"dataset {dataset!r} has split {_ONE_SPLIT[dataset]!r} only "
                             f"here, got split {split!r}")
        return getattr(datasets, f"load_{dataset}")(root), dataset
    if dataset == "folder":
        if root is None or labels is None:
            raise ValueError("dataset 'folder' needs root (the images folder) and labels "
                             "(the label maps folder)")
        return datasets.load_folder(root, labels), "folder"
    raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")


def _resolve(methods, affinity_cache):
    """``resolve_methods``, plus the SSN anchor and, with a cache, cached seal_ers runners."""
    if isinstance(methods, (str, bytes)) or callable(methods):
        methods = [methods]
    if isinstance(methods, dict):
        items = list(methods.items())
    else:
        items = [(m if isinstance(m, str) else
                  getattr(m, "__name__", None) or type(m).__name__, m) for m in list(methods)]
    names = [name for name, _ in items]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"method {twice[0]!r} is given twice")
    ours, rest = {}, {}
    for name, method in items:
        if isinstance(method, str) and method.partition("@")[0] == SSN_ANCHOR:
            ours[name] = ssn_anchor(method)
        elif affinity_cache is not None and is_seal_ers(method):
            runner = CachedSealErs(method.partition("@")[2] or None, affinity_cache)
            try:
                runner.prepare()
            except (ValueError, TypeError, FileNotFoundError) as exc:
                raise ValueError(f"method {method!r}: {exc}") from None
            ours[name] = runner
        else:
            rest[name] = method
    # Called with nothing left of an empty ``methods`` too: it names that error.
    resolved, skipped = resolve_methods(rest) if rest or not ours else ([], [])
    runners = {**dict(resolved), **ours}
    return [(name, runners[name]) for name in names if name in runners], skipped


def _run_tasks(tasks, data, names, tolerance, jobs, record, progress):
    """Score every (method, runner, index, [n...]) task, serially or in ``jobs`` processes."""
    from tqdm import tqdm

    total = sum(len(t[3]) for t in tasks)
    with tqdm(total=total, disable=not progress or total == 0, unit="seg",
              desc="evaluate", dynamic_ncols=True) as bar:
        # More workers than tasks would idle, and a huge --jobs overflowed
        # inside ProcessPoolExecutor: at most one worker per task.
        jobs = min(jobs, len(tasks))
        if jobs <= 1:
            for method, runner, index, todo in tasks:
                bar.set_postfix_str(f"{method} {names[index]}", refresh=False)
                for group in _score(data, index, method, runner, todo, tolerance):
                    record(group)
                    bar.update(1)
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=_ignore_sigint)
        spawn_ignoring_ctrl_c(pool, jobs)
        try:
            futures = {pool.submit(_score_all, data, index, method, runner, todo,
                                   tolerance): (method, index)
                       for method, runner, index, todo in tasks}
            for future in as_completed(futures):
                groups = future.result()
                for group in groups:
                    record(group)
                bar.update(len(groups))
        except BaseException:
            # Ctrl-C or a failed task: the workers are ended, not waited for
            # (shutdown(wait=True) would wait on a call that may never return).
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)


def _ignore_sigint():
    """Pool worker set-up: Ctrl-C is the parent's to handle (it ends the workers)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_pool(pool):
    """End a process pool now: pending tasks cancelled, running workers killed."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.kill()
    for worker in workers:
        worker.join(timeout=5)


def evaluate(dataset, methods, n_segments=DEFAULT_N_SEGMENTS, out=None, *, split=None,
             root=None, labels=None, tolerance=None, jobs=1, limit=None, progress=True,
             plots=True, log=None, reference=None, affinity_cache=None):
    """Score superpixel methods on a dataset at several numbers of superpixels.

    Parameters
    ----------
    dataset : {'bsds500', 'sbd', 'camvid', 'ecssd', 'cityscapes', 'folder'} or Dataset
        A dataset name (read with ``root``/``split``/``labels`` by the
        loaders of :mod:`sealseg.datasets`) or a sequence of samples as
        they return.  On ``camvid`` the ground truth of ASA and the boundary
        metrics is the class map with void filled (see
        :func:`sealseg.datasets.load_camvid`), and the achievable mIoU
        ignores void; ``ecssd`` scores the salient-object masks.
    methods : list of str or callable, or dict
        Built-in names (``ers``, ``seal_ers``, ``slic``, ``slico``,
        ``felzenszwalb``, ``seeds``, ``lsc``, ``snic``, ``oracle``,
        ``canny_ers``: ERS on 1 - smoothed Canny edges, ``seal_fh``:
        Felzenszwalb-Huttenlocher on the learned affinities, see
        :func:`sealseg.felzenszwalb_affinity`, ``ers4`` and ``seal_ers4``:
        ``ers`` and ``seal_ers`` on the 4-connected pixel graph; see
        :mod:`sealseg.methods`), ``'seal_ers@WEIGHTS'``
        (seal_ers with a registered name or a weight file of one's own, e.g. a
        ``model.pt`` of ``python -m sealseg train``), ``'module:function'``
        strings, or callables ``f(image, n_segments) -> labels``; a dict maps
        display names to any of these.  Built-in methods whose optional
        dependency is missing are skipped with a message.  ``'ssn-anchor'``
        (or ``'ssn-anchor@FOLDER'``) reads SSN's saved label maps of
        BSDS500 val at n = 200, 600 and 1200 (:mod:`.anchor`): scored at
        those of ``n_segments`` (a message names the others; none of them is
        an error, before the run).
    n_segments : sequence of int, optional
        Numbers of superpixels to ask for.
    out : str or path-like, optional
        Output folder for ``results.csv``, ``summary.csv`` and the plots.  Rows
        already present there are not computed again.  ``None`` keeps results
        in memory only.
    split : str, optional
        Dataset split, for a dataset given by name; by default ``'val'``
        (``sbd``: ``'train'``, ``ecssd``: ``'first-half'``, the only ones
        these readers know).
    root, labels : str or path-like, optional
        Dataset folder (``labels``: label-map folder of the ``'folder'``
        dataset).
    tolerance : int, optional
        Boundary recall tolerance; 3 on Cityscapes, 1 otherwise.
    jobs : int, optional
        Worker processes (images in parallel).  Callables must be picklable
        when ``jobs > 1``.
    limit : int, optional
        Use only the first ``limit`` images.
    progress : bool, optional
        Show a tqdm progress bar.
    plots : bool, optional
        Write the PNG plots (needs ``out``).
    log : callable, optional
        Receives one-line messages (skipped methods, files written); default
        prints to stderr.
    reference : str, optional
        The method whose boundary share the others' BR is read at
        (``br_at_ref_share`` of the summary, :func:`br_at_share`): one of
        ``methods`` or of the methods already in ``out``; by default the
        first method.  Sweep the other methods over a wider
        range of n than the reference, or their value is NaN.
    affinity_cache : str or path-like, optional
        Folder where ``seal_ers`` and ``seal_ers@WEIGHTS`` keep the net's
        affinities per image (:mod:`.affinity_cache`), so that a rerun or a
        new n runs ERS only; their ``seconds`` then exclude the net when the
        affinities were cached.

    Returns
    -------
    summary : list of dict
        One dict per (method, n_segments), see :func:`summarize`, with
        ``reference`` and ``br_at_ref_share`` (:func:`add_equal_share`).

    Raises
    ------
    ValueError
        Unknown method or dataset, empty or non-positive ``n_segments``,
        ``jobs``/``limit`` < 1, or no method available; unreadable data.
    FileNotFoundError
        If the dataset is not found.

    Notes
    -----
    Each image is segmented once per (method, n) and scored against each of
    its annotations; ASA, BR and BP (thin boundaries) follow
    :mod:`sealseg.metrics`; the boundary share and the achievable mIoU are
    per image.  ``seconds`` is the wall time of one call
    (felzenszwalb and seal_fh: the call whose count was closest to n, after
    searching its ``scale``; seal_fh adds the one run of the net).

    Examples
    --------
    >>> import numpy as np
    >>> from sealseg.datasets import Dataset, Sample
    >>> from sealseg.evaluation import evaluate
    >>> class Tiny(list):
    ...     name = "tiny"
    >>> image = np.zeros((8, 8, 3), np.uint8); image[:, 4:] = 255
    >>> gt = np.zeros((8, 8), int); gt[:, 4:] = 1
    >>> halves = lambda image, n: (image[..., 0] > 0).astype(int)
    >>> summary = evaluate(Tiny([Sample("a", image, [gt])]), {"halves": halves}, [2],
    ...                    progress=False)
    >>> summary[0]["asa"], summary[0]["br"], summary[0]["boundary_share"]
    (1.0, 1.0, 0.125)
    """
    if log is None:
        def log(message):
            print(message, file=sys.stderr)
    n_list = _check_n_list(n_segments)
    jobs = check_positive_int(jobs, "jobs")
    limit = check_optional_positive_int(limit, "limit")
    progress = check_bool(progress, "progress")
    plots = check_bool(plots, "plots")
    if tolerance is not None:
        # Checked before the dataset is looked up: a bad value is named as
        # such, not hidden behind a missing dataset.
        tolerance = check_tolerance(tolerance)
    resolved, skipped = _resolve(methods, affinity_cache)
    for name, reason in skipped:
        log(f"skipping {name}: {reason}")
    if not resolved:
        raise ValueError("no method can run here: "
                         + "; ".join(f"{n}: {r}" for n, r in skipped))
    data, dataset_name = _load_dataset(dataset, split, root, labels)
    if split is None and isinstance(dataset, str):
        split = _ONE_SPLIT.get(dataset, "val")
    if tolerance is None:
        tolerance = 3 if dataset_name == "cityscapes" else 1
    n_images = len(data) if limit is None else min(limit, len(data))
    names = [data.names[i] for i in range(n_images)] if hasattr(data, "names") else \
        [data[i].name for i in range(n_images)]
    n_of = {}  # the n a method with saved maps has, of those asked
    for method, runner in resolved:
        if isinstance(runner, SavedLabels):
            n_of[method] = runner.check(names, n_list)
            left = [n for n in n_list if n not in n_of[method]]
            if left:
                log(f"{method}: no label maps at n = {', '.join(map(str, left))}; "
                    f"scored at n = {', '.join(map(str, n_of[method]))} only")
    method_names = [m for m, _ in resolved]
    reference = method_names[0] if reference is None else reference

    rows, results_file = [], None
    if out is not None:
        from . import fingerprints

        out = Path(os.fspath(out))
        out.mkdir(parents=True, exist_ok=True)
        # The data set's folder is part of its identity: a folder of another
        # data set of the same kind is another evaluation.
        config = {"dataset": dataset_name, "split": split if isinstance(dataset, str) else None,
                  "tolerance": tolerance, "boundary": "thin", "fields": RESULT_FIELDS,
                  "root": fingerprints.dataset_root(data, n_images)}
        check_config(out, config, written_here=["results.csv", "summary.csv", *PLOT_FILES,
                                                fingerprints.INPUTS_FILE])
        results_path = out / "results.csv"
        rows = load_results(results_path)
        # Rows of images or weight files that changed since are computed again.
        images_now = fingerprints.image_fingerprints(data, n_images)
        methods_now = fingerprints.method_fingerprints(methods)
        stale = fingerprints.stale_rows(out, images_now, methods_now)
        if any(stale(r) for r in rows):
            rows = [r for r in rows if not stale(r)]
            atomic_write_text(results_path, format_header() + "".join(format_row(r)
                                                                      for r in rows))
        fingerprints.write_inputs(out, images_now, methods_now)
        if not results_path.exists():
            atomic_write_text(results_path, format_header())
        results_file = open(results_path, "a", newline="")

    # The reference may be a method of an earlier run into the same folder.
    known = list(dict.fromkeys(method_names + [r["method"] for r in rows]))
    if reference not in known:
        raise ValueError(f"reference must be one of the methods ({', '.join(known)}), "
                         f"got {reference!r}")
    done = {(r["method"], r["image"], r["n_segments"]) for r in rows}
    tasks = []  # (method, runner, index, [n...]), method-major so methods finish in turn
    for method, runner in resolved:
        for index, name in enumerate(names):
            todo = [n for n in n_of.get(method, n_list) if (method, name, n) not in done]
            if todo:
                tasks.append((method, runner, index, todo))

    def record(group):
        rows.extend(group)
        if results_file is not None:
            results_file.write("".join(format_row(r) for r in group))
            results_file.flush()

    try:
        _run_tasks(tasks, data, names, tolerance, jobs, record, progress)
    finally:
        if results_file is not None:
            results_file.close()

    summary = add_equal_share(summarize(rows, method_names), reference)
    if out is not None:
        atomic_write_text(out / "summary.csv", summary_csv(summary))
        if plots and summary:
            plot_summary(summary, out, f"{dataset_name} {config['split'] or ''}".strip())
        log(f"results: {out / 'results.csv'}; summary: {out / 'summary.csv'}"
            + (f"; plots: {', '.join(PLOT_FILES)}" if plots and summary else ""))
    return summary
