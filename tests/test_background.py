"""A session's training in the background (ui/background.py) without Streamlit: the thread, pause, step,
the idle watchdog, fair slots, the registry of sessions training and where the passes run."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time

import numpy as np
import pytest
from waiting import wait_until

from s2s.data import make_split
from s2s.models import ModelConfig
from s2s.session import TrainSetup
from s2s.trainer import TrainConfig
from ui import background
from ui.background import BackgroundTraining


def make_runner(lr: float = 0.005, clip: float = 5.0, epochs: int = 2) -> BackgroundTraining:
    train, val = make_split("sort", 640, 64, 0)
    setup = TrainSetup("sort", ModelConfig(kind="peeky", vocab_size=len(train.codec.vocab), wordvec_size=8,
                                           hidden_size=16, reverse=True),
                       TrainConfig(batch_size=64, lr=lr, clip=clip, epochs=epochs))
    return BackgroundTraining.new(setup, train, val)


def trainer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "s2s-trainer"]


def test_step_once_trains_one_batch_and_records_it():
    r = make_runner()
    r.step_once()
    snap = r.snapshot()
    assert snap.iteration == 1 and snap.status == "paused"
    assert snap.losses.shape == (1, 3) and snap.losses[0, 0] == 1
    assert len(snap.probes) == 10 and all(len(p) == 3 for p in snap.probes)
    assert snap.evals.shape[1] == 4 and snap.evals[0, 0] == 0  # evaluated once before training


def test_start_runs_to_the_end_then_the_thread_idles_and_close_ends_it():
    r = make_runner(epochs=2)
    r.start()
    assert wait_until(lambda: r.snapshot().status == "finished", 60)
    snap = r.snapshot()
    assert snap.iteration == snap.total_iterations == 20
    assert snap.evals[-1, 0] == 20  # the final evaluation
    version, weights = r.published_weights()
    for name, p, _ in r.model.named_parameters():
        assert np.array_equal(weights[name], p), name  # the published copy is the final model
    r.close()
    assert not r.alive


def test_pause_stops_training_and_start_resumes():
    r = make_runner(epochs=200)
    r.start()
    assert wait_until(lambda: r.snapshot().iteration >= 3)
    r.pause()
    stopped = r.snapshot().iteration
    time.sleep(0.3)
    assert r.snapshot().iteration == stopped and r.snapshot().status == "paused"
    r.start()
    assert wait_until(lambda: r.snapshot().iteration > stopped)
    r.close()
    assert not r.alive and r.snapshot().status == "paused"


def _thread_of_a_dropped_runner() -> threading.Thread:
    r = make_runner(epochs=200)
    r.start()
    assert wait_until(lambda: r.snapshot().iteration >= 1)
    r.pause()
    return r._thread  # the runner itself goes out of scope here, as when a session ends


def test_dropping_the_runner_ends_its_thread():
    thread = _thread_of_a_dropped_runner()
    gc.collect()
    thread.join(5)
    assert not thread.is_alive(), "the training thread outlived its session's runner"


def test_watchdog_pauses_when_nobody_watches(monkeypatch):
    monkeypatch.setattr(background, "IDLE_PAUSE", 0.2)
    r = make_runner(epochs=200)
    r.start()
    assert wait_until(lambda: r.status == "paused", 10)  # status read directly: snapshot() would feed the dog
    assert r.message == "idle"
    r.close()


def test_divergence_is_reported_and_weights_stay_finite():
    r = make_runner(lr=1e4, clip=0)
    r.start()
    assert wait_until(lambda: r.snapshot().status == "diverged", 30)
    assert "diverged" in r.snapshot().message
    assert all(np.isfinite(p).all() for _, p, _ in r.model.named_parameters())
    r.step_once()  # refused: the run is over until Reset
    assert r.snapshot().status == "diverged"
    r.close()


def test_sessions_train_independently():
    runners = [make_runner(epochs=200) for _ in range(3)]
    for r in runners[:2]:
        r.start()
    assert wait_until(lambda: all(r.snapshot().iteration >= 3 for r in runners[:2]))
    for r in runners:
        r.pause()
    assert runners[2].snapshot().iteration == 0  # never started, never trained
    trained = {n: p.copy() for n, p, _ in runners[0].model.named_parameters()}
    untouched = {n: p for n, p, _ in runners[2].model.named_parameters()}
    assert any(not np.array_equal(trained[k], untouched[k]) for k in trained)  # same init, one trained
    for r in runners:
        r.close()
    assert not trainer_threads()


def test_pause_and_resume_do_not_change_the_loss_curve():
    straight = make_runner(epochs=200)
    for _ in range(12):
        straight.step_once()
    interrupted = make_runner(epochs=200)
    interrupted.start()
    assert wait_until(lambda: interrupted.snapshot().iteration >= 3)
    interrupted.pause()
    time.sleep(0.1)
    interrupted.start()
    assert wait_until(lambda: interrupted.snapshot().iteration >= 12)
    interrupted.close()
    a = straight.snapshot().losses[:12]
    b = interrupted.snapshot().losses[:12]
    assert np.array_equal(a, b)  # bit-identical: same data order, same updates


def test_step_slots_serve_every_waiting_thread_in_turn():
    from ui.background import FairSlots

    slots = FairSlots(1)
    turns = {k: 0 for k in range(4)}
    stop = threading.Event()

    def greedy(k):  # takes the slot again as soon as it lets go, as a training loop does
        while not stop.is_set():
            with slots:
                turns[k] += 1
                time.sleep(0.001)

    threads = [threading.Thread(target=greedy, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert min(turns.values()) >= 0.5 * max(turns.values()), turns


@contextlib.contextmanager
def other_sessions_training(n: int = 1):
    """Count `n` more sessions as training (ui.background.sessions_training), as their threads would."""
    with contextlib.ExitStack() as stack:
        for _ in range(n):
            stack.enter_context(background.RUNNING)
        yield


def test_live_refreshes_slow_down_when_many_sessions_train():
    from ui.background import poll_interval

    middle = lambda: 0.5  # noqa: E731
    assert poll_interval(0.5) == 0.5 and poll_interval(0.5, spread=lambda: 0.0) == 0.5  # alone: not spread
    with other_sessions_training(20):
        assert poll_interval(0.5, spread=middle) == 5.0  # 20 training sessions: ten times slower
        assert poll_interval(2.0, spread=middle) == 10.0  # and never slower than 10 s
        assert poll_interval(2.0, longest=30.0, spread=middle) == 20.0
        # spread over 7.5-12.5 s, so that a class that came back to Train together does not refresh together
        assert poll_interval(2.0, spread=lambda: 0.0) == 7.5
        assert poll_interval(2.0, spread=lambda: 0.999) == pytest.approx(12.5, abs=0.01)
        intervals = [poll_interval(2.0) for _ in range(200)]
        assert min(intervals) >= 7.5 and max(intervals) < 12.5 and max(intervals) - min(intervals) > 3.0


def stopped_pool_worker():
    """The step pool's worker processes, stopped (SIGSTOP) until the returned function is called."""
    pool = background.STEP_POOL
    if pool is None:
        pytest.skip("no step pool on this system (Linux only)")
    pids = pool.pids()
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    return lambda: [os.kill(pid, signal.SIGCONT) for pid in pids]


def test_a_stalled_training_worker_does_not_hold_up_pause_or_the_pages():
    """While other sessions train, the passes wait for a worker process at the lowest CPU priority
    (s2s.fast.pool.StepPool); while it is stalled (stopped here), Pause and the snapshots the pages draw
    return at once, and the step in flight is dropped so the counter stays where Pause left it."""
    r = make_runner(epochs=200)
    assert r.trainer.backend is not None and r.trainer.backend.fallback == ""
    with other_sessions_training():
        r.start()
        assert wait_until(lambda: r.snapshot().iteration >= 3)
        resume_worker = stopped_pool_worker()
        try:
            time.sleep(0.3)  # the training thread is now waiting for the stopped process
            stalled = r.snapshot().iteration
            time.sleep(0.3)
            assert r.snapshot().iteration <= stalled + 1  # at most the step that was in flight
            t0 = time.perf_counter()
            r.pause()
            stopped = r.snapshot().iteration
            assert time.perf_counter() - t0 < 0.2
        finally:
            resume_worker()
        time.sleep(0.5)
        assert r.snapshot().iteration == stopped and r.snapshot().status == "paused"
        r.start()
        assert wait_until(lambda: r.snapshot().iteration > stopped)
        r.close()
    assert r.trainer.backend.fallback == ""


def test_a_session_training_alone_steps_in_its_own_thread():
    """With nobody else training, handing each step to the pool's low-priority process only costs
    speed (benchmarks/app_throughput.py): a stopped worker does not stop it."""
    r = make_runner(epochs=200)
    resume_worker = stopped_pool_worker()
    try:
        r.start()
        assert wait_until(lambda: r.snapshot().iteration >= 20)
        r.close()
    finally:
        resume_worker()
    assert r.trainer.backend.fallback == ""


def test_a_paused_runner_does_not_count_as_training():
    """A paused runner's thread ends, so a lesson's paused Train model does not make the race that follows
    count as one of many sessions (its steps would go whole to the low-priority worker)."""
    from ui.background import sessions_training

    before = sessions_training()
    r = make_runner(epochs=200)
    r.start()
    assert wait_until(lambda: r.snapshot().iteration >= 1)
    assert sessions_training() == before + 1
    r.pause()
    assert wait_until(lambda: sessions_training() == before, 3)
    r.start()  # a new thread
    assert wait_until(lambda: sessions_training() == before + 1, 3)
    stopped = r.snapshot().iteration
    assert wait_until(lambda: r.snapshot().iteration > stopped)
    r.close()


def test_where_the_passes_run_follows_how_many_sessions_train():
    with other_sessions_training(1):  # this session alone: both cores, split with the solo worker process
        assert background.pool_mode() == background.pool_mode(by_hand=True) == "split"
    with other_sessions_training(3):  # a class: the low-priority pool, or the calling thread for the Step button
        assert background.pool_mode() == "pool"
        assert background.pool_mode(by_hand=True) == "in_this_thread"


def test_a_step_by_hand_while_others_train_stays_in_the_calling_thread():
    r = make_runner()
    if r.trainer.backend is None:
        pytest.skip("no step pool on this system (Linux only)")
    with other_sessions_training(2):
        r.step_once()
    assert r.trainer.backend.mode == "in_this_thread" and r.snapshot().iteration == 1


def test_sessions_training_counts_sessions_not_threads_that_share_their_name():
    from ui.background import sessions_training

    before = sessions_training()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name=background.TRAINING_THREAD_NAME)
    other.start()
    try:
        assert sessions_training() == before
    finally:
        stop.set()
        other.join()
