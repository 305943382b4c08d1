"""Simulated students: Streamlit's own WebSocket protocol, no browser (issue 18).

    python -m benchmarks.students --url http://127.0.0.1:8501 [--students 10] [--out result.json]

Each `Student` opens `/_stcore/stream` as the Streamlit frontend does and speaks its protobuf messages
(`streamlit.proto`): a `BackMsg` with `rerun_script` (query string, page, widget states, fragment id)
for every page load, widget change and button press, and it reads the `ForwardMsg`s the server sends
back (`new_session`, `delta`, `auto_rerun`, `script_finished`, ...), keeping the page's elements by
their delta path. Like the frontend it reruns a fragment when the server asked for an `auto_rerun`
(the Train page's live refresh, the sidebar's training status), so the server does the same work for it
as for a browser that shows the page, and the app's idle watchdog sees a page that is watched.

A student's lesson (`Student.lesson`): open /train, set a seed of its own (the default preset otherwise)
and press Start; once the whole class trains, go to Try through the navigation (the same session) and
ask questions 3-8 s apart into the question box, timing each from the widget update sent until the
delta with the answer's element arrived; back to Train, watch the held-out accuracy (the time Start took
to 90 % is what a teacher plans a lesson around); then every other student presses Pause and all
counters are read twice, 11 s apart (longer when the class trains so slowly that a student's steps come
further apart): a paused counter must not move (else cross-talk), a training one must (else an error). Errors: any
exception element, a wrong or missing answer, an answer or counter that is not the student's own.

Widget states: every rerun a student sends (auto-reruns and reloads too) carries the values it set for the
widgets on the page, as the frontend's do; the other widgets keep the values the server holds
(`SessionState.set_widgets_from_proto` merges). Sending only the widget just changed is not the same: the
server coalesces a pending rerun with the next request by taking the newer request's widget list (keeping
only triggers), so a sidebar auto-rerun sent with no states just after a question dropped the question
(the unanswered questions of the runs before 2026-12-01 17:45, benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

THINK_SECONDS = (3.0, 8.0)  # reading an answer and typing the next question (uniform, seeded per student)
QUESTIONS = 6  # per student, as benchmarks/load.py's browsers ask
ANSWER_TIMEOUT = 60.0  # seconds: an answer not received by then is reported unanswered
STEP_TIMEOUT = 180.0  # a page load or a button's effect under a heavy load
TARGET_ACCURACY = 0.90
LANG = "en"
# what the app shows (ui/i18n.py, English): the counters' labels and the live status words
LABEL_ACCURACY, LABEL_ITERATION, LABEL_EPOCH = "Held-out accuracy", "Iteration", "Epoch"
ANSWER_RE = re.compile(r'<code style="font-size:2rem">([^<]*)</code>')
SIDEBAR_RE = re.compile(r"^(\w+) · Epoch ([\d.]+)(?: · ([\d.]+)%)?$")  # ui/sidebar.py's status caption
STATUS_RE = re.compile(r'role="status" aria-live="polite">[^<]*: (\w+)</div>')  # ui.widgets.live_status
FINISHED_FRAGMENT = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


def question(k: int, j: int) -> tuple[str, str]:
    """Student k's j-th question and its sum: different for every student and question (k < 1000)."""
    a, b = 100 + (7 * k + 13 * j) % 800, 200 + 3 * j + k % 97
    return f"{a}+{b}", str(a + b)


def widget_key(element_id: str) -> str | None:
    """The user key of a widget or container id ("$$ID-<hash>-<key>"), None for one without a key."""
    parts = element_id.split("-", 2)
    return parts[2] if element_id.startswith("$$ID-") and len(parts) == 3 else None


@dataclass
class Seen:
    """One counter or text as last received: its value, when (perf_counter) and the message's number."""

    value: str
    at: float
    seq: int


@dataclass
class Figures:
    """What one student measured (seconds on the perf_counter clock of its process)."""

    k: int
    seed: int
    latencies: list[float] = field(default_factory=list)  # question sent -> the answer's delta received
    asked_at: list[float] = field(default_factory=list)
    answers: list[tuple[str, str, str]] = field(default_factory=list)  # (question, expected, received)
    errors: list[str] = field(default_factory=list)
    crosstalk: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    started_at: float | None = None  # Start sent
    training_at: float | None = None  # the page said Training
    to_target_s: float | None = None  # Start sent -> a page first showed held-out >= 90 %
    to_target_epoch: float | None = None
    iterations: list[tuple[float, int]] = field(default_factory=list)  # (when, the Iteration counter)
    paused: bool = False
    messages: int = 0
    bytes: int = 0


class Student:
    """One simulated student: a Streamlit session over one WebSocket."""

    def __init__(self, k: int, url: str, *, seed: int | None = None, think: tuple[float, float] = THINK_SECONDS,
                 questions: int = QUESTIONS):
        self.url, self.think, self.questions = url, think, questions
        self.rng = random.Random(1000 + k)
        self.f = Figures(k, k if seed is None else seed)
        self.ws = None
        self.page = "train"
        self.pages: dict[str, str] = {}  # url path -> page script hash (the navigation message)
        self.widgets: dict[str, tuple[str, str]] = {}  # key -> (widget id, fragment id)
        self.blocks: dict[tuple, str] = {}  # delta path -> container key
        self.metrics: dict[str, Seen] = {}  # label -> value
        self.html: dict[tuple, Seen] = {}  # delta path -> html body
        self.buttons: dict[str, bool] = {}  # key -> disabled
        self.sidebar: Seen | None = None  # the sidebar's training status caption
        self.seq = 0  # ForwardMsgs received so far
        self.finished_seq = 0  # the number of the last script_finished
        self._changed = asyncio.Condition()
        self._reruns: dict[str, asyncio.Task] = {}  # fragment id -> its auto-rerun task
        self._reader: asyncio.Task | None = None
        self._closing = False
        self.failed = False  # a step could not happen: the rest of the lesson is skipped
        self.values: dict[str, object] = {}  # widget id -> the WidgetState this student set (triggers aside)

    # -- the connection ---------------------------------------------------------------------------------------
    async def open(self, page: str = "train") -> None:
        ws_url = self.url.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"
        # no pings of our own (the frontend sends none); the server's own keep-alive is answered by the library
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                                           open_timeout=STEP_TIMEOUT)
        self._reader = asyncio.create_task(self._read())
        self.page = page
        await self._send(self._rerun(page_name=page))
        self.failed = not await self.wait(lambda: self.finished_seq > 0 and self.page_is(page), f"/{page} loaded")

    async def close(self) -> None:
        self._closing = True
        for task in self._reruns.values():
            task.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    def _rerun(self, *, widgets: list | None = None, fragment_id: str = "", page_name: str = "",
               auto: bool = False) -> BackMsg:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = f"lang={LANG}"
        cs.page_name = page_name or self.page
        if self.page in self.pages and not page_name:
            cs.page_script_hash = self.pages[self.page]
        if page_name and page_name in self.pages:
            cs.page_script_hash = self.pages[page_name]
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        # Every rerun carries the values of the widgets on the page, as the frontend's do: the server merges a
        # pending rerun's widget states into the next request's by taking the newer request's list (keeping only
        # triggers), so an auto-rerun sent with no states right after a question would drop the question.
        shown = {wid for wid, _ in self.widgets.values()}
        sent = {w.id for w in widgets or []}
        for w in [*(widgets or []), *(v for wid, v in self.values.items() if wid in shown and wid not in sent)]:
            cs.widget_states.widgets.append(w)
        return msg

    async def _send(self, msg: BackMsg) -> None:
        await self.ws.send(msg.SerializeToString())

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self.f.bytes += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg, time.perf_counter())
                async with self._changed:
                    self._changed.notify_all()
        except websockets.ConnectionClosed as e:
            if not self._closing:
                self.f.errors.append(f"student {self.f.k}: connection closed by the server ({e})")
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _handle(self, msg: ForwardMsg, now: float) -> None:
        self.seq += 1
        self.f.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._delta(msg, now)
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages if p.url_pathname}
        elif kind == "auto_rerun":
            fid, every = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            old = self._reruns.pop(fid, None)
            if old is not None:
                old.cancel()
            self._reruns[fid] = asyncio.create_task(self._auto_rerun(fid, every))
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                task = self._reruns.pop(fid, None)
                if task is not None:
                    task.cancel()
        elif kind == "script_finished":
            self.finished_seq = self.seq
        elif kind == "page_not_found":
            self.f.errors.append(f"student {self.f.k}: page not found ({msg.page_not_found.page_name!r})")
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self.f.errors.append(f"student {self.f.k}: {msg.session_event.script_compilation_exception.message}")
        elif msg.ref_hash:  # a reference to a message we never had (we tell the server we cache nothing)
            self.f.errors.append(f"student {self.f.k}: a cached message referenced ({msg.ref_hash})")

    def _delta(self, msg: ForwardMsg, now: float) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which == "add_block":
            key = widget_key(delta.add_block.id)
            if key:
                self.blocks[path] = key
            return
        if which != "new_element":
            return
        el = delta.new_element
        sub = el.WhichOneof("type")
        part = getattr(el, sub) if sub else None
        if sub == "exception":
            self.f.errors.append(f"student {self.f.k}: exception on /{self.page}: {part.type}: {part.message}")
        elif sub == "metric":
            self.metrics[part.label] = Seen(part.body, now, self.seq)
        elif sub == "html":
            self.html[path] = Seen(part.body, now, self.seq)
        elif sub == "markdown" and SIDEBAR_RE.match(part.body):
            self.sidebar = Seen(part.body, now, self.seq)
        if part is not None and hasattr(part, "id") and isinstance(part.id, str):
            key = widget_key(part.id)
            if key:
                self.widgets[key] = (part.id, delta.fragment_id)
                if sub == "button":
                    self.buttons[key] = part.disabled
        self._watch_accuracy(now)

    async def _auto_rerun(self, fragment_id: str, every: float) -> None:
        """As the frontend does for a fragment with run_every: rerun it every `every` seconds."""
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            while True:
                await asyncio.sleep(every)
                await self._send(self._rerun(fragment_id=fragment_id, auto=True))

    async def wait(self, condition: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT) -> bool:
        """Wait until `condition()` holds (checked after every message); a timeout is an error."""
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: condition() or self.ws.close_code is not None),
                                       timeout)
        except TimeoutError:
            pass
        if condition():
            return True
        self.f.errors.append(f"student {self.f.k}: {what}: not within {timeout:.0f} s")
        return False

    def page_is(self, page: str) -> bool:
        """Whether the last full run drew `page` (Train has its Start button, Try its question box)."""
        return ("train_start" in self.widgets) if page == "train" else ("query" in self.widgets)

    # -- what a student does ----------------------------------------------------------------------------------
    async def go(self, page: str) -> None:
        """Switch page inside the app, the same session, as the navigation's links do."""
        for task in self._reruns.values():  # the old page's fragments are gone (the new page sends its own)
            task.cancel()
        self._reruns.clear()
        self.widgets.clear()
        self.buttons.clear()
        self.page = page
        sent = self.seq
        await self._send(self._rerun(page_name=page))
        self.failed = not await self.wait(lambda: self.finished_seq > sent and self.page_is(page),
                                          f"/{page} after navigation")

    async def set_widget(self, key: str, *, int_value: int | None = None, string_value: str | None = None,
                         trigger: bool = False) -> int:
        """Send one widget's new state (a fragment's widget reruns its fragment); returns the message count at
        the moment it was sent."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        wid, fragment = self.widgets[key]
        w = WidgetState(id=wid)
        if int_value is not None:
            w.int_value = int_value
        elif string_value is not None:
            w.string_value = string_value
        elif trigger:
            w.trigger_value = True
        if not trigger:
            self.values[wid] = w
        sent = self.seq
        await self._send(self._rerun(widgets=[w], fragment_id=fragment))
        return sent

    async def start_training(self) -> None:
        """Set this student's seed, press Start, wait until the page says Training."""
        sent = await self.set_widget("train_seed", int_value=self.f.seed)
        await self.wait(lambda: self.finished_seq > sent, "the seed set")
        self.f.started_at = time.perf_counter()
        sent = await self.set_widget("train_start", trigger=True)
        if await self.wait(lambda: self.finished_seq > sent and self.status_after(sent) == "Training"
                           and self.metric_after(LABEL_ITERATION, sent) is not None, "training after Start"):
            self.f.training_at = time.perf_counter()
        else:
            self.failed = True

    def status_after(self, seq: int) -> str | None:
        """The Train page's live status word (Training, Paused, ...) drawn after message `seq`."""
        for seen in self.html.values():
            if seen.seq > seq:
                m = STATUS_RE.search(seen.value)
                if m:
                    return m.group(1)
        return None

    def metric_after(self, label: str, seq: int) -> str | None:
        seen = self.metrics.get(label)
        return seen.value if seen is not None and seen.seq > seq else None

    def iteration(self) -> int | None:
        seen = self.metrics.get(LABEL_ITERATION)
        return None if seen is None else int(seen.value.replace(",", ""))

    async def read_counters(self) -> int | None:
        """Reload the page (a plain rerun, as a browser's reload keeps the session) and read the Iteration
        counter it draws; its epoch counter must show this student's run (epochs of the default preset)."""
        sent = self.seq
        await self._send(self._rerun())
        if not await self.wait(lambda: self.finished_seq > sent and self.metric_after(LABEL_ITERATION, sent),
                               "counters on reload"):
            return None
        n = self.iteration()
        self.f.iterations.append((time.perf_counter(), n))
        return n

    async def ask(self) -> None:
        """Ask this student's questions, each after reading the last answer (3-8 s)."""
        for j in range(self.questions):
            await asyncio.sleep(self.rng.uniform(*self.think))
            text, expected = question(self.f.k, j)
            t0 = time.perf_counter()
            sent = await self.set_widget("query", string_value=text)
            self.f.asked_at.append(t0)
            earlier = {question(self.f.k, i)[1] for i in range(j)}  # a late answer to one of them is not this one
            got = await self._answer_after(sent, earlier)
            if got is None:
                finished = "a run finished since" if self.finished_seq > sent else "no run finished since"
                self.f.unanswered.append(f"student {self.f.k}: no answer to {text} within {ANSWER_TIMEOUT:.0f} s "
                                         f"({self.seq - sent} messages received, {finished})")
                continue
            answer, at = got
            self.f.latencies.append(at - t0)
            self.f.answers.append((text, expected, answer))
            if answer != expected:
                others = {question(k, i)[1] for k in range(1000) for i in range(self.questions)} - {expected}
                where = "another student's" if answer in others else "a wrong"
                (self.f.crosstalk if answer in others else self.f.errors).append(
                    f"student {self.f.k}: {text} answered {answer!r} ({where} answer; expected {expected})")

    async def _answer_after(self, sent: int, earlier: set[str]) -> tuple[str, float] | None:
        """The answer element that came after message `sent` (inside the container keyed "answer"), other than
        a late one to an `earlier` question of this student's."""
        found: list[tuple[str, float]] = []

        def arrived() -> bool:
            for path, seen in self.html.items():
                if seen.seq > sent and self._in_block(path, "answer"):
                    m = ANSWER_RE.search(seen.value)
                    if m and m.group(1) not in earlier:
                        found.append((m.group(1), seen.at))
                        return True
            return False

        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: arrived() or self.ws.close_code is not None),
                                       ANSWER_TIMEOUT)
        except TimeoutError:
            return None
        return found[-1] if found else None

    def _in_block(self, path: tuple, key: str) -> bool:
        return any(self.blocks.get(path[:n]) == key for n in range(1, len(path)))

    def _watch_accuracy(self, now: float) -> None:
        """The first time a page (the Train counters, or the sidebar's status on any page) shows held-out
        accuracy at or above the target, counted from Start."""
        if self.f.to_target_s is not None or self.f.started_at is None:
            return
        acc, epoch = None, None
        seen = self.metrics.get(LABEL_ACCURACY)
        if seen is not None and seen.at == now and seen.value.endswith("%"):
            acc = float(seen.value[:-1]) / 100
            ep = self.metrics.get(LABEL_EPOCH)
            epoch = float(ep.value.split("/")[0]) if ep is not None else None
        elif self.sidebar is not None and self.sidebar.at == now:
            m = SIDEBAR_RE.match(self.sidebar.value)
            if m and m.group(3):
                acc, epoch = float(m.group(3)) / 100, float(m.group(2))
        if acc is not None and acc >= TARGET_ACCURACY - 1e-9:
            self.f.to_target_s, self.f.to_target_epoch = now - self.f.started_at, epoch

    async def pause(self) -> None:
        sent = await self.set_widget("train_pause", trigger=True)
        self.f.paused = True
        await self.wait(lambda: self.finished_seq > sent and self.status_after(sent) == "Paused", "paused after Pause")


async def _guarded(s: Student, step):
    """`step(s)` unless the student already failed; an exception is the student's error, not the class's end."""
    if s.failed:
        return None
    try:
        return await step(s)
    except Exception as e:  # a step that could not happen (a widget never drawn, the connection gone)
        s.failed = True
        s.f.errors.append(f"student {s.f.k}: {type(e).__name__}: {e} on /{s.page}")
        return None


def _rates(students: list[Student]) -> list[float]:
    """Each student's iterations per second between its first two counter readings."""
    out = []
    for s in students:
        it = s.f.iterations
        if len(it) >= 2 and it[1][0] > it[0][0]:
            out.append((it[1][1] - it[0][1]) / (it[1][0] - it[0][0]))
    return out


async def _loop_lag(out: list[float], every: float = 0.1) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(every)
            out.append(time.perf_counter() - t0 - every)


async def run_class(url: str, n: int, *, first: int = 0, think: tuple[float, float] = THINK_SECONDS,
                    questions: int = QUESTIONS, watch_s: float = 0.0, opening_at_once: int = 8,
                    pause_check: bool = True, log: Callable[[str], None] = lambda s: None,
                    ready: Callable[[], Awaitable[None]] | None = None) -> dict:
    """A class of `n` simulated students (numbered from `first`) through the lesson: arrive (at most
    `opening_at_once` loading at the same moment) and start training; once all train, go to Try and ask;
    back on Train, watch for `watch_s` seconds more (time to 90 %); every other student pauses, and all
    counters are checked 11 s apart (`pause_check`); leave. Returns the figures (JSON-ready)."""
    students = [Student(first + i, url, think=think, questions=questions) for i in range(n)]
    lags: list[float] = []
    lag_task = asyncio.create_task(_loop_lag(lags))
    gate = asyncio.Semaphore(opening_at_once)
    t_begin = time.perf_counter()
    phases: dict[str, float] = {}

    async def arrive(s: Student) -> None:
        async with gate:
            await s.open("train")
            if not s.failed:
                await s.start_training()

    await asyncio.gather(*(_guarded(s, arrive) for s in students))
    phases["all_training"] = time.perf_counter()
    log(f"{n} students training after {phases['all_training'] - t_begin:.1f} s")
    if ready is not None:
        await ready()  # the rest of the class (a driver's browsers) is training too
    before = await asyncio.gather(*(_guarded(s, Student.read_counters) for s in students))
    phases["asking"] = time.perf_counter()

    async def visit_try(s: Student) -> None:
        await s.go("try")
        if not s.failed:
            await s.ask()
            await s.go("train")

    await asyncio.gather(*(_guarded(s, visit_try) for s in students))
    after = await asyncio.gather(*(_guarded(s, Student.read_counters) for s in students))
    phases["asked"] = time.perf_counter()
    log(f"asked in {phases['asked'] - phases['asking']:.1f} s")
    if watch_s > 0:
        end = phases["asking"] + watch_s
        while time.perf_counter() < end and any(s.f.to_target_s is None for s in students):
            await asyncio.sleep(1.0)
    phases["watched"] = time.perf_counter()
    paused = students[::2] if pause_check else []
    await asyncio.gather(*(_guarded(s, Student.pause) for s in paused))
    first_read = (await asyncio.gather(*(_guarded(s, Student.read_counters) for s in students)) if pause_check
                  else [None] * n)
    # longer than the slowest live refresh (ui.background, 10 s), and than three of the slowest student's
    # steps: a class sharing one step slot gives each student a step every n / (class steps per second)
    slowest = min((r for r in _rates(students) if r > 0), default=1.0)
    await asyncio.sleep(max(11.0, min(120.0, 3 / slowest)) if pause_check else 0)
    second_read = (await asyncio.gather(*(_guarded(s, Student.read_counters) for s in students)) if pause_check
                   else [None] * n)
    for s, a, b in zip(students, first_read, second_read, strict=True):
        if a is None or b is None:
            continue
        if s.f.paused and b != a:
            s.f.crosstalk.append(f"student {s.f.k} was paused at {a} but shows {b}")
        if not s.f.paused and b <= a:
            s.f.errors.append(f"student {s.f.k} kept training but its counter stayed at {a}")
    phases["checked"] = time.perf_counter()
    await asyncio.gather(*(s.close() for s in students))
    lag_task.cancel()
    lags.sort()
    rates = [(b - a) / (phases["asked"] - phases["asking"]) if a is not None and b is not None else math.nan
             for a, b in zip(before, after, strict=True)]
    return {
        "students": n, "t_begin": t_begin, "phases": phases,
        "iterations_per_s": rates,
        # how late this process's event loop ran what was due (every answer's timing waits for it too)
        "loop_lag_p95_s": lags[min(len(lags) - 1, int(0.95 * len(lags)))] if lags else math.nan,
        "cpu_s": time.process_time(),  # this process's CPU time so far (all its students)
        "figures": [s.f.__dict__ for s in students],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--students", type=int, default=10)
    ap.add_argument("--first", type=int, default=0, help="the first student's number (seeds and questions)")
    ap.add_argument("--questions", type=int, default=QUESTIONS)
    ap.add_argument("--watch", type=float, default=0.0, help="seconds from the first question to keep watching "
                    "Train for 90 %% held-out before pausing")
    ap.add_argument("--out", default="-", help="where the JSON figures go (- : standard output)")
    ap.add_argument("--barrier", action="store_true", help="once all train, print TRAINING and wait for a line on "
                    "standard input before asking (benchmarks/load_class.py starts its browsers meanwhile)")
    args = ap.parse_args()

    async def barrier() -> None:
        print("TRAINING", flush=True)
        await asyncio.to_thread(sys.stdin.readline)

    result = asyncio.run(run_class(args.url, args.students, first=args.first, questions=args.questions,
                                   watch_s=args.watch, log=lambda s: print(s, file=sys.stderr, flush=True),
                                   ready=barrier if args.barrier else None))
    text = json.dumps(result)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
