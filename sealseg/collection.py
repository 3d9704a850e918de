"""Segment whole collections of images: serially, in a process pool or on Dask.

Every image becomes one label file in the output folder, written atomically
(temporary file, then ``os.replace``), so a run that is stopped can be
started again and continues where it stopped.  A bad image is reported and
skipped; it never stops the run.
"""
import concurrent.futures
import inspect
import os
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["segment_collection", "CollectionSummary", "find_images", "IMAGE_EXTENSIONS"]

#: File name endings (lower case) taken as images when a folder is scanned.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp",
                    ".ppm", ".pgm", ".pnm")
FORMATS = {"png16": ".png", "npy": ".npy"}
METHODS = ("ers", "seal_ers")
#: Largest label a 16-bit PNG can hold.
PNG16_MAX = 65535
_TMP_PREFIX = ".sealseg-"


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
        lines += [f"  failed: {path}: {reason}" for path, reason in self.failed]
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
        Files whose name ends (case-insensitively) in one of
        :data:`IMAGE_EXTENSIONS`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sealseg.collection import find_images
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "a.JPG").touch(); (root / "notes.txt").touch()
    >>> [p.name for p in find_images(root)]
    ['a.JPG']
    """
    folder = Path(folder)
    skip = Path(exclude).resolve() if exclude is not None else None
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        # Prune hidden folders and the output folder in place (os.walk honours it).
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (skip is None or (here / d).resolve() != skip))
        found += [here / name for name in filenames
                  if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


def read_image(path):
    """An image file as an array: grey (8/16-bit) stays 2-D, everything else RGB."""
    from PIL import Image

    with Image.open(path) as opened:
        # Palette, alpha, CMYK and 32-bit images become RGB; grey and RGB stay.
        keep = opened.mode in ("L", "RGB", "I;16")
        image = np.asarray(opened if keep else opened.convert("RGB"))
    return image


def _image_size(path):
    """(height, width) of an image file from its header (nothing is decoded)."""
    from PIL import Image

    with Image.open(path) as opened:
        return opened.size[::-1]


# --------------------------------------------------------------------------- outputs

def _atomic_write(path, write):
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it.

    The rename is atomic on POSIX and Windows file systems (and on NFS), so
    ``path`` is either absent or complete, never half written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{path.name}.", suffix=".tmp",
                               dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            # On shared storage the data must be on disk before the rename
            # makes the file visible as complete.
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_labels(path, labels, fmt):
    if fmt == "png16":
        from PIL import Image

        if labels.max() > PNG16_MAX:
            raise ValueError(f"labels up to {labels.max()} do not fit a 16-bit PNG "
                             f"(max {PNG16_MAX}); use format='npy'")
        picture = Image.fromarray(labels.astype(np.uint16))
        _atomic_write(path, lambda handle: picture.save(handle, format="PNG"))
    else:
        _atomic_write(path, lambda handle: np.save(handle, labels.astype(np.int32)))


def read_labels(path):
    """A label file written by :func:`segment_collection` (.png or .npy) as int64."""
    path = Path(path)
    if path.suffix == ".npy":
        return np.load(path).astype(np.int64)
    from PIL import Image

    with Image.open(path) as opened:
        return np.asarray(opened).astype(np.int64)


def _is_complete(out, source, n_segments):
    """True when ``out`` decodes, has the shape of ``source`` and n labels 1..n."""
    if not out.is_file():
        return False
    try:
        labels = read_labels(out)
        return (labels.shape == tuple(_image_size(source)) and int(labels.min()) == 1
                and int(labels.max()) == n_segments)
    except Exception:   # truncated, foreign or unreadable: redo it
        return False


# --------------------------------------------------------------------------- one image

class _BadInput(Exception):
    """The image cannot be segmented (unreadable, invalid): fail it, do not retry."""


def _segment_one(task):
    """Segment one image; runs in the caller, a pool worker or a Dask worker.

    Returns ``(status, reason)`` with status "done", "skipped" or "failed".
    Bad input (unreadable file, an image the segmenter refuses) is returned
    as "failed"; anything else (a full disk, a dead network share) raises, so
    the pool or Dask retries it.
    """
    source, out, overlay_out = task["source"], task["out"], task["overlay"]
    n_segments = task["n_segments"]
    if (not task["overwrite"] and _is_complete(out, source, n_segments)
            and (overlay_out is None or overlay_out.is_file())):
        return "skipped", ""
    try:
        try:
            image = read_image(source)
        except Exception as exc:   # PIL raises many types for broken files
            raise _BadInput(f"cannot read image ({type(exc).__name__}: {exc})") from None
        from .seal import seal_ers
        from .segmentation import ers

        segmenter = {"ers": ers, "seal_ers": seal_ers}[task["method"]]
        channel_axis = -1 if image.ndim == 3 else None
        try:
            labels = segmenter(image, n_segments, channel_axis=channel_axis,
                               **task["options"])
        except (ValueError, TypeError) as exc:
            raise _BadInput(str(exc)) from None
    except _BadInput as exc:
        return "failed", str(exc).splitlines()[0] if str(exc) else "bad input"
    _write_labels(out, labels, task["format"])
    if overlay_out is not None:
        from PIL import Image
        from skimage import segmentation as skseg
        from skimage import util

        drawn = skseg.mark_boundaries(util.img_as_float(image), labels, color=(1, 1, 0))
        picture = Image.fromarray(util.img_as_ubyte(np.clip(drawn, 0, 1)))
        _atomic_write(overlay_out, lambda handle: picture.save(handle, format="PNG"))
    return "done", ""


def _pool_init(threads):
    # Each worker gets its share of the cores; set before torch is imported
    # (workers are spawned, so nothing is imported yet).
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)


# --------------------------------------------------------------------------- runners

def _run_serial(tasks, record, retries):
    for index, task in enumerate(tasks):
        for attempt in range(retries + 1):
            try:
                record(index, *_segment_one(task))
                break
            except Exception as exc:
                if attempt == retries:
                    record(index, "failed", _describe(exc, retries))


def _describe(exc, retries):
    text = str(exc).splitlines()[0] if str(exc) else ""
    tries = f" (after {retries} retries)" if retries else ""
    return f"{type(exc).__name__}: {text}{tries}" if text else f"{type(exc).__name__}{tries}"


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


def _run_pool(tasks, record, retries, jobs):
    import multiprocessing

    # spawn, not fork: the parent may hold threads (torch, tqdm) that a
    # forked child would inherit in a locked state.
    context = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // jobs)

    def new_pool():
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_pool_init, initargs=(threads,))

    pool = [new_pool()]

    def restart():
        pool[0].shutdown(wait=False, cancel_futures=True)
        pool[0] = new_pool()

    def wait_first(futures):
        return concurrent.futures.wait(
            futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    try:
        _run_windowed(tasks, record, retries, lambda task: pool[0].submit(_segment_one, task),
                      wait_first, 2 * jobs, restart)
    finally:
        pool[0].shutdown(wait=True, cancel_futures=True)


def _run_dask(tasks, record, retries, client):
    from distributed import wait

    threads = sum(client.nthreads().values()) or 1

    def submit(task):
        # pure=False: every call is its own task even for equal arguments.
        # Dask retries a task that raised (worker errors, storage errors) and
        # reschedules one whose worker died; bad images return "failed".
        return client.submit(_segment_one, task, pure=False, retries=retries,
                             key=f"sealseg-segment-{Path(task['source']).name}-"
                                 f"{os.urandom(6).hex()}")

    def wait_first(futures):
        return wait(futures, return_when="FIRST_COMPLETED").done

    # Dask did the retrying already; failures that come back are final.
    _run_windowed(tasks, record, 0, submit, wait_first, max(8, 4 * threads))


# --------------------------------------------------------------------------- public

def _output_paths(sources, root, out_dir, fmt, overlay):
    outs, overlays, clashes = [], [], {}
    for source in sources:
        try:
            relative = source.resolve().relative_to(root)
        except ValueError:
            relative = Path(source.name)
        out = out_dir / relative.with_suffix(FORMATS[fmt])
        outs.append(out)
        overlays.append(out.with_name(out.stem + ".overlay.png") if overlay else None)
        clashes.setdefault(out, []).append(source)
    return outs, overlays, clashes


def segment_collection(paths, out_dir, n_segments, *, method="seal_ers", jobs=1, format="png16",
                       overlay=False, client=None, retries=2, overwrite=False,
                       progress=True, **options):
    """Segment every image of a collection and write one label file per image.

    Parameters
    ----------
    paths : str, path or iterable of them
        A folder (searched recursively for files ending in
        :data:`IMAGE_EXTENSIONS`, hidden files and ``out_dir`` left out) or
        a list of image files.
    out_dir : str or path
        Folder for the results; created if missing.  The label file of
        ``paths/a/b.jpg`` is ``out_dir/a/b.png`` (or ``.npy``): the layout
        under the input folder (or under the common folder of a list) is
        kept.
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
        ``"npy"``: int32 NumPy array.
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
        Segment again even when a complete output exists (default: skip it,
        which makes a stopped run resumable).
    progress : bool, optional
        Show a tqdm progress bar on stderr and report failures as they happen.
    **options
        Passed to the segmenter, e.g. ``lam``, ``connectivity``, ``sigma``
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
        output file.
    TypeError
        Options the segmenter does not take, arguments of the wrong type.
    FileNotFoundError
        A ``weights`` file for ``seal_ers`` that does not exist.

    Notes
    -----
    An output counts as complete when it decodes, has the image's shape and
    holds labels 1..``n_segments``; anything else (a file of another run,
    a truncated file from another tool) is redone.  Outputs are written to a
    temporary file in the same folder and renamed into place, so a stopped
    run never leaves a partial label file.

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
    ['coffee.png']
    """
    from ._validation import check_n_segments

    n_segments = check_n_segments(n_segments)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if format == "png16" and n_segments > PNG16_MAX:
        raise ValueError(f"n_segments={n_segments} does not fit a 16-bit PNG (labels up to "
                         f"{PNG16_MAX}); use format='npy'")
    for name, value, low in (("jobs", jobs, 1), ("retries", retries, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    _check_options(method, options)
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a str or path, got {type(out_dir).__name__}")
    out_dir = Path(out_dir).resolve()

    if isinstance(paths, (str, os.PathLike)):
        folder = Path(paths)
        if not folder.is_dir():
            raise ValueError(f"paths must be a folder or a list of image files; "
                             f"{str(folder)!r} is not a folder")
        sources = find_images(folder, exclude=out_dir)
        root = folder.resolve()
    else:
        try:
            sources = [Path(p) for p in paths]
        except TypeError:
            raise TypeError(f"paths must be a folder or an iterable of image file paths, "
                            f"got {type(paths).__name__}") from None
        parents = [str(p.resolve().parent) for p in sources]
        root = Path(os.path.commonpath(parents)) if parents else Path.cwd()
    outs, overlays, clashes = _output_paths(sources, root, out_dir, format, overlay)
    clashing = [group for group in clashes.values() if len(group) > 1]
    if clashing:
        names = ", ".join(str(p) for p in clashing[0])
        raise ValueError(f"{len(clashing)} groups of images would write the same output "
                         f"file (e.g. {names}); rename them or segment them separately")

    tasks = [dict(source=source, out=out, overlay=over, n_segments=n_segments,
                  method=method, format=format, options=options, overwrite=overwrite)
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

    start = time.perf_counter()
    try:
        if client is not None:
            _run_dask(tasks, record, retries, client)
        elif jobs > 1 and len(tasks) > 1:
            _run_pool(tasks, record, retries, min(jobs, len(tasks)))
        else:
            _run_serial(tasks, record, retries)
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - start
    # Report in input order whatever order the workers finished in.
    order = {str(p): k for k, p in enumerate(sources)}
    summary.done.sort(key=order.get)
    summary.skipped.sort(key=order.get)
    summary.failed.sort(key=lambda item: order[item[0]])
    return summary


def _check_options(method, options):
    """Refuse options the segmenter does not take or values it refuses, up front.

    Without this, a typo (``lamda=``) or a bad value would fail every image
    of a run of millions, one by one.
    """
    from .seal import seal_ers
    from .segmentation import ers

    segmenter = {"ers": ers, "seal_ers": seal_ers}[method]
    accepted = [name for name, p in inspect.signature(segmenter).parameters.items()
                # Labels are always 1..n_segments (the completeness check
                # relies on it) and images are whole: no start_label, no mask.
                if p.kind is p.KEYWORD_ONLY
                and name not in ("channel_axis", "mask", "start_label")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(f"{method} does not take {', '.join(unknown)}; accepted options: "
                        f"{', '.join(accepted)}")
    # The values: one tiny ers call validates lam, connectivity, sigma, ...
    generic = {k: v for k, v in options.items() if k in ("lam", "connectivity", "sigma")}
    if method == "seal_ers":
        tile = options.get("max_pixels_per_tile")
        if tile is not None and (isinstance(tile, bool) or not isinstance(
                tile, (int, np.integer)) or tile < 1):
            raise ValueError(f"max_pixels_per_tile must be None or a positive integer, "
                             f"got {tile!r}")
        from .pan.pretrained import weights_path

        path = weights_path(options.get("weights", "bsds500"))
        if not path.is_file():
            raise FileNotFoundError(f"weight file {str(path)!r} does not exist")
    ers(np.zeros((2, 2)), 1, channel_axis=None, **generic)


# --------------------------------------------------------------------------- command line

def add_batch_parser(subparsers):
    """The ``batch`` command of ``python -m sealseg``."""
    from .__main__ import _positive_int

    parser = subparsers.add_parser(
        "batch", help="segment every image under a folder into label files",
        description="Segment every image under INPUT_DIR (recursively) and write one label "
                    "file per image to OUTPUT_DIR, keeping the folder layout.  Existing "
                    "complete outputs are skipped, so a stopped run can be restarted; bad "
                    "images are reported and skipped.  Exit code 0 when every image is done "
                    "or skipped, 1 when some failed, 2 on a usage error.")
    parser.add_argument("input_dir", metavar="INPUT_DIR", help="folder of images")
    parser.add_argument("output_dir", metavar="OUTPUT_DIR",
                        help="folder for the label files (created if missing)")
    parser.add_argument("-n", "--n-segments", type=_positive_int, required=True,
                        help="number of superpixels per image")
    parser.add_argument("--method", choices=METHODS, default="seal_ers",
                        help="segmenter (default: seal_ers, as for `segment`)")
    parser.add_argument("--jobs", type=_positive_int, default=1,
                        help="worker processes on this machine (default: 1)")
    parser.add_argument("--format", choices=tuple(FORMATS), default="png16",
                        help="png16: 16-bit PNG (default); npy: int32 NumPy array")
    parser.add_argument("--overlay", action="store_true",
                        help="also write <name>.overlay.png with the boundaries drawn")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask cluster whose scheduler is at ADDRESS "
                             "(e.g. tcp://host:8786); needs the 'dask' extra and storage "
                             "shared by all workers")
    parser.add_argument("--retries", type=int, default=2,
                        help="retries of a task that raised or whose worker died (default: 2)")
    parser.add_argument("--weights", default=None,
                        help="seal_ers weights: a registered name or a .pt file")
    parser.add_argument("--overwrite", action="store_true",
                        help="segment again even when a complete output exists")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_batch)
    return parser


def _usage_error(message):
    # The pattern of the other commands: one line on stderr, exit code 2.  (Not
    # __main__.CommandError: under ``python -m`` that module is __main__, and
    # importing sealseg.__main__ from here would make a second, different class.)
    print(f"python -m sealseg batch: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def run_batch(args):
    """Run the ``batch`` command; returns the exit code (bad usage: one line, exit 2)."""
    input_dir, output_dir = Path(args.input_dir), Path(args.output_dir)
    if not input_dir.is_dir():
        _usage_error(f"input folder does not exist: {input_dir}")
    if not output_dir.parent.is_dir():
        _usage_error(f"parent of the output folder does not exist: {output_dir.parent}")
    if args.retries < 0:
        _usage_error(f"--retries must be >= 0, got {args.retries}")
    if args.weights is not None and args.method != "seal_ers":
        _usage_error("--weights applies to --method seal_ers only")
    try:
        output_dir.mkdir(exist_ok=True)
    except OSError as exc:
        _usage_error(f"cannot create output folder {output_dir}: {exc}")
    options = {"weights": args.weights} if args.weights is not None else {}
    client = None
    if args.scheduler is not None:
        try:
            from distributed import Client
        except ImportError:
            _usage_error("--scheduler needs dask.distributed: pip install 'sealseg[dask]'")
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            _usage_error(f"cannot connect to the Dask scheduler at {args.scheduler}: "
                         f"{exc}".splitlines()[0])
    try:
        summary = segment_collection(input_dir, output_dir, args.n_segments,
                                     method=args.method, jobs=args.jobs, format=args.format,
                                     overlay=args.overlay, client=client,
                                     retries=args.retries, overwrite=args.overwrite,
                                     progress=not args.quiet, **options)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        _usage_error(str(exc).splitlines()[0])
    finally:
        if client is not None:
            client.close()
    total = len(summary.done) + len(summary.skipped) + len(summary.failed)
    if total == 0:
        _usage_error(f"found no images under {input_dir} "
                     f"(extensions: {' '.join(IMAGE_EXTENSIONS)})")
    print(summary)
    return 1 if summary.failed else 0
