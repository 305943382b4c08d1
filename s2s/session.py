"""A training session of the app, stepped by its caller: what the Train and Compare pages train.

``TrainingRun`` trains one model (the Train page): the loss of every step, held-out accuracy every
quarter epoch, ten held-out probe questions answered after each evaluation, the answer history of a
few examples, and copies of the weights published for the pages that decode. ``CompareRun`` trains
several variants on the same data and seed, one step of the variant furthest behind at a time (the
Compare page). Each model in training is a ``ModelRun``, with its tables of losses and evaluations.

A step comes in two halves, as in ``Trainer``: ``prepare(mode)`` computes the passes and touches only
the gradients, so others may read the run meanwhile (the app holds no lock there); ``apply(prepared)``
updates the model and the bookkeeping (the app holds the session's lock). ``step(mode)`` is both at
once, as the Step button takes it. Nothing here starts a thread or knows how many sessions train: the
app's background layer (ui/background.py) passes the step pool in and says for each step where its
passes run (``mode``, see s2s.fast.pool.PooledSteps). Tests step a run synchronously.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from s2s.data import Dataset, make_split, split_dataset
from s2s.history import AnswerHistory, AnswerSnapshot
from s2s.models import ModelConfig, Seq2seq, build_model, clone_model, count_parameters, get_weights, set_weights
from s2s.presets import BEYOND, LIVE_EVAL_SIZE, Race, comparison_presets
from s2s.tasks import TASKS
from s2s.trainer import Backend, Evaluation, Prepared, TrainConfig, Trainer, TrainingDiverged, predict

EVALS_PER_EPOCH = 4
N_PROBES = 10  # held-out questions shown with their current answers
HISTORY_PROBES = 3  # questions followed by the answer history
HISTORY_PER_EPOCH = 20  # snapshots of the answer history per epoch (fewer once it thins itself)
PUBLISH_EVERY = 0.3  # seconds between weight copies for decoding
SMOOTHING = 0.05  # weight of the newest loss in the smoothed loss line
ENDED = ("finished", "diverged")  # a run in one of these states trains no more
GENERATED_KEPT = 16  # generated (training, held-out) sets kept to be shared by the runs that ask for the same


class PooledBackend(Backend, Protocol):
    """A backend whose passes run where ``mode`` says (s2s.fast.pool.PooledSteps)."""

    mode: str


class StepPool(Protocol):
    """Where the app's trainers compute their passes (s2s.fast.pool.StepPool)."""

    def attach(self, model: Seq2seq, max_batch: int, xs_width: int, ts_width: int) -> PooledBackend:
        """The backend for a trainer of `model` with batches of at most `max_batch` rows."""
        ...


@dataclass(frozen=True)
class TrainSetup:
    """Everything that defines a training run, as chosen on the Train page."""

    task: str  # a generated task name, or "upload"
    model: ModelConfig
    train: TrainConfig
    train_size: int = 45000
    data_name: str = ""  # the uploaded file's name, for task "upload"

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        return {"task": self.task, "model": self.model.to_dict(), "train": self.train.to_dict(),
                "train_size": self.train_size, "data_name": self.data_name}

    @classmethod
    def from_dict(cls, d: dict) -> TrainSetup:
        """Inverse of to_dict; TypeError or ValueError if it does not describe a valid setup."""
        if d["task"] not in TASKS and d["task"] != "upload":
            raise ValueError(f"unknown task {d['task']!r}")
        return cls(task=str(d["task"]), model=ModelConfig(**d["model"]), train=TrainConfig(**d["train"]),
                   train_size=int(d["train_size"]), data_name=str(d["data_name"]))


def setup_data(setup: TrainSetup, uploaded: Dataset | None = None) -> tuple[Dataset, Dataset]:
    """The (training, held-out) data of a setup: generated from its seed, or the upload split by it (a
    tenth held out). The same setup gives the same data every time, so a saved run keeps only its setup."""
    if setup.task == "upload":
        if uploaded is None:
            raise ValueError("a run on uploaded data needs the upload")
        return split_dataset(uploaded, 0.1, setup.train.seed)
    return _generated(setup.task, setup.train_size, setup.train.seed)


@functools.lru_cache(maxsize=GENERATED_KEPT)
def _generated(task: str, train_size: int, seed: int) -> tuple[Dataset, Dataset]:
    """Generated data, shared read-only by every run of the same task, size and seed: a class pressing Start
    with the default seed generates it once (each set of 45,000 took the server's interpreter a tenth of a
    second, 100 students pressing Start a sixth of it)."""
    sets = make_split(task, train_size, LIVE_EVAL_SIZE, seed)
    for data in sets:
        data.xs.setflags(write=False)
        data.ts.setflags(write=False)
    return sets


class AppendOnlyTable:
    """An append-only table of float64 rows. Rows once written never change, and a full buffer is
    replaced rather than resized, so ``view()`` hands out the first n rows without a copy: a page can
    draw them while training goes on appending."""

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

    @classmethod
    def of(cls, rows: np.ndarray) -> AppendOnlyTable:
        """A table holding a copy of `rows` (n, columns)."""
        table = cls(rows.shape[1], max(1024, 2 * len(rows)))
        table._rows[:len(rows)] = rows
        table._n = len(rows)
        return table

    def view(self) -> np.ndarray:
        """The rows written so far (read-only)."""
        out = self._rows[:self._n]
        out.flags.writeable = False
        return out


@dataclass
class Snapshot:
    """A consistent copy of a TrainingRun's state for drawing."""

    status: str  # idle, running, paused, finished, diverged
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


class ModelRun:
    """One model being trained with its loss and accuracy tables (the Train page's model, or one
    variant of a comparison)."""

    def __init__(self, name: str, model: Seq2seq, train: Dataset, val: Dataset, config: TrainConfig,
                 pool: StepPool | None = None):
        """`pool`: where the passes are computed (None: in the caller's thread)."""
        self.name, self.model, self.codec = name, model, train.codec
        iters = max(1, len(train) // min(config.batch_size, len(train)))
        self.backend: PooledBackend | None = None
        if pool is not None:
            self.backend = pool.attach(model, config.batch_size, train.xs.shape[1], train.ts.shape[1])
        self.trainer = Trainer(model, train, config, iters * config.epochs, backend=self.backend)
        self.val = val.subset(np.arange(min(LIVE_EVAL_SIZE, len(val))))
        self.eval_every = max(1, iters // EVALS_PER_EPOCH)
        self.losses = AppendOnlyTable(3)  # iteration, loss, smoothed loss
        self.evals = AppendOnlyTable(4)  # iteration, epoch, accuracy, per-character accuracy
        self._smooth_sum = self._smooth_weight = 0.0
        self.speed = 0.0  # examples per second, smoothed
        self.evaluate()

    @property
    def done(self) -> bool:
        """Whether every planned iteration has run."""
        return self.trainer.iteration >= self.trainer.total_iterations

    def prepare(self, mode: str | None = None) -> Prepared:
        """The passes of the next mini-batch (Trainer.prepare), computed where `mode` says (see
        s2s.fast.pool.PooledSteps.mode; None, or no pool: as before). "split" sums the same gradient in
        another order; "pool" and "in_this_thread" give the same numbers."""
        if self.backend is not None and mode is not None:
            self.backend.mode = mode
        return self.trainer.prepare()

    def apply(self, prepared: Prepared) -> None:
        """Finish the step `prepared` and record it; an evaluation every quarter epoch and at the end.
        Raises TrainingDiverged."""
        m = self.trainer.apply(prepared)
        # exponential moving average with bias correction, kept as it goes: redrawing a long run must not
        # go over every step again
        self._smooth_sum = (1 - SMOOTHING) * self._smooth_sum + SMOOTHING * m["loss"]
        self._smooth_weight = (1 - SMOOTHING) * self._smooth_weight + SMOOTHING
        self.losses.append(m["iteration"], m["loss"], self._smooth_sum / self._smooth_weight)
        speed = m["examples_per_second"]
        self.speed = speed if not self.speed else 0.9 * self.speed + 0.1 * speed
        if self.trainer.iteration % self.eval_every == 0 or self.done:
            self.evaluate()

    def evaluate(self) -> Evaluation:
        """Held-out accuracy now (the trainer's Evaluation record, as Trainer.fit yields it)."""
        e = self.trainer.evaluate(self.val)
        self.evals.append(e.iteration, e.epoch, e.accuracy, e.char_accuracy)
        return e

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        """Read-only views of the loss (n, 3) and evaluation (m, 4) tables (see AppendOnlyTable)."""
        return self.losses.view(), self.evals.view()

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-able values, arrays) to go on from with load_state: the weights, the trainer's state
        (Trainer.state) and the tables."""
        meta, arrays = self.trainer.state()
        meta = {"trainer": meta, "smooth": [self._smooth_sum, self._smooth_weight], "speed": self.speed}
        arrays = {**{f"trainer/{k}": v for k, v in arrays.items()},
                  **{f"weights/{k}": v for k, v in get_weights(self.model).items()},
                  "losses": self.losses.view().copy(), "evals": self.evals.view().copy()}
        return meta, arrays

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Go on from state(). KeyError, TypeError or ValueError if it does not fit this model and data."""
        weights = {name: arrays[f"weights/{name}"] for name, _, _ in self.model.named_parameters()}
        for name, p, _ in self.model.named_parameters():
            if weights[name].shape != p.shape:
                raise ValueError(f"the saved weights {name} have shape {weights[name].shape}, not {p.shape}")
        losses, evals = np.asarray(arrays["losses"], float), np.asarray(arrays["evals"], float)
        if losses.ndim != 2 or losses.shape[1] != 3 or evals.ndim != 2 or evals.shape[1] != 4:
            raise ValueError("the saved loss or evaluation table has the wrong columns")
        self.trainer.load_state(meta["trainer"], _part(arrays, "trainer/"))
        set_weights(self.model, weights)
        self.losses, self.evals = AppendOnlyTable.of(losses), AppendOnlyTable.of(evals)
        self._smooth_sum, self._smooth_weight = (float(x) for x in meta["smooth"])
        self.speed = float(meta["speed"])


class TrainingRun:
    """One session's model, trained on the Train page, with everything the page shows of it."""

    def __init__(self, setup: TrainSetup, train: Dataset, val: Dataset, model: Seq2seq | None = None,
                 pool: StepPool | None = None):
        """`model`: the model to go on training (None: a new one from the setup's seed)."""
        self.setup = setup
        self.status, self.message = "idle", ""
        model = model or build_model(setup.model, np.random.default_rng([setup.train.seed, 1]))
        self.model_run = ModelRun("model", model, train, val, setup.train, pool)
        self.model, self.codec, self.trainer = model, self.model_run.codec, self.model_run.trainer
        self.val = self.model_run.val
        self.probe_data = val.subset(np.arange(min(N_PROBES, len(val))))
        self._probe_qa = list(zip(self.probe_data.questions(), self.probe_data.answers(), strict=True))
        self._probe_answers = self._answer_probes()
        iters = self.trainer.total_iterations // max(1, setup.train.epochs)
        self.history = AnswerHistory(self.codec, self._history_questions(setup.task),
                                     every=max(1, iters // HISTORY_PER_EPOCH))
        self.history.record(self.model, self.trainer.iteration, self.trainer.epoch)
        self.weights_version = 0
        self._published = get_weights(self.model)
        self._published_at = 0.0

    def prepare(self, mode: str | None = None) -> Prepared:
        """The first half of the next step (ModelRun.prepare)."""
        return self.model_run.prepare(mode)

    def apply(self, prepared: Prepared) -> bool:
        """The second half: train, evaluate, answer the probes, keep the history; False when training
        stops (finished, or diverged with the message saying why)."""
        try:
            evaluations = len(self.model_run.evals)
            self.model_run.apply(prepared)
        except TrainingDiverged as e:
            self.status, self.message = "diverged", str(e)
            self.publish(force=True)
            return False
        if len(self.model_run.evals) > evaluations:
            self._probe_answers = self._answer_probes()
        if self.history.due(self.trainer.iteration) or self.model_run.done:
            self.history.record(self.model, self.trainer.iteration, self.trainer.epoch)
        if self.model_run.done:
            self.status = "finished"
            self.publish(force=True)
            return False
        return True

    def after_step(self) -> None:
        """After a step in the background: publish the weights if it is time."""
        self.publish()

    def on_pause(self) -> None:
        """Training paused: the current weights are published."""
        self.publish(force=True)

    def step(self, mode: str | None = None) -> None:
        """One whole step, as the Step button takes it: the run is paused after it (unless it ended), the
        weights are published and the history keeps every step taken by hand."""
        if self.status not in ENDED and self.apply(self.prepare(mode)):
            self.status = "paused"
        self.publish(force=True)
        if self.history.snapshots[-1].iteration != self.trainer.iteration:
            self.history.record(self.model, self.trainer.iteration, self.trainer.epoch)

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Everything that makes this run, but its data (see setup_data): (JSON-able values, arrays), from
        which restore() rebuilds it to go on bit for bit. Copies: the run may train on meanwhile."""
        run_meta, run_arrays = self.model_run.state()
        history_meta, history_arrays = self.history.state()
        meta = {"kind": "train", "setup": self.setup.to_dict(), "status": self.status, "message": self.message,
                "run": run_meta,
                "history": history_meta, "probe_answers": list(self._probe_answers),
                "weights_version": self.weights_version}
        return meta, {**{f"run/{k}": v for k, v in run_arrays.items()},
                      **{f"history/{k}": v for k, v in history_arrays.items()}}

    @classmethod
    def restore(cls, meta: dict, arrays: dict[str, np.ndarray], train: Dataset, val: Dataset,
                pool: StepPool | None = None) -> TrainingRun:
        """The run state() described, on its data (setup_data of its setup). KeyError, TypeError or
        ValueError if the state is incomplete or does not fit the data."""
        if meta.get("kind") != "train":
            raise ValueError(f"the state is of a {meta.get('kind')!r} run, not a training run")
        run = cls(TrainSetup.from_dict(meta["setup"]), train, val, pool=pool)
        run.model_run.load_state(meta["run"], _part(arrays, "run/"))
        run.history.load_state(meta["history"], _part(arrays, "history/"))
        probes = [str(a) for a in meta["probe_answers"]]
        if len(probes) != len(run._probe_qa):
            raise ValueError("the saved probe answers do not match the held-out questions")
        run._probe_answers = probes
        run.status, run.message = _status(meta["status"]), str(meta["message"])
        run.weights_version = int(meta["weights_version"])
        run.publish(force=True)
        return run

    def position(self) -> tuple:
        """Where the run is: changes whenever a step is taken or its status changes (what a save records)."""
        return self.trainer.iteration, self.status

    def snapshot(self) -> Snapshot:
        """A copy of everything the Train page draws."""
        tr = self.trainer
        losses, evals = self.model_run.history()
        probes = [(q, a, g) for (q, a), g in zip(self._probe_qa, self._probe_answers, strict=True)]
        return Snapshot(
            status=self.status, message=self.message, iteration=tr.iteration, epoch=tr.epoch,
            total_iterations=tr.total_iterations, train_seconds=tr.train_seconds,
            examples_per_second=self.model_run.speed, losses=losses, evals=evals, probes=probes,
            weights_version=self.weights_version,
        )

    def published_weights(self) -> tuple[int, dict[str, np.ndarray]]:
        """(version, weights) last published for decoding; the arrays are never written again."""
        return self.weights_version, self._published

    def answer_history(self) -> tuple[list[str], list[list[str]], list[AnswerSnapshot]]:
        """(questions, their characters as the encoder reads them, snapshots so far) for drawing."""
        return self.history.questions, self.history.inputs, list(self.history.snapshots)

    def publish(self, force: bool = False) -> None:
        """Copy the weights for decoding, at most every PUBLISH_EVERY seconds unless `force`."""
        now = time.monotonic()
        if force or now - self._published_at >= PUBLISH_EVERY:
            self._published = get_weights(self.model)
            self._published_at = now
            self.weights_version += 1

    def _history_questions(self, task: str) -> list[str]:
        """The questions whose answers the history follows: the task's first examples (the book's
        16+75 among them), or for uploaded data the first held-out questions."""
        examples = list(TASKS[task].examples) if task in TASKS else [q for q, _ in self._probe_qa]
        return examples[:HISTORY_PROBES]

    def _answer_probes(self) -> list[str]:
        ids = predict(self.model, self.probe_data.xs, self.codec.answer_width - 1, self.codec.vocab.start_id)
        return [self.codec.decode_answer(row) for row in ids]


class CompareRun:
    """Several variants trained on the same data and seed, one step of the variant furthest behind at a
    time, so that all advance together.

    ``budget_seconds`` caps the training time of every variant; a variant that diverges stops while the
    others go on.
    """

    race: Race | None = None  # for_race's race and seed: what state() records and restore() rebuilds from
    seed = 0

    def __init__(self, task: str, variants: dict[str, ModelConfig], train: Dataset, val: Dataset,
                 config: TrainConfig | dict[str, TrainConfig], budget_seconds: float, pool: StepPool | None = None):
        """`config`: every variant's training, or each one's by name (a learning rate of its own)."""
        configs = config if isinstance(config, dict) else dict.fromkeys(variants, config)
        self.task, self.config, self.budget_seconds = task, configs, budget_seconds
        self.status, self.message = "idle", ""
        self.lanes = [ModelRun(name, build_model(cfg, np.random.default_rng([configs[name].seed, 1])), train, val,
                               configs[name], pool) for name, cfg in variants.items()]
        self.failed: dict[str, str] = {}  # variant name -> why it diverged
        self.weights_version = 0

    @classmethod
    def for_race(cls, task: str, race: Race, seed: int, budget_seconds: float,
                 pool: StepPool | None = None) -> CompareRun:
        """A race's variants of a task (s2s.presets.race_variants: the book's, or those beyond it) with the race's
        settings and otherwise the book's (wordvec 16, batch 128, Adam, clip 5.0, 45,000 examples; 1,000 held
        out), from one seed."""
        presets = comparison_presets(task, race)
        first = next(iter(presets.values()))  # the variants differ in their model (and maybe learning rate) only
        train, val = make_split(task, first.train_size, LIVE_EVAL_SIZE, seed)
        variants = {name: p.model_config(len(train.codec.vocab)) for name, p in presets.items()}
        configs = {name: p.train_config(seed=seed) for name, p in presets.items()}
        run = cls(task, variants, train, val, configs, budget_seconds, pool)
        run.race, run.seed = race, seed
        return run

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Everything that makes this comparison (made by for_race): (JSON-able values, arrays), from which
        restore() rebuilds it to go on bit for bit."""
        if self.race is None:
            raise ValueError("only a comparison made by for_race can be saved")
        lanes, arrays = {}, {}
        for lane in self.lanes:
            lanes[lane.name], lane_arrays = lane.state()
            arrays.update({f"lanes/{lane.name}/{k}": v for k, v in lane_arrays.items()})
        meta = {"kind": "compare", "task": self.task, "seed": self.seed, "budget": self.budget_seconds,
                "race": {"hidden": self.race.hidden, "epochs": self.race.epochs, "lr": self.race.lr,
                         "variants": self.race.variants},
                "status": self.status, "message": self.message, "failed": dict(self.failed),
                "weights_version": self.weights_version, "lanes": lanes}
        return meta, arrays

    @classmethod
    def restore(cls, meta: dict, arrays: dict[str, np.ndarray], pool: StepPool | None = None) -> CompareRun:
        """The comparison state() described (its data regenerated from its seed). KeyError, TypeError or
        ValueError if the state is incomplete or does not fit."""
        if meta.get("kind") != "compare":
            raise ValueError(f"the state is of a {meta.get('kind')!r} run, not a comparison")
        if meta["task"] not in TASKS:
            raise ValueError(f"unknown task {meta['task']!r}")
        r = meta["race"]
        race = Race(int(r["hidden"]), int(r["epochs"]), float(r["lr"]), variants=str(r.get("variants", "")))
        if race.variants and race.variants not in BEYOND:
            raise ValueError(f"unknown variants {race.variants!r}")
        run = cls.for_race(meta["task"], race, int(meta["seed"]), float(meta["budget"]), pool)
        for lane in run.lanes:
            lane.load_state(meta["lanes"][lane.name], _part(arrays, f"lanes/{lane.name}/"))
        run.failed = {str(k): str(v) for k, v in meta["failed"].items()}
        run.status, run.message = _status(meta["status"]), str(meta["message"])
        run.weights_version = int(meta["weights_version"])
        return run

    def position(self) -> tuple:
        """Where the comparison is: changes whenever a variant steps or the status changes."""
        return tuple(lane.trainer.iteration for lane in self.lanes), self.status

    def active(self) -> list[ModelRun]:
        """The variants that still train (not diverged, not done, within the time budget)."""
        return [lane for lane in self.lanes if lane.name not in self.failed and not lane.done
                and lane.trainer.train_seconds < self.budget_seconds]

    def next_lane(self) -> ModelRun | None:
        """The variant that is furthest behind."""
        return min(self.active(), key=lambda ln: ln.trainer.iteration, default=None)

    def prepare(self, mode: str | None = None) -> tuple[ModelRun, Prepared] | None:
        """The first half of the next step: the passes of the variant furthest behind (None: none left)."""
        lane = self.next_lane()
        return None if lane is None else (lane, lane.prepare(mode))

    def apply(self, prepared: tuple[ModelRun, Prepared] | None) -> bool:
        """The second half; False when no variant can train any more (the comparison is finished)."""
        if prepared is not None:
            lane, ready = prepared
            try:
                lane.apply(ready)
            except TrainingDiverged as e:
                self.failed[lane.name] = str(e)
            self.weights_version += 1
        if not self.active():
            for lane in self.lanes:
                evals = lane.evals.view()
                if lane.name not in self.failed and (not len(evals) or evals[-1, 0] != lane.trainer.iteration):
                    lane.evaluate()  # a final point for variants stopped by the time budget
            self.status = "finished"
            return False
        return True

    def after_step(self) -> None:
        """Nothing to do after a step in the background (the decoding copies are made on demand)."""

    def on_pause(self) -> None:
        """Nothing to do when training pauses."""

    def step(self, mode: str | None = None) -> None:
        """One mini-batch of every variant that can still train, as the Step button takes it; the
        comparison is paused after it (unless it finished)."""
        for _ in range(len(self.active())):
            if self.status in ENDED or not self.apply(self.prepare(mode)):
                break
        if self.status not in ENDED:
            self.status = "paused"

    def snapshot(self) -> tuple[str, list[LaneSnapshot]]:
        """(status, one LaneSnapshot per variant)."""
        out = []
        active = self.active()
        for lane in self.lanes:
            losses, evals = lane.history()
            tr = lane.trainer
            state = "diverged" if lane.name in self.failed else "finished" if lane not in active else self.status
            out.append(LaneSnapshot(lane.name, state, self.failed.get(lane.name, ""), tr.iteration, tr.epoch,
                                    tr.train_seconds, count_parameters(lane.model), losses, evals))
        return self.status, out

    def model_copy(self, name: str) -> Seq2seq:
        """An independent copy of one variant's model (for decoding on other pages)."""
        return clone_model(next(lane.model for lane in self.lanes if lane.name == name))


STATUSES = ("idle", "running", "paused", *ENDED)


def _status(value: object) -> str:
    """A saved status, or ValueError if it is none of STATUSES."""
    if value not in STATUSES:
        raise ValueError(f"unknown status {value!r}")
    return str(value)


def _part(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays whose names start with `prefix`, by the rest of their names."""
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
