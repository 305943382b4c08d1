"""A data-parallel training worker (started by s2s.parallel.ProcessDataParallel, not by hand).

    python -m s2s.worker '<json spec>'

The spec names an inherited shared-memory descriptor and where the parameters, the batch, every
part's gradient and the optimiser's state live in it. The worker prints ``ready``, then answers one
line per request:

- ``part start stop weight``: forward and backward on rows start:stop of the shared batch, its
  gradient (scaled by weight) written into its own shared region; prints the weighted loss;
- ``update lo hi t lr``: the optimiser's step t over the range lo:hi of the parameters, with the
  summed gradient; prints ``ok``.

End of input ends it.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

from s2s.allocator import keep_heap_reserve
from s2s.models import ModelConfig, build_model
from s2s.optim import OPTIMIZERS
from s2s.parallel import SharedArrays, part_forward_backward, wait_briefly


class _Flat:
    """What an optimiser needs of a model: the flat parameter and gradient arrays."""

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
    shared = SharedArrays({k: (tuple(shape), dtype) for k, (shape, dtype) in spec["specs"].items()},
                          fd=spec["fd"], offsets=spec["offsets"])
    arrays = shared.arrays
    grads = [arrays[f"grads{k}"] for k in range(spec["parts"])]
    model = build_model(ModelConfig(**spec["model"]), np.random.default_rng(0), arrays["params"].dtype)
    model.bind(arrays["params"], grads[spec["part"]])
    optimizer = OPTIMIZERS[spec["optimizer"]](_Flat(arrays["params"], grads[0]), 0.001)
    optimizer.bind_state({name: arrays[f"opt_{name}"] for name in optimizer.state_arrays()}, copy=False)
    print("ready", flush=True)
    for line in requests():
        try:
            what, *args = line.split()
            lo, hi = int(args[0]), int(args[1])
            if what == "part":
                reply = repr(part_forward_backward(model, arrays["xs"][lo:hi], arrays["ts"][lo:hi], float(args[2])))
            elif what == "update":
                optimizer.t, optimizer.lr = int(args[2]), float(args[3])
                optimizer._prepare()
                optimizer._apply(0, slice(lo, hi))
                reply = "ok"
            else:
                raise ValueError(f"unknown request {what!r}")
        except Exception as e:  # reported to the parent, which stops training with the message
            print(f"error {type(e).__name__}: {e}", flush=True)
            return 1
        print(reply, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
