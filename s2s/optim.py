"""Optimisers and gradient clipping.

An optimiser holds the list of (name, parameter, gradient) triples of a model, taken once
from ``named_parameters()``; every array appears there exactly once, so every parameter is
updated exactly once per step. Updates are written in place.
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
    """Common part: the parameters of one model and the step counter."""

    def __init__(self, model: Module, lr: float):
        self.named = self._parameters(model)
        self.lr = float(lr)
        self.t = 0

    @staticmethod
    def _parameters(model: Module) -> list[tuple[str, np.ndarray, np.ndarray]]:
        if getattr(model, "flat_params", None) is not None:
            # all parameters in one array (Module.flatten): one update for everything
            return [("(all parameters)", model.flat_params, model.flat_grads)]
        named = list(model.named_parameters())
        names = [n for n, _, _ in named]
        if len(set(names)) != len(names) or len({id(p) for _, p, _ in named}) != len(names):
            raise ValueError("a parameter appears twice in the model")
        return named

    def rebind(self, model: Module) -> None:
        """Follow the model's parameters to new storage of the same sizes, keeping the optimiser's state."""
        named = self._parameters(model)
        if [p.shape for _, p, _ in named] != [p.shape for _, p, _ in self.named]:
            raise ValueError("the model's parameters changed shape")
        self.named = named

    def reset(self) -> None:
        """Forget the optimiser's state (after the weights were restored)."""
        self.t = 0

    def update(self) -> None:
        """Apply one update. (Element-wise, so s2s.parallel may apply `_apply` to ranges in several
        processes instead.)"""
        self.t += 1
        self._prepare()
        for k in range(len(self.named)):
            self._apply(k, slice(None))

    def _prepare(self) -> None:
        """Per-step constants, computed once before the element-wise work."""

    def state_arrays(self) -> dict[str, list[np.ndarray]]:
        """The optimiser's own arrays by name, one per parameter array (none for plain SGD)."""
        return {}

    def bind_state(self, arrays: dict[str, np.ndarray], copy: bool = True) -> None:
        """Keep the state of a flattened model's one parameter array in the given arrays (shared memory,
        see s2s.parallel), copying the current values into them unless `copy` is false."""
        for name, current in self.state_arrays().items():
            if len(current) != 1 or arrays[name].shape != current[0].shape:
                raise ValueError("only the state of one flat parameter array can be moved")
            if copy:
                arrays[name][...] = current[0]
            current[0] = arrays[name]

    def _apply(self, k: int, part: slice) -> None:
        """Update the part `part` of parameter array k."""
        raise NotImplementedError

    @property
    def grads(self) -> list[np.ndarray]:
        """The gradient arrays, in parameter order."""
        return [g for _, _, g in self.named]


class SGD(Optimizer):
    """p -= lr * g."""

    def _apply(self, k: int, part: slice) -> None:
        _, p, g = self.named[k]
        p[part] -= self.lr * g[part]


class Adam(Optimizer):
    """Adam (Kingma & Ba), in the book's form with the bias correction folded into lr_t."""

    def __init__(self, model: Module, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999):
        super().__init__(model, lr)
        self.beta1, self.beta2 = beta1, beta2
        self.m = [np.zeros_like(p) for _, p, _ in self.named]
        self.v = [np.zeros_like(p) for _, p, _ in self.named]
        self._tmp = [np.empty_like(p) for _, p, _ in self.named]

    def state_arrays(self) -> dict[str, list[np.ndarray]]:
        return {"m": self.m, "v": self.v, "tmp": self._tmp}

    def reset(self) -> None:
        """Forget the moments and the step count."""
        super().reset()
        for a in self.m + self.v:
            a[...] = 0

    def _prepare(self) -> None:
        self.lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t)

    def _apply(self, k: int, part: slice) -> None:
        b1, b2 = self.beta1, self.beta2
        p, g, m, v, tmp = (a[part] for a in (self.named[k][1], self.named[k][2], self.m[k], self.v[k], self._tmp[k]))
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
