"""Models of s2s.models: whole-model gradient checks, parameters, optimisers, greedy decoding and traces."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numerical_grad, rel_error

from s2s.layers import GATE_NAMES, Module, TimeAffine, TimeLSTM, softmax
from s2s.models import MODEL_KINDS as ALL_KINDS
from s2s.models import ModelConfig, build_model, count_parameters
from s2s.optim import SGD, Adam, clip_grads, global_norm

TOL = 1e-6
V, D, H = 9, 4, 5
# the book's recurrent models (the Transformer has tests/test_transformer.py)
MODEL_KINDS = tuple(k for k in ALL_KINDS if k != "transformer")
KIND_REVERSE = [(k, r) for k in MODEL_KINDS for r in (False, True)]


def random_model(kind, reverse, seed=0, v=V, d=D, h=H, std=0.5, dtype=np.float64):
    """A model whose every weight is N(0, std^2), so gradients and decisions are not tiny or tied."""
    rng = np.random.default_rng(seed)
    config = ModelConfig(kind=kind, vocab_size=v, wordvec_size=d, hidden_size=h, reverse=reverse)
    model = build_model(config, rng, dtype)
    for _, p, _ in model.named_parameters():
        p[...] = rng.standard_normal(p.shape) * std
    return model


def check(analytic, f, x):
    numeric = numerical_grad(f, x)
    err = rel_error(analytic, numeric)
    assert err < TOL, f"relative error {err:.2e}"
    assert np.abs(numeric).max() > 1e-8, "degenerate check: the numerical gradient is zero"


# ------------------------------------------------------------------------------------------------
# gradients


@pytest.mark.parametrize(("kind", "reverse"), KIND_REVERSE)
def test_whole_model_gradients(kind, reverse):
    model = random_model(kind, reverse, seed=1)
    rng = np.random.default_rng(2)
    xs = rng.integers(0, V, size=(3, 4))
    ts = rng.integers(0, V, size=(3, 4))  # decoder reads ts[:, :-1], is scored on ts[:, 1:]
    model.forward(xs, ts)
    model.backward()
    named = list(model.named_parameters())
    analytic = {name: g.copy() for name, _, g in named}
    for name, p, _ in named:
        numeric = numerical_grad(lambda: model.forward(xs, ts), p)
        err = rel_error(analytic[name], numeric)
        assert err < TOL, f"{kind} reverse={reverse} {name}: relative error {err:.2e}"
        if not name.endswith("embed.W"):  # embeddings of unused ids may be all zero in a tiny batch
            assert np.abs(numeric).max() > 1e-8, f"{name}: degenerate check"


def test_reverse_changes_what_the_encoder_reads():
    rng = np.random.default_rng(3)
    xs = rng.integers(0, V, size=(4, 5))
    ts = rng.integers(0, V, size=(4, 4))
    for kind in MODEL_KINDS:
        forward_model = random_model(kind, False, seed=4)
        reverse_model = random_model(kind, True, seed=4)
        assert reverse_model.forward(xs, ts) == forward_model.forward(xs[:, ::-1], ts)
        assert reverse_model.forward(xs, ts) != pytest.approx(forward_model.forward(xs, ts))


@pytest.mark.parametrize("kind", ["seq2seq", "peeky"])
def test_decoder_backward_returns_gradient_of_initial_h(kind):
    model = random_model(kind, False, seed=5)
    dec = model.decoder
    rng = np.random.default_rng(6)
    xs = rng.integers(0, V, size=(3, 4))
    h = rng.standard_normal((3, H)) * 0.7
    R = rng.standard_normal((3, 4, V))

    def loss():
        return np.sum(dec.forward(xs, h) * R)

    loss()
    dh = dec.backward(R)
    check(dh, loss, h)
    grads = {name: g.copy() for name, _, g in dec.named_parameters()}
    for name, p, _ in dec.named_parameters():
        check(grads[name], loss, p)


def test_attention_decoder_backward_returns_gradient_of_encoder_states():
    model = random_model("attention", False, seed=7)
    dec = model.decoder
    rng = np.random.default_rng(8)
    xs = rng.integers(0, V, size=(3, 4))
    enc_hs = rng.standard_normal((3, 5, H)) * 0.7
    R = rng.standard_normal((3, 4, V))

    def loss():
        return np.sum(dec.forward(xs, enc_hs) * R)

    loss()
    denc = dec.backward(R)
    check(denc, loss, enc_hs)
    assert np.abs(denc[:, :-1]).max() > 1e-6  # attention sends gradient to every encoder state


# ------------------------------------------------------------------------------------------------
# parameters and optimisers


def expected_names(kind):
    lstm = ("Wx", "Wh", "b")
    names = {"encoder.embed.W", "decoder.embed.W", "decoder.affine.W", "decoder.affine.b"}
    names |= {f"{part}.lstm.{w}" for part in ("encoder", "decoder") for w in lstm}
    if kind == "peeky":
        names |= {"decoder.Wpeek", "decoder.Wpeek_out"}
    return names


def expected_count(kind, v, d, h):
    lstm = d * 4 * h + h * 4 * h + 4 * h
    n = 2 * (v * d + lstm) + (2 * h if kind == "attention" else h) * v + v
    if kind == "peeky":
        n += h * 4 * h + h * v
    return n


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_named_parameters_are_unique_and_complete(kind):
    model = build_model(ModelConfig(kind=kind, vocab_size=11, wordvec_size=6, hidden_size=7), np.random.default_rng(0))
    named = list(model.named_parameters())
    names = [n for n, _, _ in named]
    assert len(set(names)) == len(names)
    assert set(names) == expected_names(kind)
    arrays = [p for _, p, _ in named] + [g for _, _, g in named]
    assert len({id(a) for a in arrays}) == len(arrays)
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)
    for _, p, g in named:
        assert p.shape == g.shape and p.dtype == g.dtype == np.float32
    assert count_parameters(model) == expected_count(kind, 11, 6, 7)


def test_model_config_validation():
    with pytest.raises(ValueError, match="unknown model kind"):
        ModelConfig(kind="rnn", vocab_size=10)
    for field in ("vocab_size", "wordvec_size", "hidden_size"):
        with pytest.raises(ValueError, match=field):
            ModelConfig(kind="seq2seq", **{"vocab_size": 10, field: 0})
        for bad in (5.5, "6", None, True, [4]):  # e.g. from a checkpoint's JSON
            with pytest.raises(ValueError, match=field):
                ModelConfig(kind="seq2seq", **{"vocab_size": 10, field: bad})
    config = ModelConfig(kind="peeky", vocab_size=np.int64(10), wordvec_size=np.int32(3), hidden_size=4,
                         reverse=np.bool_(True), forget_bias=np.float32(1))
    assert config.to_dict() == {"kind": "peeky", "vocab_size": 10, "wordvec_size": 3, "hidden_size": 4,
                                "reverse": True, "forget_bias": 1.0, "cell": "lstm", "layers": 1, "heads": 1}
    for bad in ("rnn", "LSTM", None, 1):
        with pytest.raises(ValueError, match="unknown cell"):
            ModelConfig(kind="seq2seq", vocab_size=10, cell=bad)
    assert type(config.vocab_size) is int and type(config.reverse) is bool and type(config.forget_bias) is float
    with pytest.raises(ValueError, match="reverse"):
        ModelConfig(kind="seq2seq", vocab_size=10, reverse="no")
    for bad in (float("nan"), float("inf"), "1", None, True):
        with pytest.raises(ValueError, match="forget_bias"):
            ModelConfig(kind="seq2seq", vocab_size=10, forget_bias=bad)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_forget_bias_starts_exactly_the_forget_gate_block_of_each_lstm(kind):
    """build_model writes config.forget_bias into the first H entries (the f block, GATE_NAMES[0]) of the
    encoder's and the decoder's LSTM bias; every other parameter is drawn as with the book's 0."""
    book = ModelConfig(kind=kind, vocab_size=11, wordvec_size=6, hidden_size=7, reverse=True)
    config = ModelConfig(**{**book.to_dict(), "forget_bias": 1.5})
    plain = dict((n, p) for n, p, _ in build_model(book, np.random.default_rng(3)).named_parameters())
    model = build_model(config, np.random.default_rng(3))
    assert model.config == config and model.config.forget_bias == 1.5
    assert GATE_NAMES[0] == "forget"
    changed = set()
    for name, p, _ in model.named_parameters():
        if np.array_equal(p, plain[name]):
            continue
        changed.add(name)
        assert name.endswith("lstm.b"), name
        assert np.all(p[:7] == 1.5) and np.all(plain[name][:7] == 0)  # f
        assert np.array_equal(p[7:], plain[name][7:])  # g, i, o as the book's
    assert changed == {"encoder.lstm.b", "decoder.lstm.b"}


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_sgd_updates_every_parameter_exactly_once(kind):
    model = random_model(kind, True)
    before = {n: p.copy() for n, p, _ in model.named_parameters()}
    opt = SGD(model, lr=1.0)
    # the optimiser may hold the parameters as one flat array (Module.flatten): it covers each scalar once
    assert sum(p.size for _, p, _ in opt.named) == sum(p.size for p in before.values())
    for _, _, g in model.named_parameters():
        g[...] = 1.0
    opt.update()
    for name, p, _ in model.named_parameters():
        assert np.array_equal(p, before[name] - 1.0), name


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_adam_updates_every_parameter_exactly_once(kind):
    model = random_model(kind, True)
    before = {n: p.copy() for n, p, _ in model.named_parameters()}
    opt = Adam(model, lr=0.01)
    for _, _, g in model.named_parameters():
        g[...] = 1.0
    opt.update()
    for name, p, _ in model.named_parameters():  # Adam's first step moves by about lr, whatever the gradient
        assert np.allclose(before[name] - p, 0.01, rtol=1e-4), name


def test_adam_follows_the_published_update():
    model = random_model("peeky", False, seed=9)
    rng = np.random.default_rng(10)
    lr, b1, b2, eps = 0.003, 0.9, 0.999, 1e-7
    opt = Adam(model, lr=lr, beta1=b1, beta2=b2)
    ref = {n: (p.copy(), np.zeros_like(p), np.zeros_like(p)) for n, p, _ in model.named_parameters()}
    for t in range(1, 4):
        for name, _, g in model.named_parameters():
            g[...] = rng.standard_normal(g.shape)
            q, m, v = ref[name]
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            q -= lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        opt.update()
        for name, p, _ in model.named_parameters():
            assert np.allclose(p, ref[name][0], rtol=1e-10, atol=1e-12), (t, name)


def test_optimizer_refuses_a_shared_parameter():
    shared = TimeAffine(np.ones((2, 3)), np.zeros(3))

    class Twice(Module):
        def children(self):
            return {"a": shared, "b": shared}

    with pytest.raises(ValueError, match="twice"):
        SGD(Twice(), lr=0.1)


def test_clip_grads_scales_to_max_norm():
    rng = np.random.default_rng(11)
    grads = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(7) * 5]
    norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    copies = [g.copy() for g in grads]
    returned = clip_grads(grads, 2.0)
    assert returned == pytest.approx(norm, rel=1e-12)
    assert global_norm(grads) == pytest.approx(2.0, rel=1e-5)
    for g, c in zip(grads, copies, strict=True):  # direction kept: one common factor
        assert np.allclose(g, c * (2.0 / norm), rtol=1e-5)
    small = [c * (1.0 / norm) for c in copies]  # norm 1 < 2: untouched
    small_before = [s.copy() for s in small]
    clip_grads(small, 2.0)
    assert all(np.array_equal(a, b) for a, b in zip(small, small_before, strict=True))
    clip_grads(copies, 0)  # 0 turns clipping off
    assert global_norm(copies) == pytest.approx(norm, rel=1e-12)


# ------------------------------------------------------------------------------------------------
# greedy decoding and traces

START, NQ, TE, TD = 1, 6, 5, 4


def decoding_setup(kind, reverse, seed=13):
    model = random_model(kind, reverse, seed=seed, v=11, d=5, h=8, std=1.5)  # large weights: varied answers
    xs = np.random.default_rng(seed + 1).integers(0, 11, size=(NQ, TE))
    return model, xs


def teacher_inputs(ids):
    return np.concatenate([np.full((len(ids), 1), START), ids[:, :-1]], axis=1)


@pytest.mark.parametrize(("kind", "reverse"), KIND_REVERSE)
def test_greedy_generate_agrees_with_teacher_forcing(kind, reverse):
    model, xs = decoding_setup(kind, reverse)
    ids = model.generate(xs, START, TD)
    assert ids.shape == (NQ, TD) and np.issubdtype(ids.dtype, np.integer)
    scores = model.scores(xs, teacher_inputs(ids))
    assert np.array_equal(scores.argmax(axis=-1), ids)
    assert len(np.unique(ids)) > 2  # varied answers, so the check means something


@pytest.mark.parametrize(("kind", "reverse"), KIND_REVERSE)
def test_batch_decoding_equals_one_by_one(kind, reverse):
    model, xs = decoding_setup(kind, reverse)
    ids, trace = model.generate(xs, START, TD, trace=True)
    assert len({tuple(row) for row in ids}) > 1
    for i in range(NQ):
        one, one_trace = model.generate(xs[i:i + 1], START, TD, trace=True)
        assert np.array_equal(one[0], ids[i])
        assert np.allclose(one_trace.probs[0], trace.probs[i], rtol=1e-10, atol=1e-12)
        assert np.allclose(one_trace.decoder.h[0], trace.decoder.h[i], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("kind", "reverse"), KIND_REVERSE)
def test_trace_shapes_and_ranges(kind, reverse):
    model, xs = decoding_setup(kind, reverse)
    ids, tr = model.generate(xs, START, TD, trace=True)
    Hh, Vv = 8, 11
    assert np.array_equal(tr.output_ids, ids)
    assert np.array_equal(tr.input_ids, xs[:, ::-1] if reverse else xs)
    for rec, steps in ((tr.encoder, TE), (tr.decoder, TD)):
        for field in ("h", "c", *GATE_NAMES):
            assert getattr(rec, field).shape == (NQ, steps, Hh), field
        for gate in ("forget", "input", "output"):
            g = getattr(rec, gate)
            assert g.min() >= 0 and g.max() <= 1, gate
        assert rec.candidate.min() >= -1 and rec.candidate.max() <= 1
        assert rec.candidate.min() < 0  # tanh, not a sigmoid: the labels are not mixed up
        assert np.all(np.abs(rec.h) <= 1)
    assert tr.probs.shape == (NQ, TD, Vv)
    assert np.allclose(tr.probs.sum(axis=-1), 1.0)
    assert np.array_equal(tr.probs.argmax(axis=-1), ids)
    if kind == "attention":
        assert tr.attention.shape == (NQ, TD, TE)
        assert np.allclose(tr.attention.sum(axis=-1), 1.0)
        assert tr.attention.min() >= 0
    else:
        assert tr.attention is None
    if kind == "peeky":
        assert tr.context.shape == (NQ, Hh)
        assert np.array_equal(tr.context, tr.encoder.h[:, -1])
    else:
        assert tr.context is None


@pytest.mark.parametrize(("kind", "reverse"), KIND_REVERSE)
def test_trace_equals_teacher_forcing_states(kind, reverse):
    model, xs = decoding_setup(kind, reverse)
    ids, tr = model.generate(xs, START, TD, trace=True)
    scores = model.scores(xs, teacher_inputs(ids))
    enc, dec = model.encoder.lstm.record(), model.decoder.lstm.record()
    for field in ("h", "c", *GATE_NAMES):
        assert np.allclose(getattr(tr.decoder, field), getattr(dec, field), rtol=1e-10, atol=1e-12), field
        assert np.allclose(getattr(tr.encoder, field), getattr(enc, field), rtol=1e-10, atol=1e-12), field
    assert np.allclose(tr.probs, softmax(scores), rtol=1e-10, atol=1e-12)
    if kind == "attention":
        assert np.allclose(tr.attention, model.decoder.attention.attention_weights, rtol=1e-10, atol=1e-12)


def test_trace_decoder_states_match_a_plain_lstm_run():
    """The decoder's h at step t is what a TimeLSTM started from the encoder's h produces."""
    model, xs = decoding_setup("seq2seq", True)
    ids, tr = model.generate(xs, START, TD, trace=True)
    p = model.decoder.lstm.params
    lstm = TimeLSTM(p["Wx"].copy(), p["Wh"].copy(), p["b"].copy())
    lstm.set_state(tr.encoder.h[:, -1])
    hs = lstm.forward(model.decoder.embed.params["W"][teacher_inputs(ids)])
    assert np.allclose(tr.decoder.h, hs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_reversed_model_reads_reversed_input(kind):
    model_r, xs = decoding_setup(kind, True)
    model_f, _ = decoding_setup(kind, False)  # same weights, no reversal
    assert np.array_equal(model_r.generate(xs, START, TD), model_f.generate(xs[:, ::-1].copy(), START, TD))


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_generate_leaves_no_state_behind(kind):
    model, xs = decoding_setup(kind, False)
    first, tr1 = model.generate(xs, START, TD, trace=True)
    assert model.decoder.lstm.h is None and model.decoder.lstm.c is None
    second, tr2 = model.generate(xs, START, TD, trace=True)
    assert np.array_equal(first, second)
    assert np.array_equal(tr1.probs, tr2.probs)
    model.forward(xs, np.random.default_rng(0).integers(0, 11, size=(NQ, TD + 1)))  # leaves decoder state
    assert np.array_equal(model.generate(xs, START, TD), first)
    other = np.random.default_rng(99).integers(0, 11, size=(NQ, TE))
    model.generate(other, START, TD)
    assert np.array_equal(model.generate(xs, START, TD), first)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_float32_model_generates_like_float64(kind):
    model64, xs = decoding_setup(kind, True)
    model32 = build_model(ModelConfig(kind=kind, vocab_size=11, wordvec_size=5, hidden_size=8, reverse=True),
                          np.random.default_rng(0), np.float32)
    for (_, p32, _), (_, p64, _) in zip(model32.named_parameters(), model64.named_parameters(), strict=True):
        p32[...] = p64
    ids32, tr32 = model32.generate(xs, START, TD, trace=True)
    assert tr32.probs.dtype == np.float32 and tr32.decoder.h.dtype == np.float32
    _, tr64 = model64.generate(xs, START, TD, trace=True)
    assert np.allclose(tr32.probs, tr64.probs, atol=1e-4)


def test_flat_parameters_are_views_shared_with_the_layers():
    model = random_model("peeky", True)
    names = [n for n, _, _ in model.named_parameters()]
    for _, p, g in model.named_parameters():
        assert np.shares_memory(p, model.flat_params) and np.shares_memory(g, model.flat_grads)
    model.flat_params[...] = 0.5
    assert all((p == 0.5).all() for _, p, _ in model.named_parameters())
    assert len(names) == len(set(names))
    assert sum(p.size for _, p, _ in model.named_parameters()) == model.flat_params.size


def test_model_config_takes_keywords_only():
    """Sizes by position are easy to swap (wordvec for hidden); the config refuses them."""
    with pytest.raises(TypeError):
        ModelConfig("peeky", 13, 16, 128)  # type: ignore[misc]
    assert ModelConfig(kind="peeky", vocab_size=13).hidden_size == 128
