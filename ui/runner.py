"""Per-session training in a worker thread, and the snapshots the pages draw from.

The worker never calls Streamlit. It trains one mini-batch at a time under the runner's
lock and under a global semaphore (so many sessions never oversubscribe the cores), records
losses and evaluations, and publishes a copy of the weights a few times a second for the
Try page. The thread holds only a weak reference to its runner: when the session is gone,
the runner is collected and the thread ends; ``close()`` ends it at once (tab closed), and
the runner pauses itself when no page has asked for a snapshot for ``IDLE_PAUSE`` seconds.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np

from s2s.data import Dataset
from s2s.models import ModelConfig, Seq2seq, build_model, get_weights
from s2s.trainer import TrainConfig, Trainer, TrainingDiverged, evaluate, predict

# At most this many training steps run at the same time across all sessions of the server.
STEP_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
IDLE_PAUSE = 60.0  # seconds without a snapshot request before training pauses itself
PUBLISH_EVERY = 0.3  # seconds between weight copies for decoding
EVAL_SIZE = 1000  # held-out examples per evaluation while training
N_PROBES = 10


@dataclass(frozen=True)
class TrainSetup:
    """Everything that defines a training run, as chosen on the Train page."""

    task: str  # a generated task name, or "upload"
    model: ModelConfig
    train: TrainConfig
    train_size: int = 45000
    data_name: str = ""  # the uploaded file's name, for task "upload"


@dataclass
class Snapshot:
    """A consistent copy of a runner's state for drawing."""

    status: str
    message: str
    iteration: int
    epoch: float
    total_iterations: int
    train_seconds: float
    examples_per_second: float
    losses: np.ndarray  # (n, 2): iteration, loss
    evals: np.ndarray  # (m, 4): iteration, epoch, accuracy, char accuracy
    probes: list[tuple[str, str, str]] = field(default_factory=list)  # question, truth, current answer
    weights_version: int = 0


class TrainingRunner:
    """One session's model, trainer and worker thread."""

    def __init__(self, setup: TrainSetup, train: Dataset, val: Dataset, model: Seq2seq | None = None):
        self.setup = setup
        self.codec = train.codec
        self.model = model or build_model(setup.model, np.random.default_rng([setup.train.seed, 1]))
        iters = max(1, len(train) // min(setup.train.batch_size, len(train)))
        self.trainer = Trainer(self.model, train, setup.train, iters * setup.train.epochs)
        self.val = val.subset(np.arange(min(EVAL_SIZE, len(val))))
        self.probe_data = val.subset(np.arange(min(N_PROBES, len(val))))
        self._probe_qa = list(zip(self.probe_data.questions(), self.probe_data.answers(), strict=True))
        self.eval_every = max(1, iters // 4)
        self.lock = threading.RLock()
        self.status = "idle"  # idle, running, paused, finished, diverged
        self.message = ""
        self._losses: list[tuple[int, float]] = []
        self._evals: list[tuple[int, float, float, float]] = []
        self._probe_answers: list[str] = []
        self._recent_speed = 0.0
        self.weights_version = 0
        self._published = get_weights(self.model)
        self._published_at = 0.0
        self.last_seen = time.monotonic()
        self._want_run = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._evaluate()

    # ----- control (called from the UI thread) -----
    def start(self) -> None:
        """Train in the background until paused, finished or diverged."""
        with self.lock:
            if self.status in ("finished", "diverged"):
                return
            self.status, self.message = "running", ""
            self.last_seen = time.monotonic()
            self._want_run.set()
            if self._thread is None or not self._thread.is_alive():
                self._closing.clear()
                self._thread = threading.Thread(target=_work, args=(weakref.ref(self),), daemon=True,
                                                name="s2s-trainer")
                self._thread.start()

    def pause(self, message: str = "") -> None:
        """Stop after the current step; state is kept."""
        self._want_run.clear()
        with self.lock:
            if self.status == "running":
                self.status, self.message = "paused", message
            self._publish(force=True)

    def step_once(self) -> None:
        """Pause, then train exactly one mini-batch in the caller's thread."""
        self.pause()
        with self.lock:
            if self.status not in ("finished", "diverged"):
                if self._train_step():
                    self.status = "paused"
                self._publish(force=True)

    def close(self, timeout: float = 5.0) -> None:
        """End the worker thread (the session's tab is gone); training state is kept."""
        self._want_run.clear()
        self._closing.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        with self.lock:
            if self.status == "running":
                self.status = "paused"

    @property
    def alive(self) -> bool:
        """Whether the worker thread is running."""
        return self._thread is not None and self._thread.is_alive()

    # ----- reading (UI thread) -----
    def snapshot(self) -> Snapshot:
        """Copy of everything the Train page draws; also tells the watchdog someone is watching."""
        with self.lock:
            self.last_seen = time.monotonic()
            tr = self.trainer
            probes = [(q, a, g) for (q, a), g in zip(self._probe_qa, self._probe_answers, strict=True)]
            return Snapshot(
                status=self.status, message=self.message, iteration=tr.iteration, epoch=tr.epoch,
                total_iterations=tr.total_iterations, train_seconds=tr.train_seconds,
                examples_per_second=self._recent_speed,
                losses=np.array(self._losses, dtype=np.float64).reshape(-1, 2),
                evals=np.array(self._evals, dtype=np.float64).reshape(-1, 4),
                probes=probes, weights_version=self.weights_version,
            )

    def published_weights(self) -> tuple[int, dict[str, np.ndarray]]:
        """(version, weights) last published for decoding; the arrays are never written again."""
        with self.lock:
            self.last_seen = time.monotonic()
            return self.weights_version, self._published

    # ----- work (worker thread, or step_once) -----
    def _train_step(self) -> bool:
        """One mini-batch with bookkeeping; False when training should stop."""
        try:
            m = self.trainer.step()
        except TrainingDiverged as e:
            self.status, self.message = "diverged", str(e)
            self._want_run.clear()
            return False
        self._losses.append((m["iteration"], m["loss"]))
        speed = m["examples_per_second"]
        self._recent_speed = speed if not self._recent_speed else 0.9 * self._recent_speed + 0.1 * speed
        it = self.trainer.iteration
        done = it >= self.trainer.total_iterations
        if it % self.eval_every == 0 or done:
            self._evaluate()
        if done:
            self.status = "finished"
            self._want_run.clear()
            self._publish(force=True)
            return False
        return True

    def _evaluate(self) -> None:
        acc = evaluate(self.model, self.val)
        self._evals.append((self.trainer.iteration, self.trainer.epoch, acc["accuracy"], acc["char_accuracy"]))
        ids = predict(self.model, self.probe_data.xs, self.codec.answer_width - 1, self.codec.vocab.start_id)
        self._probe_answers = [self.codec.decode_answer(row) for row in ids]

    def _publish(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._published_at >= PUBLISH_EVERY:
            self._published = get_weights(self.model)
            self._published_at = now
            self.weights_version += 1

    def _work_once(self) -> None:
        """One step from the worker: watchdog, then train under the global slots and the lock."""
        if time.monotonic() - self.last_seen > IDLE_PAUSE:
            self.pause("idle")
            return
        with STEP_SLOTS, self.lock:
            if not self._want_run.is_set():
                return
            if self._train_step():
                self._publish()


def _work(ref: weakref.ReferenceType) -> None:
    """Worker loop; holds its runner only while stepping, so a dropped session ends the thread."""
    while True:
        runner = ref()
        if runner is None or runner._closing.is_set():
            return
        want, closing = runner._want_run, runner._closing
        del runner
        if not want.wait(0.5):
            continue
        if closing.is_set():
            return
        runner = ref()
        if runner is None:
            return
        runner._work_once()
        del runner

