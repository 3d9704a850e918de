"""Segment the images of a collection: one image, and the serial, pool and Dask schedulers.

A task is a dict (source, out, overlay, n_segments, method, format, options,
overwrite, out_dir, settings, recorded: the record's last line for its output);
:func:`segment_one` runs it in the caller, a pool worker or a Dask
worker.  The schedulers call ``record(index, status, reason)`` once per task.
"""
import concurrent.futures
import os
import signal
import sys
import threading
import time
from collections import deque
from pathlib import Path

from .._pools import spawn_ignoring_ctrl_c
from .._io import read_image, write_labels
from . import records
from .layout import not_a_regular_file

__all__ = ["segment_one", "run_serial", "run_pool", "run_dask"]


def _is_current(task, source_now):
    """True when the record shows ``task``'s outputs written from this image and settings.

    The image (path, size, modification time), the settings (method,
    options, weight file hash, format, n) and each output file (size,
    modification time: the very file written then, complete since writes
    are atomic) must all match.
    """
    entry = task["recorded"]
    if entry is None or entry.get("state") != "done" or entry.get("settings") != task["settings"]:
        return False
    if any(entry.get(key) != value for key, value in source_now.items()):
        return False
    if entry.get("out_file") is None or entry["out_file"] != records.output_record(task["out"]):
        return False
    overlay = task["overlay"]
    return overlay is None or (entry.get("overlay_file") is not None
                               and entry["overlay_file"] == records.output_record(overlay))


class _BadInput(Exception):
    """The image cannot be segmented (unreadable, invalid): fail it, do not retry."""


def segment_one(task):
    """Segment one image; runs in the caller, a pool worker or a Dask worker.

    Returns ``(status, reason)`` with status "done", "skipped" or "failed".
    Bad input (unreadable file, an image the segmenter refuses) is returned
    as "failed"; anything else (a full disk, a dead network share) raises, so
    the pool or Dask retries it.
    """
    from .._overlay import write_overlay
    from ..methods import segmenter

    source, out, overlay_out = task["source"], task["out"], task["overlay"]
    n_segments = task["n_segments"]
    try:
        # Checked again here (the file may have changed since the scan, and a
        # Dask worker sees it through its own mount): a FIFO would block.
        odd = not_a_regular_file(source)
        if odd is not None:
            raise _BadInput(f"not read: {odd}")
        # Taken before the image is read: an edit made while it is segmented
        # makes the next run redo it.
        source_now = records.source_record(source)
        if not task["overwrite"] and _is_current(task, source_now):
            return "skipped", ""
        try:
            image = read_image(source)
        except Exception as exc:   # PIL raises many types for broken files
            raise _BadInput(f"cannot read image ({type(exc).__name__}: {exc})") from None
        channel_axis = -1 if image.ndim == 3 else None
        try:
            labels = segmenter(task["method"])(image, n_segments, channel_axis=channel_axis,
                                               **task["options"])
        except (ValueError, TypeError) as exc:
            raise _BadInput(str(exc)) from None
    except _BadInput as exc:
        return "failed", str(exc).splitlines()[0] if str(exc) else "bad input"
    name = records.relative_name(task["out_dir"], out)
    records.append_record(task["out_dir"], {"out": name, "state": "pending"})
    write_labels(out, labels, task["format"])
    if overlay_out is not None:
        write_overlay(overlay_out, image, labels)
    records.append_record(task["out_dir"], dict(
        source_now, out=name, state="done", settings=task["settings"],
        out_file=records.output_record(out),
        overlay_file=None if overlay_out is None else records.output_record(overlay_out)))
    return "done", ""


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent):
    """Make this worker end when the process ``parent`` ends, even by SIGKILL.

    Linux: the kernel sends SIGKILL when the parent dies (prctl
    PR_SET_PDEATHSIG).  Elsewhere: a daemon thread polls the parent's pid.
    Without this, the workers of a killed batch go on segmenting and writing.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:    # died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="sealseg-parent-watch", daemon=True).start()


def _pool_init(threads, parent):
    _die_with_parent(parent)
    # Ctrl-C reaches every process of the terminal's group: the parent
    # stops the run (one line, exit 130) and ends the workers, which ignore
    # it instead of each printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Each worker gets its share of the cores; set before torch is imported
    # (workers are spawned, so nothing is imported yet).
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)


def _describe(exc, retries):
    text = str(exc).splitlines()[0] if str(exc) else ""
    tries = f" (after {retries} retries)" if retries else ""
    return f"{type(exc).__name__}: {text}{tries}" if text else f"{type(exc).__name__}{tries}"


def run_serial(tasks, record, retries):
    """Run the tasks one after the other in this process."""
    for index, task in enumerate(tasks):
        for attempt in range(retries + 1):
            try:
                record(index, *segment_one(task))
                break
            except Exception as exc:
                if attempt == retries:
                    record(index, "failed", _describe(exc, retries))


def _run_windowed(tasks, record, retries, submit, wait_first, window, restart=None):
    """Keep ``window`` tasks in flight; resubmit failures up to ``retries`` times.

    ``submit(task)`` returns a future, ``wait_first(futures)`` the finished
    ones.  Bounding the number in flight keeps the memory of the driver flat
    for millions of images.  ``restart()`` (process pool) replaces a broken
    pool; the tasks it was running are retried.
    """
    queue = deque((index, 0) for index in range(len(tasks)))
    running = {}
    while queue or running:
        while queue and len(running) < window:
            index, attempt = queue.popleft()
            running[submit(tasks[index])] = (index, attempt)
        broken = False
        for future in wait_first(list(running)):
            index, attempt = running.pop(future)
            try:
                status, reason = future.result()
            except Exception as exc:
                broken |= isinstance(exc, concurrent.futures.process.BrokenProcessPool)
                if attempt < retries:
                    queue.append((index, attempt + 1))
                else:
                    record(index, "failed", _describe(exc, retries))
                continue
            record(index, status, reason)
        if broken and restart is not None:
            for future, (index, attempt) in running.items():
                queue.appendleft((index, attempt + 1) if attempt < retries else (index, attempt))
            running.clear()
            restart()


def run_pool(tasks, record, retries, jobs):
    """Run the tasks in ``jobs`` spawned worker processes of this machine."""
    import multiprocessing

    # spawn, not fork: the parent may hold threads (torch, tqdm) that a
    # forked child would inherit in a locked state.
    context = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // jobs)

    def new_pool():
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_pool_init,
            initargs=(threads, os.getpid()))
        spawn_ignoring_ctrl_c(executor, jobs)
        return executor

    pool = [new_pool()]

    def restart():
        pool[0].shutdown(wait=False, cancel_futures=True)
        pool[0] = new_pool()

    def wait_first(futures):
        return concurrent.futures.wait(
            futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    try:
        _run_windowed(tasks, record, retries, lambda task: pool[0].submit(segment_one, task),
                      wait_first, 2 * jobs, restart)
    except BaseException:
        # Ctrl-C or an error: the workers are ended, not waited for (an image
        # may take minutes); what they wrote is whole (atomic writes).
        workers = list((getattr(pool[0], "_processes", None) or {}).values())
        pool[0].shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        raise
    pool[0].shutdown(wait=True, cancel_futures=True)


def run_dask(tasks, record, retries, client):
    """Run the tasks on a Dask cluster, one task per image."""
    from distributed import wait

    threads = sum(client.nthreads().values()) or 1

    def submit(task):
        # pure=False: every call is its own task even for equal arguments.
        # Dask retries a task that raised (worker errors, storage errors) and
        # reschedules one whose worker died; bad images return "failed".
        return client.submit(segment_one, task, pure=False, retries=retries,
                             key=f"sealseg-segment-{Path(task['source']).name}-"
                                 f"{os.urandom(6).hex()}")

    def wait_first(futures):
        return wait(futures, return_when="FIRST_COMPLETED").done

    # Dask did the retrying already; failures that come back are final.
    _run_windowed(tasks, record, 0, submit, wait_first, max(8, 4 * threads))
