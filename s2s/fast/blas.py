"""One BLAS thread per process, set explicitly by every entry point before numpy loads.

The matrix products of these models are small (128 x 512): one BLAS thread per product trains faster
than several (benchmarks/README.md has the figures), and it leaves the other cores to the app's server,
the worker processes, a browser or another session. OpenBLAS reads its thread count once, when numpy
loads it, so every entry point (the app before ``import streamlit``, which loads numpy; the commands;
the benchmarks) starts with

    os.environ.update(one_blas_thread())

and every worker process is started with ``worker_environment()``. This module imports only ``os``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
ONE_THREAD = dict.fromkeys(BLAS_THREAD_VARIABLES, "1")


def one_blas_thread(environ: Mapping[str, str] = os.environ,
                    names: Iterable[str] = BLAS_THREAD_VARIABLES) -> dict[str, str]:
    """The variables `names` set to one thread, less those already in `environ`: a value the user set
    wins (``OPENBLAS_NUM_THREADS=2 python -m s2s.train ...`` uses two)."""
    return {name: ONE_THREAD[name] for name in names if name not in environ}


def worker_environment() -> dict[str, str]:
    """The environment of a worker process: this process's, with one BLAS thread whatever was set
    (a worker process is one core's share of the work)."""
    return {**os.environ, **ONE_THREAD}
