"""Data parallelism: one mini-batch's forward and backward split across workers.

The model stays the same and so does the maths: the loss is a mean over every answer position of
the batch, so each part's gradient is weighted by its share of those positions and the parts are
summed; the result equals the whole batch's gradient up to the order of float additions.

Two ways to run the parts, with one interface (``forward_backward``, ``update``, ``close``):

- ``ProcessDataParallel`` (Linux): worker processes (``python -m s2s.worker``) that read the
  parameters from shared memory and write their gradients there. Each has its own interpreter, so
  nothing waits for the GIL. Measured on a 2-core VM: two processes each training half a batch run
  as fast as one alone, whereas two threads lose 10-20 % to the GIL (hundreds of NumPy calls per
  step, each releasing and retaking it).
- ``ThreadDataParallel``: threads sharing the model's parameter array, anywhere.

The calling thread always computes the first part itself.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import mmap
import os
import select
import socket
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from s2s.layers import TimeSoftmaxWithLoss
from s2s.models import Seq2seq, build_model


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

    def __init__(self, model: Seq2seq, workers: int):
        self.model = model
        self.replicas = [model]
        for _ in range(workers - 1):
            twin = build_model(model.config, np.random.default_rng(0), model.flat_params.dtype)
            twin.bind(model.flat_params, np.zeros_like(model.flat_grads))
            self.replicas.append(twin)
        self.pool = ThreadPoolExecutor(workers - 1, thread_name_prefix="s2s-data-parallel")

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

    def update(self, optimizer) -> None:
        """One optimiser step (after clipping, with its learning rate set), in this thread."""
        optimizer.update()

    def close(self) -> None:
        """Stop the pool's threads."""
        self.pool.shutdown(wait=False, cancel_futures=True)


class WorkerError(RuntimeError):
    """A worker process stopped or failed; training cannot go on in parallel."""


POLL_SECONDS = 0.005


def wait_briefly(fd: int, seconds: float = POLL_SECONDS) -> None:
    """Poll `fd` for up to `seconds` until it can be read (then a read does not sleep): between the
    parts of one training step the other side answers within about that time, and waking a sleeping
    process costs more than the polling."""
    deadline = time.perf_counter() + seconds
    while not select.select([fd], [], [], 0)[0] and time.perf_counter() < deadline:
        pass


def _layout(sizes: dict[str, int]) -> tuple[dict[str, int], int]:
    """Byte offsets of named regions, each aligned to 64 bytes, and the total size."""
    offsets, end = {}, 0
    for name, size in sizes.items():
        offsets[name] = end
        end += -(-size // 64) * 64
    return offsets, max(end, 64)


class SharedArrays:
    """Named arrays in one anonymous shared-memory file (memfd) that child processes inherit by
    descriptor: nothing has a name on disk, so nothing is left behind if a process dies."""

    def __init__(self, specs: dict[str, tuple[tuple[int, ...], str]], fd: int | None = None,
                 offsets: dict[str, int] | None = None):
        sizes = {k: int(np.prod(shape)) * np.dtype(dtype).itemsize for k, (shape, dtype) in specs.items()}
        computed, total = _layout(sizes)
        self.offsets = offsets or computed
        if fd is None:
            fd = os.memfd_create("s2s-data-parallel", 0)  # closed on exec unless passed on (pass_fds)
            os.ftruncate(fd, total)
        self.fd = fd
        self.map = mmap.mmap(fd, total)
        self.specs = specs
        self.arrays = {k: np.frombuffer(self.map, dtype, int(np.prod(shape)), self.offsets[k]).reshape(shape)
                       for k, (shape, dtype) in specs.items()}

    def describe(self) -> dict:
        """What a worker needs to map the same arrays (JSON-ready)."""
        return {"fd": self.fd, "offsets": self.offsets,
                "specs": {k: [list(shape), dtype] for k, (shape, dtype) in self.specs.items()}}


class ProcessDataParallel:
    """Parts 1.. on worker processes (``python -m s2s.worker``), part 0 in this process.

    Shared memory holds the parameters, every part's gradient, the batch and the optimiser's state.
    The gradients are summed here; the optimiser's step is split by ranges of the flat parameter
    array, one per process (it is memory-bound, and the workers would otherwise wait). Messages are
    single text lines on the workers' stdin/stdout. ``close`` moves the parameters and the optimiser's
    state back into private memory and ends the workers.
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
        self.ranges = [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        self.optimizer = None
        self.workers: list[subprocess.Popen] = []
        spec = {"model": model.config.to_dict(), "optimizer": optimizer, "parts": workers, **self.shared.describe()}
        try:
            for k in range(1, workers):
                proc = subprocess.Popen(
                    [sys.executable, "-m", "s2s.worker", json.dumps({**spec, "part": k})],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(self.shared.fd,), text=True,
                    env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
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

    def update(self, optimizer) -> None:
        """One optimiser step (after clipping, with its learning rate set), each process taking a range."""
        if optimizer is not self.optimizer:  # its state moves into shared memory, where the workers see it
            optimizer.bind_state({name: self.shared.arrays[f"opt_{name}"] for name in optimizer.state_arrays()})
            self.optimizer = optimizer
        optimizer.t += 1
        optimizer._prepare()
        self._send([f"update {lo} {hi} {optimizer.t} {optimizer.lr!r}" for lo, hi in self.ranges[1:]])
        optimizer._apply(0, slice(*self.ranges[0]))
        for proc in self.workers:
            self._reply(proc, "ok")

    def _send(self, lines: list[str]) -> None:
        for proc, line in zip(self.workers, lines, strict=True):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()

    def close(self) -> None:
        """End the workers and move the parameters back into this process's own memory."""
        for proc in self.workers:
            try:
                proc.stdin.close()  # end of input: the worker returns
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
            proc.stdout.close()
        self.workers = []
        if self.model.flat_params is self.shared.arrays["params"]:
            self.model.flatten()  # private memory again (a copy of the current values)
        if self.optimizer is not None:
            for arrays in self.optimizer.state_arrays().values():
                arrays[0] = arrays[0].copy()
            self.optimizer = None
        if self.shared.fd >= 0:
            os.close(self.shared.fd)  # the memory goes once nothing maps it any more
            self.shared.fd = -1


def data_parallel(model: Seq2seq, workers: int, max_batch: int, xs_width: int, ts_width: int,
                  optimizer: str = "adam"):
    """Worker processes where the system can share anonymous memory with them (Linux), else threads."""
    if workers < 2:
        raise ValueError("data parallelism needs at least 2 workers")
    if hasattr(os, "memfd_create"):
        return ProcessDataParallel(model, workers, max_batch, xs_width, ts_width, optimizer)
    return ThreadDataParallel(model, workers)


class StepPool:
    """Worker processes that run the forward and backward passes of many trainers: the app's server,
    where every session trains its own model, keeps only the bookkeeping of a step.

    Why: a training step in the serving process takes the interpreter's lock (GIL) and a core from the
    pages. In a worker process started in its own session at the lowest CPU priority (nice 19, and on
    Linux with automatic group scheduling also the lowest group weight), training uses only the CPU
    that serving the pages and, on a shared machine, anything else leaves over.

    Each trainer attached (``attach``) gets its own shared memory with its parameters, gradients and
    batch; the worker maps it through a descriptor passed on a Unix socket (no names on disk, no
    pickle: one text line per message). The worker keeps one model per configuration and binds it to
    the trainer's arrays for each step, so its memory does not grow with the number of trainers. A
    trainer whose worker is gone goes on in its own process (``PooledSteps``).
    """

    def __init__(self, processes: int = 1, nice: int = 19):
        self.size, self.nice = max(1, processes), nice
        self._lock = threading.Lock()
        self._workers: list[_PoolWorker] = []
        self._solo: _PoolWorker | None = None
        self._keys = itertools.count(1)

    def attach(self, model: Seq2seq, max_batch: int, xs_width: int, ts_width: int) -> PooledSteps:
        """Move `model`'s parameters into shared memory and register them with the least busy worker
        and with the solo worker (see ``PooledSteps.forward_backward``)."""
        with self._lock:
            self._workers = [w for w in self._workers if w.alive()]
            if len(self._workers) < self.size:
                self._workers.append(_PoolWorker(self.nice))
            worker = min(self._workers, key=lambda w: w.attached)
            if self._solo is None or not self._solo.alive():
                self._solo = _PoolWorker(0)
            key = next(self._keys)
        return PooledSteps(model, worker, key, max_batch, xs_width, ts_width, self._solo)

    def pids(self) -> list[int]:
        """Process ids of the running low-priority workers (for measuring them)."""
        with self._lock:
            return [w.proc.pid for w in self._workers if w.alive()]

    def solo_pid(self) -> int | None:
        """Process id of the solo worker, if it runs."""
        with self._lock:
            return self._solo.proc.pid if self._solo is not None and self._solo.alive() else None

    def close(self) -> None:
        """End the workers (trainers still attached go on in their own process)."""
        with self._lock:
            for w in [*self._workers, self._solo]:
                if w is not None:
                    w.close()
            self._workers, self._solo = [], None


class _PoolWorker:
    """One ``python -m s2s.worker --serve`` process and its end of a message socket."""

    def __init__(self, nice: int):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "s2s.worker", "--serve", str(theirs.fileno()), str(nice)],
                pass_fds=(theirs.fileno(),), start_new_session=True, stdin=subprocess.DEVNULL,
                env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
        finally:
            theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self.attached = 0

    def alive(self) -> bool:
        return self.proc.poll() is None and self.sock.fileno() >= 0

    def request(self, line: str, fds: tuple[int, ...] = (), meanwhile=None) -> str:
        """Send one message and wait for its answer (the calling thread waits without the GIL);
        `meanwhile()`, if given, runs in this thread between the two."""
        with self.lock:
            try:
                socket.send_fds(self.sock, [line.encode()], list(fds)) if fds else self.sock.send(line.encode())
            except OSError as e:
                raise WorkerError(f"the training worker process is gone ({e})") from None
            try:
                if meanwhile is not None:
                    meanwhile()
            finally:  # the answer is taken even if `meanwhile` failed: the next request must not read it
                try:
                    reply = self.sock.recv(4096).decode()
                except OSError as e:
                    raise WorkerError(f"the training worker process is gone ({e})") from None
        if not reply or reply.startswith("error"):
            raise WorkerError(f"the training worker process failed: {reply or 'no answer'}")
        return reply

    def tell(self, line: str) -> None:
        """Send a message that has no answer, without waiting (safe from a finaliser in any thread: a
        message on this socket is never split or interleaved)."""
        with contextlib.suppress(OSError):
            self.sock.send(line.encode(), socket.MSG_DONTWAIT)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # end of input: the worker returns
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.sock.close()


class PooledSteps:
    """One trainer's connection to a StepPool worker (the interface of the data-parallel classes).

    The parameters and gradients live in shared memory for as long as this is open; the optimiser's
    step runs here (a few element-wise operations). If the worker fails, the forward and backward
    passes run in this process from then on and ``fallback`` says why.
    """

    def __init__(self, model: Seq2seq, worker: _PoolWorker, key: int, max_batch: int, xs_width: int,
                 ts_width: int, solo: _PoolWorker | None = None):
        self.model, self.worker, self.key = model, worker, key
        P, dtype = model.flat_params.size, model.flat_params.dtype.str
        self.shared = SharedArrays({"params": ((P,), dtype), "grads": ((P,), dtype),
                                    "xs": ((max_batch, xs_width), "<i8"), "ts": ((max_batch, ts_width), "<i8")})
        model.flatten(self.shared.arrays["params"], self.shared.arrays["grads"])
        self.fallback = ""
        self.solo: _PoolWorker | None = None
        self._half: Seq2seq | None = None  # this thread's replica for split steps (its own gradient)
        spec = f"open {key} {json.dumps({'model': model.config.to_dict(), **self.shared.describe()})}"
        try:
            worker.request(spec, (self.shared.fd,))
            worker.attached += 1
            if solo is not None:
                solo.request(spec, (self.shared.fd,))
                self.solo = solo
        except WorkerError as e:
            self.fallback = str(e)
        os.close(self.shared.fd)  # both sides' mappings keep the memory
        self.shared.fd = -1
        # also when this is dropped without close(): the workers forget the arrays
        self._finalizer = weakref.finalize(self, _forget, worker, key, self.solo) if not self.fallback else None

    def forward_backward(self, xs: np.ndarray, ts: np.ndarray, split: bool = False) -> float:
        """Mean loss of the batch (xs (N, Te), ts (N, 1 + Td)); fills model.flat_grads.

        `split` (a trainer alone on the server): half the batch in the solo worker, a process at normal
        priority, while this thread computes the other half, so one session uses two cores. The same
        gradient, summed in another order (see ``split_batch``)."""
        if not self.fallback:
            n = len(xs)
            self.shared.arrays["xs"][:n] = xs
            self.shared.arrays["ts"][:n] = ts
            try:
                if split and self.solo is not None and n > 1:
                    return self._split(xs, ts)
                return float(self.worker.request(f"step {self.key} 0 {n} 1.0"))
            except WorkerError as e:
                self.fallback = str(e)
        loss = self.model.forward(xs, ts)
        self.model.backward()
        return loss

    def _split(self, xs: np.ndarray, ts: np.ndarray) -> float:
        (lo, hi, weight), (lo1, hi1, weight1) = split_batch(ts, 2)
        if self._half is None:
            self._half = build_model(self.model.config, np.random.default_rng(0), self.model.flat_params.dtype)
            self._half.bind(self.shared.arrays["params"], np.zeros_like(self.shared.arrays["grads"]))
        here = []
        theirs = float(self.solo.request(f"step {self.key} {lo1} {hi1} {weight1!r}", meanwhile=lambda: here.append(
            part_forward_backward(self._half, xs[lo:hi], ts[lo:hi], weight))))
        self.shared.arrays["grads"] += self._half.flat_grads
        return here[0] + theirs

    def update(self, optimizer) -> None:
        """One optimiser step, in this thread."""
        optimizer.update()

    def close(self) -> None:
        """The worker forgets this trainer; the parameters move back into this process's own memory."""
        if self._finalizer is not None:
            self._finalizer()
        if self.model.flat_params is self.shared.arrays["params"]:
            self.model.flatten()


def _forget(worker: _PoolWorker, key: int, solo: _PoolWorker | None = None) -> None:
    worker.tell(f"forget {key}")
    worker.attached -= 1
    if solo is not None:
        solo.tell(f"forget {key}")


def step_pool(processes: int = 1) -> StepPool | None:
    """A StepPool where the system can share anonymous memory and pass descriptors (Linux); None
    elsewhere, where trainers step in their own process."""
    if hasattr(os, "memfd_create") and hasattr(socket, "send_fds") and hasattr(socket, "SOCK_SEQPACKET"):
        return StepPool(processes)
    return None
