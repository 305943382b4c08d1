"""What a session holds: shipped models (loaded once per server, copied per session), the
session's training runner, and the model the Try page decodes with."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import numpy as np
import streamlit as st

from s2s.allocator import return_free_memory
from s2s.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from s2s.data import Codec
from s2s.models import Seq2seq, build_model, clone_model, set_weights
from s2s.tasks import TASKS
from ui.runner import BackgroundRunner, CompareRunner, TrainingRunner

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
SHIPPED = {
    "addition": "addition_peeky.npz",
    "date": "date_attention.npz",
    "date_ja": "date_ja_attention.npz",
    "reverse": "reverse_attention.npz",
    "sort": "sort_peeky.npz",
}
TASK_NAMES = list(TASKS)


@st.cache_resource(show_spinner=False)
def shipped_checkpoint(task: str) -> Checkpoint | None:
    """The shipped checkpoint of a task, read once per server; never modified."""
    try:
        return load_checkpoint(WEIGHTS / SHIPPED[task])
    except (KeyError, CheckpointError):
        return None


def session_shipped_model(task: str) -> tuple[Seq2seq, Codec, dict] | None:
    """This session's own copy of a shipped model (decoding writes layer caches, so no sharing)."""
    ck = shipped_checkpoint(task)
    if ck is None:
        return None
    models = st.session_state.setdefault("_shipped_models", {})
    if task not in models:
        models[task] = clone_model(ck.model)
    return models[task], ck.codec, ck.meta


class _SessionGuard:
    """Lives as long as the browser session; closing the tab ends its training threads."""

    def __init__(self):
        self.workers: dict[str, BackgroundRunner] = {}

    def release(self) -> None:
        for worker in self.workers.values():
            worker.close()
        self.workers.clear()
        # Once Streamlit has dropped the session (a moment after this call), its models and data are
        # garbage: collect them (runner.postScriptGC is off, see config.toml) and give the pages back.
        timer = threading.Timer(RELEASE_DELAY, _collect_and_trim)
        timer.daemon = True
        timer.start()


RELEASE_DELAY = 2.0  # seconds after a session's release before its memory is collected


def _collect_and_trim() -> None:
    gc.collect()
    return_free_memory()


@st.cache_resource(scope="session", show_spinner=False, on_release=lambda guard: guard.release())
def _session_guard() -> _SessionGuard:
    return _SessionGuard()


def _replace_worker(name: str, worker: BackgroundRunner | None) -> None:
    old = st.session_state.get(name)
    if old is not None and old is not worker:
        old.close()
    st.session_state[name] = worker
    guard = _session_guard()
    if worker is None:
        guard.workers.pop(name, None)
    else:
        guard.workers[name] = worker


def get_runner() -> TrainingRunner | None:
    """The session's training runner (Train page), if any."""
    return st.session_state.get("runner")


def set_runner(runner: TrainingRunner | None) -> None:
    """Replace the session's runner; the old worker thread is ended."""
    _replace_worker("runner", runner)
    st.session_state.pop("_session_model", None)


def get_compare() -> CompareRunner | None:
    """The session's comparison (Compare page), if any."""
    return st.session_state.get("compare")


def set_compare(compare: CompareRunner | None) -> None:
    """Replace the session's comparison; the old worker thread is ended."""
    _replace_worker("compare", compare)
    st.session_state.pop("_compare_models", None)


def compare_model(name: str) -> tuple[Seq2seq, Codec, int] | None:
    """A decoding copy of one variant of the session's comparison, refreshed as it trains."""
    compare = get_compare()
    if compare is None or name not in [lane.name for lane in compare.lanes]:
        return None
    cache = st.session_state.setdefault("_compare_models", {})
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
    cached = st.session_state.get("_session_model")
    if cached is None or cached[0] is not runner or cached[1] != version:
        model = build_model(runner.model.config, np.random.default_rng(0))
        set_weights(model, weights)
        cached = (runner, version, model)
        st.session_state["_session_model"] = cached
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
