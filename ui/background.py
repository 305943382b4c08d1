"""A session's training in a background thread: the thread, fair turns at the cores, where the passes run.

A session's run (s2s.session.TrainingRun or CompareRun) is trained by a thread of its own that never
calls Streamlit. Each step takes one of the server's step slots (``FairSlots``: waiting sessions are
served in turn), computes the passes without the session's lock and finishes the step under it, so
Pause, the live refresh and the pages' decoding never wait for the passes. The thread holds only a
weak reference to its ``BackgroundRun``: when the session is gone, the object is collected and the
thread ends; ``close()`` ends it at once (tab closed), and training pauses itself when no page has
asked for a snapshot for ``IDLE_PAUSE`` seconds. A paused session's thread ends too, so the threads
alive are the sessions that train (``sessions_training()``), which decides where the passes run
(``pool_mode``) and how often the pages refresh (``poll_interval``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Protocol

from s2s.data import Dataset
from s2s.fast.libc import name_this_thread
from s2s.fast.pool import step_pool
from s2s.models import Seq2seq
from s2s.presets import Race
from s2s.session import ENDED, CompareRun, LaneSnapshot, Snapshot, TrainingRun, TrainSetup

TRAINING_THREAD_NAME = "s2s-trainer"  # also the threads' system-level name (benchmarks/load.py counts them by it)
IDLE_PAUSE = 60.0  # seconds without a snapshot request before training pauses itself
CORES = os.cpu_count() or 1
SPREAD = 0.25  # a stretched live refresh interval is spread over this share of itself either way (poll_interval)


class FairSlots:
    """A counting semaphore that serves waiters in the order they came: a releasing thread hands its
    slot to the oldest waiter. (threading.Semaphore is not fair: a training thread that releases and
    asks again at once usually wins, so with a class on one server some sessions would never get a step.)"""

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


# At most this many training steps run at the same time across all sessions of the server: one core is left
# for answering the pages, which come first in front of a class (figures: benchmarks/README.md).
STEP_SLOTS = FairSlots(max(1, CORES - 1))
# The passes of every session's steps run in worker processes at the lowest CPU priority (s2s.fast.pool): the
# server's own process then never waits for training, and the machine's spare CPU is what trains. None where
# the system cannot (the passes then run in the session's thread).
STEP_POOL = step_pool(max(1, CORES - 1))


class _Running:
    """How many sessions' training threads are running in this server (entered when a thread starts,
    left when it ends)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0

    def __enter__(self) -> None:
        with self._lock:
            self._count += 1

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._count -= 1

    @property
    def count(self) -> int:
        return self._count


RUNNING = _Running()


def sessions_training() -> int:
    """How many sessions are training in this server (their training threads are running: a paused
    session's thread ends within a second)."""
    return RUNNING.count


def pool_mode(by_hand: bool = False) -> str:
    """Where the next step's passes run (s2s.fast.pool.PooledSteps.mode). A session training alone
    splits each batch between its thread and the pool's solo worker process at normal priority: both
    cores for the one class model (a teacher's Start, a race on Compare). While other sessions train,
    the whole step goes to the pool's low-priority worker process, or stays in the calling thread when
    asked for by hand (the Step button must not wait behind the class)."""
    if sessions_training() <= 1:
        return "split"
    return "in_this_thread" if by_hand else "pool"


def poll_interval(base: float, longest: float = 10.0, spread=random.random) -> float:
    """Seconds between a page's live refreshes: `base` while one or two sessions train, longer when more
    do (linear beyond 2, at most `longest`). Every refresh is a script run and costs the browser CPU; with
    many sessions sharing the steps each one's chart changes slowly anyway (benchmarks/README.md).
    A stretched interval is spread over ±SPREAD of itself (`spread()` in [0, 1) picks where): a class that
    comes back to a page together would otherwise refresh together, every page in the same second, and
    the server would answer nothing else in that second."""
    stretched = min(max(base, base * sessions_training() / 2), longest)
    if stretched == base:
        return base
    return stretched * (1 - SPREAD + 2 * SPREAD * spread())


class Saver(Protocol):
    """What keeps a run on disk as it trains (ui.persist.RunSaver): asked after every background step
    whether a save is due, and told to save at every pause, step by hand and close."""

    def due(self, owner: BackgroundRun) -> bool:
        """Whether to save now (and, for a run that moved elsewhere, pause it instead)."""
        ...

    def save(self, owner: BackgroundRun) -> bool:
        """Save the run (copying its state under owner.lock, writing without it); never raises. False when the
        run was taken over elsewhere (resumed by another session or server): then it must train no more."""
        ...


class BackgroundRun:
    """A session's run and the thread that trains it: start, pause, step by hand, close. Everything
    that reads the run goes through ``watched()``, under the lock, which also tells the idle watchdog
    that someone is watching. A ``saver``, when set, keeps the run on disk (see Saver)."""

    saver: Saver | None = None
    closed_training = False  # close() stopped it while it trained (start() clears it)

    def __init__(self, run: TrainingRun | CompareRun):
        self.run = run
        self.lock = threading.RLock()
        self.last_seen = time.monotonic()
        self._want_run = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._step_lock = threading.Lock()  # one step at a time; taken before `lock`, never after it

    @property
    def status(self) -> str:
        """idle, running, paused, finished or diverged."""
        return self.run.status

    @property
    def message(self) -> str:
        """Why training paused or stopped ("idle", or the divergence), else empty."""
        return self.run.message

    @contextlib.contextmanager
    def watched(self) -> Iterator[TrainingRun | CompareRun]:
        """The run, under the lock; the watchdog learns that a page is looking."""
        with self.lock:
            self.last_seen = time.monotonic()
            yield self.run

    def start(self) -> None:
        """Train in the background until paused, finished or diverged (not a run taken over elsewhere)."""
        with self.lock:
            if self.run.status in ENDED or self.run.message == "moved":
                return
            self.run.status, self.run.message = "running", ""
            self.closed_training = False
            self.last_seen = time.monotonic()
            self._want_run.set()
            if self._thread is None or not self._thread.is_alive():
                self._closing.clear()
                self._thread = threading.Thread(target=_train_loop, args=(weakref.ref(self),), daemon=True,
                                                name=TRAINING_THREAD_NAME)
                self._thread.start()

    def pause(self, message: str = "") -> None:
        """Stop after the current step; state is kept (and the run told, see on_pause)."""
        self._want_run.clear()
        with self.lock:
            if self.run.status == "running":
                self.run.status, self.run.message = "paused", message
            self.run.on_pause()
        if self.saver is not None and not self.saver.save(self):
            self.moved()

    def moved(self) -> None:
        """The run was taken over elsewhere (see Saver.save): stop, and say so."""
        self._want_run.clear()
        with self.lock:
            if self.run.status not in ENDED:
                self.run.status, self.run.message = "paused", "moved"

    def step_once(self) -> None:
        """Pause, then one step by hand in the caller's thread (the run's ``step``)."""
        self.pause()
        with self._step_lock, self.lock:
            if self.run.message == "moved":
                return
            self.run.step(pool_mode(by_hand=True))
        if self.saver is not None and not self.saver.save(self):
            self.moved()

    def close(self, timeout: float = 5.0) -> None:
        """End the training thread (the session's tab is gone); training state is kept. A run closed while
        training is saved as training (``closed_training``), so that it trains on where it is resumed."""
        self._want_run.clear()
        self._closing.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        if self.closed_training:
            return  # closed before: a save as "paused" now would hide that it was training
        self.closed_training = self.run.status == "running"
        if self.saver is not None:
            self.saver.save(self)  # before the status changes
        with self.lock:
            if self.run.status == "running":
                self.run.status = "paused"

    @property
    def alive(self) -> bool:
        """Whether the training thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def _train_once(self) -> None:
        """One step of the training thread: the watchdog, then a step in one of the server's slots."""
        if time.monotonic() - self.last_seen > IDLE_PAUSE:
            self.pause("idle")
            return
        with STEP_SLOTS, self._step_lock:
            if not self._want_run.is_set():
                return
            # without the lock: with a step pool the passes wait for a worker process at the lowest priority
            prepared = self.run.prepare(pool_mode())
            with self.lock:
                if not self._want_run.is_set():
                    return  # paused meanwhile: the step is dropped, so the counters stay where Pause left them
                if not self.run.apply(prepared):
                    self._want_run.clear()
                self.run.after_step()
        saver = self.saver
        # every so often while training, and once when training ends
        if saver is not None and (not self._want_run.is_set() or saver.due(self)) and not saver.save(self):
            self.moved()


def _train_loop(ref: weakref.ReferenceType) -> None:
    """The training thread: holds its BackgroundRun only while stepping, so a dropped session ends the
    thread; ends when training pauses (Start makes a new one), so that the threads running are the
    sessions that train."""
    name_this_thread(TRAINING_THREAD_NAME)
    with RUNNING:
        while True:
            owner = ref()
            if owner is None or owner._closing.is_set():
                return
            want, closing = owner._want_run, owner._closing
            del owner
            if not want.wait(0.5):
                owner = ref()
                if owner is None:
                    return
                with owner.lock:  # start() looks at the thread under the same lock
                    if not owner._want_run.is_set():
                        owner._thread = None
                        return
                del owner
                continue
            if closing.is_set():
                return
            owner = ref()
            if owner is None:
                return
            owner._train_once()
            del owner


class BackgroundTraining(BackgroundRun):
    """The Train page's run in the background (s2s.session.TrainingRun), its passes in the step pool."""

    run: TrainingRun

    @classmethod
    def new(cls, setup: TrainSetup, train: Dataset, val: Dataset, model: Seq2seq | None = None) -> BackgroundTraining:
        """A new run of `setup` on this data (`model`: one to go on training), its passes in the step pool. A
        restored run (TrainingRun.restore with pool=STEP_POOL) is given to the constructor itself."""
        return cls(TrainingRun(setup, train, val, model, pool=STEP_POOL))

    # what never changes during a run, read without the lock
    setup = property(lambda self: self.run.setup, doc="The settings the run was made with.")
    model = property(lambda self: self.run.model, doc="The model in training (read it under the lock).")
    codec = property(lambda self: self.run.codec, doc="The data's codec.")
    trainer = property(lambda self: self.run.trainer, doc="The run's Trainer.")
    val = property(lambda self: self.run.val, doc="The held-out questions of the evaluations.")
    history = property(lambda self: self.run.history, doc="The answer history (s2s.history.AnswerHistory).")

    def snapshot(self) -> Snapshot:
        """A copy of everything the Train page draws."""
        with self.watched() as run:
            return run.snapshot()

    def published_weights(self) -> tuple[int, dict]:
        """(version, weights) last published for decoding; the arrays are never written again."""
        with self.watched() as run:
            return run.published_weights()

    def answer_history(self) -> tuple[list[str], list[list[str]], list]:
        """(questions, their characters as the encoder reads them, snapshots so far)."""
        with self.watched() as run:
            return run.answer_history()


class BackgroundCompare(BackgroundRun):
    """The Compare page's run in the background (s2s.session.CompareRun), its passes in the step pool."""

    run: CompareRun

    @classmethod
    def for_race(cls, task: str, race: Race, seed: int, budget_seconds: float) -> BackgroundCompare:
        """The book's variants of a task with a race's settings (s2s.session.CompareRun.for_race)."""
        return cls(CompareRun.for_race(task, race, seed, budget_seconds, pool=STEP_POOL))

    task = property(lambda self: self.run.task, doc="The task compared.")
    race = property(lambda self: self.run.race, doc="The race's settings and which models it races (s2s.presets).")
    lanes = property(lambda self: self.run.lanes, doc="The variants (s2s.session.ModelRun), in order.")
    weights_version = property(lambda self: self.run.weights_version, doc="Changes whenever a variant's weights do.")

    def snapshot(self) -> tuple[str, list[LaneSnapshot]]:
        """(status, one LaneSnapshot per variant)."""
        with self.watched() as run:
            return run.snapshot()

    def model_copy(self, name: str) -> Seq2seq:
        """An independent copy of one variant's model (for decoding on other pages)."""
        with self.watched() as run:
            return run.model_copy(name)
