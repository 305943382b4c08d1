"""Data parallelism and the step pool (s2s.fast): the same gradients as one process, shared parameters, clean
shutdown."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time

import numpy as np
import pytest

from s2s.data import make_split
from s2s.fast.parallel import ProcessDataParallel, ThreadDataParallel, data_parallel
from s2s.fast.pool import StepPool
from s2s.fast.shared import WorkerError
from s2s.models import ModelConfig, build_model
from s2s.trainer import TrainConfig, Trainer


def float64_model(kind: str, vocab: int):
    return build_model(ModelConfig(kind=kind, vocab_size=vocab, wordvec_size=6, hidden_size=10, reverse=True),
                       np.random.default_rng(3), np.float64)


def start(backend: str, model, workers: int, xs, ts):
    if backend == "threads":
        return ThreadDataParallel(model, workers)
    return ProcessDataParallel(model, workers, len(xs), xs.shape[1], ts.shape[1])


@pytest.mark.parametrize("backend", ["threads", "processes"])
@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
@pytest.mark.parametrize("workers", [2, 3])
def test_split_batch_gives_the_whole_batch_gradient(backend, kind, workers):
    data, _ = make_split("addition", 50, 1, seed=0)
    xs, ts = data.xs[:23], data.ts[:23].copy()  # 23 rows: parts of unequal size
    ts[:5, -2:] = -1  # ignored positions in the first part only: its weight must shrink
    model = float64_model(kind, len(data.codec.vocab))
    loss = model.forward(xs, ts)
    model.backward()
    expected = model.flat_grads.copy()
    before = model.flat_params.copy()
    parallel = start(backend, model, workers, xs, ts)
    try:
        model.flat_grads[...] = np.nan  # must be overwritten, not accumulated into
        split_loss = parallel.forward_backward(xs, ts)
        np.testing.assert_allclose(model.flat_grads, expected, rtol=1e-9, atol=1e-13)
        assert split_loss == pytest.approx(loss, rel=1e-12)
        model.flat_params *= 0.5  # an optimiser's step here is what every worker sees next
        model.forward(xs, ts)
        model.backward()
        expected = model.flat_grads.copy()
        parallel.forward_backward(xs, ts)
        np.testing.assert_allclose(model.flat_grads, expected, rtol=1e-9, atol=1e-13)
    finally:
        parallel.close()
    np.testing.assert_array_equal(model.flat_params, before * 0.5)  # the values survive closing


def test_thread_replicas_share_parameters_and_own_gradients():
    data, _ = make_split("sort", 64, 1, seed=0)
    model = float64_model("peeky", len(data.codec.vocab))
    parallel = ThreadDataParallel(model, 2)
    twin = parallel.replicas[1]
    try:
        for (_, p, g), (_, tp, tg) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
            assert np.shares_memory(p, model.flat_params) and np.shares_memory(tp, p)
            assert not np.shares_memory(g, tg)
    finally:
        parallel.close()


def test_processes_end_and_parameters_come_home_on_close():
    data, _ = make_split("sort", 64, 1, seed=0)
    model = float64_model("attention", len(data.codec.vocab))
    parallel = start("processes", model, 3, data.xs, data.ts)
    procs = list(parallel.workers)
    shared = model.flat_params
    assert shared is parallel.shared.arrays["params"]
    parallel.close()
    assert all(p.poll() is not None for p in procs)
    assert model.flat_params is not shared and not np.shares_memory(model.flat_params, shared)
    for _, p, g in model.named_parameters():
        assert np.shares_memory(p, model.flat_params) and np.shares_memory(g, model.flat_grads)


def test_a_dead_worker_is_reported_not_hung_on():
    data, _ = make_split("sort", 64, 1, seed=0)
    model = float64_model("peeky", len(data.codec.vocab))
    parallel = start("processes", model, 2, data.xs, data.ts)
    try:
        parallel.workers[0].kill()
        parallel.workers[0].wait()
        with pytest.raises((WorkerError, BrokenPipeError)):
            parallel.forward_backward(data.xs, data.ts)
    finally:
        parallel.close()


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("workers", [2, 3])
def test_trainer_with_workers_follows_the_one_process_curve(workers, optimizer):
    data, _ = make_split("sort", 640, 10, seed=0)
    curves = {}
    for w in (1, workers):
        model = build_model(ModelConfig(kind="attention", vocab_size=len(data.codec.vocab), wordvec_size=8,
                                        hidden_size=16, reverse=True), np.random.default_rng(1))
        lr = 0.01 if optimizer == "adam" else 1.0
        config = TrainConfig(batch_size=64, lr=lr, optimizer=optimizer, seed=2, workers=w)
        trainer = Trainer(model, data, config, backend=data_parallel(model, data, config) if w > 1 else None)
        curves[w] = [trainer.step()["loss"] for _ in range(25)]
        trainer.close()
        state = {k: v[0].copy() for k, v in trainer.optimizer.state_arrays().items()}
        trainer.step()  # still trains, in this process alone, with the optimiser's state kept
        assert np.shares_memory(trainer.optimizer.named[0][1], model.flat_params)
        for k, v in trainer.optimizer.state_arrays().items():
            assert not np.array_equal(v[0], state[k]) and np.isfinite(v[0]).all()
    np.testing.assert_allclose(curves[workers], curves[1], rtol=2e-4)
    assert curves[workers][-1] < curves[workers][0] - 0.1


def test_thread_pool_stops_on_close():
    data, _ = make_split("sort", 64, 1, seed=0)
    model = float64_model("peeky", len(data.codec.vocab))
    parallel = ThreadDataParallel(model, 3)
    parallel.forward_backward(data.xs, data.ts)
    parallel.close()
    for t in [t for t in threading.enumerate() if t.name.startswith("s2s-data-parallel")]:
        t.join(timeout=5)
        assert not t.is_alive()


def _memfd_maps(pid: int) -> int:
    """How many shared-memory mappings of ours a process has (Linux)."""
    with open(f"/proc/{pid}/maps") as f:
        return sum("memfd:s2s-data-parallel" in line for line in f)


def pooled_trainer(data, pool, model):
    """A Trainer whose passes run in `pool` (None: in this thread)."""
    backend = None if pool is None else pool.attach(model, 64, data.xs.shape[1], data.ts.shape[1])
    return Trainer(model, data, TrainConfig(batch_size=64, lr=0.01, seed=2), backend=backend)


def _curve(data, pool, kind: str, steps: int = 20):
    model = build_model(ModelConfig(kind=kind, vocab_size=len(data.codec.vocab), wordvec_size=8, hidden_size=16,
                                    reverse=True), np.random.default_rng(1))
    trainer = pooled_trainer(data, pool, model)
    return trainer, [trainer.step()["loss"] for _ in range(steps)]


@pytest.fixture
def pool():
    p = StepPool(1)
    yield p
    p.close()


@pytest.mark.parametrize("kind", ["peeky", "attention"])
def test_pooled_steps_give_the_same_curve_bit_for_bit(pool, kind):
    data, _ = make_split("sort", 640, 10, seed=0)
    _, alone = _curve(data, None, kind)
    trainer, pooled = _curve(data, pool, kind)
    assert pooled == alone  # the same arithmetic, only in another process
    assert trainer.backend.fallback == ""
    assert alone[-1] < alone[0] - 0.1


def test_pool_worker_runs_at_the_lowest_priority_and_one_model_serves_many_trainers(pool):
    data, _ = make_split("sort", 640, 10, seed=0)
    trainers = [_curve(data, pool, "peeky", 2)[0] for _ in range(3)]
    (pid,) = pool.pids()
    assert os.getpriority(os.PRIO_PROCESS, pid) == 19
    assert _memfd_maps(pid) == 3
    closed, dropped, kept = trainers
    shared = closed.model.flat_params
    closed.close()  # the worker forgets it; its parameters are this process's own again
    assert closed.backend is None and not np.shares_memory(closed.model.flat_params, shared)
    np.testing.assert_array_equal(closed.model.flat_params, shared)
    del trainers, dropped  # dropped without close: forgotten too
    gc.collect()
    deadline = time.monotonic() + 5
    while _memfd_maps(pid) != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _memfd_maps(pid) == 1
    closed.step()
    kept.step()
    assert kept.backend.fallback == ""


def test_a_dead_pool_worker_means_training_goes_on_here(pool):
    data, _ = make_split("sort", 640, 10, seed=0)
    _, alone = _curve(data, None, "peeky")
    model = build_model(ModelConfig(kind="peeky", vocab_size=len(data.codec.vocab), wordvec_size=8, hidden_size=16,
                                    reverse=True), np.random.default_rng(1))
    trainer = pooled_trainer(data, pool, model)
    curve = [trainer.step()["loss"] for _ in range(5)]
    os.kill(pool.pids()[0], signal.SIGKILL)
    curve += [trainer.step()["loss"] for _ in range(15)]
    assert curve == alone
    assert "gone" in trainer.backend.fallback
    deadline = time.monotonic() + 5  # its socket closes before the kernel has quite ended the process
    while pool.pids() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.pids() == []
    _, again = _curve(data, pool, "peeky")  # a new trainer gets a new worker
    assert again == alone and len(pool.pids()) == 1


def test_a_failing_request_is_answered_and_the_worker_goes_on(pool):
    data, _ = make_split("sort", 640, 10, seed=0)
    trainer, _ = _curve(data, pool, "peeky", 1)
    with pytest.raises(WorkerError, match="KeyError"):
        trainer.backend.worker.request("step 999 0 4 1.0")
    trainer.step()
    assert trainer.backend.fallback == ""


def test_split_steps_give_the_same_gradient_with_half_the_batch_in_the_solo_worker(pool):
    """A trainer alone on the server splits each batch between its thread and the solo worker (normal
    priority): the same curve up to the order of float additions (float64 here), the solo worker really
    computing half of every step."""
    data, _ = make_split("sort", 640, 10, seed=0)

    def curve(split: bool):
        model = build_model(ModelConfig(kind="attention", vocab_size=len(data.codec.vocab), wordvec_size=8,
                                        hidden_size=16, reverse=True), np.random.default_rng(1),
                            np.float64)
        trainer = pooled_trainer(data, pool, model)
        trainer.backend.mode = "split" if split else "pool"
        losses = [trainer.step()["loss"] for _ in range(20)]
        return trainer, losses

    _, whole = curve(False)
    solo = pool.solo_pid()
    assert solo is not None and os.getpriority(os.PRIO_PROCESS, solo) == os.getpriority(os.PRIO_PROCESS, 0)
    cpu = _cpu_seconds(solo)
    trainer, halves = curve(True)
    np.testing.assert_allclose(halves, whole, rtol=1e-10)
    assert _cpu_seconds(solo) > cpu
    np.testing.assert_allclose(trainer.model.flat_params, curve(False)[0].model.flat_params, rtol=1e-8, atol=1e-12)
    assert trainer.backend.fallback == ""


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
