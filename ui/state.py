"""What a session holds: shipped models (loaded once per server, copied per session), the
session's training runs (closed with the session), and the decoding copies of their models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from s2s.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from s2s.data import Codec
from s2s.models import Seq2seq, build_model, clone_model, set_weights
from s2s.tasks import TASKS
from ui import keys, persist
from ui.background import BackgroundCompare, BackgroundRun, BackgroundTraining
from ui.memory import collect_after_release

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
# A task's shipped model on Try ("shipped"), and shipped models trained with the book's presets, which
# a lesson step falls back on when training runs late ("shipped:<name>"; weights/README.md).
SHIPPED = {
    "addition": "addition_peeky.npz",
    "date": "date_attention.npz",
    "date_ja": "date_ja_attention.npz",
    "reverse": "reverse_attention.npz",
    "sort": "sort_peeky.npz",
}
BOOK_MODELS = {
    "addition_book_baseline": "addition",
    "addition_book_reversed": "addition",
    "addition_book_peeky": "addition",
    "addition_gru": "addition",  # beyond the book: the presets gru and transformer (weights/README.md)
    "addition_transformer": "addition",
    "addition_attention": "addition",  # attention (chapter 8) on addition, for "Beyond the training range"
    "date_gru": "date",
    "date_transformer": "date",
}
TASK_NAMES = list(TASKS)


@st.cache_resource(show_spinner=False)
def shipped_checkpoint(task: str, name: str = "") -> Checkpoint | None:
    """The shipped checkpoint of a task (`name`: one of BOOK_MODELS), read once per server; never modified."""
    try:
        file = f"{name}.npz" if BOOK_MODELS.get(name) == task else SHIPPED[task] if not name else None
        return load_checkpoint(WEIGHTS / file) if file else None
    except (KeyError, CheckpointError):
        return None


def book_models(task: str) -> list[str]:
    """Names of the shipped book-way models of a task that are there."""
    return [name for name, of in BOOK_MODELS.items() if of == task and shipped_checkpoint(task, name) is not None]


def session_shipped_model(task: str, name: str = "") -> tuple[Seq2seq, Codec, dict] | None:
    """This session's own copy of a shipped model (decoding writes layer caches, so no sharing)."""
    ck = shipped_checkpoint(task, name)
    if ck is None:
        return None
    models = st.session_state.setdefault(keys.SHIPPED_MODELS, {})
    if (task, name) not in models:
        models[task, name] = clone_model(ck.model)
    return models[task, name], ck.codec, ck.meta


class _SessionGuard:
    """Lives as long as the browser session; closing the tab ends its training threads."""

    def __init__(self):
        self.runs: dict[str, BackgroundRun] = {}

    def release(self) -> None:
        for run in self.runs.values():
            run.close()
        self.runs.clear()
        collect_after_release()


@st.cache_resource(scope="session", show_spinner=False, on_release=lambda guard: guard.release())
def _session_guard() -> _SessionGuard:
    return _SessionGuard()


def _replace_run(key: str, run: BackgroundRun | None) -> None:
    old = st.session_state.get(key)
    if old is not None and old is not run:
        old.close()
    st.session_state[key] = run
    guard = _session_guard()
    if run is None:
        guard.runs.pop(key, None)
    else:
        guard.runs[key] = run


def get_runner() -> BackgroundTraining | None:
    """The session's training run (Train page), if any."""
    return st.session_state.get(keys.RUNNER)


def set_runner(runner: BackgroundTraining | None) -> None:
    """Replace the session's training run; the old one's training thread is ended and its save removed. The
    address carries the new run's token (?run=, ui.persist) when it is saved."""
    old = get_runner()
    if old is not None and old is not runner:
        persist.forget(old)
    _replace_run(keys.RUNNER, runner)
    st.session_state.pop(keys.SESSION_MODEL, None)
    persist.show_token("train", runner)
    if old is not runner:
        st.session_state.pop(keys.LOADED, None)  # where a loaded model came from belongs to its run


def get_compare() -> BackgroundCompare | None:
    """The session's comparison (Compare page), if any."""
    return st.session_state.get(keys.COMPARE)


def set_compare(compare: BackgroundCompare | None) -> None:
    """Replace the session's comparison; the old one's training thread is ended and its save removed. The
    address carries the new one's token (?race=, ui.persist) when it is saved."""
    old = get_compare()
    if old is not None and old is not compare:
        persist.forget(old)
    _replace_run(keys.COMPARE, compare)
    st.session_state.pop(keys.COMPARE_MODELS, None)
    persist.show_token("compare", compare)


def compare_model(name: str) -> tuple[Seq2seq, Codec, int] | None:
    """A decoding copy of one variant of the session's comparison, refreshed as it trains."""
    compare = get_compare()
    if compare is None or name not in [lane.name for lane in compare.lanes]:
        return None
    cache = st.session_state.setdefault(keys.COMPARE_MODELS, {})
    cached = cache.get(name)
    if cached is None or cached[0] is not compare or cached[1] != compare.weights_version:
        cached = (compare, compare.weights_version, compare.model_copy(name))
        cache[name] = cached
    return cached[2], compare.lanes[0].codec, cached[1]


def session_model(task: str) -> tuple[Seq2seq, Codec, int] | None:
    """A decoding copy of the session's training model for this task, refreshed when weights change,
    with its weights version."""
    runner = get_runner()
    if runner is None or runner.setup.task != task:
        return None
    version, weights = runner.published_weights()
    cached = st.session_state.get(keys.SESSION_MODEL)
    if cached is None or cached[0] is not runner or cached[1] != version:
        model = build_model(runner.model.config, np.random.default_rng(0))
        set_weights(model, weights)
        cached = (runner, version, model)
        st.session_state[keys.SESSION_MODEL] = cached
    return cached[2], runner.codec, version


def for_model_version(slot: str, version: tuple, build):
    """`build()` computed once per model version and kept in this session under `slot`; only the newest
    version is kept, so memory stays bounded (the Inside map, the Errors report)."""
    cache = st.session_state.setdefault(slot, {})
    if version not in cache:
        value = build()
        cache.clear()
        cache[version] = value
    return cache[version]
