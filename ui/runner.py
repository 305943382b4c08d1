"""Per-session training in a background thread, and the snapshots the pages draw from.

The training thread never calls Streamlit. It trains one mini-batch at a time under the runner's
lock and under a global semaphore (so many sessions never oversubscribe the cores), records
losses and evaluations, and publishes a copy of the weights a few times a second for the
pages that decode. The thread holds only a weak reference to its runner: when the session is
gone, the runner is collected and the thread ends; ``close()`` ends it at once (tab closed),
and a runner pauses itself when no page has asked for a snapshot for ``IDLE_PAUSE`` seconds.

``TrainingRunner`` trains one model (the Train page); ``CompareRunner`` trains several variants
on the same data, interleaved (the Compare page). Both share the thread of ``BackgroundRunner``.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np

from s2s.data import Dataset, make_split
from s2s.fast.libc import name_this_thread
from s2s.fast.pool import PooledSteps, step_pool
from s2s.history import AnswerHistory
from s2s.models import ModelConfig, Seq2seq, build_model, clone_model, count_parameters, get_weights
from s2s.presets import COMPARISONS, Race
from s2s.tasks import TASKS
from s2s.trainer import Prepared, TrainConfig, Trainer, TrainingDiverged, evaluate, predict

TRAINING_THREAD_NAME = "s2s-trainer"  # also the system-level name (benchmarks/load.py counts them)
# At most this many training steps run at the same time across all sessions of the server. Measured with 5
# sessions training (tests/test_load.py), when steps still ran in the server's own threads: two slots on 2
# cores trained 6,100 examples/s in all but answered on Try in 0.8-1.3 s at the 95th percentile; one slot
# 1,900 examples/s and 0.6-0.7 s. Answers in front of a class come first.
class FairSlots:
    """A counting semaphore that serves waiters in the order they came: a releasing thread hands its
    slot to the oldest waiter. (threading.Semaphore is not fair: a training thread that releases and
    asks again at once usually wins, so with a class on one server some sessions never got a step.)"""

    def __init__(self, slots: int):
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: collections.deque[threading.Lock] = collections.deque()

    def __enter__(self) -> FairSlots:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return self
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append(gate)
        gate.acquire()  # released by the thread that hands over its slot
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


STEP_SLOTS = FairSlots(max(1, (os.cpu_count() or 1) - 1))
# The forward and backward passes of every session's steps run in worker processes at the lowest CPU
# priority (s2s.fast.pool.StepPool): the server's own process then never waits for training, and the
# machine's spare CPU is what trains. None where the system cannot (steps then run in the thread).
STEP_POOL = step_pool(max(1, (os.cpu_count() or 1) - 1))


def sessions_training() -> int:
    """How many sessions' runners are training in this server (their training threads are alive: a paused
    runner's thread ends within a second)."""
    return sum(t.name == TRAINING_THREAD_NAME for t in threading.enumerate())


def poll_interval(base: float, longest: float = 10.0) -> float:
    """Seconds between a page's live refreshes: `base` while one or two sessions train, longer when
    more do (linear beyond 2, at most `longest`). Every refresh is a script run and costs the browser
    about 140 ms of CPU on a Train page; with forty sessions sharing the steps each one's chart changes
    slowly anyway, and refreshing every 5 s left the class's browsers short of CPU on this machine
    (benchmarks/load.py)."""
    return min(max(base, base * sessions_training() / 2), longest)


IDLE_PAUSE = 60.0  # seconds without a snapshot request before training pauses itself
PUBLISH_EVERY = 0.3  # seconds between weight copies for decoding
EVAL_SIZE = 1000  # held-out examples per evaluation while training
N_PROBES = 10
HISTORY_PROBES = 3  # questions followed by the answer history


@dataclass(frozen=True)
class TrainSetup:
    """Everything that defines a training run, as chosen on the Train page."""

    task: str  # a generated task name, or "upload"
    model: ModelConfig
    train: TrainConfig
    train_size: int = 45000
    data_name: str = ""  # the uploaded file's name, for task "upload"


class BackgroundRunner:
    """Start, pause, close and the training thread; subclasses say what one step of work is."""

    def __init__(self):
        self.lock = threading.RLock()
        self.status = "idle"  # idle, running, paused, finished, diverged
        self.message = ""
        self.last_seen = time.monotonic()
        self._want_run = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._step_lock = threading.Lock()  # one step at a time; taken before `lock`, never after it

    def _prepare(self):
        """The first half of the training thread's next step, without the lock (see Trainer.prepare);
        handed to `_train_step`."""
        return None

    def _train_step(self, prepared=None) -> bool:
        """One unit of work under the lock, finishing `prepared` (None: the whole step here); False when
        training should stop."""
        raise NotImplementedError

    def _after_step(self) -> None:
        """Bookkeeping after a step of the training thread (under the lock)."""

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
                                                name=TRAINING_THREAD_NAME)
                self._thread.start()

    def pause(self, message: str = "") -> None:
        """Stop after the current step; state is kept."""
        self._want_run.clear()
        with self.lock:
            if self.status == "running":
                self.status, self.message = "paused", message

    def step_once(self) -> None:
        """Pause, then do exactly one step in the caller's thread."""
        self.pause()
        with self._step_lock, self.lock:
            if self.status not in ("finished", "diverged") and self._train_step():
                self.status = "paused"

    def close(self, timeout: float = 5.0) -> None:
        """End the training thread (the session's tab is gone); training state is kept."""
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
        """Whether the training thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def _work_once(self) -> None:
        """One step of the training thread: watchdog, then work under the global slots and the lock."""
        if time.monotonic() - self.last_seen > IDLE_PAUSE:
            self.pause("idle")
            return
        with STEP_SLOTS, self._step_lock:
            if not self._want_run.is_set():
                return
            # The passes run without the lock: with a step pool they wait for a worker process at the
            # lowest priority, and Pause, the live refresh and the pages' decoding must not wait with them.
            prepared = self._prepare()
            with self.lock:
                if not self._want_run.is_set():
                    return  # paused meanwhile: the step is dropped, so the counters stay where Pause left them
                if not self._train_step(prepared):
                    self._want_run.clear()
                self._after_step()


def _work(ref: weakref.ReferenceType) -> None:
    """The training thread's loop; holds its runner only while stepping, so a dropped session ends the
    thread."""
    name_this_thread(TRAINING_THREAD_NAME)
    while True:
        runner = ref()
        if runner is None or runner._closing.is_set():
            return
        want, closing = runner._want_run, runner._closing
        del runner
        if not want.wait(0.5):
            # Paused: the thread ends (Start makes a new one), so that the training threads alive are the
            # sessions that train, which is what sessions_training() counts: a lesson's paused Train model
            # must not send the race that follows to the class's low-priority worker process
            runner = ref()
            if runner is None:
                return
            with runner.lock:  # start() looks at the thread under the same lock
                if not runner._want_run.is_set():
                    runner._thread = None
                    return
            del runner
            continue
        if closing.is_set():
            return
        runner = ref()
        if runner is None:
            return
        runner._work_once()
        del runner


class Record:
    """An append-only table of float64 rows. Rows once written never change, and a full buffer is
    replaced rather than resized, so ``view()`` hands out the first n rows without a copy: a page can
    draw them while the training thread goes on appending."""

    def __init__(self, columns: int, capacity: int = 1024):
        self._rows = np.empty((capacity, columns))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, *values: float) -> None:
        if self._n == len(self._rows):
            bigger = np.empty((2 * len(self._rows), self._rows.shape[1]))
            bigger[:self._n] = self._rows
            self._rows = bigger
        self._rows[self._n] = values
        self._n += 1

    def view(self) -> np.ndarray:
        """The rows written so far (read-only)."""
        out = self._rows[:self._n]
        out.flags.writeable = False
        return out


SMOOTHING = 0.05  # weight of the newest loss in the smoothed loss line


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
    losses: np.ndarray  # (n, 3): iteration, loss, smoothed loss
    evals: np.ndarray  # (m, 4): iteration, epoch, accuracy, char accuracy
    probes: list[tuple[str, str, str]] = field(default_factory=list)  # question, truth, current answer
    weights_version: int = 0


class Lane:
    """One model being trained with its history (a Train run, or one variant of a comparison)."""

    def __init__(self, name: str, model: Seq2seq, train: Dataset, val: Dataset, config: TrainConfig):
        self.name, self.model, self.codec = name, model, train.codec
        iters = max(1, len(train) // min(config.batch_size, len(train)))
        # the passes of this lane's steps, through the step pool (None: in the training thread)
        self.steps: PooledSteps | None = None
        if STEP_POOL is not None:
            self.steps = STEP_POOL.attach(model, config.batch_size, train.xs.shape[1], train.ts.shape[1])
        self.trainer = Trainer(model, train, config, iters * config.epochs, backend=self.steps)
        self.val = val.subset(np.arange(min(EVAL_SIZE, len(val))))
        self.eval_every = max(1, iters // 4)
        self.losses = Record(3)  # iteration, loss, smoothed loss
        self.evals = Record(4)  # iteration, epoch, accuracy, per-character accuracy
        self._smooth_sum = self._smooth_weight = 0.0
        self.speed = 0.0
        self.evaluate()

    @property
    def done(self) -> bool:
        """Whether every planned iteration has run."""
        return self.trainer.iteration >= self.trainer.total_iterations

    def prepare(self, by_hand: bool = False) -> Prepared:
        """The passes of the next mini-batch (Trainer.prepare), for `step`, where the step pool's mode
        says (PooledSteps.mode). A session training alone splits each batch between its thread and the
        pool's solo worker process at normal priority: both cores for the one class model (a teacher's
        Start, a race on Compare). While other sessions train, the whole step goes to the pool's
        low-priority worker process, or stays in this thread when asked for by hand (the Step button
        must not wait behind the class). The split sums the same gradient in another order; the other
        two give the same numbers."""
        if self.steps is not None:
            self.steps.mode = ("split" if sessions_training() <= 1 else "in_this_thread" if by_hand
                               else "pool")
        return self.trainer.prepare()

    def step(self, prepared: Prepared | None = None) -> None:
        """One mini-batch with bookkeeping, finishing `prepared` or else all in this thread; raises
        TrainingDiverged."""
        m = self.trainer.apply(prepared if prepared is not None else self.prepare(by_hand=True))
        # exponential moving average with bias correction, kept as it goes: redrawing a long run must not
        # go over every step again
        self._smooth_sum = (1 - SMOOTHING) * self._smooth_sum + SMOOTHING * m["loss"]
        self._smooth_weight = (1 - SMOOTHING) * self._smooth_weight + SMOOTHING
        self.losses.append(m["iteration"], m["loss"], self._smooth_sum / self._smooth_weight)
        speed = m["examples_per_second"]
        self.speed = speed if not self.speed else 0.9 * self.speed + 0.1 * speed
        if self.trainer.iteration % self.eval_every == 0 or self.done:
            self.evaluate()

    def evaluate(self) -> None:
        """Held-out accuracy now."""
        acc = evaluate(self.model, self.val)
        self.evals.append(self.trainer.iteration, self.trainer.epoch, acc["accuracy"], acc["char_accuracy"])

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        """Read-only views of the loss (n, 3) and evaluation (m, 4) histories (see Record)."""
        return self.losses.view(), self.evals.view()


class TrainingRunner(BackgroundRunner):
    """One session's model, trained on the Train page."""

    def __init__(self, setup: TrainSetup, train: Dataset, val: Dataset, model: Seq2seq | None = None):
        super().__init__()
        self.setup = setup
        model = model or build_model(setup.model, np.random.default_rng([setup.train.seed, 1]))
        self.lane = Lane("model", model, train, val, setup.train)
        self.model, self.codec, self.trainer, self.val = model, self.lane.codec, self.lane.trainer, self.lane.val
        self.probe_data = val.subset(np.arange(min(N_PROBES, len(val))))
        self._probe_qa = list(zip(self.probe_data.questions(), self.probe_data.answers(), strict=True))
        self._probe_answers = self._answer_probes()
        iters = self.trainer.total_iterations // max(1, setup.train.epochs)
        self.history = AnswerHistory(self.codec, self._history_questions(setup.task), every=max(1, iters // 20))
        self.history.record(self.model, self.trainer.iteration, self.trainer.epoch)
        self.weights_version = 0
        self._published = get_weights(self.model)
        self._published_at = 0.0

    def pause(self, message: str = "") -> None:
        """Stop after the current step; the current weights are published."""
        super().pause(message)
        with self.lock:
            self._publish(force=True)

    def step_once(self) -> None:
        """Pause, then train exactly one mini-batch in the caller's thread (the history keeps every
        step taken by hand)."""
        super().step_once()
        with self.lock:
            self._publish(force=True)
            if self.history.snapshots[-1].iteration != self.trainer.iteration:
                self.history.record(self.model, self.trainer.iteration, self.trainer.epoch)

    def snapshot(self) -> Snapshot:
        """Copy of everything the Train page draws; also tells the watchdog someone is watching."""
        with self.lock:
            self.last_seen = time.monotonic()
            tr = self.trainer
            losses, evals = self.lane.history()
            probes = [(q, a, g) for (q, a), g in zip(self._probe_qa, self._probe_answers, strict=True)]
            return Snapshot(
                status=self.status, message=self.message, iteration=tr.iteration, epoch=tr.epoch,
                total_iterations=tr.total_iterations, train_seconds=tr.train_seconds,
                examples_per_second=self.lane.speed, losses=losses, evals=evals, probes=probes,
                weights_version=self.weights_version,
            )

    def published_weights(self) -> tuple[int, dict[str, np.ndarray]]:
        """(version, weights) last published for decoding; the arrays are never written again."""
        with self.lock:
            self.last_seen = time.monotonic()
            return self.weights_version, self._published

    def _prepare(self) -> Prepared:
        return self.lane.prepare()

    def _train_step(self, prepared: Prepared | None = None) -> bool:
        try:
            evaluations = len(self.lane.evals)
            self.lane.step(prepared)
        except TrainingDiverged as e:
            self.status, self.message = "diverged", str(e)
            self._publish(force=True)
            return False
        if len(self.lane.evals) > evaluations:
            self._probe_answers = self._answer_probes()
        if self.history.due(self.trainer.iteration) or self.lane.done:
            self.history.record(self.model, self.trainer.iteration, self.trainer.epoch)
        if self.lane.done:
            self.status = "finished"
            self._publish(force=True)
            return False
        return True

    def _after_step(self) -> None:
        self._publish()

    def _history_questions(self, task: str) -> list[str]:
        """The questions whose answers the history follows: the task's first examples (the book's
        16+75 among them), or for uploaded data the first held-out questions."""
        examples = list(TASKS[task].examples) if task in TASKS else [q for q, _ in self._probe_qa]
        return examples[:HISTORY_PROBES]

    def answer_history(self) -> tuple[list[str], list[list[str]], list]:
        """(questions, their characters as the encoder reads them, snapshots so far) for drawing."""
        with self.lock:
            self.last_seen = time.monotonic()
            return self.history.questions, self.history.inputs, list(self.history.snapshots)

    def _answer_probes(self) -> list[str]:
        ids = predict(self.model, self.probe_data.xs, self.codec.answer_width - 1, self.codec.vocab.start_id)
        return [self.codec.decode_answer(row) for row in ids]

    def _publish(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._published_at >= PUBLISH_EVERY:
            self._published = get_weights(self.model)
            self._published_at = now
            self.weights_version += 1


@dataclass
class LaneSnapshot:
    """One variant of a comparison, copied for drawing."""

    name: str
    status: str  # running (with the others), finished, diverged
    message: str
    iteration: int
    epoch: float
    train_seconds: float
    parameters: int
    losses: np.ndarray
    evals: np.ndarray


class CompareRunner(BackgroundRunner):
    """Several variants trained on the same data and seed, one step of each in turn.

    ``budget_seconds`` caps the training time of every variant; a variant that diverges stops
    while the others go on.
    """

    def __init__(self, task: str, variants: dict[str, ModelConfig], train: Dataset, val: Dataset,
                 config: TrainConfig, budget_seconds: float):
        super().__init__()
        self.task, self.config, self.budget_seconds = task, config, budget_seconds
        self.lanes = [Lane(name, build_model(cfg, np.random.default_rng([config.seed, 1])), train, val, config)
                      for name, cfg in variants.items()]
        self.failed: dict[str, str] = {}
        self.weights_version = 0

    @classmethod
    def for_race(cls, task: str, race: Race, seed: int, budget_seconds: float) -> CompareRunner:
        """The book's variants of a task (s2s.presets.COMPARISONS) with a race's settings and otherwise the
        book's (wordvec 16, batch 128, Adam, clip 5.0, 45,000 examples; 1,000 held out), from one seed."""
        train, val = make_split(task, 45000, 1000, seed)
        vocab = len(train.codec.vocab)
        variants = {name: ModelConfig(v.model, vocab, 16, race.hidden, v.reverse)
                    for name, v in COMPARISONS[task].items()}
        config = TrainConfig(batch_size=128, lr=race.lr, clip=5.0, seed=seed, epochs=race.epochs)
        return cls(task, variants, train, val, config, budget_seconds)

    def _active(self) -> list[Lane]:
        return [lane for lane in self.lanes if lane.name not in self.failed and not lane.done
                and lane.trainer.train_seconds < self.budget_seconds]

    def _next_lane(self) -> Lane | None:
        """The variant that is furthest behind (so all advance together)."""
        return min(self._active(), key=lambda ln: ln.trainer.iteration, default=None)

    def _prepare(self) -> tuple[Lane, Prepared] | None:
        lane = self._next_lane()
        return None if lane is None else (lane, lane.prepare())

    def _train_step(self, prepared: tuple[Lane, Prepared] | None = None) -> bool:
        """One mini-batch of the variant that is furthest behind."""
        lane, ready = prepared or (self._next_lane(), None)
        if lane is not None:
            try:
                lane.step(ready)
            except TrainingDiverged as e:
                self.failed[lane.name] = str(e)
            self.weights_version += 1
        if not self._active():
            for lane in self.lanes:
                evals = lane.evals.view()
                if lane.name not in self.failed and (not len(evals) or evals[-1, 0] != lane.trainer.iteration):
                    lane.evaluate()  # a final point for variants stopped by the time budget
            self.status = "finished"
            return False
        return True

    def step_once(self) -> None:
        """Pause, then one mini-batch of every variant that can still train."""
        self.pause()
        with self._step_lock, self.lock:
            for _ in range(len(self._active())):
                if self.status in ("finished", "diverged") or not self._train_step():
                    break
            if self.status not in ("finished", "diverged"):
                self.status = "paused"

    def snapshot(self) -> tuple[str, list[LaneSnapshot]]:
        """(status, one LaneSnapshot per variant); tells the watchdog someone is watching."""
        with self.lock:
            self.last_seen = time.monotonic()
            out = []
            for lane in self.lanes:
                losses, evals = lane.history()
                tr = lane.trainer
                state = ("diverged" if lane.name in self.failed else "finished" if lane not in self._active()
                         else self.status)
                out.append(LaneSnapshot(lane.name, state, self.failed.get(lane.name, ""), tr.iteration, tr.epoch,
                                        tr.train_seconds, count_parameters(lane.model), losses, evals))
            return self.status, out

    def model_copy(self, name: str) -> Seq2seq:
        """An independent copy of one variant's model (for decoding on other pages)."""
        with self.lock:
            self.last_seen = time.monotonic()
            return clone_model(next(lane.model for lane in self.lanes if lane.name == name))
