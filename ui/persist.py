"""Nothing lost: the Train page's run and the Compare page's race saved as they train, and brought back from
the page's address.

Each run gets a token (s2s.store) that the address carries (``?run=``, ``?race=`` for a race). A run is saved every
SAVE_EVERY seconds while it trains, at every pause, step by hand and when its session ends (ui.state
closes it), by the session's own training thread or the page's script thread, never under the step
slots. A session that opens an address with a token and has no run of it resumes the run from its
last save: after a reload, a lost connection, a restarted server, or on another server that shares
the folder. If that run is still open in this server (another tab, an old session), that one is
saved and stopped first, so nothing is lost and one run never trains twice.

Each server writes a heartbeat file every HEARTBEAT seconds, so that a run resumed from a server that
stopped can say how much training was lost: the time between its last save and the server's last beat.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from s2s.data import Codec, Dataset
from s2s.session import CompareRun, TrainingRun, TrainSetup, setup_data
from s2s.store import RunStore, StoreError, check_token, new_token, store_from_environment
from ui import keys
from ui.background import STEP_POOL, BackgroundCompare, BackgroundRun, BackgroundTraining

# seconds between saves while training: when a server dies, a run loses at most this, one step and one save: < 10 s
SAVE_EVERY = 8.0
HEARTBEAT = 2.0  # seconds between a server's heartbeats
SERVER_ID = secrets.token_hex(8)  # this server process, in every save it writes


@dataclass(frozen=True)
class Resumed:
    """What the page says about the run it brought back (or could not)."""

    ok: bool
    kind: str  # resumed: "same_server", "stopped_server", "other_server"; failed: a StoreError kind or "invalid"
    iteration: int = 0
    lost_seconds: float = 0.0  # training time since the last save that is gone (stopped_server)
    detail: str = ""  # the reason, for a failure
    ttl_hours: float = 0.0  # how long runs are kept, for "expired"


@st.cache_resource(show_spinner=False)
def store() -> tuple[RunStore | None, str]:
    """The server's run store and "" or, when runs cannot be saved, None and the reason."""
    try:
        runs = store_from_environment()
        runs.check_writable()
    except (ValueError, StoreError) as e:
        return None, str(e)
    runs.tidy()
    for beat in (runs.root / "servers").glob("*"):  # servers that stopped long ago
        with contextlib.suppress(OSError):
            if time.time() - beat.stat().st_mtime > runs.ttl:
                beat.unlink()
    threading.Thread(target=_beat, args=(runs.root / "servers",), daemon=True, name="s2s-heartbeat").start()
    return runs, ""


def _beat(folder: Path) -> None:
    """Touch this server's heartbeat file for ever."""
    mine = folder / SERVER_ID
    while True:
        try:
            folder.mkdir(exist_ok=True)
            if mine.exists():
                mine.touch()
            else:
                mine.write_text(str(os.getpid()))  # which process it is, for operators and tests
        except OSError:
            pass
        time.sleep(HEARTBEAT)


def _last_beat(server: str) -> float | None:
    runs, _ = store()
    try:
        return os.stat(runs.root / "servers" / server).st_mtime if runs and server.isalnum() else None
    except OSError:
        return None


# the runs open in this server by token, so that resuming one here first stops and saves the open one
_OPEN: dict[str, weakref.ReferenceType] = {}
_OPEN_LOCK = threading.Lock()


class RunSaver:
    """Keeps one run on disk (ui.background.Saver); remembers the last error for the page."""

    def __init__(self, runs: RunStore, token: str, upload: tuple[str, Dataset] | None = None):
        self.runs, self.token, self.upload = runs, token, upload
        self.owner_id = f"{SERVER_ID}-{secrets.token_hex(4)}"  # this server and this copy of the run
        self.saved_at = 0.0  # time.monotonic() of the last save
        self.saved_position: tuple | None = None  # the run's position() at the last save
        self.error: StoreError | None = None  # why the last save failed, else None

    def due(self, owner: BackgroundRun) -> bool:
        return not self.owns(owner) or time.monotonic() - self.saved_at >= SAVE_EVERY

    def owns(self, owner: BackgroundRun) -> bool:
        """Whether `owner` is the run open under this token in this server (not one resumed elsewhere since)."""
        with _OPEN_LOCK:
            ref = _OPEN.get(self.token)
        return ref is not None and ref() is owner

    def save(self, owner: BackgroundRun) -> bool:
        if not self.owns(owner) or self.runs.owner(self.token) not in (None, self.owner_id):
            return False  # resumed by another session of this server, or on another server
        with owner.lock:
            at = owner.run.position()
            if at == self.saved_position:
                return True
            meta, arrays = owner.run.state()
        meta["server"] = SERVER_ID
        try:
            if self.upload is not None and not self.runs.has(self.token, "data"):
                name, data = self.upload
                self.runs.save(self.token, {"name": name, "codec": data.codec.to_dict(), "source": data.source},
                               {"xs": data.xs, "ts": data.ts}, part="data")
            self.runs.save(self.token, meta, arrays)
            if self.runs.owner(self.token) is None:  # removed with the run to make room: claimed again
                self.runs.claim(self.token, self.owner_id)
        except StoreError as e:
            self.error = e
            return True
        self.saved_at, self.saved_position, self.error = time.monotonic(), at, None
        return True


def attach(runner: BackgroundRun, token: str | None = None) -> None:
    """Give a run (Train's or Compare's) a saver under `token` (None: a new token), unless runs cannot be saved
    (runner.saver stays None). ui.state.set_runner and set_compare put the token in the address."""
    runs, _ = store()
    if runs is None:
        return
    token = token or new_token()
    upload = keys.upload()
    on_upload = isinstance(runner, BackgroundTraining) and runner.setup.task == "upload"
    saver = RunSaver(runs, token, (upload.name, upload.data) if on_upload else None)
    try:
        runs.claim(token, saver.owner_id)
    except StoreError as e:
        saver.error = e
    runner.saver = saver
    with _OPEN_LOCK:
        _OPEN[token] = weakref.ref(runner)


def forget(runner: BackgroundRun) -> None:
    """The session dropped its run (Reset, a new run): its save is removed, and it saves no more."""
    saver = runner.saver
    if saver is not None and saver.owns(runner):
        with _OPEN_LOCK:
            _OPEN.pop(saver.token, None)
        saver.runs.delete(saver.token)


# the address parameter and the session key of each kind of run's token
PARAMS = {"train": ("run", keys.RUN_TOKEN), "compare": ("race", keys.RACE_TOKEN)}


def wanted_token(kind: str) -> str | None:
    """The token of a kind of run ("train", "compare") in the address when this session does not hold that
    run yet, else None."""
    param, key = PARAMS[kind]
    token = st.query_params.get(param)
    if not token or token == st.session_state.get(key):
        return None
    return token


def show_token(kind: str, runner: BackgroundRun | None) -> None:
    """Put the token of the session's run of a kind in its address and the session (or take it out)."""
    param, key = PARAMS[kind]
    token = None if runner is None or runner.saver is None else runner.saver.token
    if token is None:
        st.session_state.pop(key, None)
        if param in st.query_params:
            del st.query_params[param]
    else:
        st.session_state[key] = token
        st.query_params[param] = token


def resume(token: str, kind: str = "train") -> tuple[BackgroundRun | None, Resumed]:
    """The run of a kind saved under `token`, training again if it was, and what to say of it; (None, why)
    when it cannot be resumed. A run open in this server is saved and stopped first."""
    runs, reason = store()
    if runs is None:
        return None, Resumed(False, "unwritable", detail=reason)
    try:
        check_token(token)
        was_training = _stop_open(token)  # a reload: the page's old session still trains it
        saved = runs.load(token)
        upload = None
        if kind == "compare":
            run = CompareRun.restore(saved.meta, saved.arrays, pool=STEP_POOL)
        else:
            data = runs.load(token, "data") if runs.has(token, "data") else None
            upload = None if data is None else (str(data.meta["name"]), _dataset(data))
            run = TrainingRun.restore(saved.meta, saved.arrays, *_data_of(saved.meta, upload), pool=STEP_POOL)
    except StoreError as e:
        return None, Resumed(False, e.kind, detail=str(e), ttl_hours=runs.ttl / 3600)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        return None, Resumed(False, "invalid", detail=f"{type(e).__name__}: {e}")
    if upload is not None:
        keys.set_upload(keys.Upload(*upload))
    was_running = run.status == "running" or was_training
    if run.status == "running":
        run.status = "paused"
    runner = BackgroundCompare(run) if kind == "compare" else BackgroundTraining(run)
    attach(runner, token)
    if runner.saver is not None:
        runner.saver.saved_position, runner.saver.saved_at = run.position(), time.monotonic()
    if was_running:
        runner.start()
    iteration = min(lane.trainer.iteration for lane in run.lanes) if kind == "compare" else run.trainer.iteration
    return runner, _what_resumed(saved.meta, saved.saved_at, iteration)


def _stop_open(token: str) -> bool:
    """Stop the run open under `token` in this server, if any: closing saves it (it is still the owner),
    then it is no longer the owner and says so. Whether it was training."""
    with _OPEN_LOCK:
        ref = _OPEN.get(token)
    other = ref() if ref is not None else None
    if other is None:
        return False
    training = other.status == "running" or other.closed_training  # the latter: its tab closed (a reload)
    other.close()
    with _OPEN_LOCK:
        _OPEN.pop(token, None)
    with other.lock:
        other.run.status, other.run.message = "paused", "moved"
    return training


def _dataset(saved) -> Dataset:
    codec = Codec.from_dict(saved.meta["codec"])
    return Dataset(saved.arrays["xs"], saved.arrays["ts"], codec, str(saved.meta.get("source", "")))


def _data_of(meta: dict, upload: tuple[str, Dataset] | None) -> tuple[Dataset, Dataset]:
    setup = TrainSetup.from_dict(meta["setup"])
    if setup.task == "upload" and upload is None:
        raise ValueError("the run trained on uploaded data that was not saved with it")
    return setup_data(setup, None if upload is None else upload[1])


def _what_resumed(meta: dict, saved_at: float, iteration: int) -> Resumed:
    """Same server: the open run was saved just before (nothing lost). Another: a run saved while paused lost
    nothing; one saved while training lost what it trained between that save and the last heartbeat of its
    server (the server died then, or, alive, stops training the run at its next save: SAVE_EVERY)."""
    server = str(meta.get("server", ""))
    if server == SERVER_ID:
        return Resumed(True, "same_server", iteration)
    if meta.get("status") != "running":
        return Resumed(True, "other_server", iteration)
    last_heard = min(_last_beat(server) or time.time(), time.time())
    return Resumed(True, "stopped_server", iteration, max(0.0, last_heard - saved_at))
