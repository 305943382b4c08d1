"""Decoding batches on every core with threads: each thread on its own copy of the model.

NumPy lets go of Python's lock in its matrix products and in its element-wise loops over large arrays, so
threads decoding batches of a few thousand rows use the cores in one process (the app's server, where a
scan runs on demand). Decoding keeps state in the layers (a layer's cache, a stateful LSTM's h and c), so
no two threads may decode with one model at once: each concurrent call gets a clone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from s2s.models import Seq2seq, clone_model


def on_every_core(model: Seq2seq, decode: Callable[[Seq2seq, range], np.ndarray], batches: list[range],
                  threads: int | None = None) -> Iterator[np.ndarray]:
    """`decode(m, units)` of every batch, on `threads` threads (default one per core), yielded in order as
    each is ready (s2s.ablation.scan's `map_batches`). `model` itself serves one thread, clones the others."""
    threads = max(1, min(threads or os.cpu_count() or 1, len(batches)))
    free = [model] + [clone_model(model) for _ in range(threads - 1)]  # pop and append are atomic

    def one(units: range) -> np.ndarray:
        m = free.pop()
        try:
            return decode(m, units)
        finally:
            free.append(m)

    with ThreadPoolExecutor(threads) as pool:
        yield from pool.map(one, batches)
