"""A small Transformer encoder-decoder: where the book points at the end of chapter 8 (section 8.5.3, Vaswani et
al. 2017, "Attention is all you need"), in the same NumPy style as its layers.

The paper's model, post-layer-norm as there and as PyTorch's ``nn.Transformer`` by default:

    encoder layer:  h = LN(x + SelfAttention(x));         out = LN(h + FFN(h))
    decoder layer:  h = LN(y + SelfAttention(y, causal));  g = LN(h + CrossAttention(h, memory));
                    out = LN(g + FFN(g))
    FFN(x) = max(0, x W1 + b1) W2 + b2;  inputs: embedding * sqrt(d) + sinusoidal position encoding

with a final layer norm after each stack (as nn.Transformer). Dropout is left out (off by default in the app:
these models are small and trained briefly). Where the book's attention (section 8.1) has one decoder state
looking at the encoder's states through their dot products, each head here looks through learnt projections
(queries, keys, values), every position looks at every other (self-attention), and the decoder's causal mask
keeps a position from seeing the ones after it. Greedy decoding runs one step at a time with the keys and
values of the steps before kept (a cache); tests/test_transformer.py checks that this equals teacher forcing,
and every layer's and the model's gradients numerically in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from s2s.layers import Module, TimeAffine, TimeEmbedding, TimeSoftmaxWithLoss, softmax
from s2s.models import Seq2seq, Trace


def positional_encoding(T: int, d: int, dtype=np.float64) -> np.ndarray:
    """The paper's sinusoids (T, d): PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(the same)."""
    pos = np.arange(T)[:, None]
    rate = np.exp(-math.log(10000.0) * (np.arange(0, d, 2) / d))[None, :]
    pe = np.zeros((T, d))
    pe[:, 0::2] = np.sin(pos * rate)
    pe[:, 1::2] = np.cos(pos * rate[:, : d // 2])
    return pe.astype(dtype)


class LayerNorm(Module):
    """y = γ ⊙ (x - mean) / sqrt(var + eps) + β over the last axis (eps 1e-5, as PyTorch's)."""

    eps = 1e-5

    def __init__(self, d: int, dtype=np.float32):
        self.params = {"gamma": np.ones(d, dtype), "beta": np.zeros(d, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        mu = x.mean(axis=-1, keepdims=True)
        inv_std = 1.0 / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + self.eps)
        xhat = (x - mu) * inv_std
        self.cache = (xhat, inv_std)
        return xhat * self.params["gamma"] + self.params["beta"]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        xhat, inv_std = self.cache
        axes = tuple(range(dy.ndim - 1))
        self.grads["gamma"][...] = (dy * xhat).sum(axis=axes)
        self.grads["beta"][...] = dy.sum(axis=axes)
        dxhat = dy * self.params["gamma"]
        return inv_std * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                          - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))


def _linear(rng: np.random.Generator, d_in: int, d_out: int, dtype) -> TimeAffine:
    """x W + b with W ~ U(-1/sqrt(d_in), 1/sqrt(d_in)), b = 0."""
    bound = 1 / math.sqrt(d_in)
    return TimeAffine(rng.uniform(-bound, bound, (d_in, d_out)).astype(dtype), np.zeros(d_out, dtype))


def attend(Q: np.ndarray, K: np.ndarray, V: np.ndarray, causal: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention of every head: Q (N, h, Tq, dk), K, V (N, h, Tk, dk) -> (context (N, h, Tq,
    dk), weights (N, h, Tq, Tk)); `causal` hides from query i the keys after i (Tq = Tk)."""
    s = Q @ K.swapaxes(-1, -2) / math.sqrt(Q.shape[-1])
    if causal:
        s = np.where(np.triu(np.ones(s.shape[-2:], bool), 1), -np.inf, s)
    a = softmax(s)
    return a @ V, a


class MultiHeadAttention(Module):
    """Multi-head attention: queries from x_q, keys and values from x_kv (the same array for self-attention),
    `heads` heads of d / heads dimensions each, their contexts joined and projected (Wo)."""

    def __init__(self, d: int, heads: int, rng: np.random.Generator, dtype=np.float32, causal: bool = False):
        if d % heads:
            raise ValueError(f"the model width {d} must be a multiple of the number of heads {heads}")
        self.heads, self.causal = heads, causal
        self.q, self.k, self.v, self.o = (_linear(rng, d, d, dtype) for _ in range(4))
        self.params, self.grads = {}, {}
        self.weights: np.ndarray | None = None  # (N, heads, Tq, Tk) of the last forward, for pictures
        self.cache = None

    def children(self):
        return {"q": self.q, "k": self.k, "v": self.v, "o": self.o}

    def _split(self, x: np.ndarray) -> np.ndarray:
        N, T, d = x.shape
        return x.reshape(N, T, self.heads, d // self.heads).transpose(0, 2, 1, 3)  # (N, h, T, dk)

    @staticmethod
    def _join(x: np.ndarray) -> np.ndarray:
        N, h, T, dk = x.shape
        return x.transpose(0, 2, 1, 3).reshape(N, T, h * dk)

    def forward(self, x_q: np.ndarray, x_kv: np.ndarray) -> np.ndarray:
        """x_q (N, Tq, d), x_kv (N, Tk, d) -> (N, Tq, d)."""
        Q, K, V = self._split(self.q.forward(x_q)), self._split(self.k.forward(x_kv)), self._split(self.v.forward(x_kv))
        ctx, a = attend(Q, K, V, self.causal)
        self.weights, self.cache = a, (Q, K, V, a)
        return self.o.forward(self._join(ctx))

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dout (N, Tq, d) -> (dx_q, dx_kv); for self-attention the caller adds the two."""
        Q, K, V, a = self.cache
        dctx = self._split(self.o.backward(dout))
        da = dctx @ V.swapaxes(-1, -2)
        dV = a.swapaxes(-1, -2) @ dctx
        ds = a * (da - (da * a).sum(axis=-1, keepdims=True)) / math.sqrt(Q.shape[-1])  # softmax, then the scale
        dQ, dK = ds @ K, ds.swapaxes(-1, -2) @ Q
        dx_q = self.q.backward(self._join(dQ))
        dx_kv = self.k.backward(self._join(dK)) + self.v.backward(self._join(dV))
        return dx_q, dx_kv

    def keys_values(self, x_kv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The heads' keys and values (N, h, Tk, dk) of x_kv, for decoding (no cache for backward)."""
        W = {n: (m.params["W"], m.params["b"]) for n, m in (("k", self.k), ("v", self.v))}
        return tuple(self._split(x_kv @ W[n][0] + W[n][1]) for n in ("k", "v"))

    def step(self, x_q: np.ndarray, K: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One query position for decoding: x_q (N, 1, d) against keys and values (N, h, Tk, dk) -> (out (N, 1,
        d), weights (N, h, 1, Tk)), by the same attend() as forward."""
        Q = self._split(x_q @ self.q.params["W"] + self.q.params["b"])
        ctx, a = attend(Q, K, V, causal=False)  # the cache holds only the steps so far
        return self._join(ctx) @ self.o.params["W"] + self.o.params["b"], a


class FeedForward(Module):
    """max(0, x W1 + b1) W2 + b2 at every position."""

    def __init__(self, d: int, d_ff: int, rng: np.random.Generator, dtype=np.float32):
        self.w1, self.w2 = _linear(rng, d, d_ff, dtype), _linear(rng, d_ff, d, dtype)
        self.params, self.grads = {}, {}
        self.cache = None

    def children(self):
        return {"w1": self.w1, "w2": self.w2}

    def forward(self, x: np.ndarray) -> np.ndarray:
        h = self.w1.forward(x)
        self.cache = h > 0
        return self.w2.forward(h * self.cache)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.w1.backward(self.w2.backward(dout) * self.cache)


class EncoderLayer(Module):
    """h = LN(x + SelfAttention(x)); out = LN(h + FFN(h))."""

    def __init__(self, d: int, heads: int, d_ff: int, rng: np.random.Generator, dtype=np.float32):
        self.attn, self.norm1 = MultiHeadAttention(d, heads, rng, dtype), LayerNorm(d, dtype)
        self.ffn, self.norm2 = FeedForward(d, d_ff, rng, dtype), LayerNorm(d, dtype)
        self.params, self.grads = {}, {}

    def children(self):
        return {"attn": self.attn, "norm1": self.norm1, "ffn": self.ffn, "norm2": self.norm2}

    def forward(self, x: np.ndarray) -> np.ndarray:
        h = self.norm1.forward(x + self.attn.forward(x, x))
        return self.norm2.forward(h + self.ffn.forward(h))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dh = self.norm2.backward(dout)
        dh = dh + self.ffn.backward(dh)
        dx = self.norm1.backward(dh)
        dq, dkv = self.attn.backward(dx)
        return dx + dq + dkv


class DecoderLayer(Module):
    """h = LN(y + SelfAttention(y, causal)); g = LN(h + CrossAttention(h, memory)); out = LN(g + FFN(g))."""

    def __init__(self, d: int, heads: int, d_ff: int, rng: np.random.Generator, dtype=np.float32):
        self.self_attn, self.norm1 = MultiHeadAttention(d, heads, rng, dtype, causal=True), LayerNorm(d, dtype)
        self.cross_attn, self.norm2 = MultiHeadAttention(d, heads, rng, dtype), LayerNorm(d, dtype)
        self.ffn, self.norm3 = FeedForward(d, d_ff, rng, dtype), LayerNorm(d, dtype)
        self.params, self.grads = {}, {}

    def children(self):
        return {"self_attn": self.self_attn, "norm1": self.norm1, "cross_attn": self.cross_attn,
                "norm2": self.norm2, "ffn": self.ffn, "norm3": self.norm3}

    def forward(self, y: np.ndarray, memory: np.ndarray) -> np.ndarray:
        h = self.norm1.forward(y + self.self_attn.forward(y, y))
        g = self.norm2.forward(h + self.cross_attn.forward(h, memory))
        return self.norm3.forward(g + self.ffn.forward(g))

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """-> (dy, dmemory)."""
        dg = self.norm3.backward(dout)
        dg = dg + self.ffn.backward(dg)
        dh = self.norm2.backward(dg)
        dh_q, dmemory = self.cross_attn.backward(dh)
        dh = self.norm1.backward(dh + dh_q)
        dq, dkv = self.self_attn.backward(dh)
        return dh + dq + dkv, dmemory

    def step(self, y_t: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One position for decoding: y_t (N, 1, d), with `cache` holding this layer's self-attention keys and
        values so far ("K", "V", grown here) and the memory's ("mK", "mV") -> (out (N, 1, d), self-attention
        weights (N, h, 1, t + 1), cross-attention weights (N, h, 1, Te))."""
        K, V = self.self_attn.keys_values(y_t)
        cache["K"] = K if cache.get("K") is None else np.concatenate([cache["K"], K], axis=2)
        cache["V"] = V if cache.get("V") is None else np.concatenate([cache["V"], V], axis=2)
        out, a_self = self.self_attn.step(y_t, cache["K"], cache["V"])
        h = _norm(self.norm1, y_t + out)
        out, a_cross = self.cross_attn.step(h, cache["mK"], cache["mV"])
        g = _norm(self.norm2, h + out)
        ffn = self.ffn
        hidden = np.maximum(g @ ffn.w1.params["W"] + ffn.w1.params["b"], 0)
        return _norm(self.norm3, g + hidden @ ffn.w2.params["W"] + ffn.w2.params["b"]), a_self, a_cross


def _norm(norm: LayerNorm, x: np.ndarray) -> np.ndarray:
    """LayerNorm's forward without keeping a cache (decoding)."""
    mu = x.mean(axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + norm.eps)
    return xhat * norm.params["gamma"] + norm.params["beta"]


class _Layers(Module):
    """A stack of layers, named 0, 1, ... among the parameters."""

    def __init__(self, layers: list[Module]):
        self.layers, self.params, self.grads = layers, {}, {}

    def children(self):
        return {str(k): layer for k, layer in enumerate(self.layers)}


@dataclass
class TransformerRecord:
    """States of a Transformer for pictures: h (N, T, d), the last layer's output (after the final norm)."""

    h: np.ndarray


@dataclass
class AttentionMaps:
    """Every head's attention in one decoding: encoder self-attention (L, N, heads, Te, Te), decoder self-attention
    (L, N, heads, Td, Td) and cross-attention (L, N, heads, Td, Te), for L layers."""

    encoder: np.ndarray
    decoder: np.ndarray
    cross: np.ndarray


class TransformerEncoder(Module):
    """Embedding * sqrt(d) + position encoding, `layers` EncoderLayers, a final layer norm -> memory (N, Te, d)."""

    def __init__(self, V: int, d: int, heads: int, layers: int, rng: np.random.Generator, dtype=np.float32):
        self.embed = TimeEmbedding((rng.standard_normal((V, d)) / math.sqrt(d)).astype(dtype))
        self.layers = _Layers([EncoderLayer(d, heads, 4 * d, rng, dtype) for _ in range(layers)])
        self.norm = LayerNorm(d, dtype)
        self.params, self.grads = {}, {}

    def children(self):
        return {"embed": self.embed, "layers": self.layers, "norm": self.norm}

    def forward(self, xs: np.ndarray) -> np.ndarray:
        x = _embed(self.embed.forward(xs))
        for layer in self.layers.layers:
            x = layer.forward(x)
        return self.norm.forward(x)

    def backward(self, dmemory: np.ndarray) -> None:
        dx = self.norm.backward(dmemory)
        for layer in reversed(self.layers.layers):
            dx = layer.backward(dx)
        self.embed.backward(dx * math.sqrt(dx.shape[-1]))


class TransformerDecoder(Module):
    """Embedding * sqrt(d) + position encoding, `layers` DecoderLayers on the memory, a final layer norm, and the
    affine layer to scores over the vocabulary."""

    def __init__(self, V: int, d: int, heads: int, layers: int, rng: np.random.Generator, dtype=np.float32):
        self.embed = TimeEmbedding((rng.standard_normal((V, d)) / math.sqrt(d)).astype(dtype))
        self.layers = _Layers([DecoderLayer(d, heads, 4 * d, rng, dtype) for _ in range(layers)])
        self.norm = LayerNorm(d, dtype)
        self.out = _linear(rng, d, V, dtype)
        self.params, self.grads = {}, {}

    def children(self):
        return {"embed": self.embed, "layers": self.layers, "norm": self.norm, "out": self.out}

    def forward(self, ys: np.ndarray, memory: np.ndarray) -> np.ndarray:
        y = _embed(self.embed.forward(ys))
        for layer in self.layers.layers:
            y = layer.forward(y, memory)
        return self.out.forward(self.norm.forward(y))

    def backward(self, dscore: np.ndarray) -> np.ndarray:
        """-> dmemory."""
        dy = self.norm.backward(self.out.backward(dscore))
        dmemory = 0.0
        for layer in reversed(self.layers.layers):
            dy, dm = layer.backward(dy)
            dmemory = dmemory + dm
        self.embed.backward(dy * math.sqrt(dy.shape[-1]))
        return dmemory


def _embed(e: np.ndarray) -> np.ndarray:
    """Embeddings (N, T, d) -> scaled by sqrt(d), plus the position encoding (the paper's section 3.4-3.5)."""
    T, d = e.shape[1], e.shape[2]
    return e * math.sqrt(d) + positional_encoding(T, d, e.dtype)


class TransformerSeq2seq(Seq2seq):
    """The Transformer as a Seq2seq of this project (forward, backward, scores and read are Seq2seq's), with the
    model width hidden_size, `heads` heads, `layers` layers in each stack and a feed-forward width of four
    times the model width (the paper's ratio). ``config.wordvec_size`` is not used: the embedding is as wide
    as the model."""

    kind = "transformer"

    def __init__(self, config, rng: np.random.Generator | None = None, dtype=np.float32):
        rng = rng if rng is not None else np.random.default_rng(0)
        V, d = config.vocab_size, config.hidden_size
        self.config, self.reverse = config, config.reverse
        self.encoder = TransformerEncoder(V, d, config.heads, config.layers, rng, dtype)
        self.decoder = TransformerDecoder(V, d, config.heads, config.layers, rng, dtype)
        self.softmax = TimeSoftmaxWithLoss()
        self.flatten()

    def generate(self, xs: np.ndarray, start_id: int, sample_size: int, trace: bool = False, intervention=None):
        """Greedy decoding one step at a time, each decoder layer keeping its keys and values so far:
        xs (N, Te) -> ids (N, sample_size), plus a Trace (s2s.models.Trace) if asked. Interventions
        (s2s.intervene) are for the recurrent models: a non-empty one is refused."""
        if intervention is not None:
            intervention.check(self)
        xs_read = self.read(np.asarray(xs))
        memory = self.encoder.forward(xs_read)
        enc_maps = np.stack([layer.attn.weights for layer in self.encoder.layers.layers])
        dec = self.decoder
        caches = [dict(zip(("mK", "mV"), layer.cross_attn.keys_values(memory), strict=True)) for layer in
                  dec.layers.layers]
        N, d = len(xs_read), memory.shape[-1]
        pe, W = positional_encoding(sample_size, d, memory.dtype), dec.embed.params["W"]
        x = np.full(N, start_id, dtype=np.int64)
        ids = np.empty((N, sample_size), dtype=np.int64)
        states, probs, self_maps, cross_maps = [], [], [], []
        for t in range(sample_size):
            y = (W[x] * math.sqrt(d) + pe[t])[:, None, :]
            step_self, step_cross = [], []
            for layer, cache in zip(dec.layers.layers, caches, strict=True):
                y, a_self, a_cross = layer.step(y, cache)
                step_self.append(a_self[:, :, 0])
                step_cross.append(a_cross[:, :, 0])
            y = _norm(dec.norm, y)[:, 0]
            score = y @ dec.out.params["W"] + dec.out.params["b"]
            x = ids[:, t] = score.argmax(axis=1)
            states.append(y)
            probs.append(softmax(score))
            self_maps.append(step_self)
            cross_maps.append(step_cross)
        if not trace:
            return ids
        maps = _maps(enc_maps, self_maps, cross_maps)
        return ids, Trace(input_ids=np.ascontiguousarray(xs_read), output_ids=ids,
                          encoder=TransformerRecord(h=memory), decoder=TransformerRecord(h=np.stack(states, axis=1)),
                          probs=np.stack(probs, axis=1), attention=maps.cross[-1].mean(axis=1), maps=maps)


def _maps(enc_maps: np.ndarray, self_maps: list, cross_maps: list) -> AttentionMaps:
    """Per-step lists (over decoder steps, then layers) of (N, heads, t + 1) and (N, heads, Te) weights -> the
    AttentionMaps arrays; a step's self-attention has zeros for the steps after it (it cannot see them)."""
    Td, L = len(self_maps), len(self_maps[0])
    N, h = self_maps[0][0].shape[:2]
    dec = np.zeros((L, N, h, Td, Td), self_maps[0][0].dtype)
    for t, per_layer in enumerate(self_maps):
        for k, a in enumerate(per_layer):
            dec[k, :, :, t, : t + 1] = a
    cross = np.stack([np.stack(per_layer) for per_layer in cross_maps], axis=3)  # (L, N, h, Td, Te)
    return AttentionMaps(encoder=enc_maps, decoder=dec, cross=cross)
