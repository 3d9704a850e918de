"""Private compiled kernels (Cython). Called only by the public wrappers."""
