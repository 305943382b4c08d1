"""What a session holds: shipped models (loaded once per server, copied per session), the
session's training runner, and the model the Try page decodes with."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import numpy as np
import streamlit as st

from s2s.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from s2s.data import Codec
from s2s.fast.libc import return_free_memory
from s2s.models import Seq2seq, build_model, clone_model, set_weights
from s2s.tasks import TASKS
from ui.runner import BackgroundRunner, CompareRunner, TrainingRunner

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
    models = st.session_state.setdefault("_shipped_models", {})
    if (task, name) not in models:
        models[task, name] = clone_model(ck.model)
    return models[task, name], ck.codec, ck.meta


class _SessionGuard:
    """Lives as long as the browser session; closing the tab ends its training threads."""

    def __init__(self):
        self.runners: dict[str, BackgroundRunner] = {}

    def release(self) -> None:
        for runner in self.runners.values():
            runner.close()
        self.runners.clear()
        # The session's models and data become garbage when Streamlit drops the session: at once when it
        # is ended, or after server.disconnectedSessionTTL when its tab was closed (kept for a reconnect).
        # Then collect them (runner.postScriptGC is off, see config.toml) and give the pages back.
        ttl = float(st.get_option("server.disconnectedSessionTTL") or 0)
        for delay in (RELEASE_DELAY, ttl + RELEASE_DELAY):
            _schedule_trim(delay)


RELEASE_DELAY = 2.0  # seconds after a session's release (or its time-to-live) before its memory is collected
TRIM_BUCKET = 5.0  # one collection per this many seconds is enough when a class leaves at once

_trims_lock = threading.Lock()
_trims_due: set[int] = set()


def _schedule_trim(delay: float) -> None:
    """Collect garbage and trim the C heap in `delay` seconds, unless a collection is already due then
    (a full collection holds the interpreter for tens of milliseconds: 40 tabs closing must not mean 80)."""
    bucket = int((time.monotonic() + delay) // TRIM_BUCKET) + 1
    with _trims_lock:
        if bucket in _trims_due:
            return
        _trims_due.add(bucket)
    timer = threading.Timer(bucket * TRIM_BUCKET - time.monotonic(), _collect_and_trim, args=(bucket,))
    timer.daemon = True
    timer.start()


def _collect_and_trim(bucket: int | None = None) -> None:
    with _trims_lock:
        _trims_due.discard(bucket)
    if _drop_expired_sessions():
        time.sleep(0.5)  # for the event loop to drop them
    gc.collect()
    return_free_memory()


def _drop_expired_sessions() -> bool:
    """Streamlit forgets a closed tab's session once its time-to-live has passed, but only the next time
    its session store changes (the store reaps expired entries lazily), so after a class leaves their
    sessions may stay for hours. Asking the store for its size reaps them. This is Streamlit's private
    API (1.67), used on its event loop (the store is not thread-safe); False, and nothing done, if it is
    not there."""
    try:
        from streamlit.runtime import Runtime

        runtime = Runtime.instance()
        cache = runtime._session_mgr._session_storage._cache
        runtime._get_async_objs().eventloop.call_soon_threadsafe(len, cache)
    except Exception:  # another Streamlit, or no server (AppTest)
        return False
    return True


@st.cache_resource(scope="session", show_spinner=False, on_release=lambda guard: guard.release())
def _session_guard() -> _SessionGuard:
    return _SessionGuard()


def _replace_runner(name: str, runner: BackgroundRunner | None) -> None:
    old = st.session_state.get(name)
    if old is not None and old is not runner:
        old.close()
    st.session_state[name] = runner
    guard = _session_guard()
    if runner is None:
        guard.runners.pop(name, None)
    else:
        guard.runners[name] = runner


def get_runner() -> TrainingRunner | None:
    """The session's training runner (Train page), if any."""
    return st.session_state.get("runner")


def set_runner(runner: TrainingRunner | None) -> None:
    """Replace the session's runner; the old one's training thread is ended."""
    _replace_runner("runner", runner)
    st.session_state.pop("_session_model", None)


def get_compare() -> CompareRunner | None:
    """The session's comparison (Compare page), if any."""
    return st.session_state.get("compare")


def set_compare(compare: CompareRunner | None) -> None:
    """Replace the session's comparison; the old one's training thread is ended."""
    _replace_runner("compare", compare)
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
