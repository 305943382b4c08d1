"""A run saved and brought back: the engine's state goes on bit for bit (s2s.session), and the app resumes
a run from its address (?run=) after a reload, from another session or a stopped server, and says why not
when it cannot (ui.persist)."""

from __future__ import annotations

import os
import time
import weakref
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from s2s.data import from_pairs, task_codec
from s2s.models import ModelConfig
from s2s.session import TrainingRun, TrainSetup, setup_data
from s2s.store import RunStore, new_token
from s2s.trainer import TrainConfig
from ui import keys, persist

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 60


def small_setup(task: str = "addition", kind: str = "peeky", **train) -> TrainSetup:
    vocab = len(task_codec(task).vocab) if task != "upload" else len(task_codec("addition").vocab)
    return TrainSetup(task=task, model=ModelConfig(kind=kind, vocab_size=vocab, wordvec_size=8, hidden_size=24,
                                                   reverse=True, forget_bias=1.0),
                      train=TrainConfig(batch_size=32, lr=0.01, seed=5, epochs=3, **train), train_size=600)


def assert_same_run(a: TrainingRun, b: TrainingRun) -> None:
    wa, wb = a.published_weights()[1], b.published_weights()[1]
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)
    la, ea = a.model_run.history()
    lb, eb = b.model_run.history()
    np.testing.assert_array_equal(la[:, :2], lb[:, :2])  # iteration and loss of every step
    np.testing.assert_array_equal(ea, eb)
    assert [s.answers for s in a.history.snapshots] == [s.answers for s in b.history.snapshots]
    for sa, sb in zip(a.history.snapshots, b.history.snapshots, strict=True):
        np.testing.assert_array_equal(sa.top_probs, sb.top_probs)
    assert a.snapshot().probes == b.snapshot().probes
    assert (a.trainer.iteration, a.status) == (b.trainer.iteration, b.status)


def through_disk(run: TrainingRun, tmp_path: Path) -> tuple[dict, dict]:
    runs = RunStore(tmp_path, 2**30, 2**30, 3600)
    token = new_token()
    runs.save(token, *run.state())
    saved = runs.load(token)
    return saved.meta, saved.arrays


@pytest.mark.parametrize("task, kind", [("addition", "peeky"), ("date", "attention"), ("addition", "seq2seq")])
def test_a_restored_run_goes_on_bit_for_bit(tmp_path, task, kind):
    """Interrupted at iteration 13 (mid-epoch), saved to disk, restored and trained past two epoch ends (a new
    shuffle each): the same as the run that was never interrupted."""
    setup = small_setup(task, kind, schedule="cosine")
    uninterrupted = TrainingRun(setup, *setup_data(setup))
    first = TrainingRun(setup, *setup_data(setup))
    for _ in range(13):
        uninterrupted.step()
        first.step()
    meta, arrays = through_disk(first, tmp_path)
    del first
    resumed = TrainingRun.restore(meta, arrays, *setup_data(setup))
    assert resumed.trainer.iteration == 13
    for _ in range(30):  # 18 steps an epoch: two reshuffles ahead
        uninterrupted.step()
        resumed.step()
    assert_same_run(uninterrupted, resumed)


def test_a_run_on_uploaded_data_goes_on_from_its_saved_data(tmp_path):
    codec = task_codec("addition")
    rng = np.random.default_rng(0)
    pairs = [(f"{a}+{b}", str(a + b)) for a, b in rng.integers(0, 100, (400, 2))]
    data = from_pairs(pairs, codec, "mine.txt")
    setup = TrainSetup(**{**small_setup("upload").__dict__, "data_name": "mine.txt"})
    a = TrainingRun(setup, *setup_data(setup, data))
    b = TrainingRun(setup, *setup_data(setup, data))
    for _ in range(7):
        a.step()
        b.step()
    meta, arrays = through_disk(b, tmp_path)
    b = TrainingRun.restore(meta, arrays, *setup_data(setup, data))
    for _ in range(9):
        a.step()
        b.step()
    assert_same_run(a, b)
    with pytest.raises(ValueError, match="upload"):
        setup_data(setup)


def test_a_state_that_does_not_fit_is_refused():
    setup = small_setup()
    run = TrainingRun(setup, *setup_data(setup))
    run.step()
    meta, arrays = run.state()
    bigger = {**meta, "setup": {**meta["setup"], "model": {**meta["setup"]["model"], "hidden_size": 32}}}
    with pytest.raises(ValueError):
        TrainingRun.restore(bigger, arrays, *setup_data(setup))
    with pytest.raises(KeyError):
        TrainingRun.restore(meta, {k: v for k, v in arrays.items() if not k.startswith("run/weights/")},
                            *setup_data(setup))
    other_data = TrainSetup(**{**setup.__dict__, "train_size": 900})
    with pytest.raises(ValueError, match="order"):
        TrainingRun.restore({**meta, "setup": other_data.to_dict()}, arrays, *setup_data(other_data))
    with pytest.raises(ValueError, match="task"):
        TrainSetup.from_dict({**setup.to_dict(), "task": "../../etc"})
    with pytest.raises(ValueError, match="status"):
        TrainingRun.restore({**meta, "status": "<script>"}, arrays, *setup_data(setup))


# -- the app ----------------------------------------------------------------------------------------------------


def train_page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("app_pages/train.py").run()
    assert not at.exception, at.exception
    return at


def iteration(at: AppTest) -> str:
    return at.metric[1].value


def token_of(at: AppTest) -> str:
    value = at.query_params["run"]
    return value[0] if isinstance(value, list) else value


def stepped(steps: int = 3) -> AppTest:
    at = train_page()
    at.number_input(key=keys.TRAIN_SETTINGS["hidden"]).set_value(32).run()
    for _ in range(steps):
        at.button(key="train_step").click().run()
    assert not at.exception, at.exception
    assert iteration(at) == str(steps)
    return at


def notes(at: AppTest) -> str:
    return "\n".join([m.value for m in at.info] + [m.value for m in at.warning] + [m.value for m in at.caption])


def test_the_address_carries_the_run_and_a_new_session_resumes_it():
    at = stepped(3)
    token = token_of(at)
    assert persist.store()[0].has(token, "run")
    back = train_page(run=token, lang="en")
    assert iteration(back) == "3"
    assert "back at iteration 3 (nothing was lost)" in notes(back)
    assert back.number_input(key=keys.TRAIN_SETTINGS["hidden"]).value == 32  # the boxes show the run's setup
    assert not [m for m in back.info if "Reset" in m.value]  # so no "changed settings" note
    back.button(key="train_step").click().run()
    assert iteration(back) == "4" and token_of(back) == token
    # the first session's copy stopped when the second took the run over, and says why
    at.run()
    assert iteration(at) == "3"
    assert any("another tab" in w.value or "別のタブ" in w.value for w in at.warning)


def test_a_resumed_run_says_it_on_the_page_it_opens():
    token = token_of(stepped(2))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["run"], at.query_params["lang"] = token, "en"
    at.switch_page("app_pages/try.py").run()
    assert not at.exception
    assert "back at iteration 2" in notes(at)
    at.switch_page("app_pages/train.py").run()
    assert iteration(at) == "2"


def test_a_run_from_a_stopped_server_says_how_much_was_lost():
    at = stepped(2)
    token = token_of(at)
    runs = persist.store()[0]
    saved = runs.load(token)
    other = new_token()
    dead = "0123456789abcdef"
    a_minute_ago = RunStore(runs.root, runs.quota, runs.run_limit, runs.ttl, clock=lambda: time.time() - 60)
    a_minute_ago.save(other, {**saved.meta, "server": dead, "status": "running"}, saved.arrays)
    saved_at = runs.load(other).saved_at
    beat = runs.root / "servers" / dead
    beat.parent.mkdir(exist_ok=True)
    beat.touch()
    os.utime(beat, (saved_at + 8, saved_at + 8))  # its last heartbeat, 8 s after the save
    back = train_page(run=other, lang="en")
    assert "Resumed at iteration 2, saved 8 s before the server stopped" in notes(back)
    assert back.session_state[keys.RUNNER].status == "running"  # it was training: it goes on
    back.session_state[keys.RUNNER].pause()


@pytest.mark.parametrize("damage, why", [
    ("unknown", "no run is saved under it"),
    ("malformed", "not one this app makes"),
    ("truncated", "damaged or cut short"),
])
def test_a_run_that_cannot_come_back_is_explained_and_a_fresh_session_starts(damage, why):
    if damage == "unknown":
        token = new_token()
    elif damage == "malformed":
        token = "../../../etc/passwd"
    else:
        token = token_of(stepped(1))
        path = persist.store()[0].path(token)
        path.write_bytes(path.read_bytes()[:200])
    at = train_page(run=token, lang="en")
    text = notes(at)
    assert "could not be brought back" in text and why in text, text
    assert "run" not in at.query_params
    assert keys.RUNNER not in at.session_state or at.session_state[keys.RUNNER] is None
    at.button(key="train_step").click().run()  # and the page trains a new run
    assert not at.exception and iteration(at) == "1" and token_of(at) != token


def test_without_a_usable_folder_the_app_trains_and_says_runs_are_not_saved(monkeypatch):
    monkeypatch.setenv("S2S_STATE_DIR", "/proc/no-such-folder/runs")
    persist.store.clear()
    try:
        at = train_page(lang="en")
        at.button(key="train_step").click().run()
        assert not at.exception and iteration(at) == "1"
        assert "Runs are not being saved on this server" in notes(at)
        assert "run" not in at.query_params
    finally:
        monkeypatch.undo()
        persist.store.clear()


def test_reset_removes_the_save():
    at = stepped(1)
    token = token_of(at)
    at.button(key="train_reset").click().run()
    assert not persist.store()[0].has(token, "run")
    assert "run" not in at.query_params



def test_a_run_taken_over_on_another_server_stops_here_at_its_next_save(tmp_path):
    """Two servers share the folder; the student's page moved to the other one, which resumed the run and
    claimed it. This server's copy must not train on (and overwrite the other's saves): it stops and says so."""
    from ui.background import BackgroundTraining

    setup = small_setup()
    runner = BackgroundTraining.new(setup, *setup_data(setup))
    runs = RunStore(tmp_path, 2**30, 2**30, 3600)
    token = new_token()
    saver = persist.RunSaver(runs, token)
    runner.saver = saver
    with persist._OPEN_LOCK:
        persist._OPEN[token] = weakref.ref(runner)
    runs.claim(token, saver.owner_id)
    runner.step_once()
    assert runs.load(token).meta["run"]["trainer"]["iteration"] == 1
    RunStore(tmp_path, 2**30, 2**30, 3600).claim(token, "another-server-abc")  # the other server resumed it
    runner.step_once()  # its pause saves first, finds the other owner, and the step is not taken
    assert (runner.status, runner.message) == ("paused", "moved")
    assert runner.trainer.iteration == 1
    assert runs.load(token).meta["run"]["trainer"]["iteration"] == 1  # the other server's save stands
    runner.start()
    assert runner.status == "paused" and not runner.alive


def test_the_persistence_benchmark_measures_a_save_and_a_resume():
    from benchmarks.persistence import measure

    m = measure("addition", repeats=1, steps=3)
    assert 0.5 < m["size_mb"] < 20 and m["copy_ms"] > 0 and m["write_ms"] > 0 and m["resume_s"] > 0
    assert 0 < m["share"] < 1


def test_a_run_too_large_to_save_trains_on_and_the_page_says_why(monkeypatch):
    monkeypatch.setenv("S2S_RUN_LIMIT_MB", "0.01")
    persist.store.clear()
    try:
        at = train_page(lang="en")
        for _ in range(2):
            at.button(key="train_step").click().run()
        assert not at.exception and iteration(at) == "2"
        text = notes(at)
        assert "The last save failed: the run takes 2." in text and "more than the 0.01 MB a run may take" in text, text
    finally:
        monkeypatch.undo()
        persist.store.clear()


def test_a_restored_comparison_goes_on_bit_for_bit(tmp_path):
    from s2s.presets import Race
    from s2s.session import CompareRun

    a = CompareRun.for_race("addition", Race(16, 2, 0.01), 4, 600)
    b = CompareRun.for_race("addition", Race(16, 2, 0.01), 4, 600)
    for _ in range(5):
        a.step()
        b.step()
    runs, token = RunStore(tmp_path, 2**30, 2**30, 3600), new_token()
    runs.save(token, *b.state())
    saved = runs.load(token)
    b = CompareRun.restore(saved.meta, saved.arrays)
    for _ in range(6):
        a.step()
        b.step()
    assert a.position() == b.position() and a.position()[0] == (11, 11, 11)
    for la, lb in zip(a.lanes, b.lanes, strict=True):
        for (name, pa, _), (_, pb, _) in zip(la.model.named_parameters(), lb.model.named_parameters(), strict=True):
            np.testing.assert_array_equal(pa, pb, err_msg=f"{la.name} {name}")
        np.testing.assert_array_equal(la.losses.view()[:, :2], lb.losses.view()[:, :2])
        np.testing.assert_array_equal(la.evals.view(), lb.evals.view())
    with pytest.raises(ValueError, match="not a training run"):
        TrainingRun.restore(saved.meta, saved.arrays, *setup_data(small_setup()))


def test_the_compare_page_resumes_its_race_from_the_address():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.switch_page("app_pages/compare.py").run()
    at.number_input(key=keys.COMPARE_HIDDEN).set_value(16).run()
    for _ in range(2):
        at.button(key="compare_step").click().run()
    assert not at.exception
    race = at.query_params["race"]
    race = race[0] if isinstance(race, list) else race
    back = AppTest.from_file(APP, default_timeout=TIMEOUT)
    back.query_params["race"], back.query_params["lang"] = race, "en"
    back.switch_page("app_pages/compare.py").run()
    assert not back.exception
    assert "back at iteration 2 (nothing was lost)" in notes(back)
    compare = back.session_state[keys.COMPARE]
    assert [lane.trainer.iteration for lane in compare.lanes] == [2, 2, 2]
    assert back.number_input(key=keys.COMPARE_HIDDEN).value == 16
    back.button(key="compare_reset").click().run()
    assert not persist.store()[0].has(race, "run") and "race" not in back.query_params
