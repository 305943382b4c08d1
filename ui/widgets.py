"""Widgets shared by pages: the task and model picker and the question box (same keys on every page,
kept for the whole session, so Try and Inside look at the same model and question). Other pages choose what
they show next through ``set_up``."""

from __future__ import annotations

import html
from dataclasses import dataclass

import streamlit as st

from s2s.checkpoint import MAX_BYTES as CHECKPOINT_MAX_BYTES
from s2s.checkpoint import CheckpointError
from s2s.data import PAD, Codec, DatasetError, QueryError, describe_chars, task_codec
from s2s.inference import Step
from s2s.models import Seq2seq
from s2s.tasks import TASKS
from ui import keys
from ui.i18n import TEXTS, lang, t
from ui.state import (
    TASK_NAMES,
    book_models,
    compare_model,
    get_compare,
    get_runner,
    session_model,
    session_shipped_model,
)


@dataclass
class PickedModel:
    """The model a page works with, and a key that changes whenever its weights do."""

    task: str
    source: str  # "shipped", "shipped:<book model>", "session" or "compare:<variant>"
    model: Seq2seq
    codec: Codec
    version: tuple


def task_label(task: str) -> str:
    """Localised name of a task (uploaded data shows its file name)."""
    if task == "upload":
        upload, runner = keys.upload(), get_runner()
        name = upload.name if upload else runner.setup.data_name if runner is not None else "?"
        return t("task_upload", name=name)
    return t(f"task_{task}")


def task_labels(tasks: list[str]) -> dict[str, str]:
    """Labels of tasks, computed now (a select box's format_func then needs no session state)."""
    return {task: task_label(task) for task in tasks}


def source_label(source: str) -> str:
    """Localised name of a model source: shipped, this session's, or a variant of the comparison."""
    if source.startswith("compare:"):
        return t("model_compare", name=t(f"variant_{source.split(':', 1)[1]}"))
    if source.startswith("shipped:"):
        return t(f"model_{source.split(':', 1)[1]}")
    return t("model_shipped") if source == "shipped" else t("model_session")


def query_error_text(e: QueryError, codec: Codec) -> str:
    """A QueryError said in the current language, with the allowed characters and width."""
    if e.kind == "empty":
        what = t("err_empty")
    elif e.kind == "unknown":
        what = t("err_unknown", chars=", ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in e.chars[:8]))
    else:
        what = t("err_too_long", n=e.length)
    allowed = describe_chars(codec.query_chars).replace("space", t("space_word"))
    return f"{what} {t('allowed', chars=allowed, width=codec.question_width)}"


def dataset_error_text(e: DatasetError) -> str:
    """A DatasetError in the current language: 'file:line: what is wrong'."""
    key = f"data_err_{e.kind}"
    if key not in TEXTS:
        return str(e)
    where = "" if e.path is None else f"{e.path}: " if e.line is None else f"{e.path}:{e.line}: "
    return where + t(key, **e.params)


def checkpoint_error_text(e: CheckpointError) -> str:
    """A CheckpointError in the current language, its reason said once: the translation of its kind, or for a
    kind without one the engine's detail (the message around it already says that the file cannot be loaded)."""
    key = f"ckpt_err_{e.kind}"
    if key not in TEXTS or key == "ckpt_err_other":
        return t("ckpt_err_other", detail=str(e))
    return t(key, tasks="; ".join(task_label(task) for task in TASKS), mb=CHECKPOINT_MAX_BYTES // 2**20)


def set_up(task: str, *, source: str | None = None, query: str | None = None) -> None:
    """For another page (a lesson, Compare's "look inside"): the model picker and the question box of the
    next page drawn show `task`, the model `source` (None: the picker's first, the shipped model) and,
    given one, the question `query`. Call before switching pages."""
    ss = st.session_state
    ss[keys.TASK] = task
    if source is None:
        ss.pop(keys.MODEL_SOURCE, None)
    else:
        ss[keys.MODEL_SOURCE] = source
    if query is not None:
        ss[keys.QUERY] = query


def _apply_query_params() -> None:
    """?task=addition&q=16%2B75 fills the page once per session (a teacher can share a link)."""
    if st.session_state.get(keys.QUERY_PARAMS_DONE):
        return
    st.session_state[keys.QUERY_PARAMS_DONE] = True
    task = st.query_params.get("task")
    if task in TASKS:
        st.session_state[keys.TASK] = task
    q = st.query_params.get("q")
    if q is not None:
        st.session_state[keys.QUERY] = q[:200]


def _on_task_change() -> None:
    task = st.session_state.get(keys.TASK)
    if task in TASKS:
        st.session_state[keys.QUERY] = TASKS[task].examples[0]


def _set_query(text: str) -> None:
    st.session_state[keys.QUERY] = text


def pick_model(task_box=None, model_box=None, select_over: int | None = None,
               info_box=None) -> PickedModel | None:
    """Task select box and model picker; None (with a note) when the task has no model yet. By default the two
    sit in a row of their own with the model's description below; a page that lays out a denser row passes the
    containers for them (the description then goes under the task, or in `info_box`). The model picker is a
    radio, or a select box when there are more than `select_over` models (a radio of five models fills the
    projector's height)."""
    _apply_query_params()
    runner = get_runner()
    tasks = TASK_NAMES + (["upload"] if runner is not None and runner.setup.task == "upload" else [])
    if st.session_state.get(keys.TASK) not in tasks:
        st.session_state[keys.TASK] = "addition"
    own_row = task_box is None
    if own_row:
        task_box, model_box = st.columns([3, 2])
    task = task_box.selectbox(t("task"), tasks, format_func=task_labels(tasks).get, key=keys.TASK,
                              on_change=_on_task_change, persist_state="session")
    shipped = session_shipped_model(task) if task in TASKS else None
    own = session_model(task)
    compare = get_compare()
    variants = [lane.name for lane in compare.lanes] if compare is not None and compare.task == task else []
    book = book_models(task) if task in TASKS else []
    sources = ((["shipped"] if shipped else []) + (["session"] if own else []) + [f"compare:{v}" for v in variants]
               + [f"shipped:{name}" for name in book])
    if not sources:
        st.info(t("model_none"))
        return None
    if st.session_state.get(keys.MODEL_SOURCE) not in sources:
        st.session_state[keys.MODEL_SOURCE] = sources[0]
    names = {s: source_label(s) for s in sources}
    if select_over is not None and len(sources) > select_over:
        source = model_box.selectbox(t("model_source"), sources, key=keys.MODEL_SOURCE, persist_state="session",
                                     format_func=names.get)
    else:
        source = model_box.radio(t("model_source"), sources, key=keys.MODEL_SOURCE, horizontal=True,
                                 persist_state="session", format_func=names.get)
    if source.startswith("shipped"):
        model, codec, meta = session_shipped_model(task, source.partition(":")[2])
        acc = meta.get("training", {}).get("val_accuracy")
        version: tuple = ("shipped", task, source)
    elif source == "session":
        model, codec, weights_version = own
        ev = runner.snapshot().evals
        acc = ev[-1, 2] if len(ev) else None
        version = ("session", id(runner), weights_version)
    else:
        name = source.split(":", 1)[1]
        model, codec, weights_version = compare_model(name)
        ev = next(lane for lane in compare.snapshot()[1] if lane.name == name).evals
        acc = ev[-1, 2] if len(ev) else None
        version = ("compare", id(compare), name, weights_version)
    cfg = model.config
    info_box = info_box if info_box is not None else st if own_row else task_box
    info_box.caption(t("model_info", kind=t(f"kind_{cfg.kind}"), hidden=cfg.hidden_size,
                 reverse=t("yes") if cfg.reverse else t("no"), acc="–" if acc is None else f"{acc:.2%}"))
    return PickedModel(task, source, model, codec, version)


def question_box(task: str, box=None, codec: Codec | None = None) -> str:
    """The question text box (key ``query``) with example buttons below it (in `box`, by default the page);
    returns the text typed. Its help says the task's limit (the model's `codec`, by default the task's): no
    counter of max_chars, since spaces are ignored in a sum (``123 + 456`` is longer than its 7 characters)
    and a max_chars that changed with the task would reset the box."""
    box = box if box is not None else st
    examples = TASKS[task].examples if task in TASKS else []
    if keys.QUERY not in st.session_state:
        st.session_state[keys.QUERY] = examples[0] if examples else ""
    if codec is None and task in TASKS:
        codec = task_codec(task)
    limit = None if codec is None else t("query_help" if " " in codec.query_chars else "query_help_spaces",
                                         width=codec.question_width)
    text = box.text_input(t("query"), key=keys.QUERY, live=True, persist_state="session", help=limit,
                         placeholder=t("query_placeholder", example=examples[0]) if examples else None)
    if examples:
        row = box.container(horizontal=True, gap="small", vertical_alignment="center", key="examples")
        row.markdown(t("examples") + ":", width="content")
        for i, ex in enumerate(examples):
            row.button(ex, key=f"example_{i}", on_click=_set_query, args=(ex,), type="tertiary")
    return text or ""


def compact_metrics(key: str, size: str = "1.5rem", gap: str | None = None) -> None:
    """Smaller counters (st.metric) inside the container `key` (and `gap` between its elements): the default
    2.25rem values make five counters a column taller than the chart beside them."""
    css = (f".st-key-{key} [data-testid='stMetricValue'] {{ font-size: {size}; line-height: 1.25; }}"
           f" .st-key-{key} [data-testid='stMetric'] {{ gap: 0; }}")
    if gap is not None:
        css += f" .st-key-{key} {{ gap: {gap}; }}"
    st.html(f"<style>{css}</style>")


def visible_char(c: str) -> str:
    """A character for text: padding as a visible ␣."""
    return "␣" if c == PAD else c


def step_labels(chars: list[str]) -> list[str]:
    """Unique axis labels '1 a', '2 b', ... for time steps (Inside's heatmaps and its interventions)."""
    return [f"{i + 1} {visible_char(c)}" for i, c in enumerate(chars)]


def shown_char(c: str) -> str:
    """A character for HTML: padding as a visible ␣, the rest escaped."""
    return '<span style="font-family:sans-serif">␣</span>' if c == PAD else html.escape(c)


def answer_tiles(steps: list[Step], truth: str | None, forced: int | None = None,
                  before: list[str] | None = None) -> str:
    """One tile per decoder step: the chosen character, big, and its top candidates as bars. A wrong
    character has an orange border and "✗ wrong" beside it (not colour alone); in a what-if answer the forced
    step has a thick black one and the characters that changed because of it a dashed one. The group is a polite
    live region whose label says the answer and its wrong steps, so a screen reader announces a new answer."""
    expected = None if truth is None else truth.ljust(len(steps))
    # Long answers (a date: 11 steps) get narrower tiles that share one row: on a 1280x720 projector the
    # whole answer then stays above the fold, also with presentation mode's larger type
    narrow = len(steps) > 6
    width = "flex:1 1 0;min-width:4.4rem;max-width:8.2rem" if narrow else "width:8.2rem"
    bar_font, pct_width, big = ("0.7rem", "2.4em", "1.8rem") if narrow else ("0.85rem", "3.2em", "2.6rem")
    tiles = []
    for i, s in enumerate(steps):
        wrong = expected is not None and s.char != expected[i]
        border = "#D55E00" if wrong else "#0072B2"
        style = "solid"
        if forced is not None and i == forced:
            border, style = "#000000", "solid"
        elif before is not None and i > (forced or 0) and s.char != before[i]:
            style = "dashed"
        # bars at 3:1 or more against their #eee track (blue 4.5:1, grey 3.9:1): a graphic needs 3:1
        bars = "".join(
            f'<div style="display:flex;align-items:center;gap:3px;font:{bar_font} monospace">'
            f'<span style="width:1.1em;text-align:center">{shown_char(c)}</span>'
            f'<span style="flex:1;background:#eee;height:0.7em"><span style="display:block;height:100%;'
            f'width:{p:.0%};background:{"#0072B2" if rank == 0 else "#767676"}"></span></span>'
            f'<span style="width:{pct_width};text-align:right">{p:.0%}</span></div>'
            for rank, (c, p) in enumerate(s.top))
        label = t("step", n=i + 1) if narrow else f'{t("step", n=i + 1)} · {t("top5")}'
        # in the big character's line (the tile keeps its height): on one line with it, smaller
        mark = (f'<span style="font:700 {0.7 if narrow else 0.85}rem/1 sans-serif;color:#A33A00;vertical-align:middle;'
                f'margin-right:0.2em;white-space:nowrap">✗ {html.escape(t("tile_wrong"))}</span>') if wrong else ""
        tiles.append(
            f'<div style="{width};border:3px {style} {border};border-radius:8px;padding:4px {4 if narrow else 8}px">'
            f'<div style="font-size:{0.7 if narrow else 0.8}rem;color:#555">{html.escape(label)}</div>'
            f'<div style="font:700 {big}/1.3 monospace;text-align:center">{mark}{shown_char(s.char)}</div>'
            f'{bars}</div>')
    text = "".join(s.char for s in steps).rstrip(PAD)
    summary = html.escape(answer_summary(steps, expected))
    return (f'<div role="status" aria-live="polite" aria-atomic="true"><span class="st-sr-only">{summary}</span>'
            f'<div role="group" aria-label="{summary}" data-answer="{html.escape(text)}" '
            f'style="display:flex;flex-wrap:wrap;gap:8px">{"".join(tiles)}</div></div>')


def answer_summary(steps: list[Step], expected: str | None) -> str:
    """The answer in one line for a screen reader: "Answer 92, step 2 wrong: expected 1" (padding said as
    "space")."""
    text = "".join(s.char for s in steps).rstrip(PAD)
    parts = [f'{t("answer")} {text}']
    if expected is not None:
        parts += [t("tile_wrong_step", n=i + 1, c=t("space_word") if expected[i] == PAD else expected[i])
                  for i, s in enumerate(steps) if s.char != expected[i]]
    return ", ".join(parts) if lang() == "en" else "、".join(parts)


def live_status(text: str) -> str:
    """A polite live region that says `text` to a screen reader only (st.html it where the page changes: the
    Train page's status); it takes no room on the page."""
    return f'<div class="st-sr-live" role="status" aria-live="polite">{html.escape(text)}</div>'


def html_table(headers: list[str], rows: list[list[str]], *, stack: bool = False,
               min_widths: dict[int, str] | None = None) -> str:
    """A plain HTML table (class ``st-table``, styled in ui.style) of cells already written as HTML: lighter than a
    data grid on a live refresh, read row by row by a screen reader, and its text wraps, so it fits a phone. With
    `stack`, on a narrow screen each row becomes a block of "header: value" lines (many columns do not fit 390 px
    side by side). `min_widths`: a CSS width for a column's header (by index), so that a column of long text is not
    squeezed into a narrow strip beside short ones."""
    min_widths = min_widths or {}
    head = "".join(f'<th scope="col"{f" style=min-width:{min_widths[i]}" if i in min_widths else ""}>'
                   f'{html.escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td data-label="{html.escape(h)}">{c}</td>'
                                    for h, c in zip(headers, row, strict=True)) + "</tr>" for row in rows)
    return (f'<table class="st-table{" st-stack" if stack else ""}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{body}</tbody></table>')


def answers_table(rows: list[tuple[str, str, str]], extra: tuple[str, list[str]] | None = None) -> str:
    """Questions with their true and model's answers (☑ blue / ☒ orange) as an html_table; `extra`: the header and
    cells of one more column."""
    headers = [t("probe_q"), t("probe_truth"), t("probe_guess"), t("probe_ok")] + ([extra[0]] if extra else [])
    body = []
    for i, (q, a, g) in enumerate(rows):
        cells = [f"<code>{html.escape(x)}</code>" for x in (q, a, g)]
        cells.append(f'<span style="color:{"#0072B2" if a == g else "#D55E00"}">{"☑" if a == g else "☒"}</span>')
        body.append(cells + ([html.escape(extra[1][i])] if extra else []))
    return html_table(headers, body)


def start_pause_buttons(row, prefix: str, current, start, pause, *, blocked: bool = False, ended: bool = False) -> None:
    """Start and Pause (keys `{prefix}_start`, `{prefix}_pause`) of the background run `current()`, in `row`. The
    button just pressed is never disabled by its own press, or keyboard focus would fall to the page: Start pressed
    while running does nothing, Pause pressed stays enabled while paused. `blocked`: Start cannot start anything
    yet (invalid settings and no run); `ended`: the run finished or diverged."""
    ss, pressed_key = st.session_state, keys.pressed(prefix)

    def press(which: str, action) -> None:
        ss[pressed_key] = which
        run = current()
        if which == "start" and run is not None and run.status == "running":
            return
        action()

    run = current()
    running, pressed = run is not None and run.status == "running", ss.get(pressed_key)
    row.button(t("start"), key=f"{prefix}_start", type="primary", icon=":material/play_arrow:",
               disabled=(running and pressed != "start") or ended or blocked, on_click=press, args=("start", start))
    row.button(t("pause"), key=f"{prefix}_pause", icon=":material/pause:",
               disabled=run is None or ended or (not running and pressed != "pause"), on_click=press,
               args=("pause", pause))


def resume_note(key: str, unseen_only: bool = False) -> None:
    """Say what became of the run the address named (`key`: keys.RESUMED for Train's, keys.RESUMED_RACE for
    Compare's), if one did; `unseen_only`: unless a page said it already."""
    note, seen = st.session_state.get(key) or (None, False)
    if note is None or (seen and unseen_only):
        return
    st.session_state[key] = (note, True)
    if not note.ok:
        why = t(f"resume_why_{note.kind}", **({"h": note.ttl_hours} if note.kind == "expired" else {}))
        st.warning(t("resume_failed", why=why), icon=":material/history:")
    elif note.kind == "stopped_server":
        st.info(t("resumed_stopped_server", it=note.iteration, s=note.lost_seconds), icon=":material/history:")
    else:
        st.info(t(f"resumed_{note.kind}", it=note.iteration), icon=":material/history:")
