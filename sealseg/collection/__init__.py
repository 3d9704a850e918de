"""Segment whole collections of images: serially, in a process pool or on Dask.

Every image becomes one label file in the output folder, written atomically
(``sealseg._io``: temporary file, then ``os.replace``), so a run that is
stopped can be started again and continues where it stopped.  A bad image is
reported and skipped; it never stops the run.

The package: this module finds the images and checks the arguments,
``scheduling`` segments them (one image; serial, pool and Dask schedulers),
``cli`` is the ``batch`` command.
"""
import inspect
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._io import LABEL_FORMATS, PNG16_MAX, read_labels
from .._slic_arguments import check_smoothing_sigma
from .._validation import (check_bool, check_n_segments, check_nonnegative_int,
                           check_optional_positive_int, check_positive_int)
from . import layout
from .layout import IMAGE_EXTENSIONS

__all__ = ["segment_collection", "CollectionSummary", "find_images", "read_labels",
           "IMAGE_EXTENSIONS"]


@dataclass
class CollectionSummary:
    """Outcome of :func:`segment_collection`.

    Attributes
    ----------
    done : list of str
        Images segmented in this run.
    skipped : list of str
        Images whose complete output already existed (resumed runs).
    failed : list of (str, str)
        Images that could not be segmented, with the reason.
    seconds : float
        Wall-clock time of the run.
    """

    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def images_per_second(self):
        """Images segmented per second of wall-clock time (skips excluded)."""
        return len(self.done) / self.seconds if self.seconds > 0 else 0.0

    def __str__(self):
        lines = [f"{len(self.done)} done, {len(self.skipped)} skipped (already complete), "
                 f"{len(self.failed)} failed in {self.seconds:.1f} s"
                 + (f" ({self.images_per_second:.2f} images/s)" if self.done else "")]
        # A name with a newline (or another character a terminal does not
        # print) is shown as its repr, so each failure stays one line.
        lines += [f"  failed: {path if path.isprintable() else repr(path)}: {reason}"
                  for path, reason in self.failed]
        return "\n".join(lines)


# --------------------------------------------------------------------------- inputs

def find_images(folder, *, exclude=None):
    """Image files under ``folder`` (recursive), sorted, skipping hidden entries.

    Parameters
    ----------
    folder : str or path
        Folder to scan.
    exclude : str or path, optional
        A folder whose contents are left out (the output folder, when it lies
        inside ``folder``, so outputs are never taken as inputs).

    Returns
    -------
    paths : list of pathlib.Path
        Regular files (or links to them) whose name ends (case-insensitively)
        in one of :data:`IMAGE_EXTENSIONS`; symlink loops, broken links,
        FIFOs, sockets and devices under such names are left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sealseg.collection import find_images
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "a.JPG").touch(); (root / "notes.txt").touch()
    >>> [p.name for p in find_images(root)]
    ['a.JPG']
    """
    return layout.scan_folder(folder, exclude=exclude)[0]


def segment_collection(paths, out_dir, n_segments, *, method="seal_ers", jobs=1, format="png16",
                       overlay=False, client=None, retries=2, overwrite=False,
                       progress=True, **options):
    """Segment every image of a collection and write one label file per image.

    Parameters
    ----------
    paths : str, path or iterable of them
        A folder (searched recursively for files ending in
        :data:`IMAGE_EXTENSIONS`, hidden files and ``out_dir`` left out) or
        a list of image files.  Only regular files (or links to them) are
        read; a symlink loop, broken link, FIFO, socket or device is
        reported in ``failed`` with what it is, and the run goes on.
    out_dir : str or path
        Folder for the results; created if missing, and checked to be
        writable before any image is segmented.  The label file of
        ``paths/a/b.jpg`` is ``out_dir/a/b.png`` (or ``.npy``): the layout
        under the input folder (or under the common folder of a list) is
        kept.  No output may overwrite an input: ``out_dir`` may not be the
        input folder, and an output that is one of the images (by any path,
        link or case) is refused before anything is written.
    n_segments : int
        Number of superpixels per image.
    method : {"seal_ers", "ers"}, optional
        Segmenter: :func:`sealseg.seal_ers` (default, as for ``python -m
        sealseg segment``) or :func:`sealseg.ers`.
    jobs : int, optional
        Worker processes on this machine (ignored with ``client``).  Each
        worker loads the network once and keeps it for all its images.
    format : {"png16", "npy"}, optional
        ``"png16"``: 16-bit grey PNG, the format of superpixel benchmarks
        (labels 1..n_segments, so ``n_segments`` <= 65535);
        ``"npy"``: int64 NumPy array.
    overlay : bool, optional
        Also write ``<name>.overlay.png``, the superpixel boundaries in yellow
        over the image.
    client : distributed.Client, optional
        Run on a Dask cluster: one task per image.  Workers read the images
        and write the results themselves, so ``paths`` and ``out_dir`` must
        be on storage every worker sees under the same path (NFS, Lustre, a
        shared volume).  Requires the ``dask`` extra.
    retries : int, optional
        How often a task that raised (a storage error, a dead worker) is
        tried again before it is reported as failed.  Bad images are not
        retried: they fail the same way every time.
    overwrite : bool, optional
        Segment every image again and replace whatever is at its output
        paths.  By default a run skips the outputs it wrote before from the
        same image and settings (a stopped run resumes), redoes those whose
        image or settings changed (the segmenter's defaults count as settings),
        and refuses to replace a file it did not
        write (see Notes).
    progress : bool, optional
        Show a tqdm progress bar on stderr and report failures as they happen.
    **options
        Passed to the segmenter, e.g. ``lam``, ``connectivity``, ``compactness``
        (ers), ``weights``, ``device``, ``max_pixels_per_tile`` (seal_ers).

    Returns
    -------
    summary : CollectionSummary
        Lists of done, skipped and failed images (with reasons) and the time.

    Raises
    ------
    ValueError
        ``n_segments`` not a positive integer or above 65535 with
        ``format="png16"``, unknown ``method`` or ``format``, ``jobs`` or
        ``retries`` out of range, invalid ``options`` values, a ``paths``
        folder that does not exist, two images that would write the same
        output file, an output that would overwrite an input, a file at an
        output's path that this command did not write (without
        ``overwrite``).
    TypeError
        Options the segmenter does not take, arguments of the wrong type.
    FileNotFoundError
        A ``weights`` file for ``seal_ers`` that does not exist.
    OSError
        ``out_dir`` cannot be created or written to.

    Notes
    -----
    The output folder keeps a record of what each run wrote and from what
    (``.sealseg_record.jsonl``, see :mod:`sealseg.collection.records`):
    the image's path, size and modification time, the method and its
    options, the SHA-256 of the weight file, the format, and the size and
    time of each file written.  An output is skipped only when all of these
    match this run; one of its own that no longer matches is redone; a file
    at an output's path that the record does not show as written by this
    command (a picture that was there before, a label file changed since)
    is refused with a ``ValueError`` before anything is written, unless
    ``overwrite=True``.  Outputs are written to a
    temporary file in the same folder and renamed into place, so a stopped
    run never leaves a partial label file.  Files are created with the
    permissions of a plain ``open`` (``0o666`` less the umask), so others
    on shared storage can read them as the umask allows.

    Pool workers are spawned (not forked: the parent may hold torch's
    threads) and die with the parent, even when it is killed with SIGKILL.

    To use a cluster, start a scheduler and workers that can import sealseg
    and see the shared storage (``dask scheduler`` on one node, ``dask
    worker tcp://host:8786 --nworkers 4 --nthreads 1`` on each), then pass
    ``client=distributed.Client("tcp://host:8786")`` (or ``--scheduler
    tcp://host:8786`` on the command line).  One thread per worker process
    is best: ERS is single-threaded and the net uses the worker's cores.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skimage import data, io
    >>> from sealseg import segment_collection
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> io.imsave(folder / "coffee.png", data.coffee()[::4, ::4])
    >>> summary = segment_collection(folder, folder / "labels", 50, progress=False)
    >>> len(summary.done), summary.failed
    (1, [])
    >>> again = segment_collection(folder, folder / "labels", 50, progress=False)
    >>> len(again.done), len(again.skipped)
    (0, 1)
    >>> sorted(p.name for p in (folder / "labels").iterdir())
    ['.sealseg_record.jsonl', 'coffee.png']
    """
    from ..methods import segmenter

    n_segments = check_n_segments(n_segments)
    if not isinstance(method, str):
        raise TypeError(f"method must be a method name (str), got {type(method).__name__}")
    function = segmenter(method)
    if not isinstance(format, str) or format not in LABEL_FORMATS:
        raise ValueError(f"format must be one of {', '.join(LABEL_FORMATS)}, got {format!r}")
    if format == "png16" and n_segments > PNG16_MAX:
        raise ValueError(f"n_segments={n_segments} does not fit a 16-bit PNG (labels up to "
                         f"{PNG16_MAX}); use format='npy'")
    jobs = check_positive_int(jobs, "jobs")
    retries = check_nonnegative_int(retries, "retries")
    overlay = check_bool(overlay, "overlay")
    overwrite = check_bool(overwrite, "overwrite")
    progress = check_bool(progress, "progress")
    if client is not None and not (hasattr(client, "submit") and hasattr(client, "nthreads")):
        raise TypeError(f"client must be None or a distributed.Client, got "
                        f"{type(client).__name__}")
    _check_options(method, function, options)
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a str or path, got {type(out_dir).__name__}")
    out_dir = Path(os.path.realpath(out_dir))

    folder = None
    if isinstance(paths, (str, os.PathLike)):
        folder = Path(paths)
        try:
            is_folder = folder.is_dir()
        except OSError as exc:   # is_dir() only hides "missing": too long, no permission
            raise ValueError(f"paths must be a folder or a list of image files; the path "
                             f"({len(str(folder))} characters) cannot be looked up: "
                             f"{exc.strerror or exc}") from None
        if not is_folder:
            raise ValueError(f"paths must be a folder or a list of image files; "
                             f"{str(folder)!r} is not a folder")
        sources, odd = layout.scan_folder(folder, exclude=out_dir)
        root = Path(os.path.realpath(folder))
        listed = sorted(sources + [path for path, _ in odd])
    else:
        try:
            listed = [Path(p) for p in paths]
        except TypeError:
            raise TypeError(f"paths must be a folder or an iterable of image file paths, "
                            f"got {type(paths).__name__}") from None
        sources, odd = layout.check_files(listed)
        parents = [os.path.dirname(os.path.realpath(p)) for p in sources]
        root = Path(os.path.commonpath(parents)) if parents else Path.cwd()
    outs, overlays = layout.output_paths(sources, root, out_dir, format, overlay, folder)
    layout.check_outputs(sources, outs, overlays, out_dir, folder)
    layout.check_writable(out_dir)
    from . import records

    settings = records.settings_record(method, n_segments, format,
                                       records.effective_options(function, options))
    recorded = _record_of_outputs(out_dir, outs, overlays, overwrite)

    tasks = [dict(source=source, out=out, overlay=over, n_segments=n_segments,
                  method=method, format=format, options=options, overwrite=overwrite,
                  out_dir=out_dir, settings=settings,
                  recorded=recorded.get(records.relative_name(out_dir, out)))
             for source, out, over in zip(sources, outs, overlays)]
    summary = CollectionSummary()
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), unit="img", disable=not progress, file=sys.stderr,
               desc=f"{method} n={n_segments}")

    def record(index, status, reason):
        name = str(sources[index])
        if status == "done":
            summary.done.append(name)
        elif status == "skipped":
            summary.skipped.append(name)
        else:
            summary.failed.append((name, reason))
            if progress:
                bar.write(f"failed: {name}: {reason}", file=sys.stderr)
        bar.update(1)

    from . import scheduling

    start = time.perf_counter()
    for path, reason in odd:     # reported, never opened
        summary.failed.append((str(path), f"not read: {reason}"))
        if progress:
            bar.write(f"failed: {path}: not read: {reason}", file=sys.stderr)
    try:
        if client is not None:
            scheduling.run_dask(tasks, record, retries, client)
        elif jobs > 1 and len(tasks) > 1:
            scheduling.run_pool(tasks, record, retries, min(jobs, len(tasks)))
        else:
            scheduling.run_serial(tasks, record, retries)
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - start
    # Report in input order whatever order the workers finished in.
    order = {str(p): k for k, p in enumerate(listed)}
    summary.done.sort(key=order.get)
    summary.skipped.sort(key=order.get)
    summary.failed.sort(key=lambda item: order[item[0]])
    return summary


def _record_of_outputs(out_dir, outs, overlays, overwrite):
    """The record of ``out_dir``; refuses (ValueError) to replace files it does not show.

    A file is this command's when the record names it as being written (a
    run stopped then) or as written with its present size and modification
    time; anything else at an output's path (a picture that was there
    before, a label file edited since) is kept unless ``overwrite=True``.
    The files present are listed before the record is read: a run writing
    into the same folder names each file in the record before it appears.
    """
    from .records import output_record, read_record, relative_name

    present = [(out, path, field) for out, over in zip(outs, overlays)
               for path, field in ((out, "out_file"), (over, "overlay_file"))
               if path is not None and os.path.lexists(path)]
    recorded = read_record(out_dir)
    if overwrite:
        return recorded
    foreign = []
    for out, path, field in present:
        entry = recorded.get(relative_name(out_dir, out))
        if entry is None:
            foreign.append((path, "not written by this command"))
        elif entry.get("state") != "pending" and entry.get(field) != output_record(path):
            foreign.append((path, "changed since this command wrote it"))
    if foreign:
        path, why = foreign[0]
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise ValueError(f"outputs would replace files in out_dir {str(out_dir)!r} that are not "
                         f"this command's: {str(path)!r} is {why}{more}; pass overwrite=True "
                         "(--overwrite) to replace them, or choose another out_dir")
    return recorded


def _check_options(method, function, options):
    """Refuse options the segmenter does not take or values it refuses, up front.

    Without this, a typo (``lamda=``) or a bad value would fail every image
    of a run of millions, one by one.
    """
    from ..segmentation import ers

    accepted = [name for name, p in inspect.signature(function).parameters.items()
                # Labels are always 1..n_segments (the completeness check
                # relies on it), images are whole and read from files: no
                # start_label, no mask, no affinities.
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                and name not in ("image", "n_segments", "channel_axis", "mask",
                                 "start_label", "affinities")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(f"{method} does not take {', '.join(unknown)}; accepted options: "
                        f"{', '.join(accepted)}")
    # The values: one tiny ers call validates the options ers shares with the
    # segmenter (same name, same meaning).  ``sigma`` is checked on its own:
    # its one size-dependent bound (a smoothing width at most the image's
    # size) is each image's business, not that of a 2x2 stand-in.
    generic = {k: v for k, v in options.items()
               if k in ("lam", "connectivity", "color_sigma", "compactness", "spacing", "relax")}
    if method == "seal_ers":
        check_optional_positive_int(options.get("max_pixels_per_tile"), "max_pixels_per_tile")
        from ..pan.pretrained import read_weight_file, resolve_device, weights_path

        if options.get("weights") is not None:
            # Read once here: a corrupt, foreign or odd file (a FIFO, a
            # training checkpoint) stops the run up front, with its reason,
            # instead of failing every image.
            read_weight_file(options["weights"])
        elif not weights_path(None).is_file():
            raise FileNotFoundError(f"weight file {str(weights_path(None))!r} does not exist")
        if options.get("device") is not None:
            resolve_device(options["device"])    # imports torch, only when asked
    ers(np.zeros((2, 2)), 1, channel_axis=None, **generic)
    if "sigma" in options:
        spacing = options.get("spacing", 1.0)
        spacing = tuple(np.broadcast_to(np.asarray(spacing, float), (2,)))
        check_smoothing_sigma(options["sigma"], spacing)


