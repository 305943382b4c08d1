"""Training (s2s.trainer): a warm-up task learnt to 100 %, determinism, divergence, metrics, schedules, and
the loop (fit) with its evaluation records."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from s2s.data import make_split, task_codec
from s2s.models import ModelConfig, build_model
from s2s.optim import global_norm
from s2s.trainer import TrainConfig, Trainer, TrainingDiverged, evaluate, predict


def small_setup(kind="peeky", seed=0, n_train=640, hidden=16, dtype=np.float32, **train):
    data, val = make_split("sort", n_train, 50, seed=0)
    config = ModelConfig(kind=kind, vocab_size=len(data.codec.vocab), wordvec_size=8, hidden_size=hidden, reverse=True)
    model = build_model(config, np.random.default_rng([seed, 1]), dtype)
    config = TrainConfig(**{"batch_size": 64, "lr": 0.01, "seed": seed, **train})
    return Trainer(model, data, config), val


def snapshot(model):
    return {n: p.copy() for n, p, _ in model.named_parameters()}


def test_warm_up_task_reaches_full_accuracy_on_held_out_data():
    train, val = make_split("reverse", 2000, 500, seed=0)
    config = ModelConfig(kind="attention", vocab_size=len(train.codec.vocab), wordvec_size=16, hidden_size=32,
                         reverse=True)
    model = build_model(config, np.random.default_rng(0))
    trainer = Trainer(model, train, TrainConfig(batch_size=64, lr=0.01, seed=0, epochs=30))
    history = [ev.accuracy for ev in trainer.fit(val, until_accuracy=1.0)]  # one evaluation per epoch
    assert history[-1] == 1.0, f"held-out accuracy per epoch: {history}"
    assert all(a < 1.0 for a in history[:-1])  # it stopped at the first epoch that reached the target
    result = evaluate(model, val)
    assert result == {"accuracy": 1.0, "char_accuracy": 1.0, "n": 500}
    assert history[0] < 1.0  # it was learnt, not given


def test_same_seed_gives_bit_identical_losses():
    runs = []
    for _ in range(2):
        trainer, _ = small_setup(seed=4)
        runs.append([trainer.step()["loss"] for _ in range(30)])  # 3 epochs of 10 steps: reshuffles included
    assert runs[0] == runs[1]
    assert runs[0][-1] < runs[0][0]
    other, _ = small_setup(seed=5)
    assert [other.step()["loss"] for _ in range(30)] != runs[0]


def test_a_backend_computes_the_passes_and_the_trainer_stays_the_same():
    """The trainer's one interface to other machinery: forward_backward(xs, ts) -> loss; closing the
    trainer closes the backend, and training goes on in this thread."""

    class Counting:
        def __init__(self, model):
            self.model, self.batches, self.closed = model, 0, False

        def forward_backward(self, xs, ts):
            self.batches += 1
            loss = self.model.forward(xs, ts)
            self.model.backward()
            return loss

        def close(self):
            self.closed = True

    plain, _ = small_setup(seed=4)
    expected = [plain.step()["loss"] for _ in range(12)]
    twin = build_model(plain.model.config, np.random.default_rng([4, 1]))
    backend = Counting(twin)
    trainer = Trainer(twin, plain.data, plain.config, backend=backend)
    losses = [trainer.step()["loss"] for _ in range(6)]
    trainer.close()
    losses += [trainer.step()["loss"] for _ in range(6)]
    assert losses == expected and backend.batches == 6 and backend.closed and trainer.backend is None


def test_more_than_one_worker_needs_a_backend():
    with pytest.raises(ValueError, match="data-parallel backend"):
        small_setup(workers=2)


def test_a_prepared_step_dropped_and_prepared_again_changes_nothing():
    """The app drops a step whose passes were computed when Pause came in between; the curve must be
    the same as without (batches at an epoch's start included)."""
    plain, _ = small_setup(seed=4)
    expected = [plain.step()["loss"] for _ in range(25)]
    trainer, _ = small_setup(seed=4)
    losses = []
    for i in range(25):
        if i % 3 == 0:
            trainer.prepare()  # dropped
        losses.append(trainer.apply(trainer.prepare())["loss"])
    assert losses == expected
    stale = trainer.prepare()
    trainer.apply(trainer.prepare())
    with pytest.raises(RuntimeError, match="prepared"):
        trainer.apply(stale)


def test_absurd_learning_rate_is_stopped_and_good_weights_restored():
    # exact log-softmax keeps the loss finite at lr=1e4, but far above chance level: that is divergence
    trainer, _ = small_setup(lr=1e4, clip=0)
    start = snapshot(trainer.model)
    with pytest.raises(TrainingDiverged) as e:
        for _ in range(20):
            trainer.step()
    msg = str(e.value)
    assert "diverged" in msg and "learning rate" in msg and "clipping" in msg and "iteration 0" in msg
    for name, p, _ in trainer.model.named_parameters():
        assert np.array_equal(p, start[name]), name  # back to the last weights known to be good
    assert trainer.optimizer.t == 0 and all(not m.any() for m in trainer.optimizer.m)


def test_good_weights_are_refreshed_while_training_goes_well():
    trainer, _ = small_setup(lr=0.01)
    for _ in range(25):
        trainer.step()
    good_iteration, weights = trainer._good
    assert good_iteration == 20
    trainer.config = dataclasses.replace(trainer.config, lr=1e4, clip=0)
    with pytest.raises(TrainingDiverged, match="iteration 20"):
        for _ in range(20):
            trainer.step()
    for name, p, _ in trainer.model.named_parameters():
        assert np.array_equal(p, weights[name]), name


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_divergence_raises_and_the_failing_step_is_not_applied():
    trainer, _ = small_setup(lr=1e37, clip=0)  # float32 overflows within a couple of steps
    start = snapshot(trainer.model)
    with pytest.raises(TrainingDiverged) as e:
        for _ in range(20):
            iteration = trainer.iteration
            trainer.step()
    msg = str(e.value)
    assert "diverged" in msg and "learning rate" in msg and "clipping" in msg
    assert trainer.iteration == iteration
    for name, p, _ in trainer.model.named_parameters():
        assert np.isfinite(p).all(), name
        assert np.array_equal(p, start[name]), name


def test_nan_weight_raises_at_once_and_good_weights_come_back():
    trainer, _ = small_setup()
    start = snapshot(trainer.model)
    trainer.model.decoder.affine.params["W"][0, 0] = np.nan
    with pytest.raises(TrainingDiverged, match="iteration 1"):
        trainer.step()
    assert trainer.iteration == 0
    for name, p, _ in trainer.model.named_parameters():
        assert np.array_equal(p, start[name]), name


def test_step_metrics():
    trainer, _ = small_setup(clip=1e-3)
    assert trainer.iters_per_epoch == 10
    for i in range(1, 13):
        m = trainer.step()
        assert {"loss", "grad_norm", "examples_per_second", "iteration", "epoch"} <= set(m)
        assert m["iteration"] == i and trainer.iteration == i
        assert m["epoch"] == pytest.approx(i / 10)
        assert math.isfinite(m["loss"]) and m["loss"] > 0
        assert m["examples_per_second"] > 0
        assert m["grad_norm"] > 1e-3  # the norm before clipping...
        assert global_norm(trainer.optimizer.grads) <= 1e-3 * (1 + 1e-6)  # ...and the clipped gradients


def test_fit_evaluates_once_per_epoch_and_drops_the_incomplete_batch():
    trainer, val = small_setup(n_train=650, epochs=2)  # 10 batches of 64 per epoch, 10 examples left over
    evaluations = list(trainer.fit(val))
    assert [(ev.iteration, ev.epoch, ev.examples, ev.steps) for ev in evaluations] == [(10, 1.0, 640, 10),
                                                                                      (20, 2.0, 1280, 10)]
    assert [ev.done for ev in evaluations] == [False, True] and not any(ev.reached for ev in evaluations)
    for ev in evaluations:
        assert math.isfinite(ev.loss) and ev.loss > 0 and ev.train_seconds > 0
        assert ev.examples_per_second == pytest.approx(10 * 64 / ev.train_seconds)
        assert ev.n == len(val) and 0 <= ev.accuracy <= ev.char_accuracy <= 1
    assert evaluations[1].cumulative_train_seconds == pytest.approx(sum(ev.train_seconds for ev in evaluations))
    assert trainer.iteration == 20 and list(trainer.fit(val)) == []  # nothing left to train


def test_fit_is_steps_and_evaluations():
    """fit is the loop a caller would write: the same losses (bit for bit) as stepping by hand, and each
    record's scores are those of evaluate at that point."""
    by_hand, val = small_setup(seed=3, epochs=2.5)
    assert by_hand.total_iterations == 25  # fractional epochs: rounded to whole steps
    losses, expected = [], []
    for _ in range(25):
        losses.append(by_hand.step()["loss"])
        if by_hand.iteration % 10 == 0 or by_hand.iteration == 25:
            expected.append((by_hand.iteration, np.mean(losses), evaluate(by_hand.model, val)))
            losses = []
    trainer, _ = small_setup(seed=3, epochs=2.5)
    steps = []
    got = [(ev.iteration, ev.loss, {"accuracy": ev.accuracy, "char_accuracy": ev.char_accuracy, "n": ev.n})
           for ev in trainer.fit(val, eval_every=10, on_step=steps.append)]
    assert [m["iteration"] for m in steps] == list(range(1, 26))
    assert [g[0] for g in got] == [10, 20, 25]
    for (i, loss, scores), (j, mean, want) in zip(got, expected, strict=True):
        assert i == j and loss == pytest.approx(mean, rel=1e-12) and scores == want


def test_fit_stops_at_the_first_evaluation_that_reaches_the_target():
    trainer, val = small_setup(epochs=5)
    evaluations = list(trainer.fit(val, eval_every=5, until_accuracy=0.0))  # any accuracy reaches 0
    assert len(evaluations) == 1 and evaluations[0].reached and not evaluations[0].done
    assert trainer.iteration == 5


def test_an_evaluation_before_any_step_has_no_loss():
    trainer, val = small_setup()
    ev = trainer.evaluate(val, target=0.5)
    assert (ev.iteration, ev.steps, ev.examples, ev.train_seconds, ev.examples_per_second) == (0, 0, 0, 0.0, 0.0)
    assert math.isnan(ev.loss) and not ev.reached and not ev.done
    trainer.step()
    trainer.step()
    ev = trainer.evaluate(val)
    assert ev.steps == 2 and ev.iteration == 2 and math.isfinite(ev.loss)
    assert trainer.evaluate(val).steps == 0  # each evaluation covers the steps since the one before


def test_cosine_schedule_falls_to_the_floor():
    trainer, _ = small_setup(lr=0.01, schedule="cosine", lr_min_factor=0.05)
    trainer.total_iterations = 20
    lrs = [trainer.step()["lr"] for _ in range(20)]
    assert lrs[0] == pytest.approx(0.01)
    assert all(b < a for a, b in zip(lrs, lrs[1:], strict=False))
    assert lrs[10] == pytest.approx(0.01 * (0.05 + 0.95 * 0.5))  # half way: half way between lr and the floor
    assert lrs[5] == pytest.approx(0.01 * (0.05 + 0.95 * (1 + 0.5**0.5) / 2))  # a quarter: cos(pi / 4), not linear
    assert lrs[-1] > 0.01 * 0.05
    assert trainer.learning_rate() == pytest.approx(0.01 * 0.05)  # at the end of the run
    trainer.step()
    assert trainer.learning_rate() == pytest.approx(0.01 * 0.05)  # and stays there
    constant, _ = small_setup(lr=0.01)
    assert {constant.step()["lr"] for _ in range(5)} == {0.01}


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"lr": 0}, {"lr": -1}, {"lr": math.nan}, {"lr": math.inf},
                                 {"optimizer": "rmsprop"}, {"schedule": "step"}, {"clip": -1}, {"clip": math.nan},
                                 {"lr_min_factor": -0.5}, {"lr_min_factor": 2.0}, {"workers": 0}, {"workers": 99},
                                 {"epochs": 0}, {"epochs": -1}, {"epochs": math.nan}, {"epochs": math.inf}])
def test_train_config_validation(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


def test_train_config_takes_keywords_only():
    with pytest.raises(TypeError):
        TrainConfig(128, 0.001)
    assert TrainConfig(batch_size=64, epochs=2.5).epochs == 2.5


def test_trainer_refuses_empty_data():
    data, _ = make_split("sort", 10, 1, seed=0)
    model = build_model(ModelConfig(kind="seq2seq", vocab_size=len(data.codec.vocab), wordvec_size=4, hidden_size=4))
    with pytest.raises(ValueError, match="empty"):
        Trainer(model, data.subset(np.arange(0)), TrainConfig())


class Oracle:
    """A stand-in model that answers from a table, so evaluate's arithmetic can be checked exactly."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def generate(self, xs, start_id, sample_size):
        self.calls.append(len(xs))
        return np.array([self.answers[tuple(x)] for x in xs])[:, :sample_size]


def test_evaluate_counts_exact_and_character_matches():
    _, val = make_split("sort", 0, 60, seed=1)
    _, first = np.unique(val.xs, axis=0, return_index=True)
    val = val.subset(np.sort(first)[:40])  # distinct questions, so the table below is unambiguous
    target = val.ts[:, 1:]
    table = {}
    wrong = 0
    for i, (x, t) in enumerate(zip(val.xs, target, strict=True)):
        guess = t.copy()
        if i % 4 == 0:  # every fourth answer has exactly one wrong character
            guess[0] = (guess[0] + 1) % len(val.codec.vocab)
            wrong += 1
        table[tuple(x)] = guess
    assert len(table) == 40
    oracle = Oracle(table)
    result = evaluate(oracle, val, batch_size=7)
    assert result["n"] == 40
    assert result["accuracy"] == pytest.approx(1 - wrong / 40)
    assert result["char_accuracy"] == pytest.approx(1 - wrong / target.size)
    assert oracle.calls == [7, 7, 7, 7, 7, 5]
    assert evaluate(oracle, val.subset(np.arange(0))) == {"accuracy": 0.0, "char_accuracy": 0.0, "n": 0}


def test_predict_in_batches_equals_one_batch():
    trainer, val = small_setup()
    for _ in range(5):
        trainer.step()
    start = task_codec("sort").vocab.start_id
    whole = predict(trainer.model, val.xs, 5, start)
    assert whole.shape == (len(val), 5)
    assert np.array_equal(predict(trainer.model, val.xs, 5, start, batch_size=3), whole)
    assert predict(trainer.model, val.xs[:0], 5, start).shape == (0, 5)
