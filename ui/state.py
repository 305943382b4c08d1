"""What a session holds: shipped models (loaded once per server, copied per session), the
session's training runner, and the model the Try page decodes with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from s2s.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from s2s.data import Codec, task_codec
from s2s.models import Seq2seq, build_model, clone_model, set_weights
from s2s.tasks import TASKS
from ui.runner import TrainingRunner

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
SHIPPED = {
    "addition": "addition_peeky.npz",
    "date": "date_attention.npz",
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
    """Lives as long as the browser session; closing the tab ends the training thread."""

    def __init__(self):
        self.runner: TrainingRunner | None = None

    def release(self) -> None:
        if self.runner is not None:
            self.runner.close()


@st.cache_resource(scope="session", show_spinner=False, on_release=lambda guard: guard.release())
def _session_guard() -> _SessionGuard:
    return _SessionGuard()


def get_runner() -> TrainingRunner | None:
    """The session's training runner, if any."""
    return st.session_state.get("runner")


def set_runner(runner: TrainingRunner | None) -> None:
    """Replace the session's runner; the old worker thread is ended."""
    old = get_runner()
    if old is not None and old is not runner:
        old.close()
    st.session_state["runner"] = runner
    _session_guard().runner = runner
    st.session_state.pop("_session_model", None)


def runner_task(runner: TrainingRunner) -> str:
    """The task key of a runner ('upload' for uploaded data)."""
    return runner.setup.task


def session_model(task: str) -> tuple[Seq2seq, Codec, int] | None:
    """A decoding copy of the session's training model for this task, refreshed when weights change,
    with its weights version."""
    runner = get_runner()
    if runner is None or runner_task(runner) != task:
        return None
    version, weights = runner.published_weights()
    cached = st.session_state.get("_session_model")
    if cached is None or cached[0] is not runner or cached[1] != version:
        model = build_model(runner.model.config, np.random.default_rng(0))
        set_weights(model, weights)
        cached = (runner, version, model)
        st.session_state["_session_model"] = cached
    return cached[2], runner.codec, version


def codec_for(task: str) -> Codec | None:
    """The codec of a task: generated tasks have a fixed one; 'upload' uses the runner's."""
    if task in TASKS:
        return task_codec(task)
    runner = get_runner()
    return runner.codec if runner is not None else None
