"""The shipped Pixel Affinity Net weights, one record each, and the default.

Each shipped net is one :class:`Weights` record in :data:`SHIPPED`: its
name, file, SHA-256, architecture, exponent, training recipe, where its val
figures are, and a short description.  Adding a net is adding one record
there (and its file to ``sealseg/pan/weights/``); every other module asks
this one: :func:`get_weights` resolves a name, :data:`DEFAULT` is the
default, :func:`list_weights` lists them.

Importing this module imports neither torch nor numpy.
"""
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Weights", "SHIPPED", "DEFAULT", "ALIASES", "WEIGHTS_DIR", "list_weights",
           "get_weights", "known_names", "is_shipped_name"]

#: Folder of the shipped weight files.
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

_RECIPES = "training/README.md"
_RESULTS = "doc/results.rst"


@dataclass(frozen=True, eq=False)
class Weights:
    """One shipped net: what it is, where its file is, how it was made.

    Attributes
    ----------
    name : str
        The name ``weights=`` takes.
    file : str
        File name in ``sealseg/pan/weights/``.
    sha256 : str
        SHA-256 of the file (``sha256sum``), checked before it is first read.
    architecture : dict
        The :func:`sealseg.pan.model.build_model` keyword arguments of the
        net, exponent excepted (as in the file's ``config``).
    exponent : float
        The affinity exponent in the file's config: ERS reads
        ``sigmoid(logits) ** exponent``.
    recipe : str
        How it was trained, in short, and where the commands are.
    val_figures : str
        Where its figures on BSDS500 val (or why there are none) are.
    doc : str
        One sentence on what the net is.
    """

    name: str
    file: str
    sha256: str
    architecture: dict = field(repr=False)
    exponent: float
    recipe: str = field(repr=False)
    val_figures: str = field(repr=False)
    doc: str = field(repr=False)

    @property
    def path(self):
        """The file's path."""
        return WEIGHTS_DIR / self.file


_C32 = {"width": 32, "kernel": "1x7", "use_edges": False, "one_way": True, "fusion": 16,
        "padding_mode": "replicate"}
_DILATED_C32 = {**_C32, "dilations": [1, 2, 4]}

#: The shipped nets, one record each; the first is :data:`DEFAULT`.
SHIPPED = (
    Weights(
        name="bsds500-dilated",
        file="pan_bsds500_bbce_dilated_c32.pt",
        sha256="69eb3ac19f895759367297567cab10fb21733347d32ff54087ce897f130b8c3c",
        architecture=_DILATED_C32,
        exponent=2.0,
        recipe=("HED's class-balanced BCE, no edge channel, 128x128 crops, batch 4, "
                "12,000 steps on BSDS500 train (200 images), exponent chosen on val: "
                f"{_RECIPES}, section 'The train-only nets'"),
        val_figures=(f"{_RESULTS}, sections 'BSDS500 val, all methods' and "
                     "'What the numbers say about the shipped model'"),
        doc=("The train-only net, residual blocks dilated 1, 2, 4: every recipe choice "
             "was made on val with it, and later nets are measured against it."),
    ),
    Weights(
        name="bsds500-trainval",
        file="pan_bsds500_trainval_bbce_dilated_c32.pt",
        sha256="1babde14e56657db1dc07ec5b1ee1266b3ce9dbace7486dedee6a98d3d7f939d",
        architecture=_DILATED_C32,
        exponent=2.0,
        recipe=("the recipe of 'bsds500-dilated' run once on BSDS500 train + val "
                f"(300 images): {_RECIPES}, section 'The train + val net'"),
        val_figures=(f"none: it trained on val ({_RESULTS}, section "
                     "'The train + val default')"),
        doc="The twin's recipe on train + val; val cannot measure it.",
    ),
    Weights(
        name="bsds500-seal",
        file="pan_bsds500_seal_c32.pt",
        sha256="531a76c92bfc69d9b80abfd31d555194954cd9f3f218c938d3c29d64f82774fe",
        architecture={**_C32, "dilations": [1, 1, 1]},
        exponent=1.0,
        recipe=("the paper's SEAL loss, no dilation, no edge channel, 10,065 steps on "
                f"BSDS500 train: {_RECIPES}, section 'The train-only nets'"),
        val_figures=f"{_RESULTS}, section 'BSDS500 val, all methods'",
        doc="The paper's net and loss, for comparison with the paper.",
    ),
)

#: The default net: what ``weights=None`` means.
DEFAULT = SHIPPED[0]

#: Other names of a record: ``"bsds500"``, the name of the default since the
#: first release, stays a name of :data:`DEFAULT` (whichever net that is), so
#: code that passes it gets the default.
ALIASES = {"bsds500": DEFAULT.name}

_BY_NAME = {record.name: record for record in SHIPPED}


def list_weights():
    """Names of the shipped nets, the default first.

    Returns
    -------
    names : list of str
        Each takes ``weights=`` of :func:`sealseg.seal_ers` and
        :func:`sealseg.learn_affinities`; :func:`get_weights` gives its
        record.  The aliases of :data:`ALIASES` are names too.

    Examples
    --------
    >>> from sealseg import list_weights
    >>> list_weights()
    ['bsds500-dilated', 'bsds500-trainval', 'bsds500-seal']
    """
    return [record.name for record in SHIPPED]


def get_weights(name=None):
    """The :class:`Weights` record of a shipped net (None: :data:`DEFAULT`).

    Parameters
    ----------
    name : str or None
        One of :func:`list_weights` or of :data:`ALIASES`.

    Raises
    ------
    ValueError
        If ``name`` is not a shipped net's name.

    Examples
    --------
    >>> from sealseg.pan.registry import get_weights
    >>> get_weights("bsds500").name
    'bsds500-dilated'
    >>> get_weights("bsds500-seal").exponent
    1.0
    """
    if name is None:
        name = DEFAULT.name
    record = _BY_NAME.get(ALIASES.get(name, name)) if isinstance(name, str) else None
    if record is None:
        raise ValueError(f"weights={name!r} is not a shipped net; shipped: "
                         f"{', '.join(known_names())}")
    return record


def known_names():
    """Every name :func:`get_weights` takes: the records' and the aliases."""
    return list_weights() + sorted(ALIASES)


def is_shipped_name(name):
    """Whether ``name`` (any object) names a shipped net."""
    return isinstance(name, str) and (name in _BY_NAME or name in ALIASES)
