"""Worker pools that a terminal's Ctrl-C does not turn into tracebacks.

``batch`` and ``evaluate`` run spawned worker processes whose initializer
ignores SIGINT, so that Ctrl-C is the parent's alone to handle.  A worker
still importing sealseg when the signal arrives has not run its initializer
yet; :func:`spawn_ignoring_ctrl_c` closes that window.
"""
import os
import signal
import threading

__all__ = ["spawn_ignoring_ctrl_c"]


def spawn_ignoring_ctrl_c(executor, jobs):
    """Start the ``jobs`` workers of ``executor`` now, with Ctrl-C held off them.

    The terminal sends SIGINT to every process of its group, and a worker
    caught mid-import, before its initializer ignores the signal, printed a
    traceback.  So the workers are started with SIGINT blocked: a blocked
    signal stays blocked across exec, and the worker's initializer ignores it
    (which drops one that came meanwhile).  In this process it is blocked
    in this thread only while they start, so a Ctrl-C that comes then is not
    lost: it is raised as KeyboardInterrupt when they are up, or at once when
    another thread of the process (a BLAS pool's) takes the signal.  (It was
    ignored in the whole process before, and a Ctrl-C in that window was
    dropped: the run went on, for ever with a method that never returns.)
    Where signal
    masks do not exist (Windows), the signal is ignored while the workers
    start.  Python changes signal handlers only in the main thread;
    elsewhere the workers start lazily, as before.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if hasattr(signal, "pthread_sigmask"):
        # The first spawn starts multiprocessing's resource tracker, which
        # unblocks SIGINT when it is up: started before, the mask holds.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            _start_workers(executor, jobs)
        finally:
            # A Ctrl-C held meanwhile is delivered now, to Python's handler.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _start_workers(executor, jobs)
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_workers(executor, jobs):
    # The executor spawns one worker per submit while none is idle.
    for _ in range(jobs):
        executor.submit(os.getpid)
