"""Tests of sealseg._pools: worker pools started with Ctrl-C ignored."""


def _sigint_handler():
    import signal

    return signal.getsignal(signal.SIGINT)


def test_workers_are_spawned_with_ctrl_c_ignored():
    # A worker still importing sealseg when the terminal's SIGINT arrived
    # printed a traceback: the workers are now started before the first image,
    # with SIGINT ignored from exec on (no initializer here to do it for them).
    import concurrent.futures
    import multiprocessing
    import signal

    from sealseg._pools import spawn_ignoring_ctrl_c

    before = signal.getsignal(signal.SIGINT)
    with concurrent.futures.ProcessPoolExecutor(
            max_workers=2, mp_context=multiprocessing.get_context("spawn")) as executor:
        spawn_ignoring_ctrl_c(executor, 2)
        assert len(executor._processes) == 2
        assert signal.getsignal(signal.SIGINT) is before
        assert executor.submit(_sigint_handler).result(timeout=60) == signal.SIG_IGN
