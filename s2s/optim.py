"""Optimisers and gradient clipping.

An optimiser reads the (name, parameter, gradient) triples of its model at each step, from
``named_parameters()``; every array appears there exactly once, so every parameter is updated
exactly once per step. Updates are written in place.
"""

from __future__ import annotations

import math

import numpy as np

from s2s.layers import Module


def global_norm(grads: list[np.ndarray]) -> float:
    """L2 norm of all gradients taken together."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads))


def clip_grads(grads: list[np.ndarray], max_norm: float) -> float:
    """Scale all gradients so their global norm is at most max_norm; returns the norm before."""
    norm = global_norm(grads)
    if max_norm and max_norm > 0 and math.isfinite(norm):
        rate = max_norm / (norm + 1e-6)
        if rate < 1:
            for g in grads:
                g *= rate
    return norm


class Optimizer:
    """Common part: the model whose parameters it updates, the learning rate and the step counter."""

    def __init__(self, model: Module, lr: float):
        self.model = model
        named = self.named
        names = [n for n, _, _ in named]
        if len(set(names)) != len(names) or len({id(p) for _, p, _ in named}) != len(names):
            raise ValueError("a parameter appears twice in the model")
        self.lr = float(lr)
        self.t = 0

    @property
    def named(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, parameter, gradient) of every parameter array of the model, as it is now: asked for at
        each step rather than kept, so the optimiser follows parameters whose storage moves (s2s/fast
        moves it into shared memory and back)."""
        if getattr(self.model, "flat_params", None) is not None:
            # all parameters in one array (Module.flatten): one update for everything
            return [("(all parameters)", self.model.flat_params, self.model.flat_grads)]
        return list(self.model.named_parameters())

    def reset(self) -> None:
        """Forget the optimiser's state (after the weights were restored)."""
        self.t = 0

    def update(self, part: slice = slice(None)) -> None:
        """One step over `part` of every parameter array (by default all of it): the step is counted and
        its constants computed once, then every element is updated on its own. So several processes,
        each with an optimiser over the same shared arrays and the same `t` and `lr`, may each update
        one range of a flat parameter array and together take one step (s2s/fast/parallel.py)."""
        self.t += 1
        self._step_constants()
        for k, (_, p, g) in enumerate(self.named):
            self._update_part(k, p, g, part)

    def _step_constants(self) -> None:
        """Per-step constants, computed once before the element-wise work."""

    def _update_part(self, k: int, p: np.ndarray, g: np.ndarray, part: slice) -> None:
        """Update `part` of parameter array k, `p`, from its gradient `g`."""
        raise NotImplementedError

    def state_arrays(self) -> dict[str, list[np.ndarray]]:
        """The optimiser's own arrays by name (none for plain SGD): for each name the list it works from,
        one array per parameter array. An array replaced in such a list by one of the same shape is
        used from then on (s2s/fast keeps the state in shared memory while processes share the update)."""
        return {}

    @property
    def grads(self) -> list[np.ndarray]:
        """The gradient arrays, in parameter order."""
        return [g for _, _, g in self.named]

    SCRATCH: tuple[str, ...] = ()  # state_arrays that hold no state between steps (not saved)

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What continuing needs: ({"t", "lr"}, {"<state name>/<parameter name>": copy}), one array per
        parameter by its name whether or not the model's parameters are flattened (Module.flatten)."""
        arrays = {}
        for name, per_named in self.state_arrays().items():
            if name not in self.SCRATCH:
                arrays.update({f"{name}/{pname}": a.copy() for pname, a in self._by_parameter(per_named)})
        return {"t": self.t, "lr": self.lr}, arrays

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Go on from state(): the values are written into the optimiser's own arrays (which may be shared
        memory). KeyError or ValueError if they do not fit this model."""
        for name, per_named in self.state_arrays().items():
            if name not in self.SCRATCH:
                for pname, a in self._by_parameter(per_named):
                    value = arrays[f"{name}/{pname}"]
                    if value.shape != a.shape:
                        raise ValueError(f"optimiser state {name}/{pname} has shape {value.shape}, not {a.shape}")
                    a[...] = value
        self.t, self.lr = int(meta["t"]), float(meta["lr"])

    def _by_parameter(self, per_named: list[np.ndarray]) -> list[tuple[str, np.ndarray]]:
        """(parameter name, its part of the state) for one list of state_arrays(): views into the one flat
        array when the parameters are flattened, in the flat order (Module.flatten)."""
        names = [(n, p.shape) for n, p, _ in self.model.named_parameters()]
        if len(per_named) == len(names):
            return [(n, a) for (n, _), a in zip(names, per_named, strict=True)]
        (flat,), out, offset = per_named, [], 0
        for n, shape in names:
            size = int(np.prod(shape))
            out.append((n, flat[offset:offset + size].reshape(shape)))
            offset += size
        return out


class SGD(Optimizer):
    """p -= lr * g."""

    def _update_part(self, k: int, p: np.ndarray, g: np.ndarray, part: slice) -> None:
        p[part] -= self.lr * g[part]


class Adam(Optimizer):
    """Adam (Kingma & Ba), in the book's form with the bias correction folded into lr_t."""

    def __init__(self, model: Module, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999):
        super().__init__(model, lr)
        self.beta1, self.beta2 = beta1, beta2
        self.m = [np.zeros_like(p) for _, p, _ in self.named]
        self.v = [np.zeros_like(p) for _, p, _ in self.named]
        self._tmp = [np.empty_like(p) for _, p, _ in self.named]

    SCRATCH = ("tmp",)

    def state_arrays(self) -> dict[str, list[np.ndarray]]:
        return {"m": self.m, "v": self.v, "tmp": self._tmp}

    def reset(self) -> None:
        """Forget the moments and the step count."""
        super().reset()
        for a in self.m + self.v:
            a[...] = 0

    def _step_constants(self) -> None:
        self.lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t)

    def _update_part(self, k: int, p: np.ndarray, g: np.ndarray, part: slice) -> None:
        b1, b2 = self.beta1, self.beta2
        p, g, m, v, tmp = (a[part] for a in (p, g, self.m[k], self.v[k], self._tmp[k]))
        # the same three lines as the book's, written in place into one scratch array
        np.subtract(g, m, out=tmp)
        tmp *= 1 - b1
        m += tmp  # m += (1 - b1) * (g - m)
        np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1 - b2
        v += tmp  # v += (1 - b2) * (g * g - v)
        np.sqrt(v, out=tmp)
        tmp += 1e-7
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr_t
        p -= tmp  # p -= lr_t * m / (sqrt(v) + 1e-7)


OPTIMIZERS = {"adam": Adam, "sgd": SGD}
