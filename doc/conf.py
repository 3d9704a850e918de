"""Sphinx configuration of the sealseg documentation.

Build (from the repository root)::

    pip install -e ".[doc]"
    python -m sphinx -W -b html doc doc/_build/html

The gallery examples in ``doc/examples`` run during the build; they use small
images so that the whole build stays within a few minutes on two CPU cores.
Nothing here needs the network or a dataset.
"""
import os
import sys
import warnings
from datetime import date
from pathlib import Path

import sealseg

HERE = Path(__file__).resolve().parent

# -- project ------------------------------------------------------------------
project = "sealseg"
author = "the sealseg developers"
copyright = f"{date.today().year}, {author}"
release = sealseg.__version__
version = ".".join(release.split(".")[:2])

# -- general ------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.extlinks",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "examples", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "autolink"
nitpicky = False

# The docstrings cite papers as :DOI:`10.xxxx/...` (as scikit-image does).
extlinks = {"doi": ("https://doi.org/%s", "doi:%s")}

# -- API reference (autosummary + numpydoc) ------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_use_plots = False
# Examples sections are rendered, and also run by
# ``python -m pytest --doctest-modules sealseg``.

# -- example gallery ----------------------------------------------------------
# Examples that need the shipped Pixel Affinity Net weights are only run when
# the weight file is in the package (it is in every release).  A checkout that
# does not have it yet still builds the rest of the documentation.
_LEARNED_EXAMPLES = ("plot_seal_vs_slic", "plot_affinities", "plot_metrics_vs_n_segments",
                     "plot_saliency")
try:
    from sealseg.pan.registry import DEFAULT
    _HAVE_WEIGHTS = DEFAULT.path.is_file()
except ImportError:          # torch missing: the learned examples cannot run
    _HAVE_WEIGHTS = False
_skip = [] if _HAVE_WEIGHTS else list(_LEARNED_EXAMPLES)
if _skip:
    print(f"sealseg docs: shipped weights not found; not running {', '.join(_skip)}")

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # Run every plot_*.py except, without weights, the learned ones (those are
    # then shown as code only).
    "filename_pattern": (r"/plot_(?!" + "|".join(n[5:] for n in _skip) + r")") if _skip
    else r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sealseg",),
    "reference_url": {"sealseg": None},
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "write_computation_times": False,
}
# Keep the examples' own output clean (tqdm/torch chatter goes to stderr).
os.environ.setdefault("SEALSEG_DOC_BUILD", "1")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg",
                        category=UserWarning)

# -- HTML ---------------------------------------------------------------------
html_theme = "alabaster"
html_static_path = ["_static"]
html_title = f"sealseg {release}"
html_theme_options = {
    "description": "Learned superpixels (SEAL-ERS) for scikit-image users",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "220px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_show_sourcelink = False
