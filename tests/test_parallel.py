"""Data parallelism (s2s.parallel): the same gradients as one thread, shared parameters, clean shutdown."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from s2s.data import make_split
from s2s.models import ModelConfig, build_model
from s2s.parallel import DataParallel
from s2s.trainer import TrainConfig, Trainer


def float64_model(kind: str, vocab: int):
    return build_model(ModelConfig(kind, vocab, 6, 10, True), np.random.default_rng(3), np.float64)


@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
@pytest.mark.parametrize("threads", [2, 3])
def test_split_batch_gives_the_whole_batch_gradient(kind, threads):
    data, _ = make_split("addition", 50, 1, seed=0)
    xs, ts = data.xs[:23], data.ts[:23].copy()  # 23 rows: parts of unequal size
    ts[:5, -2:] = -1  # ignored positions in the first part only: its weight must shrink
    model = float64_model(kind, len(data.codec.vocab))
    loss = model.forward(xs, ts)
    model.backward()
    expected = model.flat_grads.copy()
    model.flat_grads[...] = np.nan  # must be overwritten, not accumulated into
    parallel = DataParallel(model, threads)
    try:
        split_loss = parallel.forward_backward(xs, ts)
    finally:
        parallel.close()
    assert split_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(model.flat_grads, expected, rtol=1e-9, atol=1e-13)


def test_replicas_share_parameters_and_own_gradients():
    data, _ = make_split("sort", 64, 1, seed=0)
    model = float64_model("peeky", len(data.codec.vocab))
    parallel = DataParallel(model, 2)
    twin = parallel.replicas[1]
    try:
        model.flat_params += 0.5  # an optimiser step on the model moves the replica too
        for (_, p, g), (_, tp, tg) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
            assert np.shares_memory(p, model.flat_params) and p is tp
            assert not np.shares_memory(g, tg)
    finally:
        parallel.close()


def test_trainer_with_two_threads_follows_the_one_thread_curve_and_stops_its_threads():
    data, _ = make_split("sort", 640, 10, seed=0)
    curves = {}
    for threads in (1, 2):
        model = build_model(ModelConfig("attention", len(data.codec.vocab), 8, 16, True), np.random.default_rng(1))
        trainer = Trainer(model, data, TrainConfig(batch_size=64, lr=0.01, seed=2, threads=threads))
        curves[threads] = [trainer.step()["loss"] for _ in range(25)]
        trainer.close()
        trainer.step()  # still trains, on one thread
    np.testing.assert_allclose(curves[2], curves[1], rtol=2e-4)
    assert curves[2][-1] < curves[2][0] - 0.5
    pool_threads = [t for t in threading.enumerate() if t.name.startswith("s2s-data-parallel")]
    for t in pool_threads:
        t.join(timeout=5)
    assert not any(t.is_alive() for t in pool_threads)
