"""What the commands of ``python -m sealseg`` share.

The positive-integer argument type, :class:`CommandError` and the
one-line-error-and-exit-2 path, the one-line answer to Ctrl-C (exit 130),
progress on stderr, and the image reader of the command line (a file or a
scikit-image example).  The command modules (``__main__``,
``evaluation.cli``, ``collection.cli``, ``training.cli``) import this module;
it imports none of them, and no library module imports it.
"""
import argparse
import contextlib
import os
import sys
from pathlib import Path

__all__ = ["PROG", "EXAMPLES", "CommandError", "positive_int",
           "compactness_value", "COMPACTNESS_HELP", "relax_value", "RELAX_HELP", "first_line",
           "fail", "say", "shown",
           "read_image_argument", "check_path", "check_output_file",
           "labels_file", "INTERRUPTED", "interrupted", "DEVICE_HELP", "QUIET_HELP",
           "progress_on_stderr"]

PROG = "python -m sealseg"
#: Images of ``skimage.data`` that ``segment --example`` takes.
EXAMPLES = ("astronaut", "coffee", "chelsea", "rocket", "coins", "camera", "immunohistochemistry")


class CommandError(Exception):
    """A user error: printed as one line, exit code 2."""


def positive_int(text):
    """argparse type: an integer from 1 to 2**63 - 1, else argparse's usage error (exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    if value > 2 ** 63 - 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer up to 2**63 - 1, "
                                         f"got {value}")
    return value


#: Help of the ``--compactness`` option of ``segment`` and ``batch``.
COMPACTNESS_HELP = ("regularity of the superpixels, a number >= 0, as slic's compactness "
                    "(default: 0, plain ERS; 10 gives about slic's default regularity)")


def compactness_value(text):
    """argparse type of ``--compactness``: a finite number >= 0, else argparse's usage error."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


#: Help of the ``--relax`` option of ``segment`` and ``batch``.  The two
#: defaults are those of the functions' signatures (a test holds them equal).
RELAX_HELP = ("length cost of the boundary relaxation after ERS, a number >= 0 (larger: "
              "shorter, smoother boundaries), or 'none' for plain ERS without it "
              "(default: the method's own, 0.35 for ers, 0.3 for seal_ers)")


def relax_value(text):
    """argparse type of ``--relax``: ``none`` (None: no relaxation) or a finite number >= 0.

    Anything else is argparse's usage error (exit 2).
    """
    import math

    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or 'none', got {text!r}"
                                         ) from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0 or 'none', "
                                         f"got {text!r}")
    return value


def first_line(error):
    """The first line of an exception's (or a message's) text; the type name if empty."""
    text = str(error)
    if not text:
        return type(error).__name__ if isinstance(error, BaseException) else ""
    return text.splitlines()[0]


def say(text, file=None):
    """Print ``text`` on ``file`` (stdout); what the stream cannot encode is escaped.

    File names may hold any character (and undecodable bytes, as surrogates):
    a plain ``print`` of one raises UnicodeEncodeError on a terminal that
    cannot show it, after the command's work is done.
    """
    file = sys.stdout if file is None else file
    try:
        print(text, file=file)
    except UnicodeEncodeError:
        encoding = getattr(file, "encoding", None) or "ascii"
        print(text.encode(encoding, "backslashreplace").decode(encoding), file=file)


def fail(command, error):
    """Print ``python -m sealseg COMMAND: error: MESSAGE`` on stderr and exit with code 2."""
    say(f"{PROG} {command}: error: {first_line(error)}", file=sys.stderr)
    raise SystemExit(2)


#: Help of ``--device`` (``segment`` and ``batch``), the ``device`` of :func:`sealseg.seal_ers`.
DEVICE_HELP = ("where the net of seal_ers runs: cpu, cuda, cuda:1, mps ... (default: CUDA "
               "when available, else the CPU)")
#: Help of ``--quiet``, the one name of the option on every command that reports progress.
QUIET_HELP = "no progress on stderr"


@contextlib.contextmanager
def progress_on_stderr(command, enabled=True):
    """Within the block, print sealseg's progress messages on stderr (unless not ``enabled``).

    The library only logs them (the ``sealseg`` logger, level INFO, silent
    by default); a command whose single call can run for a minute
    (``segment`` on a large photo) shows them so that the user sees it
    working, and ``--quiet`` leaves them out.  Each line ends with the
    seconds since the block began.
    """
    import logging
    import time

    if not enabled:
        yield
        return
    start = time.monotonic()

    def add_elapsed(record):
        record.elapsed = time.monotonic() - start
        return True

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(add_elapsed)
    handler.setFormatter(logging.Formatter(f"{PROG} {command}: %(message)s "
                                           "[%(elapsed).1f s]"))
    logger = logging.getLogger("sealseg")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


#: Exit code of a command stopped by Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED = 130

#: What each command leaves behind when stopped, and how to go on from there.
_RESUME_HINTS = {
    "segment": "no output is half written; run the command again",
    "batch": "run the same command again to resume: complete outputs are skipped",
    "evaluate": "run the same command again (same --out) to resume: rows already computed "
                "are skipped",
    "train": "add --resume to the same command to continue from the last checkpoint "
             "(OUT/checkpoint.pt, written every --ckpt-minutes)",
}


def interrupted(command):
    """Ctrl-C in a command: print one line with its resume hint on stderr; return 130.

    The one place that answers a ``KeyboardInterrupt`` of the command line
    (``__main__`` and ``python -m sealseg.evaluation`` call it) instead of
    Python's traceback.  Every output is written atomically, so a stopped
    command leaves complete files only.
    """
    hint = _RESUME_HINTS.get(command)
    print(f"{PROG} {command}: interrupted" + (f"; {hint}" if hint else ""), file=sys.stderr)
    return INTERRUPTED


def read_image_argument(path=None, example=None):
    """The image of a command: a file (read by ``_io.read_image``) or an example's name.

    Raises
    ------
    CommandError
        If the file is missing or not an image.
    """
    if example is not None:
        from skimage import data

        return getattr(data, example)()
    from ._io import not_a_regular_file, read_image

    path = check_path(path, "image file")
    odd = not_a_regular_file(path)
    if odd == "missing":
        raise CommandError(f"no such image file: {shown(path)}")
    if odd is not None:
        raise CommandError(f"{shown(path)} is not an image file but {odd}")
    try:
        return read_image(path)
    except (OSError, ValueError) as exc:   # read_image turns decoder errors into ValueError
        # The reason names the file too: as shown, so that a newline in the
        # name does not cut the message.
        reason = str(exc).replace(str(path), shown(path)) or type(exc).__name__
        raise CommandError(f"cannot read {shown(path)} as an image: {first_line(reason)}"
                           ) from None


def shown(path, limit=80):
    """``path`` as a message shows it: ``repr`` when it holds a character a terminal would
    not print (a newline, a tab, a control or undecodable byte); shortened past ``limit``."""
    text = str(path)
    if not text.isprintable():
        text = repr(text)
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 2:]}"


def check_path(path, what):
    """``path`` as a Path, after checking the file system can take its name (CommandError).

    A path too long for the system (ENAMETOOLONG) would otherwise surface as
    a traceback from the first call that touches it.
    """
    from ._io import path_too_long

    path = Path(path)
    if path_too_long(path):
        raise CommandError(f"{what} path too long for the file system "
                           f"({len(str(path))} characters): {shown(path)}")
    return path


def check_output_file(path, option, *, extensions, inputs=(), overwrite=False):
    """Check an output file before any work: name, ending, folder, not an input (CommandError).

    Parameters
    ----------
    path : str or path-like
        The file to write.
    option : str
        The option it came from (``-o``, ``--labels``), for the messages.
    extensions : tuple of str
        Accepted endings (lower case).
    inputs : sequence of paths
        Files the command reads; the output may not be any of them (by any
        path: links, ``..``, hard links, another case where names ignore it).
    overwrite : bool
        Whether an existing file may be replaced (``--overwrite``); without
        it, an existing ``path`` is refused: the command did not write it.
    """
    path = check_path(path, f"{option}")
    if path.suffix.lower() not in extensions:
        ending = f"ending {path.suffix!r}" if path.suffix else "no file name ending"
        raise CommandError(f"{option} {shown(path)} has {ending}; accepted: "
                           f"{', '.join(extensions)}")
    if path.is_dir():
        raise CommandError(f"{option} {shown(path)} is a folder; give a file name")
    if not path.parent.is_dir():
        raise CommandError(f"output folder does not exist: {shown(path.parent)}")
    for source in inputs:
        if source is not None and os.path.lexists(path) and os.path.exists(source) \
                and os.path.samefile(path, source):
            raise CommandError(f"{option} {shown(path)} is the input file {shown(source)}; "
                               "it would be overwritten. Choose another file name")
    if not overwrite and os.path.lexists(path):
        raise CommandError(f"{option} {shown(path)} exists; pass --overwrite to replace it, or "
                           "choose another file name")
    return path


def labels_file(path):
    """The file ``numpy.save`` writes for ``path``: ``.npy`` is appended when missing."""
    path = Path(path)
    return path if path.suffix.lower() == ".npy" else path.with_name(path.name + ".npy")
