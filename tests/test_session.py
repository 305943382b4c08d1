"""The app's training session stepped synchronously (s2s/session.py): no thread, no Streamlit, no pool."""

from __future__ import annotations

import numpy as np
import pytest

from s2s import session as session_module
from s2s.data import make_split
from s2s.models import ModelConfig
from s2s.session import AppendOnlyTable, CompareRun, TrainingRun, TrainSetup
from s2s.trainer import TrainConfig

ITERS_PER_EPOCH = 20  # 1,280 examples in batches of 64


def make_run(lr: float = 0.005, clip: float = 5.0, epochs: int = 2, pool=None) -> TrainingRun:
    train, val = make_split("sort", 64 * ITERS_PER_EPOCH, 64, 0)
    setup = TrainSetup("sort", ModelConfig(kind="peeky", vocab_size=len(train.codec.vocab), wordvec_size=8,
                                           hidden_size=16, reverse=True),
                       TrainConfig(batch_size=64, lr=lr, clip=clip, epochs=epochs))
    return TrainingRun(setup, train, val, pool=pool)


def make_compare(budget_seconds: float = 1e9, epochs: int = 2) -> CompareRun:
    train, val = make_split("sort", 64 * ITERS_PER_EPOCH, 64, 0)
    vocab = len(train.codec.vocab)
    variants = {"plain": ModelConfig(kind="seq2seq", vocab_size=vocab, wordvec_size=8, hidden_size=16, reverse=False),
                "peeky": ModelConfig(kind="peeky", vocab_size=vocab, wordvec_size=8, hidden_size=16, reverse=True)}
    return CompareRun("sort", variants, train, val, TrainConfig(batch_size=64, lr=0.005, epochs=epochs),
                      budget_seconds)


def train_in_halves(run) -> bool:
    """One step as the background thread takes it: the passes, then the update."""
    return run.apply(run.prepare())


class RecordingBackend:
    """A backend that computes the passes in this thread and remembers the mode of each step."""

    def __init__(self, model):
        self.model, self.mode, self.modes = model, "pool", []

    def forward_backward(self, xs, ts):
        self.modes.append(self.mode)
        loss = self.model.forward(xs, ts)
        self.model.backward()
        return loss


class RecordingPool:
    def attach(self, model, max_batch, xs_width, ts_width):
        self.backend = RecordingBackend(model)
        return self.backend


def test_a_new_run_is_idle_and_evaluated_once_before_training():
    snap = make_run().snapshot()
    assert snap.status == "idle" and snap.iteration == 0 and snap.total_iterations == 2 * ITERS_PER_EPOCH
    assert snap.losses.shape == (0, 3) and snap.evals.shape == (1, 4) and snap.evals[0, 0] == 0
    assert len(snap.probes) == 10 and all(len(p) == 3 for p in snap.probes)


def test_step_trains_one_batch_records_it_and_pauses():
    run = make_run()
    run.step()
    snap = run.snapshot()
    assert snap.iteration == 1 and snap.status == "paused"
    assert snap.losses.shape == (1, 3) and snap.losses[0, 0] == 1 and np.isfinite(snap.losses).all()


def test_steps_in_two_halves_give_the_same_curve_as_whole_steps():
    whole, halves = make_run(), make_run()
    for _ in range(6):
        whole.step()
        assert train_in_halves(halves)
    assert np.array_equal(whole.snapshot().losses, halves.snapshot().losses)
    assert halves.status == "idle"  # only the background layer says running or paused


def test_evaluations_come_every_quarter_epoch():
    run = make_run()
    for _ in range(ITERS_PER_EPOCH + 3):
        train_in_halves(run)
    evals = run.snapshot().evals
    assert evals[:, 0].tolist() == [0, 5, 10, 15, 20]
    assert np.allclose(evals[:, 1], evals[:, 0] / ITERS_PER_EPOCH)  # the epoch column
    assert ((0 <= evals[:, 2:]) & (evals[:, 2:] <= 1)).all()


def test_the_probes_are_answered_again_after_each_evaluation_only(monkeypatch):
    run = make_run()
    calls, predict = [], session_module.predict

    def counting(*args, **kwargs):
        calls.append(run.trainer.iteration)
        return predict(*args, **kwargs)

    monkeypatch.setattr(session_module, "predict", counting)
    for _ in range(11):
        train_in_halves(run)
    assert calls == [5, 10]
    guesses = [g for _, _, g in run.snapshot().probes]
    ids = predict(run.model, run.probe_data.xs, run.codec.answer_width - 1, run.codec.vocab.start_id)
    assert guesses == [run.codec.decode_answer(row) for row in ids]  # what the model answers now (iteration 11)...
    truths = [a for _, a, _ in run.snapshot().probes]
    assert truths == run.probe_data.answers()  # ...next to the true answers


def test_smoothed_loss_is_the_bias_corrected_moving_average():
    run = make_run()
    for _ in range(15):
        train_in_halves(run)
    losses = run.snapshot().losses
    a = session_module.SMOOTHING
    acc = weight = 0.0
    for k, value in enumerate(losses[:, 1]):
        acc, weight = (1 - a) * acc + a * value, (1 - a) * weight + a
        assert np.isclose(losses[k, 2], acc / weight)
    assert losses[0, 2] == losses[0, 1] and losses[-1, 2] != losses[-1, 1]


def test_a_run_finishes_by_itself_with_a_final_evaluation_and_the_final_weights_published():
    run = make_run(epochs=1)
    steps = 1
    while train_in_halves(run):
        steps += 1
    snap = run.snapshot()
    assert steps == snap.iteration == snap.total_iterations == ITERS_PER_EPOCH and snap.status == "finished"
    assert snap.evals[-1, 0] == ITERS_PER_EPOCH
    version, weights = run.published_weights()
    assert version == snap.weights_version >= 1
    for name, p, _ in run.model.named_parameters():
        assert np.array_equal(weights[name], p), name
    run.step()  # refused: the run is over
    assert run.snapshot().iteration == ITERS_PER_EPOCH and run.status == "finished"


def test_diverged_training_stops_itself_with_the_message_and_finite_weights():
    run = make_run(lr=1e4, clip=0)
    for _ in range(10):
        if not train_in_halves(run):
            break
    snap = run.snapshot()
    assert snap.status == "diverged" and "training diverged at iteration" in snap.message
    assert "lower the learning rate" in snap.message and "gradient clipping" in snap.message
    assert all(np.isfinite(p).all() for _, p, _ in run.model.named_parameters())
    published = run.published_weights()[1]
    assert all(np.isfinite(w).all() for w in published.values())  # the restored weights are published
    run.step()  # refused until a new run
    assert run.snapshot().iteration == snap.iteration and run.status == "diverged"


def test_the_history_keeps_snapshots_of_the_examples_answers():
    run = make_run()  # 20 iterations an epoch: a snapshot every iteration
    for _ in range(5):
        run.step()
    questions, inputs, snaps = run.answer_history()
    assert questions == ["3141", "987", "50210"]  # the sort task's first examples
    assert [s.iteration for s in snaps] == [0, 1, 2, 3, 4, 5]
    assert len(inputs) == 3 and all(len(x) == 5 for x in inputs)
    assert len(snaps[-1].answers) == 3 and snaps[0].top_probs.shape[:2] == (3, 5)


def test_weights_are_published_at_most_every_few_tenths_of_a_second_unless_forced():
    run = make_run()
    version = run.published_weights()[0]
    run.publish()
    run.publish()  # within PUBLISH_EVERY of the first
    assert run.published_weights()[0] == version + 1
    run.on_pause()
    assert run.published_weights()[0] == version + 2


def test_the_caller_says_where_the_passes_run_and_the_numbers_stay_the_same():
    pool = RecordingPool()
    pooled, plain = make_run(pool=pool), make_run()
    assert pooled.trainer.backend is pool.backend
    for mode in ("pool", "in_this_thread", "split"):
        pooled.apply(pooled.prepare(mode))
        train_in_halves(plain)
    pooled.step("in_this_thread")
    plain.step()
    assert pool.backend.modes == ["pool", "in_this_thread", "split", "in_this_thread"]
    assert np.array_equal(pooled.snapshot().losses, plain.snapshot().losses)


def test_append_only_table_grows_without_changing_views_already_handed_out():
    table = AppendOnlyTable(2, capacity=2)
    table.append(1, 10)
    early = table.view()
    for i in range(2, 40):
        table.append(i, 10 * i)
    assert early.shape == (1, 2) and early.tolist() == [[1, 10]]
    assert len(table) == 39 and table.view()[:, 0].tolist() == list(range(1, 40))
    assert not table.view().flags.writeable


# -- a comparison --------------------------------------------------------------------------------------------------

def test_a_comparison_step_advances_every_variant_once():
    compare = make_compare()
    compare.step()
    status, lanes = compare.snapshot()
    assert status == "paused" and [lane.name for lane in lanes] == ["plain", "peeky"]
    assert [lane.iteration for lane in lanes] == [1, 1] and all(lane.status == "paused" for lane in lanes)
    assert lanes[0].parameters < lanes[1].parameters
    assert compare.weights_version == 2


def test_in_the_background_the_variant_furthest_behind_steps_next():
    compare = make_compare()
    order = []
    for _ in range(5):
        lane, prepared = compare.prepare()
        order.append(lane.name)
        assert compare.apply((lane, prepared))
    assert order == ["plain", "peeky", "plain", "peeky", "plain"]


def test_a_diverging_variant_stops_while_the_others_go_on():
    compare = make_compare()
    compare.lanes[1].trainer.max_loss = -1.0  # every loss is now a blow-up
    for _ in range(3):
        compare.step()
    status, lanes = compare.snapshot()
    assert [lane.iteration for lane in lanes] == [3, 0]
    assert lanes[1].status == "diverged" and "diverged" in lanes[1].message and lanes[0].status == "paused"


def test_the_time_budget_ends_a_comparison_with_a_final_point_for_each_variant():
    compare = make_compare(budget_seconds=1e-9)  # every variant is over budget after one step
    assert train_in_halves(compare)
    assert not train_in_halves(compare)
    status, lanes = compare.snapshot()
    assert status == "finished" and all(lane.status == "finished" for lane in lanes)
    assert [lane.evals[-1, 0] for lane in lanes] == [1, 1]


def test_a_comparison_runs_to_its_end():
    compare = make_compare(epochs=1)
    while train_in_halves(compare):
        pass
    status, lanes = compare.snapshot()
    assert status == "finished" and [lane.iteration for lane in lanes] == [ITERS_PER_EPOCH] * 2
    assert all(lane.evals[-1, 0] == ITERS_PER_EPOCH for lane in lanes)
    copy = compare.model_copy("peeky")
    assert copy is not compare.lanes[1].model and copy.config == compare.lanes[1].model.config


@pytest.mark.parametrize(("task", "names"), [("addition", ["baseline", "reversed", "peeky_reversed"]),
                                             ("date", ["baseline", "attention"])])
def test_a_race_has_the_books_variants(task, names):
    from s2s.presets import Race

    compare = CompareRun.for_race(task, Race(8, 1), seed=0, budget_seconds=60)
    assert [lane.name for lane in compare.lanes] == names
    assert all(lane.model.config.hidden_size == 8 and lane.model.config.wordvec_size == 16 for lane in compare.lanes)


def test_runs_of_the_same_generated_setup_share_its_data_read_only():
    def setup(kind: str, seed: int) -> TrainSetup:
        return TrainSetup(task="addition", model=ModelConfig(kind=kind, vocab_size=13, hidden_size=8),
                          train=TrainConfig(seed=seed), train_size=300)

    (train, val), (train2, val2) = session_module.setup_data(setup("seq2seq", 5)), session_module.setup_data(
        setup("peeky", 5))
    assert train.xs is train2.xs and val.ts is val2.ts  # another model on the same data: generated once
    expected = make_split("addition", 300, session_module.LIVE_EVAL_SIZE, 5)
    np.testing.assert_array_equal(train.xs, expected[0].xs)
    np.testing.assert_array_equal(val.ts, expected[1].ts)
    with pytest.raises(ValueError, match="read-only"):
        train.xs[0, 0] = 0  # no run may change what another trains on
    assert not np.array_equal(session_module.setup_data(setup("seq2seq", 6))[0].xs, train.xs)
