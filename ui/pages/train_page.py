"""Train: choose settings, then start, pause, step and reset a model of the session's own,
with live loss and accuracy charts and ten held-out questions turning right. Other pages (a lesson) choose
the next run's settings through ``set_up``."""

from __future__ import annotations

import html
import math
import time

import pandas as pd
import streamlit as st

from s2s.checkpoint import MAX_BYTES, CheckpointError, checkpoint_bytes, load_checkpoint
from s2s.data import DatasetError, parse_book_bytes, split_dataset, task_codec
from s2s.inference import Step
from s2s.models import CELLS, MODEL_KINDS, ModelConfig
from s2s.presets import PRESETS
from s2s.session import Snapshot, TrainSetup, setup_data
from s2s.tasks import TASKS, solve
from s2s.trainer import SCHEDULES, TrainConfig
from ui import charts, keys, persist
from ui.background import BackgroundTraining, poll_interval
from ui.i18n import labels, t
from ui.keys import LoadedFrom, Upload, UploadNote
from ui.state import TASK_NAMES, get_runner, set_runner
from ui.style import presenting
from ui.widgets import (
    answer_tiles,
    answers_table,
    checkpoint_error_text,
    compact_metrics,
    dataset_error_text,
    live_status,
    resume_note,
    start_pause_buttons,
    task_label,
    task_labels,
    visible_char,
)

MAX_UPLOAD_MB = 60  # datasets; also server.maxUploadSize in .streamlit/config.toml (weights: MAX_BYTES)
POLL_SECONDS = 0.5
HISTORY_POLL_SECONDS = 1.0  # the scrub-back slider grows about once a second while training
KEEP = {"persist_state": "session"}  # settings survive a visit to another page


def set_up(task: str, preset: str = "default", *, seed: int = 0, history: bool = False) -> None:
    """For another page (a lesson): the next visit starts a fresh model of `task` with `preset`'s
    settings and `seed` (a fixed seed: the class sees the curve the teacher rehearsed); `history`
    opens the answer history. Call before switching to the Train page."""
    set_runner(None)
    ss = st.session_state
    ss[keys.TRAIN_TASK], ss[keys.TRAIN_PRESET] = task, preset
    _fill_from_preset()
    ss[keys.TRAIN_SEED] = seed
    if history:
        ss[keys.TRAIN_HISTORY] = True


def _presets(task: str) -> dict:
    return PRESETS.get(task, PRESETS["addition"] if task == "upload" else {})


def _fill_from_preset() -> None:
    """Fill the setting widgets (all but the seed) from the chosen preset."""
    ss = st.session_state
    task = ss.get(keys.TRAIN_TASK, "addition")
    preset = _presets(task).get(ss.get(keys.TRAIN_PRESET, "default"))
    if preset is None:
        return
    for name, key in keys.TRAIN_SETTINGS.items():
        if key != keys.TRAIN_SEED:
            ss[key] = getattr(preset, name)


def _on_task_change() -> None:
    st.session_state[keys.TRAIN_PRESET] = "default"
    _fill_from_preset()


def _settings() -> TrainSetup | None:
    """Setting widgets -> TrainSetup (None with a message when the combination is invalid)."""
    ss, K = st.session_state, keys.TRAIN_SETTINGS
    upload = keys.upload()
    tasks = TASK_NAMES + (["upload"] if upload else [])
    if ss.get(keys.TRAIN_TASK) not in tasks:
        ss[keys.TRAIN_TASK] = "upload" if upload else "addition"
    if K["model"] not in ss:
        _fill_from_preset()
        ss.setdefault(keys.TRAIN_SEED, 0)
    with st.expander(t("settings"), expanded=get_runner() is None and not presenting()):
        _setting_widgets(tasks)
    task = ss[keys.TRAIN_TASK]
    heads, hidden = int(ss.get(K["heads"], 1)), int(ss[K["hidden"]])
    if ss[K["model"]] == "transformer" and hidden % heads:
        st.error(t("heads_divide", heads=heads, hidden=hidden))
        return None
    vocab = len(upload.data.codec.vocab) if task == "upload" else None
    try:
        vocab = vocab or len(task_codec(task).vocab)
        return TrainSetup(
            task=task,
            model=ModelConfig(kind=ss[K["model"]], vocab_size=vocab, wordvec_size=int(ss[K["wordvec"]]),
                              hidden_size=int(ss[K["hidden"]]), reverse=bool(ss[K["reverse"]]),
                              forget_bias=float(ss.get(K["forget_bias"], 0.0)), cell=ss.get(K["cell"], "lstm"),
                              layers=int(ss.get(K["layers"], 1)), heads=int(ss.get(K["heads"], 1))),
            train=TrainConfig(batch_size=int(ss[K["batch"]]), lr=float(ss[K["lr"]]), optimizer="adam",
                              clip=float(ss[K["clip"]]), seed=int(ss[K["seed"]]), epochs=int(ss[K["epochs"]]),
                              schedule=ss.get(K["schedule"], "constant")),
            train_size=int(ss[K["train_size"]]),
            data_name=upload.name if task == "upload" else "",
        )
    except ValueError as e:
        st.error(str(e))
        return None


def _setting_widgets(tasks: list[str]) -> None:
    ss, K = st.session_state, keys.TRAIN_SETTINGS
    c1, c2 = st.columns(2)
    c1.selectbox(t("task"), tasks, key=keys.TRAIN_TASK, format_func=task_labels(tasks).get,
                 on_change=_on_task_change, **KEEP)
    presets = list(_presets(ss[keys.TRAIN_TASK]))
    if ss.get(keys.TRAIN_PRESET) not in presets:
        ss[keys.TRAIN_PRESET] = "default"
    c2.selectbox(t("preset"), presets, key=keys.TRAIN_PRESET, format_func=labels(presets, "preset_"),
                 on_change=_fill_from_preset, **KEEP)
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox(t("model_kind"), MODEL_KINDS, key=K["model"], format_func=labels(MODEL_KINDS, "kind_"), **KEEP)
    transformer = ss.get(K["model"]) == "transformer"
    c1.selectbox(t("cell"), CELLS, key=K["cell"], format_func=labels(CELLS, "cell_"), help=t("cell_help"),
                 disabled=transformer, **KEEP)
    c3.number_input(t("layers"), 1, 6, key=K["layers"], disabled=not transformer, help=t("layers_help"), **KEEP)
    c4.number_input(t("heads"), 1, 16, key=K["heads"], disabled=not transformer, help=t("heads_help"), **KEEP)
    c1.checkbox(t("reverse"), key=K["reverse"], **KEEP)
    c2.number_input(t("wordvec"), 1, 256, key=K["wordvec"], **KEEP)
    c2.number_input(t("hidden"), 1, 512, key=K["hidden"], **KEEP)
    c2.number_input(t("forget_bias"), -10.0, 10.0, key=K["forget_bias"], **KEEP, step=0.5, help=t("forget_bias_help"))
    c3.number_input(t("batch"), 1, 1024, key=K["batch"], **KEEP)
    c3.number_input(t("lr"), 0.00001, 100.0, key=K["lr"], **KEEP, format="%.5f", step=0.0005)
    c4.number_input(t("clip"), 0.0, 1000.0, key=K["clip"], **KEEP, step=1.0)
    c4.number_input(t("seed"), 0, 2**31 - 1, key=K["seed"], **KEEP)
    c1.number_input(t("epochs"), 1, 200, key=K["epochs"], **KEEP)
    c2.number_input(t("train_size"), 100, 1_000_000, key=K["train_size"], **KEEP, step=5000,
                    disabled=ss[keys.TRAIN_TASK] == "upload")
    c3.selectbox(t("schedule"), SCHEDULES, key=K["schedule"], format_func=labels(SCHEDULES, "schedule_"), **KEEP)


def _new_runner(setup: TrainSetup, model=None) -> BackgroundTraining:
    upload = keys.upload()
    runner = BackgroundTraining.new(setup, *setup_data(setup, upload and upload.data), model)
    persist.attach(runner)
    set_runner(runner)
    st.session_state.pop(keys.RESUMED, None)
    return runner


def resume_from_url() -> None:
    """Before any page draws: when the address names a saved run (?run=) this session does not hold, bring it
    back with the setting boxes showing its setup (ui.persist); resume_note says what became of it. A page that
    reconnected to its session after the connection dropped (which closed the session's run) trains on."""
    runner = get_runner()
    if runner is not None and runner.closed_training:
        set_runner(runner)  # the session's guard was released with the connection: it holds the run again
        runner.start()
    token = persist.wanted_token("train")
    if token is None:
        return
    runner, note = persist.resume(token)
    st.session_state[keys.RESUMED] = (note, False)
    if runner is None:
        del st.query_params["run"]
        return
    st.session_state[keys.TRAIN_TASK] = runner.setup.task
    _show_setup(runner.setup.model, runner.setup.train)
    st.session_state[keys.TRAIN_SETTINGS["train_size"]] = runner.setup.train_size
    set_runner(runner)


# the setting boxes (keys.TRAIN_SETTINGS) that show a field of ModelConfig and of TrainConfig
MODEL_FIELDS = {"model": "kind", "cell": "cell", "reverse": "reverse", "wordvec": "wordvec_size",
                "hidden": "hidden_size", "forget_bias": "forget_bias", "layers": "layers", "heads": "heads"}
TRAIN_FIELDS = {"batch": "batch_size", "lr": "lr", "clip": "clip", "seed": "seed", "epochs": "epochs",
                "schedule": "schedule"}


def _show_setup(model: ModelConfig, train: TrainConfig | None = None) -> None:
    """Put a model's (and a training's) settings into the setting boxes."""
    ss, K = st.session_state, keys.TRAIN_SETTINGS
    for name, field in MODEL_FIELDS.items():
        ss[K[name]] = getattr(model, field)
    for name, field in TRAIN_FIELDS.items() if train is not None else ():
        ss[K[name]] = int(train.epochs) if name == "epochs" else getattr(train, field)


def _saving_note(runner: BackgroundTraining) -> None:
    """Whether the run is being saved: when it was last, or why not."""
    saver = runner.saver
    if saver is None:
        st.caption(t("not_saving", why=persist.store()[1]))
    elif saver.error is not None:
        e = saver.error
        why = t("save_why_too_large", mb=f"{e.params['mb']:.3g}", limit=f"{e.params['limit']:.3g}") \
            if e.kind == "too_large" else t("save_why_unwritable", detail=str(e))
        st.warning(t("save_failed", why=why))
    elif saver.saved_position is not None:
        st.caption(t("saved_note", s=time.monotonic() - saver.saved_at))


def _ensure_runner(setup: TrainSetup | None) -> BackgroundTraining | None:
    runner = get_runner()
    if runner is None and setup is not None:
        runner = _new_runner(setup)
    return runner


def render() -> None:
    """The Train page."""
    st.title(t("train_title"))
    if not presenting():  # presenting, the lesson's banner says what to look at
        st.caption(t("train_intro"))
    resume_note(keys.RESUMED)
    # presenting, the folded settings go below the charts (the lesson set them): the accuracy chart then fits
    # on a 1280x720 projector under the lesson's banner
    settings_box = None if presenting() else st.container()
    controls, live_box = st.container(), st.container(key="train_live")
    with settings_box or st.container():
        setup = _settings()
        runner = get_runner()
        if runner is not None and setup is not None and setup != runner.setup:
            st.info(t("settings_pending"))

    running = runner is not None and runner.status == "running"
    ended = runner is not None and runner.status in ("finished", "diverged")
    row = controls.container(horizontal=True)
    start_pause_buttons(row, "train", get_runner, lambda: (r := _ensure_runner(setup)) and r.start(),
                        lambda: get_runner() and get_runner().pause(), blocked=setup is None and runner is None,
                        ended=ended)
    row.button(t("step_btn"), key="train_step", icon=":material/skip_next:",
               disabled=ended or (setup is None and runner is None),
               on_click=lambda: (r := _ensure_runner(setup)) and r.step_once())
    row.button(t("reset"), key="train_reset", icon=":material/restart_alt:", on_click=set_runner, args=(None,))

    runner = get_runner()
    running = runner is not None and runner.status == "running"

    @st.fragment(run_every=poll_interval(POLL_SECONDS) if running else None)
    def live() -> None:
        r = get_runner()
        if r is None:
            st.info(t("no_run"))
            return
        snap = r.snapshot()
        st.html(live_status(f"{t('train_title')}: {t(f'status_{snap.status}')}"))  # announced when it changes
        _draw(snap, r)
        if running and snap.status != "running":
            st.rerun(scope="app")  # training ended: redraw the page once and stop polling

    compact_metrics("train_counters", gap="0.4rem")
    with live_box:
        live()
    if get_runner() is not None and st.toggle(t("history"), key=keys.TRAIN_HISTORY, help=t("history_help")):
        # its own fragment beside the live one (never inside it: nested run_every fragments go stale), so
        # the moments grow while training runs and moving the slider reruns only this part
        @st.fragment(run_every=poll_interval(HISTORY_POLL_SECONDS) if running else None)
        def history() -> None:
            _history()

        history()
    if not presenting():
        _save_load(setup)


def _draw(snap: Snapshot, runner: BackgroundTraining) -> None:
    """Status and counters in a narrow column beside the loss and accuracy charts: on a 1280x720 projector the
    accuracy chart is then on screen under the buttons, also in presentation mode."""
    status = t(f"status_{snap.status}")
    alert = snap.status == "diverged" or snap.message in ("idle", "moved")
    if snap.status == "diverged":
        st.container(key="train_status").error(
            f"**{status}**: {t('diverged_help', lr=f'{runner.setup.train.lr / 10:g}')}\n\n`{snap.message}`")
    elif alert:
        st.container(key="train_status").warning(f"**{status}**: {t(f'{snap.message}_paused')}")
    acc = snap.evals[-1, 2] if len(snap.evals) else math.nan
    counters, left, right = st.columns([1, 2, 2])
    with counters.container(key="train_counters", gap="small"):
        if not alert:
            st.container(key="train_status").markdown(f"**{status}**")
        # held-out accuracy first, where the class looks; the iteration stays the second counter (tests and
        # benchmarks read it there)
        st.metric(t("val_acc"), "–" if math.isnan(acc) else f"{acc:.1%}")
        st.metric(t("iteration"), f"{snap.iteration:,}")
        untrained = st.session_state.get(keys.LOADED) is not None and snap.iteration == 0
        st.metric(t("epoch"), "–" if untrained else f"{snap.epoch:.2f} / {runner.setup.train.epochs}")
        st.metric(t("elapsed"), f"{snap.train_seconds:.1f} s")
        st.metric(t("speed"), f"{snap.examples_per_second:,.0f}")
    loaded = st.session_state.get(keys.LOADED)
    if loaded is not None and snap.iteration == 0:  # nothing trained here yet: where the model came from
        left.container(key="loaded_from", border=True).markdown(loaded_from_text(loaded))
    else:
        with left.container(key="loss_chart"):
            st.markdown(f"**{t('loss_chart')}**")
            st.vega_lite_chart(charts.loss_frame(snap.losses),
                               charts.loss_spec(t("iteration"), t("loss"), t("smoothed")), width="stretch",
                               alt=_loss_alt(snap.losses))
    exact, per_char = t("exact_match"), t("per_char")
    acc_frame = charts.accuracy_frame(snap.evals, exact, per_char)
    with right.container(key="acc_chart"):
        st.markdown(f"**{t('acc_chart')}** &nbsp; {charts.series_key(html.escape(exact), html.escape(per_char))}",
                    unsafe_allow_html=True)
        st.vega_lite_chart(acc_frame, charts.accuracy_spec(t("epoch"), t("accuracy"), exact, per_char),
                           width="stretch", alt=_accuracy_alt(snap.evals))
    _saving_note(runner)
    st.markdown(f"**{t('probes')}**")
    st.html(answers_table(snap.probes))
    # the tables are built only when asked for: a live refresh must stay light with a class on the server
    if st.toggle(t("numbers"), key="train_numbers"):
        c1, c2 = st.columns(2)
        c1.dataframe(charts.loss_frame(snap.losses), hide_index=True, width="stretch")
        c2.dataframe(acc_frame, hide_index=True, width="stretch")


def loaded_from_text(loaded: LoadedFrom) -> str:
    """Markdown for a model loaded from a file: the file, and what its metadata says of its task, data, training
    and held-out accuracy (the lines the metadata has no value for are left out)."""
    meta, training = loaded.meta, loaded.meta.get("training") or {}
    task = meta.get("task")
    lines = [f"**{t('loaded_title')}** `{loaded.name}`"]
    if task:
        lines.append(t("loaded_task", task=task_label(task) if task in TASKS else task))
    if meta.get("data_source"):
        lines.append(t("loaded_source", data=f"`{meta['data_source']}`"))
    done = [t("loaded_iterations", n=f"{int(training['iterations']):,}")] if "iterations" in training else []
    if "epochs" in training:
        done.append(t("loaded_epochs", n=f"{float(training['epochs']):.2f}"))
    if done:
        lines.append(t("loaded_trained", what=", ".join(done)))
    if "val_accuracy" in training:
        char = training.get("val_char_accuracy")
        lines.append(t("loaded_accuracy", acc=f"{training['val_accuracy']:.1%}")
                     + ("" if char is None else f" ({t('per_char')} {char:.1%})"))
    else:
        lines.append(t("loaded_no_accuracy"))
    return "  \n".join(lines) + "\n\n" + t("loaded_hint", start=t("start"), step=t("step_btn"))


def _loss_alt(losses) -> str:
    """The loss chart's text alternative: the smoothed loss at the start and now."""
    if len(losses) == 0:
        return t("alt_empty", what=t("loss_chart"))
    return t("alt_loss", a=f"{losses[0, 2]:.2f}", b=f"{losses[-1, 2]:.2f}", n=f"{int(losses[-1, 0]):,}")


def _accuracy_alt(evals) -> str:
    """The accuracy chart's text alternative: exact match first and now, per character now."""
    if len(evals) == 0:
        return t("alt_empty", what=t("acc_chart"))
    return t("alt_acc", a=charts.percent_change(list(evals[:, 2])), c=charts.percent_change([evals[-1, 3]]),
             ep=f"{evals[-1, 1]:.2f}")


def _pin_history(iterations: tuple[int, ...]) -> None:
    """The history slider moved: remember the iteration chosen (None at the newest: follow the newest)."""
    k = st.session_state.get(keys.HISTORY_AT, 0)
    pinned = k < len(iterations) - 1
    st.session_state[keys.HISTORY_PIN] = iterations[min(k, len(iterations) - 1)] if pinned else None


def history_index(iterations: list[int], pin: int | None) -> int:
    """The moment to show: the newest when nothing is pinned, else the one whose iteration is nearest the
    pinned one (the history thins itself when full, so the pinned moment itself may be gone)."""
    if pin is None or not iterations:
        return max(len(iterations) - 1, 0)
    return min(range(len(iterations)), key=lambda i: (abs(iterations[i] - pin), i))


def _history() -> None:
    """Scrub through training: how the examples' answers, their candidates and (attention) the
    attention pattern formed. Reads the snapshots kept so far each time it is drawn (live while training:
    the slider grows; left where the user put it, it stays at that iteration)."""
    runner = get_runner()
    if runner is None:
        return
    questions, inputs, snaps = runner.answer_history()
    ss = st.session_state
    if ss.get(keys.HISTORY_RUN) != id(runner):  # a new run: follow its newest moment
        ss[keys.HISTORY_RUN], ss[keys.HISTORY_PIN] = id(runner), None
    iterations = [s.iteration for s in snaps]
    with st.container(key="history", border=True):
        c1, c2 = st.columns([2, 3])
        p = c1.radio(t("history_question"), range(len(questions)), key="history_probe",
                     format_func=lambda i: questions[i], horizontal=True)
        last = len(snaps) - 1
        # the slider's identity changes with its maximum, so its value is set here each time from the pin
        ss[keys.HISTORY_AT] = history_index(iterations, ss.get(keys.HISTORY_PIN))
        k = c2.slider(t("history_when", n=len(snaps)), 0, max(last, 1), key=keys.HISTORY_AT, disabled=last == 0,
                      on_change=_pin_history, args=(tuple(iterations),))
        if k > last or p >= len(questions):
            return
        snap, chars = snaps[k], runner.codec.vocab.chars
        truth = solve(runner.setup.task, questions[p]) if runner.setup.task in TASKS else None
        steps = [Step(chars[snap.top_ids[p, i, 0]], float(snap.top_probs[p, i, 0]),
                      [(chars[j], float(q)) for j, q in zip(snap.top_ids[p, i], snap.top_probs[p, i], strict=True)])
                 for i in range(snap.top_ids.shape[1])]
        st.markdown(t("history_answer", q=f"`{questions[p]}`", a=f"`{snap.answers[p] or '␣'}`",
                      it=f"{snap.iteration:,}", ep=f"{snap.epoch:.2f}"))
        st.html(answer_tiles(steps, truth))
        if snap.attention is not None:
            xs = [f"{i + 1}:{visible_char(c)}" for i, c in enumerate(inputs[p])]
            ys = [f"{i + 1}:{visible_char(s.char)}" for i, s in enumerate(steps)]
            frame = charts.matrix_frame(snap.attention[p], xs, ys)
            st.markdown(f"**{t('attention_header')}**")
            st.altair_chart(charts.heatmap(frame, t("attention_x"), t("attention_y"), t("weight"), diverging=False,
                                           height=30 * len(ys)), width="stretch",
                            alt=t("alt_attention", what=t("attention_header"),
                                  pairs=charts.attention_pairs(snap.attention[p], xs, ys)))
            with st.expander(t("numbers")):
                st.dataframe(pd.DataFrame(snap.attention[p], index=ys, columns=xs).round(4), width="stretch")
        changes = [(s.iteration, s.answers[p]) for i, s in enumerate(snaps)
                   if i == 0 or s.answers[p] != snaps[i - 1].answers[p]]
        st.caption(t("history_changes") + " " + " → ".join(f"{a or '␣'} ({it:,})" for it, a in changes[-12:]))


def _save_load(setup: TrainSetup | None) -> None:
    runner = get_runner()
    with st.expander(t("save_load")):
        if runner is not None and runner.status != "running":
            st.download_button(t("download"), icon=":material/download:", data=lambda: _checkpoint(runner),
                               file_name=f"{runner.setup.task}_{runner.model.config.kind}.npz",
                               mime="application/octet-stream", key="train_download")
        st.file_uploader(t("upload_weights"), type=["npz"], key=keys.TRAIN_WEIGHTS_UPLOAD,
                         help=t("size_limit", mb=MAX_BYTES // 2**20), on_change=_load_weights, args=(setup,))
        st.file_uploader(t("upload_data"), type=["txt"], key=keys.TRAIN_DATA_UPLOAD,
                         help=t("upload_data_help") + " · " + t("size_limit", mb=MAX_UPLOAD_MB),
                         on_change=_load_data)
        note = keys.upload_note()
        if note is not None:
            (st.success if note.ok else st.error)(note.text)
        if keys.upload() is not None:
            st.button(t("use_generated"), key="train_use_generated", on_click=_forget_data)


def _checkpoint(runner: BackgroundTraining) -> bytes:
    """The runner's model as checkpoint bytes (made when the download is clicked, under the lock)."""
    setup = runner.setup
    with runner.lock:
        return checkpoint_bytes(
            runner.model, runner.codec, task=setup.task if setup.task in TASKS else None,
            data_source=setup.data_name or f"generated:{setup.task}", seed=setup.train.seed,
            train_config=setup.train.to_dict(),
            training={"iterations": runner.trainer.iteration, "epochs": runner.trainer.epoch})


def _load_weights(setup: TrainSetup | None) -> None:
    f = st.session_state.get(keys.TRAIN_WEIGHTS_UPLOAD)
    if f is None:
        return
    try:
        ck = load_checkpoint(f.getvalue())
        task = ck.meta.get("task")
        if task not in TASKS:
            raise CheckpointError("it was not trained on a generated task of this app", "other_task")
        if ck.codec.to_dict() != task_codec(task).to_dict():
            raise CheckpointError("its vocabulary does not match the task " + task, "other_task")
    except CheckpointError as e:
        keys.set_upload_note(UploadNote(False, t("bad_weights", err=checkpoint_error_text(e))))
        return
    base = setup.train if setup is not None else TrainConfig()
    cfg = ck.model.config
    new = TrainSetup(task=task, model=cfg, train=base)
    runner = _new_runner(new, ck.model)
    runner.pause()
    st.session_state[keys.LOADED] = LoadedFrom(f.name, ck.meta)
    st.session_state[keys.TRAIN_TASK] = task
    _show_setup(cfg)
    keys.set_upload_note(UploadNote(True, t("loaded_weights", name=f.name, task=task_label(task))))


def _load_data() -> None:
    f = st.session_state.get(keys.TRAIN_DATA_UPLOAD)
    if f is None:
        return
    try:
        data = parse_book_bytes(f.getvalue(), f.name)
        if len(data) < 20:
            raise DatasetError(f"only {len(data)} examples: at least 20 are needed", f.name, kind="too_few",
                               n=len(data))
        split_dataset(data, 0.1, 0)  # refuses a file that asks one question only, now rather than at Start
    except DatasetError as e:
        keys.set_upload_note(UploadNote(False, t("bad_data", err=dataset_error_text(e))))
        return
    keys.set_upload(Upload(f.name, data))
    st.session_state[keys.TRAIN_TASK] = "upload"
    keys.set_upload_note(UploadNote(True, t("loaded_data", name=f.name, n=f"{len(data):,}")))


def _forget_data() -> None:
    keys.set_upload(None)
    keys.set_upload_note(None)
    st.session_state[keys.TRAIN_TASK] = "addition"
    _fill_from_preset()

