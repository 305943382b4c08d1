"""Encoder-decoder models of chapters 7 and 8: Seq2seq, PeekySeq2seq, AttentionSeq2seq.

The encoder reads the question (reversed first when ``reverse`` is set, the book's
section 7.5.1); the decoder starts from the encoder's state and writes the answer one
character at a time. ``generate`` decodes greedily for a whole batch at once and can return
a :class:`Trace` with every state the app draws, so no caller reads a layer's cache.

Shapes: N batch, Te encoder steps, Td decoder steps, D wordvec, H hidden, V vocabulary.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass

import numpy as np

from s2s.layers import (
    GRURecord,
    LSTMRecord,
    Module,
    TimeAffine,
    TimeAttention,
    TimeEmbedding,
    TimeGRU,
    TimeLSTM,
    TimeSoftmaxWithLoss,
    softmax,
    split_gates,
    split_gru_gates,
)

MODEL_KINDS = ("seq2seq", "peeky", "attention", "transformer")
CELLS = ("lstm", "gru")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """What a model is: kind, sizes, whether it reads its input reversed, and how its LSTMs start."""

    kind: str
    vocab_size: int
    wordvec_size: int = 16
    hidden_size: int = 128
    reverse: bool = False
    # The initial bias of every LSTM's forget gate. The book starts it at 0, like every bias; 1.0 is the
    # usual remedy (Gers, Schmidhuber & Cummins 2000): sigmoid(1) = 0.73, so an LSTM keeps most of its
    # memory from the first step on, instead of halving it at every step until it has learnt otherwise.
    forget_bias: float = 0.0
    # The recurrent layer of the encoder and decoder: the book's LSTM, or the GRU of its appendix C.
    cell: str = "lstm"
    # The Transformer's (kind "transformer", s2s/transformer.py): layers in each stack and attention heads; its
    # model width is hidden_size, which the heads divide.
    layers: int = 1
    heads: int = 1

    def __post_init__(self):
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}; choose one of {', '.join(MODEL_KINDS)}")
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        for name in ("vocab_size", "wordvec_size", "hidden_size", "layers", "heads"):
            value = getattr(self, name)
            # an int (numpy ints too), never a bool, float or string: checkpoints' JSON may hold anything
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
            object.__setattr__(self, name, int(value))
        if self.reverse not in (True, False):
            raise ValueError(f"reverse must be true or false, not {self.reverse!r}")
        object.__setattr__(self, "reverse", bool(self.reverse))
        fb = self.forget_bias
        if isinstance(fb, bool) or not isinstance(fb, numbers.Real) or not math.isfinite(fb):
            raise ValueError(f"forget_bias must be a finite number, not {fb!r}")
        object.__setattr__(self, "forget_bias", float(fb))
        if self.kind == "transformer" and self.hidden_size % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide the model width hidden_size ({self.hidden_size})")

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        return asdict(self)


@dataclass
class Trace:
    """Everything one greedy decoding computed, as plain arrays (N examples).

    input_ids are the question as the encoder read it (reversed if the model reverses).
    encoder states are (N, Te, H); decoder states (N, Td, H); probs (N, Td, V) is the softmax
    at each decoder step; attention (N, Td, Te) for the attention model; context (N, H) is
    what every decoder step receives besides its own state (the encoder's last h).
    """

    input_ids: np.ndarray
    output_ids: np.ndarray
    encoder: LSTMRecord | GRURecord
    decoder: LSTMRecord | GRURecord
    probs: np.ndarray
    attention: np.ndarray | None = None
    context: np.ndarray | None = None
    maps: object | None = None  # a Transformer's AttentionMaps (every layer and head), else None


def _randn(rng: np.random.Generator, shape, scale: float, dtype) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _rnn(rng, cell: str, D: int, H: int, dtype, stateful: bool, fan_in: int | None = None) -> TimeLSTM | TimeGRU:
    """The recurrent layer, weights initialised as in the book: N(0, 1/fan_in), biases zero; 4H columns of
    gates for the LSTM (f, g, i, o), 3H for the GRU (z, r, h~)."""
    fan_in = fan_in or D
    layer, G = (TimeLSTM, 4) if cell == "lstm" else (TimeGRU, 3)
    return layer(_randn(rng, (D, G * H), 1 / np.sqrt(fan_in), dtype), _randn(rng, (H, G * H), 1 / np.sqrt(H), dtype),
                 np.zeros(G * H, dtype), stateful=stateful)


class _Recurrent(Module):
    """What the encoders and decoders share: their recurrent layer ``rnn``, named after its cell ("lstm" or
    "gru") among the parameters (encoder.lstm.Wx, as the book's LSTM models always were)."""

    rnn: TimeLSTM | TimeGRU
    embed: TimeEmbedding

    @property
    def lstm(self) -> TimeLSTM | TimeGRU:
        """The recurrent layer (the book's name for it; a TimeGRU in a GRU model)."""
        return self.rnn

    def _children(self, **more: Module) -> dict[str, Module]:
        return {"embed": self.embed, "lstm" if isinstance(self.rnn, TimeLSTM) else "gru": self.rnn, **more}


class Encoder(_Recurrent):
    """Embedding then LSTM; the last hidden state summarises the question."""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int,
                 rng: np.random.Generator, dtype=np.float32, cell: str = "lstm"):
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.embed = TimeEmbedding(_randn(rng, (V, D), 0.01, dtype))
        self.rnn = _rnn(rng, cell, D, H, dtype, stateful=False)

    def children(self):
        return self._children()

    def forward(self, xs: np.ndarray, edit=None) -> np.ndarray:
        """xs (N, Te) ids -> h (N, H), the last hidden state; `edit` as TimeLSTM.forward's (decoding only)."""
        return self.rnn.forward(self.embed.forward(xs), edit=edit)[:, -1, :]

    def backward(self, dh: np.ndarray) -> None:
        """dh (N, H): gradient of the last hidden state only."""
        dxs, _, _ = self.rnn.backward(None, dh_last=dh, need_dh0=False)
        self.embed.backward(dxs)


class Decoder(_Recurrent):
    """Embedding, LSTM started from the encoder's h, affine to scores over the vocabulary."""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int,
                 rng: np.random.Generator, dtype=np.float32, cell: str = "lstm"):
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.embed = TimeEmbedding(_randn(rng, (V, D), 0.01, dtype))
        self.rnn = _rnn(rng, cell, D, H, dtype, stateful=True)
        self.affine = TimeAffine(_randn(rng, (H, V), 1 / np.sqrt(H), dtype), np.zeros(V, dtype))

    def children(self):
        return self._children(affine=self.affine)

    def forward(self, xs: np.ndarray, h: np.ndarray) -> np.ndarray:
        """xs (N, Td) ids, h (N, H) -> scores (N, Td, V)."""
        self.rnn.set_state(h)
        return self.affine.forward(self.rnn.forward(self.embed.forward(xs)))

    def backward(self, dscore: np.ndarray) -> np.ndarray:
        """dscore (N, Td, V) -> dh (N, H) for the encoder."""
        dxs, dh, _ = self.rnn.backward(self.affine.backward(dscore))
        self.embed.backward(dxs)
        return dh

    def _score(self, h: np.ndarray, enc, look=None) -> tuple[np.ndarray, np.ndarray | None]:
        """Scores (N, V) of one step from its hidden state; second value: attention (N, Te) or None.
        `look`, for attention: a function that may change the step's weights (an intervention's)."""
        return h @ self.affine.params["W"] + self.affine.params["b"], None

    def _xbias(self, enc) -> np.ndarray | None:
        return None

    def _init_h(self, enc) -> np.ndarray:
        return enc

    def _peek_at(self, enc, intervention):
        """What the steps read of the encoder besides their start (the Peeky decoder's peek): `enc` here."""
        return enc

    def generate(self, enc, start_id: int, sample_size: int, record: bool = False, intervention=None):
        """Greedy decoding for a batch, one step at a time: the one-step LSTM (TimeLSTM.step), then the
        step's scores (and, with attention, TimeAttention.step); the argmax is the next input.

        enc is what the encoder returned. Returns ids (N, sample_size) and, when ``record``,
        (LSTMRecord, probs (N, Td, V), attention (N, Td, Te) or None); otherwise None.
        `intervention` (s2s.intervene.Intervention), optional, changes the decoder's steps as it names.
        """
        h = self._init_h(enc)
        N, H = h.shape
        c = np.zeros_like(h)
        W = self.embed.params["W"]
        edit = look = None
        if intervention is not None:
            enc = self._peek_at(enc, intervention)
            edit = intervention.side("decoder")
            look = intervention.look
        xbias = self._xbias(enc)
        x = np.full(N, start_id, dtype=np.int64)
        ids = np.empty((N, sample_size), dtype=np.int64)
        hs, cs, gates, probs, atts = [], [], [], [], []
        for t in range(sample_size):
            h, c, g = self.rnn.step(W[x], h, c, xbias, None if edit is None else edit.at(t))
            score, att = self._score(h, enc, None if look is None else (lambda a, t=t: look(t, a)))
            x = score.argmax(axis=1)
            ids[:, t] = x
            if record:
                hs.append(h)
                cs.append(c)
                gates.append(g)
                probs.append(softmax(score))
                atts.append(att)
        self.rnn.reset_state()
        if not record:
            return ids, None
        attention = None if atts[0] is None else np.stack(atts, axis=1)
        return ids, (self.rnn.stack_record(hs, cs, gates), np.stack(probs, axis=1), attention)


class PeekyDecoder(Decoder):
    """The decoder of section 7.5.2: every step also 'peeks' at the encoder's h.

    The book concatenates h to each step's LSTM input and affine input. Multiplying a
    concatenation [h, x] by a weight matrix equals h @ W_h + x @ W_x, so we keep the h part
    as its own weights (Wpeek for the LSTM, Wpeek_out for the affine) and compute it once per
    sequence instead of once per step.
    """

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int,
                 rng: np.random.Generator, dtype=np.float32, cell: str = "lstm"):
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.embed = TimeEmbedding(_randn(rng, (V, D), 0.01, dtype))
        self.rnn = _rnn(rng, cell, D, H, dtype, stateful=True, fan_in=H + D)
        self.affine = TimeAffine(_randn(rng, (H, V), 1 / np.sqrt(2 * H), dtype), np.zeros(V, dtype))
        self.params = {
            "Wpeek": _randn(rng, (H, self.rnn.gates * H), 1 / np.sqrt(H + D), dtype),
            "Wpeek_out": _randn(rng, (H, V), 1 / np.sqrt(2 * H), dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def forward(self, xs: np.ndarray, h: np.ndarray) -> np.ndarray:
        """xs (N, Td) ids, h (N, H) -> scores (N, Td, V)."""
        self.rnn.set_state(h)
        hs = self.rnn.forward(self.embed.forward(xs), xbias=h @ self.params["Wpeek"])
        score = self.affine.forward(hs)
        score += (h @ self.params["Wpeek_out"])[:, None, :]
        self.cache = h
        return score

    def backward(self, dscore: np.ndarray) -> np.ndarray:
        """dscore (N, Td, V) -> dh (N, H)."""
        h = self.cache
        dsum = dscore.sum(axis=1)  # (N, V): the peek is the same at every step
        self.grads["Wpeek_out"][...] = h.T @ dsum
        dxs, dh, dxbias = self.rnn.backward(self.affine.backward(dscore))
        self.embed.backward(dxs)
        self.grads["Wpeek"][...] = h.T @ dxbias
        return dh + dsum @ self.params["Wpeek_out"].T + dxbias @ self.params["Wpeek"].T

    def _xbias(self, enc):
        return enc @ self.params["Wpeek"]

    def _peek_at(self, enc, intervention):
        return intervention.peek_at(enc)

    def _score(self, h, enc, look=None):
        score = h @ self.affine.params["W"] + self.affine.params["b"]
        score += enc @ self.params["Wpeek_out"]
        return score, None


class AttentionEncoder(Encoder):
    """The encoder of chapter 8: returns every hidden state, not just the last."""

    def forward(self, xs: np.ndarray, edit=None) -> np.ndarray:
        """xs (N, Te) ids -> hs (N, Te, H)."""
        return self.rnn.forward(self.embed.forward(xs), edit=edit)

    def backward(self, dhs: np.ndarray) -> None:
        """dhs (N, Te, H)."""
        dxs, _, _ = self.rnn.backward(dhs, need_dh0=False)
        self.embed.backward(dxs)


class AttentionDecoder(Decoder):
    """Decoder with attention (section 8.2): each step mixes the encoder states it attends to.

    The affine layer reads the concatenation [context, hidden state], (N, Td, 2H), as in the book.
    """

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int,
                 rng: np.random.Generator, dtype=np.float32, cell: str = "lstm"):
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.embed = TimeEmbedding(_randn(rng, (V, D), 0.01, dtype))
        self.rnn = _rnn(rng, cell, D, H, dtype, stateful=True)
        self.attention = TimeAttention()
        self.affine = TimeAffine(_randn(rng, (2 * H, V), 1 / np.sqrt(2 * H), dtype), np.zeros(V, dtype))

    def forward(self, xs: np.ndarray, enc_hs: np.ndarray) -> np.ndarray:
        """xs (N, Td) ids, enc_hs (N, Te, H) -> scores (N, Td, V)."""
        self.rnn.set_state(enc_hs[:, -1])
        dec_hs = self.rnn.forward(self.embed.forward(xs))
        c = self.attention.forward(enc_hs, dec_hs)
        return self.affine.forward(np.concatenate((c, dec_hs), axis=2))  # (N, Td, 2H)

    def backward(self, dscore: np.ndarray) -> np.ndarray:
        """dscore (N, Td, V) -> denc_hs (N, Te, H)."""
        dout = self.affine.backward(dscore)
        H = dout.shape[2] // 2
        dc, ddec_hs0 = dout[:, :, :H], dout[:, :, H:]
        denc_hs, ddec_hs1 = self.attention.backward(dc)
        dxs, dh, _ = self.rnn.backward(ddec_hs0 + ddec_hs1)
        self.embed.backward(dxs)
        denc_hs[:, -1] += dh
        return denc_hs

    def _init_h(self, enc_hs):
        return enc_hs[:, -1]

    def _score(self, h, enc_hs, look=None):
        c, a = self.attention.step(enc_hs, h, look)  # (N, H), (N, Te): teacher forcing's maths, one step
        W, b = self.affine.params["W"], self.affine.params["b"]
        H = h.shape[1]
        return c @ W[:H] + h @ W[H:] + b, a


class Seq2seq(Module):
    """Encoder + Decoder + softmax-with-loss (section 7.3)."""

    encoder_class = Encoder
    decoder_class = Decoder

    def __init__(self, vocab_size: int, wordvec_size: int = 16, hidden_size: int = 128,
                 reverse: bool = False, rng: np.random.Generator | None = None, dtype=np.float32, cell: str = "lstm"):
        rng = rng if rng is not None else np.random.default_rng(0)
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.reverse = reverse
        self.encoder = self.encoder_class(V, D, H, rng, dtype, cell)
        self.decoder = self.decoder_class(V, D, H, rng, dtype, cell)
        self.softmax = TimeSoftmaxWithLoss()
        self.config = ModelConfig(kind=self.kind, vocab_size=V, wordvec_size=D, hidden_size=H, reverse=reverse,
                                  cell=cell)
        self.flatten()

    kind = "seq2seq"

    def children(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def read(self, xs: np.ndarray) -> np.ndarray:
        """The question as the encoder reads it: reversed (section 7.5.1) when configured."""
        return xs[:, ::-1] if self.reverse else xs

    def scores(self, xs: np.ndarray, decoder_xs: np.ndarray) -> np.ndarray:
        """Teacher forcing: xs (N, Te), decoder_xs (N, Td) -> scores (N, Td, V)."""
        return self.decoder.forward(decoder_xs, self.encoder.forward(self.read(xs)))

    def forward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """xs (N, Te) question ids, ts (N, 1 + Td) answer ids starting with '_' -> mean loss."""
        score = self.scores(xs, ts[:, :-1])
        return self.softmax.forward(score, ts[:, 1:])

    def backward(self, dout: float = 1.0) -> None:
        """Fill every parameter's gradient."""
        self.encoder.backward(self.decoder.backward(self.softmax.backward(dout)))

    def generate(self, xs: np.ndarray, start_id: int, sample_size: int, trace: bool = False, intervention=None):
        """Greedy decoding of a batch: xs (N, Te) -> ids (N, sample_size), plus a Trace if asked.
        With an `intervention` (s2s.intervene.Intervention) the encoder and decoder are changed as it names;
        an empty one changes nothing."""
        xs_read = self.read(np.asarray(xs))
        if intervention is not None and intervention.empty:
            intervention = None
        if intervention is not None:
            intervention.check(self, {"encoder": xs_read.shape[1], "decoder": sample_size})
            enc = intervention.hand_over(self.encoder.forward(xs_read, edit=intervention.side("encoder")))
        else:
            enc = self.encoder.forward(xs_read)
        ids, rec = self.decoder.generate(enc, start_id, sample_size, record=trace, intervention=intervention)
        if not trace:
            return ids
        lstm_rec, probs, attention = rec
        if self.kind != "peeky":
            context = None
        else:  # what the decoder peeked at: zeros when an intervention cut the peek
            context = enc if intervention is None else intervention.peek_at(enc)
        return ids, Trace(
            input_ids=np.ascontiguousarray(xs_read), output_ids=ids, encoder=self.encoder.rnn.record(),
            decoder=lstm_rec, probs=probs, attention=attention, context=context,
        )


class PeekySeq2seq(Seq2seq):
    """Seq2seq with the Peeky decoder (section 7.5.2)."""

    kind = "peeky"
    decoder_class = PeekyDecoder


class AttentionSeq2seq(Seq2seq):
    """Seq2seq with attention (chapter 8)."""

    kind = "attention"
    encoder_class = AttentionEncoder
    decoder_class = AttentionDecoder


MODEL_CLASSES = {"seq2seq": Seq2seq, "peeky": PeekySeq2seq, "attention": AttentionSeq2seq}


def build_model(config: ModelConfig, rng: np.random.Generator | None = None, dtype=np.float32) -> Seq2seq:
    """A freshly initialised model of the configured kind, as the book initialises it except for the
    forget gates' bias: config.forget_bias in the f block of the encoder's and the decoder's LSTM."""
    if config.kind == "transformer":
        from s2s.transformer import TransformerSeq2seq  # here: that module builds on this one's Seq2seq

        return TransformerSeq2seq(config, rng, dtype)
    cls = MODEL_CLASSES[config.kind]
    model = cls(config.vocab_size, config.wordvec_size, config.hidden_size, config.reverse, rng, dtype, config.cell)
    for rnn in (model.encoder.rnn, model.decoder.rnn):
        if config.cell == "lstm":
            forget, _, _, _ = split_gates(rnn.params["b"], config.hidden_size)  # a view: written in place
            forget[...] = config.forget_bias
        else:  # the GRU keeps (1 - z) of its state: the same start is a bias of -forget_bias on z
            update, _, _ = split_gru_gates(rnn.params["b"], config.hidden_size)
            update[...] = -config.forget_bias
    model.config = config
    return model


def get_weights(model: Module) -> dict[str, np.ndarray]:
    """Copies of all parameters by name."""
    return {name: p.copy() for name, p, _ in model.named_parameters()}


def set_weights(model: Module, weights: dict[str, np.ndarray]) -> None:
    """Copy named arrays into the model's parameters (same names and shapes required)."""
    for name, p, _ in model.named_parameters():
        p[...] = weights[name]


def clone_model(model: Seq2seq) -> Seq2seq:
    """An independent model with the same configuration and weights (no shared arrays or caches)."""
    twin = build_model(model.config, np.random.default_rng(0), model.encoder.embed.params["W"].dtype)
    set_weights(twin, get_weights(model))
    return twin


def count_parameters(model: Module) -> int:
    """Number of scalar parameters."""
    return sum(p.size for _, p, _ in model.named_parameters())
