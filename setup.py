"""Build the Cython kernels in ``sealseg/_ext``.

Every ``sealseg/_ext/*.pyx`` becomes one extension module; the package
metadata lives in ``pyproject.toml``.
"""
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent

# One set of directives for every kernel, instead of a header in each file.
# The kernels index only within bounds they check once at the top (or that
# the grid layout guarantees), never with negative indices, and divide only
# non-negative integers, so the checks and Python division semantics would
# only cost time in the hot loops.
COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "nonecheck": False,
    "initializedcheck": False,
}

extensions = [
    Extension(
        f"sealseg._ext.{pyx.stem}",
        [str(pyx.relative_to(HERE))],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for pyx in sorted((HERE / "sealseg" / "_ext").glob("*.pyx"))
]

setup(ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES))
