"""Data parallelism: one mini-batch's forward and backward split across processes (or threads).

The model stays the same and so does the maths: the loss is a mean over every answer position of
the batch, so each part's gradient is weighted by its share of those positions and the parts are
summed; the result equals the whole batch's gradient up to the order of float additions.

Two backends for ``s2s.trainer.Trainer`` (``forward_backward``, ``update``, ``close``), chosen by
``data_parallel``:

- ``ProcessDataParallel`` (Linux): worker processes (``python -m s2s.fast.worker``) that read the
  parameters from shared memory and write their gradients there. Each has its own interpreter, so
  nothing waits for the interpreter lock (GIL), which threads do at each of a step's many NumPy calls.
- ``ThreadDataParallel``: threads sharing the model's parameter array, anywhere.

The calling thread always computes the first part itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from s2s.fast.blas import worker_environment
from s2s.fast.shared import SharedArrays, WorkerError, move_optimizer_state, own_optimizer_state, wait_briefly
from s2s.layers import TimeSoftmaxWithLoss
from s2s.models import Seq2seq, build_model

if TYPE_CHECKING:  # the worker processes import this module: only what they use at run time
    from s2s.data import Dataset
    from s2s.optim import Optimizer
    from s2s.trainer import TrainConfig


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one, else all)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def split_batch(ts: np.ndarray, parts: int) -> list[tuple[int, int, float]]:
    """(start, stop, weight) of `parts` contiguous slices of a batch; a slice's weight is its share of
    the answer positions that count (targets not ignored), so weighted part losses sum to the batch's."""
    bounds = np.linspace(0, len(ts), parts + 1).astype(int)
    counts = [int(np.count_nonzero(ts[lo:hi, 1:] != TimeSoftmaxWithLoss.ignore_label))
              for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    total = max(sum(counts), 1)
    return [(int(lo), int(hi), c / total) for lo, hi, c in zip(bounds[:-1], bounds[1:], counts, strict=True)]


def part_forward_backward(model: Seq2seq, xs: np.ndarray, ts: np.ndarray, weight: float) -> float:
    """Forward and backward of one part, its gradient scaled by `weight`; returns the weighted loss."""
    if weight == 0:  # nothing to learn from in this part (every position ignored, or no rows)
        model.flat_grads[...] = 0
        return 0.0
    loss = model.forward(xs, ts)
    model.backward(weight)
    return loss * weight


class ThreadDataParallel:
    """Parts on threads; replicas share the model's parameter array and own their gradients and caches.
    NumPy releases the GIL inside matrix products and element-wise loops, so the parts overlap."""

    def __init__(self, model: Seq2seq, threads: int):
        self.model = model
        self.replicas = [model]
        for _ in range(threads - 1):
            twin = build_model(model.config, np.random.default_rng(0), model.flat_params.dtype)
            twin.bind(model.flat_params, np.zeros_like(model.flat_grads))
            self.replicas.append(twin)
        self.pool = ThreadPoolExecutor(threads - 1, thread_name_prefix="s2s-data-parallel")

    def forward_backward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """Mean loss of the batch (xs (N, Te), ts (N, 1 + Td)); fills model.flat_grads."""
        parts = split_batch(ts, len(self.replicas))

        def work(k: int) -> float:
            lo, hi, weight = parts[k]
            return part_forward_backward(self.replicas[k], xs[lo:hi], ts[lo:hi], weight)

        futures = [self.pool.submit(work, k) for k in range(1, len(parts))]
        loss = work(0) + sum(f.result() for f in futures)
        for twin in self.replicas[1:]:
            self.model.flat_grads += twin.flat_grads
        return loss

    def close(self) -> None:
        """Stop the pool's threads."""
        self.pool.shutdown(wait=False, cancel_futures=True)


class ProcessDataParallel:
    """Parts 1.. on worker processes (``python -m s2s.fast.worker``), part 0 in this process.

    Shared memory holds the parameters, every part's gradient, the batch and the optimiser's state.
    The gradients are summed here; the optimiser's step is split by ranges of the flat parameter
    array, one per process (it is memory-bound, and the worker processes would otherwise wait).
    Messages are single text lines on the workers' stdin/stdout. ``close`` moves the parameters and
    the optimiser's state back into private memory and ends the worker processes.
    """

    def __init__(self, model: Seq2seq, workers: int, max_batch: int, xs_width: int, ts_width: int,
                 optimizer: str = "adam"):
        self.model = model
        P = model.flat_params.size
        dtype = model.flat_params.dtype.str
        specs = {"params": ((P,), dtype), "xs": ((max_batch, xs_width), "<i8"), "ts": ((max_batch, ts_width), "<i8")}
        specs.update({f"grads{k}": ((P,), dtype) for k in range(workers)})
        specs.update({f"opt_{name}": ((P,), dtype) for name in ("m", "v", "tmp")})
        self.shared = SharedArrays(specs)
        self.grads = [self.shared.arrays[f"grads{k}"] for k in range(workers)]
        model.flatten(self.shared.arrays["params"], self.grads[0])  # the values move into shared memory
        bounds = np.linspace(0, P, workers + 1).astype(int)
        self.ranges = [slice(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        self.optimizer: Optimizer | None = None
        self.workers: list[subprocess.Popen] = []
        spec = {"model": model.config.to_dict(), "optimizer": optimizer, "parts": workers, **self.shared.describe()}
        try:
            for k in range(1, workers):
                proc = subprocess.Popen(
                    [sys.executable, "-m", "s2s.fast.worker", json.dumps({**spec, "part": k})],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(self.shared.fd,), text=True,
                    env=worker_environment())
                self.workers.append(proc)
            for proc in self.workers:
                self._reply(proc, "ready")
        except BaseException:
            self.close()
            raise

    def _reply(self, proc: subprocess.Popen, expect: str | None = None) -> str:
        wait_briefly(proc.stdout.fileno())
        line = proc.stdout.readline()
        if not line or line.startswith("error") or (expect is not None and line.strip() != expect):
            raise WorkerError(f"a training worker process stopped: {line.strip() or 'no answer'}")
        return line

    def forward_backward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """Mean loss of the batch (xs (N, Te), ts (N, 1 + Td)); fills model.flat_grads."""
        n = len(xs)
        shared = self.shared.arrays
        shared["xs"][:n] = xs
        shared["ts"][:n] = ts
        parts = split_batch(ts, len(self.workers) + 1)
        self._send([f"part {lo} {hi} {weight!r}" for lo, hi, weight in parts[1:]])
        lo, hi, weight = parts[0]
        loss = part_forward_backward(self.model, xs[lo:hi], ts[lo:hi], weight)
        for proc, g in zip(self.workers, self.grads[1:], strict=True):
            loss += float(self._reply(proc))
            self.grads[0] += g
        return loss

    def update(self, optimizer: Optimizer) -> None:
        """One optimiser step (after clipping, with its learning rate set), each process taking a range:
        every worker process's optimiser takes the same step from the same count and learning rate."""
        if optimizer is not self.optimizer:  # its state moves into shared memory, where the workers see it
            move_optimizer_state(optimizer, {name: self.shared.arrays[f"opt_{name}"]
                                             for name in optimizer.state_arrays()})
            self.optimizer = optimizer
        self._send([f"update {part.start} {part.stop} {optimizer.t} {optimizer.lr!r}" for part in self.ranges[1:]])
        optimizer.update(self.ranges[0])
        for proc in self.workers:
            self._reply(proc, "ok")

    def _send(self, lines: list[str]) -> None:
        for proc, line in zip(self.workers, lines, strict=True):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()

    def close(self) -> None:
        """End the worker processes and move the parameters back into this process's own memory."""
        for proc in self.workers:
            try:
                proc.stdin.close()  # end of input: the worker process returns
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
            proc.stdout.close()
        self.workers = []
        if self.model.flat_params is self.shared.arrays["params"]:
            self.model.flatten()  # private memory again (a copy of the current values)
        if self.optimizer is not None:
            own_optimizer_state(self.optimizer)
            self.optimizer = None
        if self.shared.fd >= 0:
            os.close(self.shared.fd)  # the memory goes once nothing maps it any more
            self.shared.fd = -1


def data_parallel(model: Seq2seq, data: Dataset, config: TrainConfig) -> ProcessDataParallel | ThreadDataParallel:
    """A Trainer backend that splits each batch of `data` across ``config.workers``: worker processes
    where the system can share anonymous memory with them (Linux), else threads. Build it before the
    Trainer (the parameters move into shared memory) and pass it as ``backend``; ``Trainer.close()``
    ends it."""
    if config.workers < 2:
        raise ValueError("data parallelism needs at least 2 workers")
    if hasattr(os, "memfd_create"):
        return ProcessDataParallel(model, config.workers, config.batch_size, data.xs.shape[1], data.ts.shape[1],
                                   config.optimizer)
    return ThreadDataParallel(model, config.workers)
