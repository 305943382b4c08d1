"""The forget gate's initial bias (ModelConfig.forget_bias): kept by checkpoints, 0.0 in older ones."""

from __future__ import annotations

import json

import numpy as np

from s2s.checkpoint import load_checkpoint, save_checkpoint
from s2s.data import task_codec
from s2s.models import ModelConfig, build_model

META = "__meta__"


def saved_model(tmp_path, forget_bias):
    codec = task_codec("sort")
    config = ModelConfig(kind="peeky", vocab_size=len(codec.vocab), wordvec_size=4, hidden_size=6, reverse=True,
                         forget_bias=forget_bias)
    model = build_model(config, np.random.default_rng(0))
    path = tmp_path / "model.npz"
    save_checkpoint(path, model, codec)
    return path, model


def test_a_checkpoint_keeps_the_forget_bias(tmp_path):
    path, model = saved_model(tmp_path, 1.0)
    ck = load_checkpoint(path)
    assert ck.meta["model"]["forget_bias"] == 1.0
    assert ck.model.config == model.config and ck.model.config.forget_bias == 1.0
    for (name, p, _), (_, q, _) in zip(ck.model.named_parameters(), model.named_parameters(), strict=True):
        assert np.array_equal(p, q), name


def test_a_checkpoint_without_the_key_loads_with_the_books_zero(tmp_path):
    """Checkpoints written before forget_bias existed (weights/*.npz among them) say nothing of it."""
    path, model = saved_model(tmp_path, 2.0)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(arrays[META].tobytes())
    del meta["model"]["forget_bias"]
    arrays[META] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    ck = load_checkpoint(old)
    assert ck.model.config.forget_bias == 0.0
    # the config says how the model started; the weights are the trained ones, whatever it says
    assert np.array_equal(ck.model.encoder.lstm.params["b"], model.encoder.lstm.params["b"])
