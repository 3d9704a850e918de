"""Tests of sealseg._pools: worker pools started with Ctrl-C held off the workers."""
import signal

import pytest


def _sigint_held_off():
    """In a worker: SIGINT blocked or ignored, so Ctrl-C cannot interrupt it."""
    blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    return blocked or signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_workers_are_spawned_with_ctrl_c_held_off():
    # A worker still importing sealseg when the terminal's SIGINT arrived
    # printed a traceback: the workers are now started before the first image,
    # with SIGINT held off from exec on (no initializer here to do it for them).
    import concurrent.futures
    import multiprocessing

    from sealseg._pools import spawn_ignoring_ctrl_c

    before = signal.getsignal(signal.SIGINT)
    with concurrent.futures.ProcessPoolExecutor(
            max_workers=2, mp_context=multiprocessing.get_context("spawn")) as executor:
        spawn_ignoring_ctrl_c(executor, 2)
        assert len(executor._processes) == 2
        assert signal.getsignal(signal.SIGINT) is before
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        assert executor.submit(_sigint_held_off).result(timeout=60)


class _InterruptedWhileStarting:
    """An executor that gets the terminal's Ctrl-C while it starts a worker."""

    def __init__(self):
        self.started = 0

    def submit(self, function):
        import os

        if self.started == 0:
            os.kill(os.getpid(), signal.SIGINT)
        self.started += 1


def test_ctrl_c_while_the_workers_start_is_not_lost():
    # It used to be ignored in the parent while the workers started: a Ctrl-C
    # in that window was dropped and the run went on (the evaluate Ctrl-C test
    # hung when a loaded machine stretched its start-up over the window).  Now
    # it is raised, after the workers are up or, when another thread of the
    # process (a BLAS pool's) takes the signal, at once.
    import time

    from sealseg._pools import spawn_ignoring_ctrl_c

    executor = _InterruptedWhileStarting()
    with pytest.raises(KeyboardInterrupt):
        spawn_ignoring_ctrl_c(executor, 3)
        time.sleep(5)     # not reached: the signal is raised, not dropped
    assert executor.started in (0, 3)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
