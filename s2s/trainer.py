"""Training loop as a synchronous step, and batched evaluation.

``Trainer.step()`` trains one mini-batch and returns a metrics dict; an epoch is a loop of
steps over one shuffled pass of the data (the last incomplete batch is dropped, as in the
book). ``Trainer.evaluate(data)`` scores held-out data and returns an ``Evaluation`` record of
the training since the last one; ``Trainer.fit(...)`` is the loop of the book's ``Trainer.fit``:
steps, with an evaluation every so many, yielded as they come. Nothing here prints or plots:
the command line prints, the app draws. A step is the book's forward, backward, clip and
update; a ``Backend`` given to the trainer may compute the forward and backward passes elsewhere
(other processes: s2s/fast), with the same gradients.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np

from s2s.data import Dataset
from s2s.models import Seq2seq, get_weights, set_weights
from s2s.optim import OPTIMIZERS, clip_grads


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train: batch size, optimiser and learning rate, clipping, seed, epochs."""

    batch_size: int = 128
    lr: float = 0.001
    optimizer: str = "adam"
    clip: float = 5.0
    seed: int = 0
    epochs: float = 25  # may be fractional: the trainer rounds epochs x batches per epoch to whole steps
    schedule: str = "constant"  # or "cosine": lr falls to lr_min_factor * lr over the run
    lr_min_factor: float = 0.05
    workers: int = 1  # > 1: each batch is split across this many processes (the caller's backend, see Trainer)

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError("learning rate must be a positive number")
        if not (self.epochs > 0 and math.isfinite(self.epochs)):
            raise ValueError("epochs must be a positive number")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if not self.clip >= 0:  # written so that NaN is refused too (NaN < 0 is false)
            raise ValueError("clip must be 0 (off) or positive")
        if not 0 <= self.lr_min_factor <= 1:
            raise ValueError("lr_min_factor must be between 0 and 1")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"workers must be between 1 and {MAX_WORKERS}")

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        return asdict(self)


SCHEDULES = ("constant", "cosine")
MAX_WORKERS = 8


@dataclass(frozen=True)
class Prepared:
    """A step whose gradients are computed but not applied (Trainer.prepare)."""

    iteration: int
    examples: int
    loss: float
    started: float  # time.perf_counter() when the passes began


class Backend(Protocol):
    """What computes a mini-batch's forward and backward passes for a Trainer (the default: the model
    itself, in the trainer's thread). A backend may also have ``update(optimizer)``, to take the
    optimiser's step itself (worker processes that each update a range of the parameters), and
    ``close()``, which the trainer's ``close()`` calls."""

    def forward_backward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """Mean loss of the batch (xs (N, Te), ts (N, 1 + Td)); the model's gradients hold its gradient."""
        ...


@dataclass(frozen=True)
class Evaluation:
    """Held-out accuracy at one point of training, and the training steps since the evaluation before
    (Trainer.evaluate). Seconds are training seconds: evaluations are not counted."""

    iteration: int
    epoch: float
    examples: int  # training examples so far (iterations x batch size)
    steps: int  # steps since the evaluation before
    loss: float  # mean training loss of those steps (NaN when there were none)
    train_seconds: float  # of those steps
    cumulative_train_seconds: float
    examples_per_second: float  # of those steps (0 when there were none)
    accuracy: float  # exact match over the held-out data
    char_accuracy: float  # characters right over the held-out data
    n: int  # held-out questions
    reached: bool  # accuracy reached the target given to evaluate (False without one)
    done: bool  # every planned iteration has run


class TrainingDiverged(RuntimeError):
    """The loss blew up or became inf/NaN; the weights were restored to the last good ones."""


GOOD_EVERY = 20  # iterations between copies of weights known to give a sane loss
BLOWUP_FACTOR = 20  # a loss this many times the chance level (ln V) means training diverged


class Trainer:
    """Trains a model on a dataset one mini-batch at a time."""

    def __init__(self, model: Seq2seq, data: Dataset, config: TrainConfig, total_iterations: int | None = None, *,
                 backend: Backend | None = None):
        """`backend`: what computes each batch's forward and backward passes (see Backend); None: the
        model, in this thread. The caller builds it and the trainer's close() ends it. The caller
        chooses, not the trainer, because backends start processes and move the parameters into shared
        memory, which is no part of the book's loop: the command line builds one for
        ``config.workers > 1`` (s2s.fast.parallel.data_parallel), the app attaches each trainer to its
        step pool (s2s.fast.pool)."""
        if len(data) == 0:
            raise ValueError("the training set is empty")
        if config.workers > 1 and backend is None:
            raise ValueError(f"workers={config.workers} needs a data-parallel backend "
                             "(s2s.fast.parallel.data_parallel)")
        self.model, self.data, self.config = model, data, config
        self.backend = backend
        self.optimizer = OPTIMIZERS[config.optimizer](model, config.lr)
        self.rng = np.random.default_rng([config.seed, 2])  # shuffling stream, apart from data and init
        self.batch_size = min(config.batch_size, len(data))
        self.iters_per_epoch = len(data) // self.batch_size
        self.total_iterations = total_iterations or max(1, round(config.epochs * self.iters_per_epoch))
        self.iteration = 0
        self.train_seconds = 0.0
        self._since = (0, 0.0, 0.0)  # steps, sum of their losses, their seconds since the last evaluation
        self._order = np.arange(len(data))
        self._order_epoch = -1  # the epoch `_order` was drawn for: a step prepared again takes the same batch
        # Chance level: predicting every symbol with probability 1/V costs ln V per position.
        self.max_loss = BLOWUP_FACTOR * max(1.0, math.log(len(data.codec.vocab)))
        self._good: tuple[int, dict[str, np.ndarray]] = (0, get_weights(model))

    @property
    def epoch(self) -> float:
        """Epochs done, fractional."""
        return self.iteration / self.iters_per_epoch

    def learning_rate(self) -> float:
        """Learning rate of the next step under the schedule."""
        c = self.config
        if c.schedule == "constant":
            return c.lr
        progress = min(self.iteration / max(self.total_iterations, 1), 1.0)
        return c.lr * (c.lr_min_factor + (1 - c.lr_min_factor) * 0.5 * (1 + math.cos(math.pi * progress)))

    def step(self) -> dict:
        """Train on one mini-batch; returns loss, grad_norm, examples_per_second and counters."""
        return self.apply(self.prepare())

    def prepare(self) -> Prepared:
        """The first half of a step: the next mini-batch's forward and backward passes (gradients in
        the model, nothing else changed). Reads the parameters and writes only the gradients, so others
        may read the model meanwhile (the app does not hold its lock here); a prepared step that is
        dropped (paused meanwhile) is prepared again the same way."""
        pos = self.iteration % self.iters_per_epoch
        if pos == 0 and self._order_epoch != self.iteration // self.iters_per_epoch:
            self._order = self.rng.permutation(len(self.data))
            self._order_epoch = self.iteration // self.iters_per_epoch
        idx = self._order[pos * self.batch_size:(pos + 1) * self.batch_size]
        xs, ts = self.data.xs[idx], self.data.ts[idx]
        t0 = time.perf_counter()
        if self.backend is None:
            loss = self.model.forward(xs, ts)
            self.model.backward()
        else:
            loss = self.backend.forward_backward(xs, ts)
        return Prepared(self.iteration, len(idx), loss, t0)

    def apply(self, prepared: Prepared) -> dict:
        """The second half of a step: clip, check, update the parameters and count."""
        if prepared.iteration != self.iteration:
            raise RuntimeError("a prepared step must be applied before the next one is prepared")
        loss = prepared.loss
        norm = clip_grads(self.optimizer.grads, self.config.clip)
        if not (math.isfinite(loss) and math.isfinite(norm) and loss <= self.max_loss):
            raise self._diverged(loss, norm)
        if self.iteration % GOOD_EVERY == 0:
            self._good = (self.iteration, get_weights(self.model))  # these weights just gave a sane loss
        self.optimizer.lr = self.learning_rate()
        if hasattr(self.backend, "update"):  # e.g. worker processes that each update a range of the parameters
            self.backend.update(self.optimizer)
        else:
            self.optimizer.update()
        dt = time.perf_counter() - prepared.started
        self.iteration += 1
        self.train_seconds += dt
        steps, loss_sum, seconds = self._since
        self._since = (steps + 1, loss_sum + loss, seconds + dt)
        n = prepared.examples
        return {
            "iteration": self.iteration,
            "epoch": self.epoch,
            "loss": loss,
            "grad_norm": norm,
            "lr": self.optimizer.lr,
            "seconds": dt,
            "examples_per_second": n / dt if dt > 0 else float("inf"),
        }

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Everything continuing this training needs besides the model's weights, its data and its
        config: (JSON-able values, arrays). load_state on a new Trainer of the same model, data and config
        then takes the same steps as this one would have (bit for bit, with the same backend)."""
        opt_meta, opt_arrays = self.optimizer.state()
        good_iteration, good = self._good
        meta = {"iteration": self.iteration, "train_seconds": self.train_seconds, "order_epoch": self._order_epoch,
                "since": list(self._since), "rng": self.rng.bit_generator.state, "good_iteration": good_iteration,
                "optimizer": opt_meta, "total_iterations": self.total_iterations}
        arrays = {"order": self._order.copy(), **{f"good/{k}": v for k, v in good.items()},
                  **{f"optimizer/{k}": v for k, v in opt_arrays.items()}}
        return meta, arrays

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Go on from state() (see there). KeyError, TypeError or ValueError if it does not fit."""
        order = np.asarray(arrays["order"])
        if order.shape != (len(self.data),):
            raise ValueError(f"the saved data order has {order.size} examples, the data {len(self.data)}")
        good = {name: arrays[f"good/{name}"] for name, _, _ in self.model.named_parameters()}
        self.optimizer.load_state(meta["optimizer"], {k[len("optimizer/"):]: v for k, v in arrays.items()
                                                      if k.startswith("optimizer/")})
        self.rng.bit_generator.state = meta["rng"]
        self.iteration, self.train_seconds = int(meta["iteration"]), float(meta["train_seconds"])
        self.total_iterations = int(meta["total_iterations"])
        self._order, self._order_epoch = order.astype(np.int64), int(meta["order_epoch"])
        steps, loss_sum, seconds = meta["since"]
        self._since = (int(steps), float(loss_sum), float(seconds))
        self._good = (int(meta["good_iteration"]), {k: np.array(v) for k, v in good.items()})

    def close(self) -> None:
        """End the backend, if any: the parameters are the model's own again, and the optimiser goes on
        with them (the trainer can still step, in this thread alone)."""
        if hasattr(self.backend, "close"):
            self.backend.close()
        self.backend = None

    def _diverged(self, loss: float, norm: float) -> TrainingDiverged:
        """Restore the last good weights, forget the optimiser's state, and say what happened."""
        good_iteration, weights = self._good
        set_weights(self.model, weights)
        self.optimizer.reset()
        what = (f"the loss became {loss:.4g}" if not math.isfinite(loss) or loss > self.max_loss
                else f"the gradient norm became {norm}")
        advice = f"lower the learning rate (now {self.config.lr:g})"
        if not self.config.clip:
            advice += " or turn gradient clipping on"
        return TrainingDiverged(
            f"training diverged at iteration {self.iteration + 1}: {what} (chance level is about "
            f"{self.max_loss / BLOWUP_FACTOR:.2f}); the weights were restored to those of iteration "
            f"{good_iteration}. To go on, {advice}")

    def evaluate(self, data: Dataset, target: float | None = None) -> Evaluation:
        """Score the model on held-out `data` now (greedy decoding, see evaluate below), with the
        training since the last evaluation; `reached` says whether exact match is at least `target`."""
        scores = evaluate(self.model, data)
        steps, loss_sum, seconds = self._since
        self._since = (0, 0.0, 0.0)
        return Evaluation(
            iteration=self.iteration, epoch=self.epoch, examples=self.iteration * self.batch_size, steps=steps,
            loss=loss_sum / steps if steps else math.nan, train_seconds=seconds,
            cumulative_train_seconds=self.train_seconds,
            examples_per_second=steps * self.batch_size / seconds if seconds > 0 else 0.0,
            accuracy=scores["accuracy"], char_accuracy=scores["char_accuracy"], n=scores["n"],
            reached=target is not None and scores["accuracy"] >= target,
            done=self.iteration >= self.total_iterations)

    def fit(self, eval_data: Dataset, eval_every: int = 0, until_accuracy: float | None = None,
            on_step: Callable[[dict], None] | None = None) -> Iterator[Evaluation]:
        """Train until every planned iteration has run, evaluating on `eval_data` every `eval_every`
        iterations (0: once per epoch) and after the last; yields each Evaluation, and stops after the
        first whose exact match reaches `until_accuracy`. `on_step` gets each step's metrics (a progress
        bar). The caller may stop early by leaving the loop; TrainingDiverged ends it (see step)."""
        every = eval_every or self.iters_per_epoch
        while self.iteration < self.total_iterations:
            metrics = self.step()
            if on_step is not None:
                on_step(metrics)
            if self.iteration % every and self.iteration < self.total_iterations:
                continue
            evaluation = self.evaluate(eval_data, until_accuracy)
            yield evaluation
            if evaluation.reached:
                return


def predict(model: Seq2seq, xs: np.ndarray, sample_size: int, start_id: int, batch_size: int = 2000) -> np.ndarray:
    """Greedy answers (N, sample_size) for questions xs (N, T), in batches."""
    out = [model.generate(xs[i:i + batch_size], start_id, sample_size) for i in range(0, len(xs), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, sample_size), np.int64)


def evaluate(model: Seq2seq, data: Dataset, batch_size: int = 2000) -> dict:
    """Exact-match and per-character accuracy of greedy decoding over the whole dataset."""
    if len(data) == 0:
        return {"accuracy": 0.0, "char_accuracy": 0.0, "n": 0}
    target = data.ts[:, 1:]
    guess = predict(model, data.xs, target.shape[1], data.codec.vocab.start_id, batch_size)
    same = guess == target
    return {"accuracy": float(same.all(axis=1).mean()), "char_accuracy": float(same.mean()), "n": len(data)}
