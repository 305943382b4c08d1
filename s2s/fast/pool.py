"""The app's step pool: worker processes that run the forward and backward passes of many trainers.

The app's server, where every session trains its own model, keeps only the bookkeeping of a step.
A training step in the serving process takes the interpreter's lock (GIL) and a core from the pages;
in a worker process started in its own session at the lowest CPU priority (nice 19, and on Linux with
automatic group scheduling also the lowest group weight), training uses only the CPU that serving the
pages and, on a shared machine, anything else leaves over.

Each trainer attached (``StepPool.attach``) gets its own shared memory with its parameters, gradients
and batch; the worker process maps it through a descriptor passed on a Unix socket (no names on disk,
no pickle: one text line per message). It keeps one model per configuration and binds it to the
trainer's arrays for each step, so its memory does not grow with the number of trainers. A trainer
whose worker process is gone goes on in its own process (``PooledSteps``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import weakref

import numpy as np

from s2s.fast.blas import worker_environment
from s2s.fast.parallel import part_forward_backward, split_batch
from s2s.fast.shared import SharedArrays, WorkerError
from s2s.models import Seq2seq, build_model

MODES = ("pool", "split", "in_this_thread")  # where PooledSteps computes a step (see its `mode`)


class StepPool:
    """Low-priority worker processes shared by the trainers of a server, and one solo worker process
    at normal priority for a trainer alone on it (see ``PooledSteps.mode``)."""

    def __init__(self, processes: int = 1, nice: int = 19):
        self.size, self.nice = max(1, processes), nice
        self._lock = threading.Lock()
        self._workers: list[_PoolWorker] = []
        self._solo: _PoolWorker | None = None
        self._keys = itertools.count(1)

    def attach(self, model: Seq2seq, max_batch: int, xs_width: int, ts_width: int) -> PooledSteps:
        """Move `model`'s parameters into shared memory and register them with the least busy worker
        process and with the solo worker process; the result is the backend to give the Trainer."""
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
        """Process ids of the running low-priority worker processes (for measuring them)."""
        with self._lock:
            return [w.proc.pid for w in self._workers if w.alive()]

    def solo_pid(self) -> int | None:
        """Process id of the solo worker process, if it runs."""
        with self._lock:
            return self._solo.proc.pid if self._solo is not None and self._solo.alive() else None

    def close(self) -> None:
        """End the worker processes (trainers still attached go on in their own process)."""
        with self._lock:
            for w in [*self._workers, self._solo]:
                if w is not None:
                    w.close()
            self._workers, self._solo = [], None


class _PoolWorker:
    """One ``python -m s2s.fast.worker --serve`` process and its end of a message socket."""

    def __init__(self, nice: int):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "s2s.fast.worker", "--serve", str(theirs.fileno()), str(nice)],
                pass_fds=(theirs.fileno(),), start_new_session=True, stdin=subprocess.DEVNULL,
                env=worker_environment())
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
        if not reply:  # the socket was closed: the process ended (killed, say) before it answered
            raise WorkerError("the training worker process is gone (it closed its socket without an answer)")
        if reply.startswith("error"):
            raise WorkerError(f"the training worker process failed: {reply}")
        return reply

    def tell(self, line: str) -> None:
        """Send a message that has no answer, without waiting (safe from a finaliser in any thread: a
        message on this socket is never split or interleaved)."""
        with contextlib.suppress(OSError):
            self.sock.send(line.encode(), socket.MSG_DONTWAIT)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # end of input: the worker process returns
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.sock.close()


class PooledSteps:
    """One trainer's connection to a StepPool: the backend its Trainer computes the passes with.

    ``mode``, set by the app before each step, says where the step's passes run:

    - ``"pool"``: the whole batch in the pool's low-priority worker process (while other sessions train);
    - ``"split"``: half the batch in the solo worker process (normal priority) while this thread
      computes the other half, so a trainer alone on the server uses two cores: the same gradient,
      summed in another order (see ``split_batch``);
    - ``"in_this_thread"``: here (a step asked for by hand must not wait behind the class).

    "pool" and "in_this_thread" give the same numbers bit for bit. The parameters and gradients live in
    shared memory for as long as this is open; the optimiser's step runs in the trainer's thread (a few
    element-wise operations). If a worker process fails, the passes run in this process from then on
    and ``fallback`` says why.
    """

    def __init__(self, model: Seq2seq, worker: _PoolWorker, key: int, max_batch: int, xs_width: int,
                 ts_width: int, solo: _PoolWorker | None = None):
        self.model, self.worker, self.key = model, worker, key
        self._mode = "pool"
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
        # also when this is dropped without close(): the worker processes forget the arrays
        self._finalizer = weakref.finalize(self, _forget, worker, key, self.solo) if not self.fallback else None

    @property
    def mode(self) -> str:
        """Where the next steps' passes run: "pool", "split" or "in_this_thread" (see the class)."""
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        self._mode = mode

    def forward_backward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """Mean loss of the batch (xs (N, Te), ts (N, 1 + Td)), computed where `mode` says; fills
        model.flat_grads."""
        if self._mode != "in_this_thread" and not self.fallback:
            n = len(xs)
            self.shared.arrays["xs"][:n] = xs
            self.shared.arrays["ts"][:n] = ts
            try:
                if self._mode == "split" and self.solo is not None and n > 1:
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
        ours = []
        theirs = float(self.solo.request(f"step {self.key} {lo1} {hi1} {weight1!r}", meanwhile=lambda: ours.append(
            part_forward_backward(self._half, xs[lo:hi], ts[lo:hi], weight))))
        self.shared.arrays["grads"] += self._half.flat_grads
        return ours[0] + theirs

    def close(self) -> None:
        """The worker processes forget this trainer; the parameters move back into this process's own
        memory."""
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
