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
        `grads`, optional, are the flat arrays to use (shared memory, see s2s.parallel)."""
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


_GATE_AFFINE: dict = {}


def _gate_affine(H: int, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scale, mul, add) vectors of length 4H that turn one tanh into the four gates (f, g, i, o):
    gate = tanh(pre * scale) * mul + add, i.e. sigmoid for f, i, o and tanh for g."""
    key = (H, np.dtype(dtype).str)
    if key not in _GATE_AFFINE:
        sig = np.ones(4 * H, dtype)
        sig[H:2 * H] = 0  # the candidate g stays a tanh
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
        c1[H:2 * H] = 1
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


class TimeLSTM(Module):
    """An LSTM run over T steps; returns every hidden state.

    Gate layout of the 4H columns follows the book: forget f, candidate g, input i, output o.
    ``stateful=True`` carries (h, c) from one forward call to the next; ``set_state`` sets
    the initial state (the decoder starts from the encoder's last h).
    """

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, stateful: bool = False):
        self.params = {"Wx": Wx, "Wh": Wh, "b": b}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.stateful = stateful
        self.h: np.ndarray | None = None
        self.c: np.ndarray | None = None
        self.cache = None

    def set_state(self, h: np.ndarray, c: np.ndarray | None = None) -> None:
        """Start the next forward from hidden state h (N, H) and cell state c (zeros if None)."""
        self.h, self.c = h, c

    def reset_state(self) -> None:
        """Forget the carried state."""
        self.h, self.c = None, None

    def forward(self, xs: np.ndarray, xbias: np.ndarray | None = None) -> np.ndarray:
        """xs (N, T, D) -> hs (N, T, H).

        xbias (N, 4H), optional, is added to every step's pre-activation: the Peeky decoder
        passes the encoder's context through it (see PeekyDecoder).
        """
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        N, T, D = xs.shape
        H = Wh.shape[0]
        dtype = Wx.dtype
        # Speed, none of it changes the maths:
        # - buffers are time-major (T, N, ...), so each step reads and writes contiguous memory;
        # - the input projection of all T steps is one matrix product before the loop;
        # - the four gates are activated by one tanh over the whole (N, 4H) row, because
        #   sigmoid(x) = 0.5 * tanh(x / 2) + 0.5: the f, i, o columns are pre-scaled by 1/2 (in scaled
        #   copies of Wx, Wh and the bias), and afterwards mapped by 0.5 * y + 0.5.
        scale, mul, add = _gate_affine(H, dtype)  # the same mapping as lstm_gates, scale applied up front
        xs_tm = np.ascontiguousarray(xs.transpose(1, 0, 2)).reshape(T * N, D)
        A = (xs_tm @ (Wx * scale)).reshape(T, N, 4 * H)  # (T, N, 4H)
        A += (b * scale) if xbias is None else (xbias + b) * scale
        Wh_s = Wh * scale
        zero_start = self.h is None  # Speed: h0 = 0 makes the first step's h0 @ Wh zero, so it is skipped
        h0 = np.zeros((N, H), dtype) if zero_start else np.asarray(self.h, dtype)
        c0 = np.zeros((N, H), dtype) if self.c is None else np.asarray(self.c, dtype)
        hs = np.empty((T, N, H), dtype)
        cs = np.empty((T, N, H), dtype)
        tanh_cs = np.empty((T, N, H), dtype)
        tmp = np.empty((N, 4 * H), dtype)
        gi = np.empty((N, H), dtype)
        h, c_prev = h0, c0
        for t in range(T):
            a = A[t]
            if t or not zero_start:
                np.matmul(h, Wh_s, out=tmp)
                a += tmp
            _tanh_to_gates(a, mul, add)  # A[t] now holds the gates f, g, i, o
            c = cs[t]
            np.multiply(a[:, :H], c_prev, out=c)  # f * c_prev
            np.multiply(a[:, H:2 * H], a[:, 2 * H:3 * H], out=gi)  # g * i
            c += gi
            np.tanh(c, out=tanh_cs[t])
            h = hs[t]
            np.multiply(a[:, 3 * H:], tanh_cs[t], out=h)  # o * tanh(c)
            c_prev = c
        self.cache = (xs_tm, h0, c0, A, hs, cs, tanh_cs, xbias is not None, zero_start)
        if self.stateful:
            self.h, self.c = hs[-1].copy(), cs[-1].copy()
        else:
            self.h, self.c = None, None
        return hs.transpose(1, 0, 2)  # (N, T, H), a view of the time-major buffer

    def step(self, x: np.ndarray, h: np.ndarray, c: np.ndarray, xbias: np.ndarray | None = None):
        """One step for decoding, no cache: x (N, D), h, c (N, H) -> (h, c, gates (N, 4H))."""
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        H = Wh.shape[0]
        a = x @ Wx
        a += h @ Wh
        a += b
        if xbias is not None:
            a += xbias
        lstm_gates(a, H)
        f, g, i, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c = f * c + g * i
        h = o * np.tanh(c)
        return h, c, a

    def record(self) -> LSTMRecord:
        """Copies of the states of the last forward, for traces (not for backward): each (N, T, H)."""
        _, _, _, A, hs, cs, _, _, _ = self.cache
        H = hs.shape[-1]

        def batch_major(x: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(x.transpose(1, 0, 2))

        return LSTMRecord(
            h=batch_major(hs), c=batch_major(cs),
            forget=batch_major(A[:, :, :H]), candidate=batch_major(A[:, :, H:2 * H]),
            input=batch_major(A[:, :, 2 * H:3 * H]), output=batch_major(A[:, :, 3 * H:]),
        )

    def backward(self, dhs: np.ndarray | None, dh_last: np.ndarray | None = None, need_dh0: bool = True):
        """dhs (N, T, H) -> (dxs (N, T, D), dh0 (N, H) or None, dxbias (N, 4H) or None).

        dhs None means no gradient reaches the hidden states except dh_last, optional, extra gradient
        flowing into the last hidden state. With
        need_dh0=False (the encoder, whose initial state is no one's output) dh0 is not computed.
        """
        xs_tm, h0, c0, A, hs, cs, tanh_cs, has_xbias, zero_start = self.cache
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        T, N, H = hs.shape
        D = xs_tm.shape[1]
        dtype = A.dtype
        # Speed: everything that depends only on the forward pass is computed for all T steps at once,
        # so the loop below is five small element-wise products and one matrix product per step.
        # With s = dc + dh * o * (1 - tanh(c)^2) the gradient of the next-older cell state, and the
        # derivative of each gate with respect to its pre-activation (sigmoid': f (1 - f), tanh': 1 - g^2):
        #   da_f = s * c_prev * f (1 - f)   da_g = s * i * (1 - g^2)   da_i = s * g * i (1 - i)
        #   da_o = dh * tanh(c) * o (1 - o)  and the older dc = s * f.
        P = _gate_derivatives(A, H)  # (T, N, 4H): f (1 - f), 1 - g^2, i (1 - i), o (1 - o)
        P4 = P.reshape(T, N, 4, H)
        P4[1:, :, 0] *= cs[:-1]  # c_prev
        P4[0, :, 0] *= c0
        P4[:, :, 1] *= A[:, :, 2 * H:3 * H]  # i
        P4[:, :, 2] *= A[:, :, H:2 * H]  # g
        P4[:, :, 3] *= tanh_cs
        Q = tanh_cs * tanh_cs  # o (1 - tanh(c)^2), so that s = dc + dh * Q
        np.subtract(1, Q, out=Q)
        Q *= A[:, :, 3 * H:]
        dhs_tm = None if dhs is None else dhs.transpose(1, 0, 2)  # (T, N, H) view
        # Speed: a product with a contiguous copy of Wh.T is about 25 % faster than with the view, but the
        # copy (a transposing one) costs as much as 7 products: worth it for long sequences only.
        Wh_T = np.ascontiguousarray(Wh.T) if T > 8 else Wh.T
        dA = np.empty_like(A)  # (T, N, 4H): gradients of all pre-activations
        dA4 = dA.reshape(T, N, 4, H)
        dh = np.zeros((N, H), dtype) if dh_last is None else dh_last.astype(dtype, copy=True)
        dc = np.zeros((N, H), dtype)
        ds = np.empty((N, H), dtype)
        for t in reversed(range(T)):
            if dhs_tm is not None:
                dh += dhs_tm[t]
            np.multiply(dh, Q[t], out=ds)
            ds += dc
            np.multiply(ds[:, None, :], P4[t, :, :3], out=dA4[t, :, :3])  # f, g, i at once
            np.multiply(dh, P4[t, :, 3], out=dA4[t, :, 3])  # o
            np.multiply(ds, A[t, :, :H], out=dc)
            dh = dA[t] @ Wh_T if t or need_dh0 else None
        # Speed: weight gradients of all steps are one matrix product each, after the loop
        # (with h0 = 0 the first step adds nothing to dWh, so it is left out).
        dA2 = dA.reshape(T * N, 4 * H)
        self.grads["Wx"][...] = xs_tm.T @ dA2
        if zero_start:
            self.grads["Wh"][...] = hs[:-1].reshape((T - 1) * N, H).T @ dA[1:].reshape((T - 1) * N, 4 * H)
        else:
            h_prev = np.concatenate([h0[None], hs[:-1]], axis=0).reshape(T * N, H)
            self.grads["Wh"][...] = h_prev.T @ dA2
        self.grads["b"][...] = dA2.sum(axis=0)
        dxs = (dA2 @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
        dxbias = dA.sum(axis=0) if has_xbias else None
        return dxs, dh, dxbias


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


class AttentionWeight(Module):
    """Scores of every decoder state against every encoder state, softmaxed: the 'where to look'."""

    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None

    def forward(self, hs_enc: np.ndarray, hs_dec: np.ndarray) -> np.ndarray:
        """hs_enc (N, Te, H), hs_dec (N, Td, H) -> a (N, Td, Te), rows summing to 1."""
        s = hs_dec @ hs_enc.transpose(0, 2, 1)  # (N, Td, Te): dot products h_dec . h_enc
        a = softmax(s)
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
        return a @ hs_enc

    def backward(self, dc: np.ndarray):
        """dc (N, Td, H) -> (dhs_enc, da)."""
        hs_enc, a = self.cache
        return a.transpose(0, 2, 1) @ dc, dc @ hs_enc.transpose(0, 2, 1)


class TimeAttention(Module):
    """Attention (weights + weighted sum) for all decoder steps at once.

    The book loops over decoder steps with one Attention layer each; the same maths is a
    batched matrix product over Td, which is what we compute.
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
