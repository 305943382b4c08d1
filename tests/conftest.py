"""Shared by every test module: the test process trains with one BLAS thread, as the app and the commands do."""

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it
