"""Data parallelism: one mini-batch's forward and backward split across threads.

NumPy releases the GIL inside matrix products and element-wise loops, so two threads, each with
one BLAS thread and half of the batch, keep both cores of a small machine busy. The model stays
the same and so does the maths: the loss is a mean over every answer position of the batch, so
each part's gradient is weighted by its share of those positions and the parts are summed; the
result equals the whole batch's gradient up to the order of float additions.

Replicas share the model's parameter array (no copies, an optimiser step updates all of them at
once) and own their gradients and caches.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from s2s.layers import TimeSoftmaxWithLoss
from s2s.models import Seq2seq, build_model


def replica(model: Seq2seq) -> Seq2seq:
    """A model of the same configuration that uses `model`'s parameters and has its own gradients."""
    twin = build_model(model.config, np.random.default_rng(0), model.flat_params.dtype)
    twin.tie_parameters(model)
    return twin


class DataParallel:
    """Forward + backward of a mini-batch in `threads` parts at once; gradients land in `model`.

    The calling thread computes the first part itself; the others run on a small thread pool
    (call ``close`` when done, or let the object be garbage collected).
    """

    def __init__(self, model: Seq2seq, threads: int):
        if threads < 2:
            raise ValueError("data parallelism needs at least 2 threads")
        self.model = model
        self.replicas = [model] + [replica(model) for _ in range(threads - 1)]
        self.pool = ThreadPoolExecutor(threads - 1, thread_name_prefix="s2s-data-parallel")

    def forward_backward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """Mean loss of the batch (xs (N, Te), ts (N, 1 + Td)); fills model.flat_grads."""
        n = len(self.replicas)
        bounds = np.linspace(0, len(xs), n + 1).astype(int)
        parts = [slice(bounds[k], bounds[k + 1]) for k in range(n)]
        counts = [int(np.count_nonzero(ts[p, 1:] != TimeSoftmaxWithLoss.ignore_label)) for p in parts]
        total = max(sum(counts), 1)

        def work(k: int) -> float:
            m, p = self.replicas[k], parts[k]
            if counts[k] == 0:  # nothing to learn from in this part (all positions ignored)
                m.flat_grads[...] = 0
                return 0.0
            loss = m.forward(xs[p], ts[p])
            m.backward(counts[k] / total)  # this part's share of the batch mean
            return loss * counts[k] / total

        futures = [self.pool.submit(work, k) for k in range(1, n)]
        loss = work(0) + sum(f.result() for f in futures)
        grads = [r.flat_grads for r in self.replicas]

        def add(part: slice) -> None:
            for g in grads[1:]:
                grads[0][part] += g[part]

        self.run(add, grads[0].size)  # the sum over the parts, itself split: it is memory-bound
        return loss

    def run(self, fn: Callable[[slice], None], size: int) -> None:
        """Call fn(part) for `threads` slices covering range(size), at once (for element-wise work)."""
        n = len(self.replicas)
        bounds = np.linspace(0, size, n + 1).astype(int)
        futures = [self.pool.submit(fn, slice(bounds[k], bounds[k + 1])) for k in range(1, n)]
        fn(slice(bounds[0], bounds[1]))
        for f in futures:
            f.result()

    def close(self) -> None:
        """Stop the pool's threads."""
        self.pool.shutdown(wait=False, cancel_futures=True)
