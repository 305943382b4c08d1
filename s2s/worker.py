"""A data-parallel training worker (started by s2s.parallel.ProcessDataParallel, not by hand).

    python -m s2s.worker '<json spec>'

The spec names an inherited shared-memory descriptor and where the parameters, the batch and this
worker's gradient live in it. The worker prints ``ready``, then for every input line
``start stop weight`` trains nothing: it runs forward and backward on rows start:stop of the shared
batch with the shared parameters, writes its gradient scaled by `weight` into shared memory, and
prints the weighted loss. End of input ends it.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from s2s.allocator import keep_heap_reserve
from s2s.models import ModelConfig, build_model
from s2s.parallel import SharedArrays, part_forward_backward


def main(argv: list[str]) -> int:
    """Serve forward/backward requests until stdin closes."""
    keep_heap_reserve()
    spec = json.loads(argv[0])
    shared = SharedArrays({k: (tuple(shape), dtype) for k, (shape, dtype) in spec["specs"].items()},
                          fd=spec["fd"], offsets=spec["offsets"])
    arrays = shared.arrays
    model = build_model(ModelConfig(**spec["model"]), np.random.default_rng(0), arrays["params"].dtype)
    model.bind(arrays["params"], arrays[spec["grads"]])
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            lo, hi, weight = line.split()
            lo, hi = int(lo), int(hi)
            loss = part_forward_backward(model, arrays["xs"][lo:hi], arrays["ts"][lo:hi], float(weight))
        except Exception as e:  # reported to the parent, which stops training with the message
            print(f"error {type(e).__name__}: {e}", flush=True)
            return 1
        print(repr(loss), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
