"""The session's state, one place: every ``st.session_state`` key the app reads or writes, by owner.

Rules. A page's widget keys are written only by that page (its callbacks, and the ``set_up(...)`` it
offers to other pages: ``train_page.set_up``, ``compare_page.set_up``, ``widgets.set_up`` for the
model picker and question box); other modules call ``set_up``. Keys starting with ``_`` hold no
widget. Widgets read only through their return value (buttons, most toggles) keep their ``key=``
where they are drawn and are not listed here. Structured values have typed accessors below.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from s2s.data import Dataset

# -- the session's objects (ui.state) ----------------------------------------------------------------------------
RUNNER = "runner"  # the Train page's BackgroundTraining or None; ui.state.set_runner writes, get_runner reads
COMPARE = "compare"  # the Compare page's BackgroundCompare or None; ui.state.set_compare writes, get_compare reads
SESSION_MODEL = "_session_model"  # (runner, version, model): ui.state.session_model's decoding copy
COMPARE_MODELS = "_compare_models"  # {variant: (compare, version, model)}: ui.state.compare_model's copies
RUN_TOKEN = "_run_token"  # the token of the runner's saved run (?run=); ui.persist writes, ui.style reads
RACE_TOKEN = "_race_token"  # the token of the comparison's saved run (?race=); ui.persist writes, ui.style reads
RESUMED_RACE = "_resumed_race"  # (ui.persist.Resumed, said yet): the last ?race= resumed; compare_page only
RESUMED = "_resumed"  # (ui.persist.Resumed, said on a page yet): the last ?run= resumed; train_page writes and reads
SHIPPED_MODELS = "_shipped_models"  # {(task, name): model}: ui.state.session_shipped_model's own copies
INSIDE_MAPS = "_inside_maps"  # {model version: map data}: inside_page.map_data, via ui.state.for_model_version
ERROR_REPORTS = "_error_reports"  # {model version: ErrorReport}: errors_page.report_for, the same way
RANGE_REPORTS = "_range_reports"  # {model version: RangeReport}: errors_page.range_report_for, the same way

# -- the model picker and question box of Try, Inside and Errors (ui.widgets) -----------------------------------
TASK = "task"  # select box; widgets writes (the address, set_up), pick_model reads
MODEL_SOURCE = "model_source"  # radio / select box ("shipped", "session", ...); widgets writes and reads
QUERY = "query"  # text box; widgets writes (examples, a task change, set_up), question_box reads
QUERY_PARAMS_DONE = "_query_params_done"  # True once ?task=&q= filled the picker; widgets only

# -- the Train page (ui.pages.train_page) ------------------------------------------------------------------------
TRAIN_TASK = "train_task"  # select box; train_page writes (task change, uploads, set_up) and reads
TRAIN_PRESET = "train_preset"  # select box; train_page writes (set_up, task change) and reads
# the setting boxes, by the s2s.presets.Preset field they show; train_page writes (presets, set_up) and reads
TRAIN_SETTINGS = {name: f"train_{name}" for name in (
    "model", "cell", "reverse", "wordvec", "hidden", "forget_bias", "layers", "heads", "batch", "lr", "clip", "seed",
    "epochs", "train_size", "schedule")}
TRAIN_SEED = TRAIN_SETTINGS["seed"]
TRAIN_HISTORY = "train_history"  # toggle of the answer history; train_page.set_up writes, the page reads
TRAIN_WEIGHTS_UPLOAD = "train_weights_upload"  # file uploader; train_page's callback reads
TRAIN_DATA_UPLOAD = "train_data_upload"  # file uploader; train_page's callback reads
UPLOAD = "_upload_data"  # Upload: the uploaded dataset; train_page writes, train_page and widgets read (upload())
UPLOAD_NOTE = "_upload_note"  # UploadNote: what became of the last upload; train_page writes and reads
LOADED = "_loaded_from"  # LoadedFrom: the .npz the session's run started from; train_page writes and reads,
# ui.state.set_runner clears it (a new run comes from no file)
HISTORY_AT = "history_at"  # the history slider; train_page writes it from HISTORY_PIN each run and reads it
HISTORY_PIN = "_history_pin"  # the iteration the user pinned the slider at (None: the newest); train_page only
HISTORY_RUN = "_history_runner"  # id() of the run the pin belongs to; train_page only

# -- the Compare page (ui.pages.compare_page) --------------------------------------------------------------------
COMPARE_TASK = "compare_task"  # select box; compare_page writes (set_up) and reads
COMPARE_RACE = "compare_race"  # select box, "lesson" or "book"; compare_page writes (set_up) and reads
COMPARE_HIDDEN = "compare_hidden"  # number box filled from the race; compare_page writes and reads
COMPARE_EPOCHS = "compare_epochs"  # number box filled from the race; compare_page writes and reads
COMPARE_LR = "compare_lr"  # number box filled from the race; compare_page writes and reads
COMPARE_BUDGET = "compare_budget"  # number box; compare_page sets its default and reads
COMPARE_SEED = "compare_seed"  # number box; compare_page sets its default (and set_up) and reads
COMPARE_RACE_FOR = "_compare_race_for"  # (task, race) the number boxes were filled for; compare_page only
GOTO_INSIDE = "_goto_inside"  # True: a "look inside" button asked for the Inside page; compare_page only

# -- the Inside page (ui.pages.inside_page): values it mends before drawing the widget ---------------------------
INSIDE_PROP = "inside_prop"  # property the units are sorted by; inside_page mends and reads
INSIDE_K = "inside_k"  # how many units the heatmaps show; inside_page mends and reads
INSIDE_STEP = "inside_step"  # the decoder step of the step-through; inside_page mends and reads
INSIDE_COLOUR = "inside_colour"  # property the PCA map is coloured by; inside_page mends and reads
INSIDE_UNIT = "inside_unit"  # the unit followed across questions; inside_page mends and reads, the ablation
#   scan's links (ui.ablation_view, drawn by inside_page) write it from their callbacks
# the ablation scan of the Inside page (ui.ablation_view, issue 20)
ABLATION_SCANS = "_ablation_scans"  # {model version: {side: s2s.ablation.Scan}}: ablation_view, via for_model_version
ABLATION_SIDE = "inside_ablation_side"  # the side scanned (encoder, decoder); ablation_view mends and reads
ABLATION_PROP = "inside_ablation_prop"  # "all" or the property the ranking is for; ablation_view mends and reads
ABLATION_VALUE = "inside_ablation_value"  # the value of that property; ablation_view mends and reads
ABLATION_OPENED = "_ablation_opened"  # the unit its last link opened in the neuron view; ablation_view only

# -- Inside's interventions (ui.intervene_view): its widgets; intervene_view mends and reads them, and its set_up
# (a lesson's preset) writes them before the Inside page is drawn
IV_KIND = "iv_kind"  # what to change: units, gate, peek, handover, attention (None: nothing)
IV_SIDE = "iv_side"  # encoder or decoder (unit and gate edits)
IV_STATE = "iv_state"  # h or c (unit edits; c only for an LSTM)
IV_UNITS = "iv_units"  # text box of units, "3, 17, 40-45" (empty: all)
IV_VALUE_MODE = "iv_value_mode"  # zero or clamp (unit edits)
IV_VALUE = "iv_value"  # the number a clamp sets
IV_GATE = "iv_gate"  # forget / input / output (LSTM), update / reset (GRU)
IV_GATE_VALUE = "iv_gate_value"  # open or shut
IV_ATT_STEP = "iv_att_step"  # the decoder step (0-based) whose attention is edited
IV_ATT_TO = "iv_att_to"  # the input position it looks at (in the encoder's reading order), or -1: uniform


def iv_steps(side: str) -> str:
    """The key of the time steps (0-based) a unit or gate edit applies to, one per side (their labels differ)."""
    return f"iv_steps_{side}"


def iv_other(task: str) -> str:
    """The key of the other question whose final state is handed over, one per task (a sum is no date)."""
    return f"iv_other_{task}"

# -- the Lessons page (ui.pages.lessons_page) --------------------------------------------------------------------
LESSON = "lesson"  # the chapter control; lessons_page writes the kept choice into it and reads it
LESSON_CHOSEN = "_lesson"  # the chapter kept outside the widget (page changes drop a widget's state)
LESSON_FROM_URL = "_lesson_from_url"  # True once ?lesson=&step= was read; lessons_page only
LESSON_NOW = "_lesson_now"  # the ui.lessons.Step last set up; lessons_page writes, its banner reads
PRESENT_MODE = "present_mode"  # the presentation toggle; lessons_page writes it from ui.style and reads it


def lesson_step(chapter: str) -> str:
    """The key of a chapter's chosen step (0-based); lessons_page writes and reads."""
    return f"lesson_step_{chapter}"


# -- presentation mode and language (ui.style, ui.i18n) ----------------------------------------------------------
PRESENT = "_present"  # True while presenting; ui.style writes (the address, the toggle) and reads
LANG = "lang"  # the chosen language; ui.i18n writes (the language buttons, ?lang=) and reads (lang())
LANG_KEPT = "_lang"  # the language kept apart from LANG (st.switch_page drops widget state); ui.i18n only
LANG_BAR = "lang_bar"  # key prefix of the presentation bar's language buttons; ui.i18n only


@dataclass(frozen=True)
class Upload:
    """A dataset uploaded on the Train page."""

    name: str  # the file's name
    data: Dataset


@dataclass(frozen=True)
class UploadNote:
    """What became of the last upload (weights or data), shown under the uploaders."""

    ok: bool
    text: str


@dataclass(frozen=True)
class LoadedFrom:
    """The checkpoint the session's training run was loaded from: its file name and its metadata."""

    name: str
    meta: dict


def upload() -> Upload | None:
    """The session's uploaded dataset, if any."""
    return st.session_state.get(UPLOAD)


def set_upload(value: Upload | None) -> None:
    """Keep an uploaded dataset (None: forget it)."""
    if value is None:
        st.session_state.pop(UPLOAD, None)
    else:
        st.session_state[UPLOAD] = value


def upload_note() -> UploadNote | None:
    """What became of the last upload, if anything is to be said."""
    return st.session_state.get(UPLOAD_NOTE)


def set_upload_note(note: UploadNote | None) -> None:
    """Say what became of an upload (None: nothing)."""
    if note is None:
        st.session_state.pop(UPLOAD_NOTE, None)
    else:
        st.session_state[UPLOAD_NOTE] = note


def pressed(prefix: str) -> str:
    """Which button of a pair was pressed last on the page whose buttons have `prefix`: Start or Pause ("train",
    "compare"; ui.widgets.start_pause_buttons writes and reads it), Back or Next ("lesson"; lessons_page)."""
    return f"{prefix}_pressed"


# Choice widgets whose options are shown through translated labels. Streamlit keeps a select box's choice in the
# browser as its label and resends it only when the value changes, so after a language switch ui.i18n stores
# each of these values again: the boxes then show the new language at once, not after the next change.
TRANSLATED_CHOICES = (TASK, MODEL_SOURCE, TRAIN_TASK, TRAIN_PRESET, TRAIN_SETTINGS["model"], TRAIN_SETTINGS["cell"],
                      TRAIN_SETTINGS["schedule"],
                      COMPARE_TASK, COMPARE_RACE, INSIDE_PROP, INSIDE_COLOUR, LESSON, "inside_sort", "inside_state",
                      "inside_heads_map", IV_KIND, IV_SIDE, IV_STATE, IV_VALUE_MODE, IV_GATE, IV_GATE_VALUE, IV_ATT_TO)
TRANSLATED_CHOICES += (ABLATION_SIDE, ABLATION_PROP)  # the ablation scan's (ui.ablation_view)
