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
    """Start the ``jobs`` workers of ``executor`` now, with Ctrl-C ignored.

    An ignored signal stays ignored across exec, so a worker cannot be
    interrupted while it still imports sealseg, before its initializer ignores
    the signal itself (the terminal sends SIGINT to every process of its
    group, and a worker caught mid-import printed a traceback).  The parent's
    own handler is back before the first image is submitted.  Python changes
    signal handlers only in the main thread; elsewhere the workers start
    lazily, as before.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # The executor spawns one worker per submit while none is idle.
        for _ in range(jobs):
            executor.submit(os.getpid)
    finally:
        signal.signal(signal.SIGINT, previous)
