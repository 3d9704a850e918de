"""Build the Cython kernels in ``sealseg/_ext``.

Every ``sealseg/_ext/*.pyx`` becomes one extension module; the package
metadata lives in ``pyproject.toml``.
"""
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent

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

setup(ext_modules=cythonize(extensions, language_level=3))
