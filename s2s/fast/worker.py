"""Training worker processes (started by s2s.fast.parallel and s2s.fast.pool, not by hand).

    python -m s2s.fast.worker '<json spec>'      # a data-parallel part (ProcessDataParallel)
    python -m s2s.fast.worker --serve FD NICE    # a StepPool worker: steps of many trainers

Both get one BLAS thread from their parent (s2s.fast.blas.worker_environment) and keep a heap reserve.

A data-parallel worker:

The spec names an inherited shared-memory descriptor and where the parameters, the batch, every
part's gradient and the optimiser's state live in it. The worker prints ``ready``, then answers one
line per request:

- ``part start stop weight``: forward and backward on rows start:stop of the shared batch, its
  gradient (scaled by weight) written into its own shared region; prints the weighted loss;
- ``update lo hi t lr``: the optimiser's step after step t, with learning rate lr, over the range
  lo:hi of the parameters, with the summed gradient; prints ``ok``.

End of input ends it.

A StepPool worker lowers its own CPU priority to NICE, then answers messages on the Unix socket FD
(one message each way, text):

- ``open key <json>`` with a shared-memory descriptor attached: map that trainer's parameters,
  gradients and batch; answers ``ok``;
- ``step key start stop weight``: forward and backward on rows start:stop of that trainer's batch,
  the gradient scaled by weight written into its shared memory; answers the weighted loss (the
  whole batch with weight 1, or one half of a batch split with the trainer's own thread);
- ``forget key``: unmap that trainer's memory; no answer.

A failing request is answered with ``error ...`` and the worker goes on with the others. End of input
ends it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys

import numpy as np

from s2s.fast.libc import keep_heap_reserve
from s2s.fast.parallel import part_forward_backward
from s2s.fast.shared import SharedArrays, move_optimizer_state, wait_briefly
from s2s.models import ModelConfig, Seq2seq, build_model
from s2s.optim import OPTIMIZERS


class FlatParameters:
    """What an optimiser reads of a model: its flat parameter and gradient arrays (here the parameters
    and the summed gradient in shared memory)."""

    def __init__(self, params: np.ndarray, grads: np.ndarray):
        self.flat_params, self.flat_grads = params, grads


def requests(fd: int = 0):
    """Lines of input as they come. After each answer the next request is awaited by polling for a few
    milliseconds before sleeping: a sleeping process on a virtual machine takes 0.1-0.2 ms to wake up,
    a few per cent of a training step."""
    buffer = b""
    while True:
        while b"\n" not in buffer:
            wait_briefly(fd)
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        yield line.decode()


def main(argv: list[str]) -> int:
    """Serve forward/backward requests until stdin closes."""
    keep_heap_reserve()
    spec = json.loads(argv[0])
    arrays = SharedArrays.from_description(spec).arrays
    grads = [arrays[f"grads{k}"] for k in range(spec["parts"])]
    model = build_model(ModelConfig(**spec["model"]), np.random.default_rng(0), arrays["params"].dtype)
    model.bind(arrays["params"], grads[spec["part"]])
    optimizer = OPTIMIZERS[spec["optimizer"]](FlatParameters(arrays["params"], grads[0]), 0.001)
    move_optimizer_state(optimizer, {name: arrays[f"opt_{name}"] for name in optimizer.state_arrays()}, copy=False)
    print("ready", flush=True)
    for line in requests():
        try:
            what, *args = line.split()
            lo, hi = int(args[0]), int(args[1])
            if what == "part":
                reply = repr(part_forward_backward(model, arrays["xs"][lo:hi], arrays["ts"][lo:hi], float(args[2])))
            elif what == "update":
                optimizer.t, optimizer.lr = int(args[2]), float(args[3])  # the step the parent takes
                optimizer.update(slice(lo, hi))
                reply = "ok"
            else:
                raise ValueError(f"unknown request {what!r}")
        except Exception as e:  # reported to the parent, which stops training with the message
            print(f"error {type(e).__name__}: {e}", flush=True)
            return 1
        print(reply, flush=True)
    return 0


MODELS_KEPT = 8  # configurations whose model the pool worker keeps built (one model serves many trainers)


def lower_priority(nice: int) -> None:
    """Run at nice `nice`, and give this process's scheduling group (Linux: one per session with
    automatic group scheduling, where a process's nice counts only against its own group) the same."""
    with contextlib.suppress(OSError):
        os.nice(max(0, nice - os.nice(0)))
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as f:
        f.write(str(nice))


def serve(fd: int, nice: int) -> int:
    """The StepPool worker's loop (see the module's docstring)."""
    lower_priority(nice)
    keep_heap_reserve()
    sock = socket.socket(fileno=fd)
    models: dict[str, Seq2seq] = {}
    trainers: dict[str, tuple[str, dict, dict[str, np.ndarray]]] = {}
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 65536, 1)
        except OSError:
            return 0
        if not data:
            return 0
        what, key, rest = (data.decode().split(" ", 2) + ["", ""])[:3]
        try:
            if what == "open":
                spec = json.loads(rest)
                try:
                    shared = SharedArrays.from_description(spec, fd=fds[0])
                finally:
                    for f in fds:
                        os.close(f)  # the mapping keeps the memory
                config = json.dumps([spec["model"], shared.arrays["params"].dtype.str], sort_keys=True)
                trainers[key] = (config, spec["model"], shared.arrays)
                reply = "ok"
            elif what == "step":
                config, model_spec, arrays = trainers[key]
                model = models.pop(config, None)
                if model is None:
                    model = build_model(ModelConfig(**model_spec), np.random.default_rng(0), arrays["params"].dtype)
                models[config] = model  # most recently used last
                while len(models) > MODELS_KEPT:
                    del models[next(iter(models))]
                model.bind(arrays["params"], arrays["grads"])
                lo, hi, weight = rest.split()
                lo, hi = int(lo), int(hi)
                reply = repr(float(part_forward_backward(model, arrays["xs"][lo:hi], arrays["ts"][lo:hi],
                                                         float(weight))))
            elif what == "forget":
                trainers.pop(key, None)
                continue
            else:
                raise ValueError(f"unknown request {what!r}")
        except Exception as e:  # told to the trainer, which goes on in its own process
            reply = f"error {type(e).__name__}: {e}"
        sock.send(reply.encode())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        sys.exit(serve(int(sys.argv[2]), int(sys.argv[3])))
    sys.exit(main(sys.argv[1:]))
