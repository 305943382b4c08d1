"""The Transformer (s2s/transformer.py): every layer's and the whole model's gradients checked numerically in
float64, the causal mask, the paper's position encoding, and step-by-step decoding with a cache = teacher forcing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2s.layers import softmax
from s2s.models import ModelConfig, build_model
from s2s.transformer import (
    DecoderLayer,
    EncoderLayer,
    FeedForward,
    LayerNorm,
    MultiHeadAttention,
    positional_encoding,
)
from tests.gradcheck import numerical_grad, rel_error

TOL = 1e-6
N, T, S, D, HEADS = 2, 4, 3, 6, 2


def randn(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def check(analytic, f, x, name=""):
    numeric = numerical_grad(f, x)
    err = rel_error(analytic, numeric)
    assert err < TOL, f"{name}: relative error {err:.2e}"
    assert np.abs(numeric).max() > 1e-8, f"{name}: degenerate check"


def check_params(module, f):
    grads = {name: g.copy() for name, _, g in module.named_parameters()}
    for name, p, _ in module.named_parameters():
        if name.endswith("k.b"):  # a bias on every key adds the same to a query's scores: softmax ignores it
            assert np.abs(grads[name]).max() < 1e-10 and np.abs(numerical_grad(f, p)).max() < 1e-8, name
        else:
            check(grads[name], f, p, name)


def randomise(module, rng, scale=0.5):
    for _, p, _ in module.named_parameters():
        p[...] = randn(rng, *p.shape, scale=scale)


def test_position_encoding_is_the_papers():
    pe = positional_encoding(50, 8)
    np.testing.assert_allclose(pe[0], [0, 1] * 4)
    t, i = 7, 3  # PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(...)
    assert pe[t, 2 * i] == pytest.approx(math.sin(t / 10000 ** (2 * i / 8)))
    assert pe[t, 2 * i + 1] == pytest.approx(math.cos(t / 10000 ** (2 * i / 8)))


def test_layer_norm_normalises_and_its_gradients_are_right():
    rng = np.random.default_rng(0)
    norm = LayerNorm(D, np.float64)
    x, R = randn(rng, N, T, D, scale=3) + 2, randn(rng, N, T, D)
    y = norm.forward(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-4)
    randomise(norm, rng)

    def loss():
        return np.sum(norm.forward(x) * R)

    loss()
    dx = norm.backward(R)
    check_params(norm, loss)
    check(dx, loss, x, "x")


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_gradients_self_and_cross(causal):
    rng = np.random.default_rng([1, causal])
    mha = MultiHeadAttention(D, HEADS, rng, np.float64, causal=causal)
    randomise(mha, rng)
    x_q = randn(rng, N, T, D)
    x_kv = x_q.copy() if causal else randn(rng, N, S, D)  # a causal mask needs as many keys as queries
    R = randn(rng, N, T, D)

    def loss():
        return np.sum(mha.forward(x_q, x_kv) * R)

    loss()
    dq, dkv = mha.backward(R)
    check_params(mha, loss)
    check(dq, loss, x_q, "x_q")
    check(dkv, loss, x_kv, "x_kv")
    assert mha.weights.shape == (N, HEADS, T, x_kv.shape[1])
    np.testing.assert_allclose(mha.weights.sum(axis=-1), 1)
    if causal:
        assert np.all(np.triu(np.ones((T, T)), 1)[None, None] * mha.weights == 0)


def test_feed_forward_gradients():
    rng = np.random.default_rng(2)
    ffn = FeedForward(D, 4 * D, rng, np.float64)
    randomise(ffn, rng)
    x, R = randn(rng, N, T, D), randn(rng, N, T, D)

    def loss():
        return np.sum(ffn.forward(x) * R)

    loss()
    dx = ffn.backward(R)
    check_params(ffn, loss)
    check(dx, loss, x, "x")


def test_encoder_and_decoder_layer_gradients():
    rng = np.random.default_rng(3)
    enc, dec = EncoderLayer(D, HEADS, 8, rng, np.float64), DecoderLayer(D, HEADS, 8, rng, np.float64)
    for m in (enc, dec):
        randomise(m, rng)
    x, y = randn(rng, N, S, D), randn(rng, N, T, D)
    Rx, Ry = randn(rng, N, S, D), randn(rng, N, T, D)

    def loss():
        memory = enc.forward(x)
        return np.sum(memory * Rx) + np.sum(dec.forward(y, memory) * Ry)

    loss()
    dy, dmemory = dec.backward(Ry)
    dx = enc.backward(Rx + dmemory)
    check_params(enc, loss)
    check_params(dec, loss)
    check(dx, loss, x, "x")
    check(dy, loss, y, "y")


def tiny_transformer(seed=0, V=7, d=8, heads=2, layers=2, reverse=False, scale=0.5):
    rng = np.random.default_rng(seed)
    model = build_model(ModelConfig(kind="transformer", vocab_size=V, hidden_size=d, heads=heads, layers=layers,
                                    reverse=reverse), rng, np.float64)
    randomise(model, rng, scale)
    return model


@pytest.mark.parametrize("reverse", [False, True])
def test_whole_transformer_gradients(reverse):
    model = tiny_transformer(seed=4, reverse=reverse)
    rng = np.random.default_rng(5)
    xs, ts = rng.integers(0, 7, size=(3, 5)), rng.integers(0, 7, size=(3, 4))
    model.forward(xs, ts)
    model.backward()
    named = list(model.named_parameters())
    assert len(named) == len({n for n, _, _ in named})
    analytic = {name: g.copy() for name, _, g in named}
    for name, p, _ in named:
        numeric = numerical_grad(lambda: model.forward(xs, ts), p, eps=1e-5)
        if name.endswith("k.b"):  # zero in theory (see check_params)
            assert np.abs(analytic[name]).max() < 1e-10 and np.abs(numeric).max() < 1e-8, name
        else:  # deep in the stacks, behind layer norms, some gradients are ~1e-5: there the numerical one's own
            # error (~1e-10) is what limits, so an absolute bound far below any real mistake is taken too
            err, gap = rel_error(analytic[name], numeric), np.abs(analytic[name] - numeric).max()
            assert err < TOL or gap < 1e-9, f"{name}: relative error {err:.2e}, largest difference {gap:.1e}"
            assert np.abs(numeric).max() > 1e-9, f"{name}: degenerate check"


def test_the_decoder_never_sees_later_positions():
    model = tiny_transformer(seed=6)
    rng = np.random.default_rng(7)
    xs, ys = rng.integers(0, 7, size=(2, 5)), rng.integers(0, 7, size=(2, 4))
    before = model.scores(xs, ys)
    changed = ys.copy()
    changed[:, 2:] = (changed[:, 2:] + 1) % 7
    after = model.scores(xs, changed)
    np.testing.assert_allclose(after[:, :2], before[:, :2], rtol=1e-12, atol=1e-12)
    assert not np.allclose(after[:, 2:], before[:, 2:])


def test_step_by_step_decoding_with_a_cache_equals_teacher_forcing():
    model = tiny_transformer(seed=8, V=11, d=8, heads=2, layers=2, scale=1.0)
    for name, p, _ in model.named_parameters():  # random biases and norm shifts pick one character everywhere
        if name.endswith(("norm.beta", "norm1.beta", "norm2.beta", "norm3.beta", "out.b")):
            p[...] = 0
    xs = np.random.default_rng(9).integers(0, 11, size=(6, 5))
    ids, trace = model.generate(xs, 1, 4, trace=True)
    assert len({tuple(row) for row in ids}) > 1  # different answers, so the check means something
    decoder_in = np.concatenate([np.full((6, 1), 1), ids[:, :-1]], axis=1)
    scores = model.scores(xs, decoder_in)
    assert np.array_equal(scores.argmax(axis=-1), ids)
    np.testing.assert_allclose(trace.probs, softmax(scores), rtol=1e-9, atol=1e-12)
    maps = trace.maps
    assert maps.encoder.shape == (2, 6, 2, 5, 5) and maps.decoder.shape == (2, 6, 2, 4, 4)
    assert maps.cross.shape == (2, 6, 2, 4, 5) and trace.attention.shape == (6, 4, 5)
    # the cached steps' attention is teacher forcing's: the layers' weights of the scores() pass just made
    np.testing.assert_allclose(maps.cross[-1], model.decoder.layers.layers[-1].cross_attn.weights, rtol=1e-9)
    np.testing.assert_allclose(maps.decoder[0], model.decoder.layers.layers[0].self_attn.weights, rtol=1e-9,
                               atol=1e-12)


def test_a_transformer_learns_to_reverse_and_round_trips_through_a_checkpoint(tmp_path):
    from s2s.checkpoint import load_checkpoint, save_checkpoint
    from s2s.data import make_split
    from s2s.trainer import TrainConfig, Trainer, evaluate

    train, val = make_split("reverse", 2000, 200, 0)
    config = ModelConfig(kind="transformer", vocab_size=len(train.codec.vocab), hidden_size=32, heads=4, layers=1)
    model = build_model(config, np.random.default_rng(0))
    trainer = Trainer(model, train, TrainConfig(batch_size=64, lr=0.003, epochs=8))
    first = trainer.step()["loss"]
    for _ in range(trainer.total_iterations - 1):
        last = trainer.step()["loss"]
    assert last < 0.5 * first
    save_checkpoint(tmp_path / "t.npz", model, train.codec, task="reverse")
    ck = load_checkpoint(tmp_path / "t.npz")
    assert (ck.model.config.kind, ck.model.config.heads) == ("transformer", 4)
    assert evaluate(ck.model, val) == evaluate(model, val)


def test_heads_must_divide_the_model_width():
    with pytest.raises(ValueError, match="heads"):
        ModelConfig(kind="transformer", vocab_size=7, hidden_size=10, heads=3)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="layers"):
            ModelConfig(kind="transformer", vocab_size=7, hidden_size=8, layers=bad)


def test_the_app_trains_a_transformer_and_every_page_takes_it():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from ui import keys

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key=keys.TRAIN_SETTINGS["model"]).set_value("transformer").run()
    assert at.selectbox(key=keys.TRAIN_SETTINGS["cell"]).disabled and not at.number_input(
        key=keys.TRAIN_SETTINGS["heads"]).disabled
    at.number_input(key=keys.TRAIN_SETTINGS["hidden"]).set_value(30).run()
    at.number_input(key=keys.TRAIN_SETTINGS["heads"]).set_value(4).run()
    assert [e.value for e in at.error] == ["The number of heads (4) must divide the hidden size (30): each of the "
                                           "Transformer's heads takes an equal share of its width."]
    at.number_input(key=keys.TRAIN_SETTINGS["hidden"]).set_value(32).run()
    assert not at.error
    at.number_input(key=keys.TRAIN_SETTINGS["layers"]).set_value(2).run()
    for _ in range(2):
        at.button(key="train_step").click().run()
    assert not at.exception
    config = at.session_state[keys.RUNNER].model.config
    assert (config.kind, config.hidden_size, config.heads, config.layers) == ("transformer", 32, 4, 2)
    at.toggle(key=keys.TRAIN_HISTORY).set_value(True).run()  # the scrub-back history of a Transformer's answers
    assert not at.exception and len(at.session_state[keys.RUNNER].history.snapshots) >= 2
    for page in ("try", "inside", "errors"):
        at.switch_page(f"app_pages/{page}.py").run()
        at.selectbox(key="model_source").set_value("session").run()
        assert not at.exception, (page, at.exception)
        if page == "try":  # what-if and beam search decode it too
            at.toggle(key="try_whatif").set_value(True).run()
            at.toggle(key="try_beam").set_value(True).run()
            assert not at.exception, at.exception
            beams = [c.value for c in at.caption if "greedy" in c.value.lower() or "beam" in c.value.lower()]
            assert beams, "the beam search said nothing of its best answer"
    at.switch_page("app_pages/inside.py").run()
    groups = at.get("button_group")
    assert list(groups[0].options) == ["hidden state h"]
    assert [h.value for h in at.header if "head" in h.value] == ["Every head's attention (Transformer)"]
    assert sum(1 for m in at.markdown if m.value.startswith("**head ")) == 4  # one small map per head
    at.selectbox(key="inside_heads_pick").set_value(3).run()  # one head, large
    assert [m.value for m in at.markdown if m.value.startswith("**head ")] == ["**head 3**"]
    at.selectbox(key="inside_heads_pick").set_value(0).run()
    at.selectbox(key="inside_heads_layer").set_value(2).run()
    at.get("button_group")[1].set_value("encoder").run()
    assert not at.exception


def test_compare_races_lstm_gru_and_transformer_on_dates_and_resumes_the_race():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from ui import keys

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=60)
    at.query_params["lang"] = "en"
    at.switch_page("app_pages/compare.py").run()
    at.selectbox(key=keys.COMPARE_TASK).set_value("date").run()
    assert "beyond" in at.selectbox(key=keys.COMPARE_RACE).options[-1].lower()
    at.selectbox(key=keys.COMPARE_RACE).set_value("beyond").run()
    at.number_input(key=keys.COMPARE_HIDDEN).set_value(16).run()
    at.button(key="compare_step").click().run()
    assert not at.exception
    compare = at.session_state[keys.COMPARE]
    kinds = [(lane.name, lane.model.config.kind, lane.model.config.cell) for lane in compare.lanes]
    assert kinds == [("attention", "attention", "lstm"), ("attention_gru", "attention", "gru"),
                     ("transformer", "transformer", "lstm")]
    assert compare.lanes[2].model.config.hidden_size == 64 and compare.lanes[2].trainer.config.lr == 0.002
    assert [lane.trainer.iteration for lane in compare.lanes] == [1, 1, 1]
    assert "attention (GRU)" in at.table[0].value.index
    race = at.query_params["race"]
    back = AppTest.from_file(app, default_timeout=60)
    back.query_params["race"], back.query_params["lang"] = race[0] if isinstance(race, list) else race, "en"
    back.switch_page("app_pages/compare.py").run()
    resumed = back.session_state[keys.COMPARE]
    assert [lane.name for lane in resumed.lanes] == ["attention", "attention_gru", "transformer"]
    assert back.selectbox(key=keys.COMPARE_RACE).value == "beyond"
