"""Layers over time for the Seq2seq models of chapters 7-8 (『ゼロから作るDeep Learning ❷』).

Every layer follows one protocol: ``params`` and ``grads`` are dicts with the same keys,
``forward(...)`` stores one cache and ``backward(dout)`` unpacks it on its first line and
returns the gradients the caller needs. Weight gradients are written *in place* into
``grads`` so an optimiser can hold references to them.

Shape letters: N batch, T time, D embedding (wordvec), H hidden, V vocabulary.
The dtype of every computation follows the weights: float32 for training, float64 for
gradient checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

GATE_NAMES = ("forget", "candidate", "input", "output")  # the book's order: f, g, i, o


class Module:
    """Base of layers and models: named parameters gathered recursively."""

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def children(self) -> dict[str, Module]:
        """Sub-modules by name (a layer has none)."""
        return {}

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Yield (qualified name, parameter, gradient); each array owned by exactly one module."""
        for name, p in getattr(self, "params", {}).items():
            yield prefix + name, p, self.grads[name]
        for child_name, child in self.children().items():
            yield from child.named_parameters(prefix + child_name + ".")

    def _slots(self) -> Iterator[tuple[Module, str]]:
        for name in getattr(self, "params", {}):
            yield self, name
        for child in self.children().values():
            yield from child._slots()

    def flatten(self, params: np.ndarray | None = None, grads: np.ndarray | None = None) -> None:
        """Speed: move all parameters into one contiguous array and all gradients into another
        (``flat_params``, ``flat_grads``); the modules' dicts then hold views of them, so an
        optimiser updates everything with a few operations instead of a few per array. `params` and
        `grads`, optional, are the flat arrays to use (shared memory: s2s/fast)."""
        arrays = [m.params[k] for m, k in self._slots()]
        values = np.concatenate([a.ravel() for a in arrays])  # a copy: `params` may be where they are now
        params = np.empty(values.size, values.dtype) if params is None else params
        self.bind(params, np.zeros(values.size, values.dtype) if grads is None else grads)
        params[...] = values

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Use the flat arrays `params` and `grads` as the storage of all parameters and gradients,
        without copying values into them (a data-parallel replica reads the model's parameters)."""
        offset = 0
        for module, key in self._slots():
            shape = module.params[key].shape
            size = int(np.prod(shape))
            if offset + size > min(params.size, grads.size):
                raise ValueError("the flat arrays are too small for the parameters")
            module.params[key] = params[offset:offset + size].reshape(shape)
            module.grads[key] = grads[offset:offset + size].reshape(shape)
            offset += size
        if offset != params.size or offset != grads.size:
            raise ValueError(f"the flat arrays hold {params.size} and {grads.size} values, not {offset}")
        self.flat_params, self.flat_grads = params, grads


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the maximum for stability."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Log of the softmax over the last axis, in float64 (stable: shifted by the maximum)."""
    x = np.asarray(x, np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


class TimeEmbedding(Module):
    """Look up one row of W per token id, for every time step."""

    def __init__(self, W: np.ndarray):
        self.params = {"W": W}
        self.grads = {"W": np.zeros_like(W)}
        self.cache = None

    def forward(self, xs: np.ndarray) -> np.ndarray:
        """xs (N, T) int -> (N, T, D)."""
        self.cache = xs
        return self.params["W"][xs]

    def backward(self, dout: np.ndarray) -> None:
        """dout (N, T, D); token ids have no gradient, so nothing is returned."""
        xs = self.cache
        W = self.params["W"]
        # dW[v] = sum of dout over the positions holding token v: a one-hot (V, N*T) matrix times dout,
        # several times faster than np.add.at for these vocabularies
        onehot = (xs.reshape(1, -1) == np.arange(len(W))[:, None]).astype(W.dtype)
        np.matmul(onehot, dout.reshape(-1, dout.shape[-1]), out=self.grads["W"])


@dataclass
class LSTMRecord:
    """States of an LSTM over time, for pictures: every array is (N, T, H)."""

    h: np.ndarray
    c: np.ndarray
    input: np.ndarray
    forget: np.ndarray
    output: np.ndarray
    candidate: np.ndarray


def split_gates(a: np.ndarray, H: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four blocks of H columns of a (..., 4H) array, in the book's order f, g, i, o (views)."""
    return a[..., :H], a[..., H:2 * H], a[..., 2 * H:3 * H], a[..., 3 * H:]


_GATE_AFFINE: dict = {}


def _gate_affine(H: int, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scale, mul, add) vectors of length 4H that turn one tanh into the four gates (f, g, i, o):
    gate = tanh(pre * scale) * mul + add, i.e. sigmoid for f, i, o and tanh for g."""
    key = (H, np.dtype(dtype).str)
    if key not in _GATE_AFFINE:
        sig = np.ones(4 * H, dtype)
        split_gates(sig, H)[1][...] = 0  # the candidate g stays a tanh
        half = np.where(sig == 1, 0.5, 1.0).astype(dtype)
        _GATE_AFFINE[key] = (half, half, (sig * 0.5).astype(dtype))
    return _GATE_AFFINE[key]


def _tanh_to_gates(a: np.ndarray, mul: np.ndarray, add: np.ndarray) -> np.ndarray:
    """Pre-activations already scaled by _gate_affine's scale -> the gates f, g, i, o, in place."""
    np.tanh(a, out=a)
    a *= mul
    a += add
    return a


_GATE_DERIVATIVE: dict = {}


def _gate_derivatives(gates: np.ndarray, H: int) -> np.ndarray:
    """Gates (..., 4H) f, g, i, o -> a new array of each gate's derivative with respect to its
    pre-activation: y (1 - y) for the sigmoids f, i, o and 1 - y^2 for the tanh g, i.e. c1 + y (c2 - y)."""
    key = (H, gates.dtype.str)
    if key not in _GATE_DERIVATIVE:
        c1 = np.zeros(4 * H, gates.dtype)
        split_gates(c1, H)[1][...] = 1  # the candidate g
        _GATE_DERIVATIVE[key] = (c1, 1 - c1)
    c1, c2 = _GATE_DERIVATIVE[key]
    d = np.subtract(c2, gates)
    d *= gates
    d += c1
    return d


def lstm_gates(a: np.ndarray, H: int) -> np.ndarray:
    """Pre-activations a (N, 4H) -> gates in place: f, i, o by sigmoid, g by tanh, with one tanh call
    (sigmoid(x) = 0.5 * tanh(x / 2) + 0.5, which also never overflows)."""
    scale, mul, add = _gate_affine(H, a.dtype)
    a *= scale
    return _tanh_to_gates(a, mul, add)


class LSTMCache(NamedTuple):
    """What LSTM.forward keeps for backward."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    gates: np.ndarray  # (N, 4H): f, g, i, o after their activations
    c_next: np.ndarray  # (N, H)


class LSTM(Module):
    """One LSTM step: the book's ``LSTM`` class (section 6.3), the readable twin of TimeLSTM.

    Equations: for x (N, D), h_prev and c_prev (N, H), with Wx (D, 4H), Wh (H, 4H) and b (4H) holding
    the four gates side by side in the book's order f, g, i, o (Wx_f = Wx[:, :H], and so on),

        f = σ(x Wx_f + h_prev Wh_f + b_f)        forget gate: how much of c_prev to keep
        g = tanh(x Wx_g + h_prev Wh_g + b_g)     candidate: new information for the cell
        i = σ(x Wx_i + h_prev Wh_i + b_i)        input gate: how much of g to write
        o = σ(x Wx_o + h_prev Wh_o + b_o)        output gate: how much of the cell to show
        c_next = f ⊙ c_prev + g ⊙ i
        h_next = o ⊙ tanh(c_next)

    Used by TimeLSTM.step (decoding); tests/test_lstm_book.py checks its gradients numerically and
    that TimeLSTM's fast path equals a loop over it.
    """

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray):
        self.params = {"Wx": Wx, "Wh": Wh, "b": b}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache: LSTMCache | None = None

    def forward(self, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray,
                xbias: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """x (N, D), h_prev, c_prev (N, H) -> h_next, c_next (N, H).

        xbias (N, 4H), optional, is added to the pre-activation: the Peeky decoder's peek at the
        encoder's h (see PeekyDecoder). Only decoding passes it, so backward returns the book's three
        gradients and none for xbias.
        """
        h_next, c_next, gates = self.step(x, h_prev, c_prev, xbias)
        self.cache = LSTMCache(x, h_prev, c_prev, gates, c_next)
        return h_next, c_next

    def step(self, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, xbias: np.ndarray | None = None,
             edit=None):
        """The equations, without a cache (decoding keeps none): -> h_next, c_next, gates (N, 4H) f, g, i, o.
        `edit`, optional, is one step of an intervention (s2s.intervene.StepEdit): it may change the gates,
        then c_next, then h_next, each where it is computed."""
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        H = Wh.shape[0]
        a = x @ Wx  # (N, 4H): the pre-activations of the four gates at once
        a += h_prev @ Wh
        a += b
        if xbias is not None:
            a += xbias
        f, g, i, o = split_gates(lstm_gates(a, H), H)  # σ for f, i, o and tanh for g, in place
        if edit is not None:
            edit.gates(forget=f, input=i, output=o)
        c_next = f * c_prev + g * i
        if edit is not None:
            edit.cell(c_next)
        h_next = o * np.tanh(c_next)
        if edit is not None:
            edit.hidden(h_next)
        return h_next, c_next, a

    def backward(self, dh_next: np.ndarray, dc_next: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """dh_next, dc_next (N, H) -> dx (N, D), dh_prev (N, H), dc_prev (N, H); fills grads."""
        x, h_prev, c_prev, gates, c_next = self.cache
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        f, g, i, o = split_gates(gates, Wh.shape[0])
        tanh_c_next = np.tanh(c_next)
        ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)  # the gradient reaching c_next
        dc_prev = ds * f
        df = ds * c_prev * (f * (1 - f))  # σ'(a) = σ (1 - σ)
        dg = ds * i * (1 - g ** 2)  # tanh'(a) = 1 - tanh^2
        di = ds * g * (i * (1 - i))
        do = dh_next * tanh_c_next * (o * (1 - o))
        dA = np.hstack((df, dg, di, do))  # (N, 4H): the gradient of the pre-activations
        self.grads["Wx"][...] = x.T @ dA
        self.grads["Wh"][...] = h_prev.T @ dA
        self.grads["b"][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_prev


class TimeLSTMCache(NamedTuple):
    """What TimeLSTM.forward keeps for backward and record: time-major arrays."""

    xs: np.ndarray  # (T * N, D): the inputs, time-major
    h0: np.ndarray  # (N, H): the initial states
    c0: np.ndarray
    gates: np.ndarray  # (T, N, 4H): f, g, i, o after their activations
    hs: np.ndarray  # (T, N, H)
    cs: np.ndarray  # (T, N, H)
    tanh_cs: np.ndarray  # (T, N, H)
    has_xbias: bool
    zero_start: bool  # h0 was zero (no state set), so the first step had no h0 @ Wh


class TimeLSTM(Module):
    """An LSTM run over T steps; returns every hidden state.

    Equations: at every step t = 1 .. T, from the initial states h_0 and c_0 (zeros unless set), the
    one-step ``LSTM``'s, with the gates f, g, i, o as the blocks of H columns of a_t (split_gates):

        a_t = x_t Wx + h_{t-1} Wh + b (+ xbias)                          (N, 4H)
        f_t, g_t, i_t, o_t = σ(a_t,f), tanh(a_t,g), σ(a_t,i), σ(a_t,o)
        c_t = f_t ⊙ c_{t-1} + g_t ⊙ i_t
        h_t = o_t ⊙ tanh(c_t)

    forward/backward are a faster path to the same numbers, each trick commented where it happens:
    tests/test_lstm_book.py proves they equal the book's TimeLSTM, a loop over ``LSTM`` (values and
    gradients), and tests/test_layers.py::reference_lstm writes that loop out by hand.
    ``stateful=True`` carries (h, c) from one forward call to the next; ``set_state`` sets the initial
    state (the decoder starts from the encoder's last h).

    Where this differs from the book: xbias, the Peeky decoder's peek (the book concatenates it to
    each x_t); backward returns dh0 where the book keeps it in ``self.dh``, and takes dh_last and
    need_dh0 for an encoder whose last state alone is used.
    """

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, stateful: bool = False):
        # the one-step layer for decoding; its parameter and gradient dicts are this layer's own (the
        # same objects), so it always sees the current arrays and every parameter has one name
        self.cell = LSTM(Wx, Wh, b)
        self.params, self.grads = self.cell.params, self.cell.grads
        self.stateful = stateful
        self.h: np.ndarray | None = None
        self.c: np.ndarray | None = None
        self.cache: TimeLSTMCache | None = None

    def set_state(self, h: np.ndarray, c: np.ndarray | None = None) -> None:
        """Start the next forward from hidden state h (N, H) and cell state c (zeros if None)."""
        self.h, self.c = h, c

    def reset_state(self) -> None:
        """Forget the carried state."""
        self.h, self.c = None, None

    def forward(self, xs: np.ndarray, xbias: np.ndarray | None = None, edit=None) -> np.ndarray:
        """xs (N, T, D) -> hs (N, T, H).

        xbias (N, 4H), optional, is added to every step's pre-activation: the Peeky decoder
        passes the encoder's context through it (see PeekyDecoder). `edit`, optional, is one side of an
        intervention (s2s.intervene.SideEdit, for decoding only): its ``at(t)`` changes step t's gates,
        cell and hidden state where they are computed, as LSTM.step does.
        """
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        N, T, D = xs.shape
        H = Wh.shape[0]
        dtype = Wx.dtype
        # Speed: time-major buffers (T, N, ...), so that each step reads and writes contiguous memory.
        xs_tm = np.ascontiguousarray(xs.transpose(1, 0, 2)).reshape(T * N, D)
        # Speed: one tanh activates all four gates, as sigmoid(x) = 0.5 * tanh(x / 2) + 0.5: the f, i, o
        # columns of the weights and bias are pre-scaled by 1/2 here, and each step's tanh is then mapped
        # by 0.5 * y + 0.5 for them (_tanh_to_gates).
        scale, mul, add = _gate_affine(H, dtype)
        # Speed: the input projections x_t Wx of all T steps are one matrix product, before the loop.
        A = (xs_tm @ (Wx * scale)).reshape(T, N, 4 * H)  # (T, N, 4H): becomes the gates, step by step
        A += (b * scale) if xbias is None else (xbias + b) * scale
        Wh_s = Wh * scale
        zero_start = self.h is None  # Speed: h0 = 0 makes the first step's h0 @ Wh zero, so it is skipped
        h0 = np.zeros((N, H), dtype) if zero_start else np.asarray(self.h, dtype)
        c0 = np.zeros((N, H), dtype) if self.c is None else np.asarray(self.c, dtype)
        # Speed: every result goes into a buffer allocated once (out=), none into a new array per step.
        hs, cs, tanh_cs = (np.empty((T, N, H), dtype) for _ in range(3))
        tmp = np.empty((N, 4 * H), dtype)
        gi = np.empty((N, H), dtype)
        h, c_prev = h0, c0
        for t in range(T):
            a = A[t]
            if t or not zero_start:
                np.matmul(h, Wh_s, out=tmp)
                a += tmp
            f, g, i, o = split_gates(_tanh_to_gates(a, mul, add), H)  # A[t] now holds the gates
            e = None if edit is None else edit.at(t)
            if e is not None:
                e.gates(forget=f, input=i, output=o)
            c = cs[t]
            np.multiply(f, c_prev, out=c)
            np.multiply(g, i, out=gi)
            c += gi  # c = f * c_prev + g * i
            if e is not None:
                e.cell(c)
            np.tanh(c, out=tanh_cs[t])
            h = hs[t]
            np.multiply(o, tanh_cs[t], out=h)  # h = o * tanh(c)
            if e is not None:
                e.hidden(h)
            c_prev = c
        self.cache = TimeLSTMCache(xs_tm, h0, c0, A, hs, cs, tanh_cs, xbias is not None, zero_start)
        if self.stateful:
            self.h, self.c = hs[-1].copy(), cs[-1].copy()
        else:
            self.h, self.c = None, None
        return hs.transpose(1, 0, 2)  # (N, T, H), a view of the time-major buffer

    def step(self, x: np.ndarray, h: np.ndarray, c: np.ndarray, xbias: np.ndarray | None = None, edit=None):
        """One step for decoding, no cache: x (N, D), h, c (N, H) -> (h, c, gates (N, 4H) f, g, i, o),
        by the one-step LSTM's equations (LSTM.step), with its `edit` if any."""
        return self.cell.step(x, h, c, xbias, edit)

    gates = 4  # blocks of H in the weights

    @staticmethod
    def stack_record(hs: list, cs: list, gates: list) -> LSTMRecord:
        """Per-step lists of (N, H) states and (N, 4H) gates (from step) -> an LSTMRecord of (N, T, H) arrays."""
        f, g, i, o = split_gates(np.stack(gates, axis=1), hs[0].shape[-1])
        return LSTMRecord(h=np.stack(hs, axis=1), c=np.stack(cs, axis=1), forget=f, candidate=g, input=i, output=o)

    def record(self) -> LSTMRecord:
        """Copies of the states of the last forward, for traces (not for backward): each (N, T, H)."""
        cache = self.cache

        def batch_major(x: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(x.transpose(1, 0, 2))

        f, g, i, o = (batch_major(x) for x in split_gates(cache.gates, cache.hs.shape[-1]))
        return LSTMRecord(h=batch_major(cache.hs), c=batch_major(cache.cs), forget=f, candidate=g, input=i, output=o)

    def _step_factors(self) -> tuple[np.ndarray, np.ndarray]:
        """What backward's loop multiplies by at each step, for all T steps at once (they depend on the
        forward pass only), so that the loop is a few element-wise products and one matrix product.

        With s = dc + dh ⊙ o ⊙ (1 - tanh(c)^2) the gradient reaching the cell state c (dh, dc: the
        gradients of h and c from later steps and from above), and σ' = σ (1 - σ), tanh' = 1 - tanh^2:

            da_f = s ⊙ c_prev ⊙ f (1 - f)       da_g = s ⊙ i ⊙ (1 - g^2)      da_i = s ⊙ g ⊙ i (1 - i)
            da_o = dh ⊙ tanh(c) ⊙ o (1 - o)      and the gradient of c_prev is s ⊙ f.

        Returns P (T, N, 4H), the factors of s (blocks f, g, i) and of dh (block o), and
        Q (T, N, H) = o ⊙ (1 - tanh(c)^2), so that s = dc + dh ⊙ Q.
        """
        cache = self.cache
        H = cache.hs.shape[-1]
        f, g, i, o = split_gates(cache.gates, H)
        P = _gate_derivatives(cache.gates, H)  # (T, N, 4H): f (1 - f), 1 - g^2, i (1 - i), o (1 - o)
        Pf, Pg, Pi, Po = split_gates(P, H)
        Pf[1:] *= cache.cs[:-1]  # c_prev
        Pf[0] *= cache.c0
        Pg *= i
        Pi *= g
        Po *= cache.tanh_cs
        Q = cache.tanh_cs * cache.tanh_cs
        np.subtract(1, Q, out=Q)
        Q *= o
        return P, Q

    def backward(self, dhs: np.ndarray | None, dh_last: np.ndarray | None = None, need_dh0: bool = True):
        """dhs (N, T, H) -> (dxs (N, T, D), dh0 (N, H) or None, dxbias (N, 4H) or None).

        dhs None means no gradient reaches the hidden states except dh_last, optional, extra gradient
        flowing into the last hidden state. With
        need_dh0=False (the encoder, whose initial state is no one's output) dh0 is not computed.
        """
        cache = self.cache
        xs, h0, gates, hs = cache.xs, cache.h0, cache.gates, cache.hs
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        T, N, H = hs.shape
        dtype = gates.dtype
        P, Q = self._step_factors()
        # Speed: the gate axis apart, (T, N, 4, H), so that the f, g, i blocks take one product with s.
        P4, dA = P.reshape(T, N, 4, H), np.empty_like(gates)  # dA: the gradients of all pre-activations
        dA4 = dA.reshape(T, N, 4, H)
        f = split_gates(gates, H)[0]
        dhs_tm = None if dhs is None else dhs.transpose(1, 0, 2)  # (T, N, H) view
        # Speed: a product with a contiguous copy of Wh.T is faster than with the view, but the copy (a
        # transposing one) costs about as much as seven products: worth it for long sequences only.
        Wh_T = np.ascontiguousarray(Wh.T) if T > 8 else Wh.T
        dh = np.zeros((N, H), dtype) if dh_last is None else dh_last.astype(dtype, copy=True)
        dc = np.zeros((N, H), dtype)
        ds = np.empty((N, H), dtype)
        for t in reversed(range(T)):
            if dhs_tm is not None:
                dh += dhs_tm[t]
            np.multiply(dh, Q[t], out=ds)
            ds += dc  # s = dc + dh * Q
            np.multiply(ds[:, None, :], P4[t, :, :3], out=dA4[t, :, :3])  # da_f, da_g, da_i
            np.multiply(dh, P4[t, :, 3], out=dA4[t, :, 3])  # da_o
            np.multiply(ds, f[t], out=dc)  # the gradient of c_prev
            dh = dA[t] @ Wh_T if t or need_dh0 else None
        # Speed: the weight gradients of all steps are one matrix product each, after the loop
        # (with h0 = 0 the first step adds nothing to dWh, so it is left out).
        dA2 = dA.reshape(T * N, 4 * H)
        self.grads["Wx"][...] = xs.T @ dA2
        if cache.zero_start:
            self.grads["Wh"][...] = hs[:-1].reshape((T - 1) * N, H).T @ dA[1:].reshape((T - 1) * N, 4 * H)
        else:
            h_prev = np.concatenate([h0[None], hs[:-1]], axis=0).reshape(T * N, H)
            self.grads["Wh"][...] = h_prev.T @ dA2
        self.grads["b"][...] = dA2.sum(axis=0)
        dxs = (dA2 @ Wx.T).reshape(T, N, xs.shape[1]).transpose(1, 0, 2)
        dxbias = dA.sum(axis=0) if cache.has_xbias else None
        return dxs, dh, dxbias


# -- the GRU of the book's appendix C ------------------------------------------------------------------------------


@dataclass
class GRURecord:
    """States of a GRU over time, for pictures: every array is (N, T, H)."""

    h: np.ndarray
    update: np.ndarray  # z: how much of the candidate replaces the old state
    reset: np.ndarray  # r: how much of the old state the candidate sees
    candidate: np.ndarray  # h~


def split_gru_gates(a: np.ndarray, H: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three blocks of H columns of a (..., 3H) array, in the book's order z, r, h~ (views)."""
    return a[..., :H], a[..., H:2 * H], a[..., 2 * H:]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * x) + 0.5  # never overflows, unlike 1 / (1 + exp(-x))


class GRU(Module):
    """One GRU step: the book's ``GRU`` class (appendix C).

    Equations: for x (N, D) and h_prev (N, H), with Wx (D, 3H), Wh (H, 3H) and b (3H) holding the blocks
    side by side in the book's order z, r, h~ (Wx_z = Wx[:, :H], and so on),

        z = σ(x Wx_z + h_prev Wh_z + b_z)                 update gate: how much to renew
        r = σ(x Wx_r + h_prev Wh_r + b_r)                 reset gate: how much of h_prev the candidate sees
        h~ = tanh(x Wx_h + (r ⊙ h_prev) Wh_h + b_h)        the candidate state
        h_next = (1 - z) ⊙ h_prev + z ⊙ h~

    A GRU has no cell state: h carries the memory, and 1 - z plays the LSTM's forget gate.
    """

    gates = 3  # blocks of H in the weights

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray):
        self.params = {"Wx": Wx, "Wh": Wh, "b": b}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def forward(self, x: np.ndarray, h_prev: np.ndarray, xbias: np.ndarray | None = None) -> np.ndarray:
        """x (N, D), h_prev (N, H) -> h_next (N, H); xbias (N, 3H), optional, as LSTM.forward's."""
        h_next, _, gates = self.step(x, h_prev, None, xbias)
        self.cache = (x, h_prev, gates)
        return h_next

    def step(self, x: np.ndarray, h_prev: np.ndarray, c_prev=None, xbias: np.ndarray | None = None, edit=None):
        """The equations, without a cache: -> h_next, None (no cell state), gates (N, 3H) z, r, h~. `c_prev`
        is ignored: the argument is there so that decoding steps a GRU as it steps an LSTM. `edit`, optional,
        as LSTM.step's: it may change z and r, then h_next."""
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        H = Wh.shape[0]
        a = x @ Wx + b  # (N, 3H): the input's share of all three blocks
        if xbias is not None:
            a += xbias
        az, ar, ah = split_gru_gates(a, H)
        z = _sigmoid(az + h_prev @ Wh[:, :H])
        r = _sigmoid(ar + h_prev @ Wh[:, H:2 * H])
        if edit is not None:
            edit.gates(update=z, reset=r)
        h_hat = np.tanh(ah + (r * h_prev) @ Wh[:, 2 * H:])
        h_next = (1 - z) * h_prev + z * h_hat
        if edit is not None:
            edit.hidden(h_next)
        return h_next, None, np.concatenate([z, r, h_hat], axis=-1)

    def backward(self, dh_next: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dh_next (N, H) -> dx (N, D), dh_prev (N, H); fills grads."""
        x, h_prev, gates = self.cache
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        H = Wh.shape[0]
        z, r, h_hat = split_gru_gates(gates, H)
        dh_prev = dh_next * (1 - z)
        dah = dh_next * z * (1 - h_hat ** 2)  # the candidate's pre-activation; tanh' = 1 - tanh^2
        drh = dah @ Wh[:, 2 * H:].T  # the gradient of r ⊙ h_prev
        dh_prev += drh * r
        daz = dh_next * (h_hat - h_prev) * z * (1 - z)  # σ' = σ (1 - σ)
        dar = drh * h_prev * r * (1 - r)
        dzr = np.hstack((daz, dar))
        dh_prev += dzr @ Wh[:, :2 * H].T
        dA = np.hstack((daz, dar, dah))
        self.grads["Wx"][...] = x.T @ dA
        self.grads["Wh"][...] = np.hstack((h_prev.T @ dzr, (r * h_prev).T @ dah))
        self.grads["b"][...] = dA.sum(axis=0)
        return dA @ Wx.T, dh_prev


class TimeGRU(Module):
    """A GRU run over T steps, with TimeLSTM's interface (so that the encoders and decoders take either):
    forward(xs, xbias) -> hs, backward(dhs, dh_last, need_dh0) -> (dxs, dh0, dxbias), set_state, step, record.

    At every step the one-step ``GRU``'s equations. Like TimeLSTM, the input projections of all steps are
    one matrix product before the loop, and the weight gradients of all steps one product each after it;
    the loop itself is the book's. tests/test_gru.py checks the gradients numerically and that this equals
    a loop over ``GRU``.
    """

    gates = 3

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, stateful: bool = False):
        self.cell = GRU(Wx, Wh, b)
        self.params, self.grads = self.cell.params, self.cell.grads  # the same dicts: one name per parameter
        self.stateful = stateful
        self.h: np.ndarray | None = None
        self.cache = None

    def set_state(self, h: np.ndarray, c: np.ndarray | None = None) -> None:
        """Start the next forward from hidden state h (N, H); a GRU has no cell state (c is ignored)."""
        self.h = h

    def reset_state(self) -> None:
        self.h = None

    def forward(self, xs: np.ndarray, xbias: np.ndarray | None = None, edit=None) -> np.ndarray:
        """xs (N, T, D) -> hs (N, T, H); xbias (N, 3H), optional, is added at every step (the Peeky peek);
        `edit`, optional, as TimeLSTM.forward's (z and r, then h)."""
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        N, T, D = xs.shape
        H = Wh.shape[0]
        xs_tm = np.ascontiguousarray(xs.transpose(1, 0, 2)).reshape(T * N, D)
        A = (xs_tm @ Wx).reshape(T, N, 3 * H)  # every step's input share, at once; becomes z, r, h~
        A += b if xbias is None else xbias + b
        h0 = np.zeros((N, H), Wx.dtype) if self.h is None else np.asarray(self.h, Wx.dtype)
        hs, rh = np.empty((T, N, H), Wx.dtype), np.empty((T, N, H), Wx.dtype)
        h = h0
        for t in range(T):
            az, ar, ah = split_gru_gates(A[t], H)
            zr = h @ Wh[:, :2 * H]
            az += zr[:, :H]
            ar += zr[:, H:]
            z, r = _sigmoid(az), _sigmoid(ar)
            e = None if edit is None else edit.at(t)
            if e is not None:
                e.gates(update=z, reset=r)
            np.multiply(r, h, out=rh[t])
            h_hat = np.tanh(ah + rh[t] @ Wh[:, 2 * H:])
            hs[t] = (1 - z) * h + z * h_hat
            if e is not None:
                e.hidden(hs[t])
            az[...], ar[...], ah[...] = z, r, h_hat
            h = hs[t]
        self.cache = (xs_tm, h0, A, hs, rh, xbias is not None)
        self.h = hs[-1].copy() if self.stateful else None
        return hs.transpose(1, 0, 2)

    def step(self, x: np.ndarray, h: np.ndarray, c=None, xbias: np.ndarray | None = None, edit=None):
        """One step for decoding, no cache (GRU.step, with its `edit` if any): -> (h, None, gates (N, 3H) z, r, h~)."""
        return self.cell.step(x, h, c, xbias, edit)

    @staticmethod
    def stack_record(hs: list, cs: list, gates: list) -> GRURecord:
        """Per-step lists of (N, H) states and (N, 3H) gates (from step) -> a GRURecord of (N, T, H) arrays."""
        H = hs[0].shape[-1]
        z, r, h_hat = split_gru_gates(np.stack(gates, axis=1), H)
        return GRURecord(h=np.stack(hs, axis=1), update=z, reset=r, candidate=h_hat)

    def record(self) -> GRURecord:
        """Copies of the states of the last forward, for traces: each (N, T, H)."""
        _, _, gates, hs, _, _ = self.cache
        z, r, h_hat = (np.ascontiguousarray(g.transpose(1, 0, 2)) for g in split_gru_gates(gates, hs.shape[-1]))
        return GRURecord(h=np.ascontiguousarray(hs.transpose(1, 0, 2)), update=z, reset=r, candidate=h_hat)

    def backward(self, dhs: np.ndarray | None, dh_last: np.ndarray | None = None, need_dh0: bool = True):
        """dhs (N, T, H) or None -> (dxs (N, T, D), dh0 (N, H) or None, dxbias (N, 3H) or None), as
        TimeLSTM.backward."""
        xs, h0, gates, hs, rh, has_xbias = self.cache
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        T, N, H = hs.shape
        Wzr_T, Whh_T = np.ascontiguousarray(Wh[:, :2 * H].T), np.ascontiguousarray(Wh[:, 2 * H:].T)
        h_prev_all = np.concatenate([h0[None], hs[:-1]], axis=0)  # (T, N, H)
        dA = np.empty_like(gates)
        dh = np.zeros((N, H), gates.dtype) if dh_last is None else dh_last.astype(gates.dtype, copy=True)
        for t in reversed(range(T)):
            if dhs is not None:
                dh = dh + dhs[:, t]
            z, r, h_hat = split_gru_gates(gates[t], H)
            daz, dar, dah = split_gru_gates(dA[t], H)
            h_prev = h_prev_all[t]
            np.multiply(dh * z, 1 - h_hat ** 2, out=dah)
            drh = dah @ Whh_T
            np.multiply(dh * (h_hat - h_prev), z * (1 - z), out=daz)
            np.multiply(drh * h_prev, r * (1 - r), out=dar)
            dh = dh * (1 - z) + drh * r + dA[t, :, :2 * H] @ Wzr_T
        dA2 = dA.reshape(T * N, 3 * H)
        self.grads["Wx"][...] = xs.T @ dA2
        self.grads["Wh"][:, :2 * H] = h_prev_all.reshape(T * N, H).T @ dA2[:, :2 * H]
        self.grads["Wh"][:, 2 * H:] = rh.reshape(T * N, H).T @ dA2[:, 2 * H:]
        self.grads["b"][...] = dA2.sum(axis=0)
        dxs = (dA2 @ Wx.T).reshape(T, N, xs.shape[1]).transpose(1, 0, 2)
        return dxs, dh if need_dh0 else None, dA.sum(axis=0) if has_xbias else None

class TimeAffine(Module):
    """x @ W + b applied to every time step."""

    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.params = {"W": W, "b": b}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, T, H) -> (N, T, V)."""
        self.cache = x
        N, T, H = x.shape
        W, b = self.params["W"], self.params["b"]
        return (x.reshape(N * T, H) @ W + b).reshape(N, T, -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout (N, T, V) -> dx (N, T, H)."""
        x = self.cache
        N, T, H = x.shape
        dout2 = dout.reshape(N * T, -1)
        self.grads["W"][...] = x.reshape(N * T, H).T @ dout2
        self.grads["b"][...] = dout2.sum(axis=0)
        return (dout2 @ self.params["W"].T).reshape(N, T, H)


class TimeSoftmaxWithLoss(Module):
    """Softmax and mean cross-entropy over all N*T positions; label -1 is ignored."""

    ignore_label = -1

    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None

    def forward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """scores xs (N, T, V), targets ts (N, T) int -> mean loss."""
        N, T, V = xs.shape
        xs2, ts2 = xs.reshape(N * T, V), ts.reshape(N * T)
        mask = ts2 != self.ignore_label
        # log-softmax computed exactly (no log(p + eps)), so the gradient below is exact too
        shifted = xs2 - xs2.max(axis=1, keepdims=True)
        logsum = np.log(np.exp(shifted).sum(axis=1))
        ys = np.exp(shifted - logsum[:, None])
        picked = shifted[np.arange(N * T), np.where(mask, ts2, 0)] - logsum
        count = max(int(mask.sum()), 1)
        loss = -float(np.sum(picked * mask)) / count
        self.cache = (ts2, ys, mask, count, (N, T, V))
        return loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """-> dscores (N, T, V)."""
        ts2, ys, mask, count, shape = self.cache
        dx = ys.copy()
        dx[np.arange(len(ts2)), np.where(mask, ts2, 0)] -= 1
        dx *= (dout / count) * mask[:, None]
        return dx.reshape(shape)


def attention_weights(hs_enc: np.ndarray, hs_dec: np.ndarray) -> np.ndarray:
    """hs_enc (N, Te, H), hs_dec (N, Td, H) -> a (N, Td, Te): for each decoder state, the softmax over the
    encoder states of their dot products with it (the book's AttentionWeight, section 8.1.4)."""
    return softmax(hs_dec @ hs_enc.transpose(0, 2, 1))  # (N, Td, Te): dot products h_dec . h_enc


def weighted_sum(hs_enc: np.ndarray, a: np.ndarray) -> np.ndarray:
    """hs_enc (N, Te, H), a (N, Td, Te) -> contexts c (N, Td, H): the encoder states weighted by a
    (the book's WeightSum, section 8.1.3)."""
    return a @ hs_enc


class AttentionWeight(Module):
    """Scores of every decoder state against every encoder state, softmaxed: the 'where to look'."""

    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None

    def forward(self, hs_enc: np.ndarray, hs_dec: np.ndarray) -> np.ndarray:
        """hs_enc (N, Te, H), hs_dec (N, Td, H) -> a (N, Td, Te), rows summing to 1."""
        a = attention_weights(hs_enc, hs_dec)
        self.cache = (hs_enc, hs_dec, a)
        return a

    def backward(self, da: np.ndarray):
        """da (N, Td, Te) -> (dhs_enc, dhs_dec)."""
        hs_enc, hs_dec, a = self.cache
        ds = a * (da - np.sum(da * a, axis=-1, keepdims=True))  # softmax backward
        return ds.transpose(0, 2, 1) @ hs_dec, ds @ hs_enc


class WeightSum(Module):
    """Context vectors: the attention-weighted sum of the encoder states."""

    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None

    def forward(self, hs_enc: np.ndarray, a: np.ndarray) -> np.ndarray:
        """hs_enc (N, Te, H), a (N, Td, Te) -> c (N, Td, H)."""
        self.cache = (hs_enc, a)
        return weighted_sum(hs_enc, a)

    def backward(self, dc: np.ndarray):
        """dc (N, Td, H) -> (dhs_enc, da)."""
        hs_enc, a = self.cache
        return a.transpose(0, 2, 1) @ dc, dc @ hs_enc.transpose(0, 2, 1)


class TimeAttention(Module):
    """Attention (weights + weighted sum) for all decoder steps at once.

    The book loops over decoder steps with one Attention layer each; the same maths is a
    batched matrix product over Td, which is what we compute. Decoding, one step at a time,
    uses ``step``: the same two functions with Td = 1.
    """

    def __init__(self):
        self.params, self.grads = {}, {}
        self.weight = AttentionWeight()
        self.wsum = WeightSum()
        self.attention_weights: np.ndarray | None = None

    def forward(self, hs_enc: np.ndarray, hs_dec: np.ndarray) -> np.ndarray:
        """hs_enc (N, Te, H), hs_dec (N, Td, H) -> contexts (N, Td, H)."""
        a = self.weight.forward(hs_enc, hs_dec)
        self.attention_weights = a
        return self.wsum.forward(hs_enc, a)

    def backward(self, dc: np.ndarray):
        """dc (N, Td, H) -> (dhs_enc, dhs_dec)."""
        dhs_enc1, da = self.wsum.backward(dc)
        dhs_enc2, dhs_dec = self.weight.backward(da)
        return dhs_enc1 + dhs_enc2, dhs_dec

    def step(self, hs_enc: np.ndarray, h: np.ndarray, look=None) -> tuple[np.ndarray, np.ndarray]:
        """One decoder step for decoding, no cache: hs_enc (N, Te, H), h (N, H) -> (c (N, H), a (N, Te)).
        `look`, optional, maps the weights (N, Te) to the ones to use (an intervention's, s2s.intervene)."""
        a = attention_weights(hs_enc, h[:, None, :])  # (N, 1, Te)
        if look is not None:
            a = look(a[:, 0])[:, None, :]
        return weighted_sum(hs_enc, a)[:, 0], a[:, 0]
