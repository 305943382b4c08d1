"""What the training processes share: named arrays in anonymous shared memory (the parameters, the
gradients, the batch, the optimiser's state), and how one process waits for another's answer."""

from __future__ import annotations

import mmap
import os
import select
import time

import numpy as np

from s2s.optim import Optimizer


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
        """What a worker process needs to map the same arrays (JSON-ready)."""
        return {"fd": self.fd, "offsets": self.offsets,
                "specs": {k: [list(shape), dtype] for k, (shape, dtype) in self.specs.items()}}

    @classmethod
    def from_description(cls, description: dict, fd: int | None = None) -> SharedArrays:
        """The arrays `describe()` described, mapped in this process (`fd`: the descriptor as received,
        when it was passed on a socket rather than inherited)."""
        specs = {k: (tuple(shape), dtype) for k, (shape, dtype) in description["specs"].items()}
        return cls(specs, fd=description["fd"] if fd is None else fd, offsets=description["offsets"])


def move_optimizer_state(optimizer: Optimizer, arrays: dict[str, np.ndarray], copy: bool = True) -> None:
    """Keep the state of an optimiser of one flat parameter array in `arrays` (by state name, see
    ``Optimizer.state_arrays``; shared memory), copying the current values into them unless `copy` is
    false (a worker process that maps state its parent already moved)."""
    for name, current in optimizer.state_arrays().items():
        if len(current) != 1 or arrays[name].shape != current[0].shape:
            raise ValueError("only the state of one flat parameter array can be moved")
        if copy:
            arrays[name][...] = current[0]
        current[0] = arrays[name]


def own_optimizer_state(optimizer: Optimizer) -> None:
    """Move an optimiser's state back into this process's own memory (a copy of the current values)."""
    for current in optimizer.state_arrays().values():
        current[:] = [a.copy() for a in current]
