"""AppTest of the Try and Train pages: no exception, shipped weights answer, bad input is explained,
training steps and resets, the language switch, uploads are validated."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from s2s.checkpoint import checkpoint_bytes
from s2s.data import task_codec
from s2s.models import ModelConfig, build_model
from ui import keys
from ui.keys import Upload

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 60


def open_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def answer_text(at: AppTest) -> str:
    """Everything the answer container shows, as one string."""
    parts = [m.value for m in at.markdown] + [h.proto.body for h in at.get("html")]
    parts += [w.value for w in at.warning]
    return "\n".join(parts)


def set_query(at: AppTest, text: str) -> AppTest:
    at.text_input(key="query").set_value(text).run()
    assert not at.exception, at.exception
    return at


def test_root_and_try_load_without_exception():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    at = open_page("try")
    assert at.text_input(key="query").value  # an example fills the box


def test_shipped_addition_model_answers_16_plus_75():
    at = set_query(open_page("try"), "16+75")
    text = answer_text(at)
    assert "<code" in text and ">91</code>" in text
    assert "☑" in text  # the true sum is shown and the model is marked right


def test_full_width_input_is_normalised():
    at = set_query(open_page("try"), "１６＋７５")
    assert ">91</code>" in answer_text(at)


@pytest.mark.parametrize(("text", "expected"), [
    ("16+x5", "'x'"),
    ("1234+5678", "9"),
    ("   ", "空"),
])
def test_bad_input_gets_a_message_with_allowed_characters(text, expected):
    at = set_query(open_page("try"), text)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1, warnings
    assert expected in warnings[0]
    assert "0-9" in warnings[0] and "7" in warnings[0]  # what is allowed, and the width


def test_query_parameters_fill_the_page():
    at = open_page("try", task="date", q="September 27, 1994")
    assert at.selectbox(key="task").value == "date"
    assert at.text_input(key="query").value == "September 27, 1994"
    assert ">1994-09-27</code>" in answer_text(at)


def test_language_switch_changes_labels():
    at = open_page("try")
    ja = at.text_input(key="query").label
    at.button(key="lang_en").click().run()
    assert at.text_input(key="query").label == "Question" != ja


def metric(at: AppTest, index: int) -> str:
    return at.metric[index].value


def test_step_advances_and_reset_clears():
    at = open_page("train")
    assert {"train_start", "train_pause", "train_step", "train_reset"} <= {b.key for b in at.button}
    at.button(key="train_step").click().run()
    assert not at.exception, at.exception
    assert metric(at, 1) == "1"
    runner = at.session_state["runner"]
    assert len(runner.snapshot().losses) == 1
    at.button(key="train_step").click().run()
    assert metric(at, 1) == "2"
    losses = runner.snapshot().losses
    assert losses.shape == (2, 3) and np.isfinite(losses).all()
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # loss and accuracy
    loss_spec = charts[0].proto.spec
    assert "iteration" in loss_spec and "smoothed" in loss_spec
    probes = runner.snapshot().probes
    table = next(h.proto.body for h in at.get("html") if "<table" in h.proto.body)
    assert table.count("<tr>") == 1 + len(probes) == 11 and probes[0][0] in table
    assert not at.dataframe  # the number tables are built only when asked for
    at.toggle(key="train_numbers").set_value(True).run()
    assert len(at.dataframe) == 2 and len(at.dataframe[0].value) == 2  # loss table: one row per step
    at.button(key="train_reset").click().run()
    assert not at.exception
    assert at.session_state["runner"] is None
    assert len(at.metric) == 0


def test_session_model_appears_on_try_after_training_steps():
    at = open_page("train")
    at.button(key="train_step").click().run()
    at.switch_page("app_pages/try.py").run()
    assert not at.exception
    # the shipped model, this session's, then the shipped models trained the book's way (a select box: > 2)
    assert at.selectbox(key="model_source").options[:2] == ["同梱の学習済みモデル", "このセッションで学習中のモデル"]
    # + the book's three, the GRU's, the Transformer's and attention's
    assert len(at.selectbox(key="model_source").options) == 8


def test_bad_weights_upload_is_refused_and_model_kept():
    at = open_page("train")
    at.button(key="train_step").click().run()
    runner = at.session_state["runner"]
    at.get("file_uploader")[0].upload("bad.npz", b"not a zip at all")
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("npz" in e or "zip" in e for e in errors), errors
    assert at.session_state["runner"] is runner


@pytest.mark.parametrize(("task", "codec_task"), [
    (None, "sort"),  # trained on uploaded data: no task of this app
    ("addition", "sort"),  # says addition, but its vocabulary is the sort task's
])
def test_weights_for_another_task_are_refused_and_model_kept(task, codec_task):
    codec = task_codec(codec_task)
    model = build_model(ModelConfig(kind="peeky", vocab_size=len(codec.vocab), wordvec_size=8, hidden_size=16,
                                    reverse=True), np.random.default_rng(3))
    at = open_page("train")
    at.session_state["lang"] = "en"
    at.button(key="train_step").click().run()
    runner = at.session_state["runner"]
    at.get("file_uploader")[0].upload("other.npz", checkpoint_bytes(model, codec, task=task))
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "not a model of one of this app's tasks" in errors and "Dates, also in Japanese" in errors, errors
    assert at.session_state["runner"] is runner and at.session_state["train_task"] == "addition"


def test_upload_limits_are_set_for_the_server_and_said_next_to_each_uploader():
    import tomllib

    from s2s.checkpoint import MAX_BYTES
    from ui.pages.train_page import MAX_UPLOAD_MB

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB  # the server refuses anything bigger
    assert MAX_BYTES <= MAX_UPLOAD_MB * 2**20
    at = open_page("train")
    at.session_state["lang"] = "en"
    at.run()
    weights, data = at.get("file_uploader")
    assert f"At most {MAX_BYTES // 2**20} MB" in weights.proto.help
    assert f"At most {MAX_UPLOAD_MB} MB" in data.proto.help


def test_a_200_mb_weights_file_is_refused_and_model_kept():
    """Bigger than any model of this app (and than the upload limit, which the browser enforces; AppTest
    does not): refused from its size before anything is unpacked."""
    at = open_page("train")
    at.session_state["lang"] = "en"
    at.button(key="train_step").click().run()
    runner = at.session_state["runner"]
    at.get("file_uploader")[0].upload("big.npz", b"PK\x03\x04" + bytes(200 * 2**20))  # a zip's first bytes
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "too large" in errors.lower() and "50 MB" in errors, errors
    assert at.session_state["runner"] is runner


def test_good_weights_upload_replaces_the_model():
    codec = task_codec("sort")
    model = build_model(ModelConfig(kind="peeky", vocab_size=len(codec.vocab), wordvec_size=8, hidden_size=16,
                                    reverse=True), np.random.default_rng(3))
    data = checkpoint_bytes(model, codec, task="sort")
    at = open_page("train")
    at.get("file_uploader")[0].upload("sort.npz", data)
    at.run()
    assert not at.exception
    runner = at.session_state["runner"]
    assert runner.setup.task == "sort" and runner.model.config.hidden_size == 16
    assert any("sort.npz" in s.value for s in at.success)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Loaded model:", "addition_book_peeky.npz", "Task: Addition", "Trained on: `generated:addition",
            "8,775 iterations", "25.00 epochs", "(exact match): 94.6%", "per character 98.5%",
            "Press Start or Step"]),
    ("ja", ["読み込んだモデル:", "addition_book_peeky.npz", "課題: 足し算", "学習データ: `generated:addition",
            "8,775 イテレーション", "25.00 エポック", "(完全一致): 94.6%", "文字ごと 98.5%",
            "「開始」か「1 バッチ」で"])])
def test_a_loaded_model_shows_where_it_came_from_instead_of_an_empty_chart(lang, words):
    """Its file, task, data, training and recorded accuracy from the checkpoint's metadata, in place of the loss
    chart (which has no point yet) and with no "epoch 0.00"; a step of training brings the chart back."""
    at = open_page("train")
    at.session_state["lang"] = lang
    path = Path(__file__).parents[1] / "weights" / "addition_book_peeky.npz"
    at.get("file_uploader")[0].upload(path.name, path.read_bytes())
    at.run()
    assert not at.exception, at.exception
    text = "\n".join(m.value for m in at.markdown)
    for word in words:
        assert word in text, (word, text)
    assert len(at.get("vega_lite_chart")) == 1  # the accuracy chart only: no empty loss chart
    assert [m.value for m in at.metric][2] == "–"  # not "0.00 / 10"
    at.button(key="train_step").click().run()
    assert "addition_book_peeky.npz" not in "\n".join(m.value for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 2 and at.metric[2].value.startswith("0.00 / ")


def test_a_model_saved_by_the_app_shows_its_iterations_and_says_it_records_no_accuracy():
    codec = task_codec("sort")
    model = build_model(ModelConfig(kind="peeky", vocab_size=len(codec.vocab), wordvec_size=8, hidden_size=16,
                                    reverse=True), np.random.default_rng(3))
    data = checkpoint_bytes(model, codec, task="sort", data_source="generated:sort", seed=0,
                            training={"iterations": 120, "epochs": 0.4})
    at = open_page("train")
    at.session_state["lang"] = "en"
    at.get("file_uploader")[0].upload("mine.npz", data)
    at.run()
    text = "\n".join(m.value for m in at.markdown)
    assert "`mine.npz`" in text and "Trained for 120 iterations, 0.40 epochs" in text, text
    assert "The file records no held-out accuracy." in text and "Held-out accuracy recorded" not in text
    at.button(key="train_reset").click().run()
    assert "mine.npz" not in "\n".join(m.value for m in at.markdown)  # a new run comes from no file


def test_dataset_upload_validated_with_line_number():
    at = open_page("train")
    bad = io.BytesIO(b"1+1  _2 \n12+1 _13\n3+3 _6 \n")
    at.get("file_uploader")[1].upload("bad.txt", bad.getvalue())
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("bad.txt:3" in e for e in errors), errors


def test_a_50_mb_dataset_is_read_and_its_ids_take_a_byte_each():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 1000, 4_200_000).tolist(), rng.integers(0, 1000, 4_200_000).tolist()
    raw = "".join(f"{f'{x}+{y}':<7}_{x + y:<4}\n" for x, y in zip(a, b, strict=True)).encode()
    assert len(raw) > 50 * 10**6
    at = open_page("train")
    at.session_state["lang"] = "en"
    at.run()
    at.get("file_uploader")[1].upload("big.txt", raw)
    at.run(timeout=120)
    assert not at.exception and not at.error
    assert at.session_state["train_task"] == "upload"
    upload = at.session_state[keys.UPLOAD]
    assert isinstance(upload, Upload) and upload.name == "big.txt" and len(upload.data) == 4_200_000
    data = upload.data
    assert data.xs.nbytes + data.ts.nbytes == 12 * 4_200_000  # one byte per character, not eight
    assert any("4,200,000" in s.value for s in at.success)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"16+75  _91  \n" * 40, "2 different questions"),  # duplicates only: nothing could be held out
    (b"", "empty"),
    (b"\x00\x01\x02binary", "binary"),
    (b"16+75  91   \n" * 30, "No '_'"),
])
def test_bad_dataset_uploads_are_refused_and_the_task_kept(content, fragment):
    at = open_page("train")
    at.session_state["lang"] = "en"
    at.run()
    at.get("file_uploader")[1].upload("up.txt", content)
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert fragment in errors, errors
    assert at.session_state["train_task"] == "addition"


def test_diverging_training_stops_and_says_what_to_change():
    at = open_page("train")
    at.number_input(key="train_lr").set_value(10.0)
    at.number_input(key="train_clip").set_value(0.0).run()
    for _ in range(3):
        at.button(key="train_step").click().run()
        if at.session_state["runner"].status == "diverged":
            break
    assert not at.exception
    runner = at.session_state["runner"]
    assert runner.status == "diverged"
    assert all(np.isfinite(p).all() for _, p, _ in runner.model.named_parameters())
    errors = " ".join(e.value for e in at.error)
    assert "学習率" in errors and "1" in errors  # what to change, with a suggested rate
    assert at.button(key="train_start").disabled


def test_every_text_exists_in_both_languages():
    from ui.i18n import LANGS, TEXTS

    for key, texts in TEXTS.items():
        assert set(texts) == set(LANGS), key
        assert all(v.strip() for v in texts.values()), key
        fields = [sorted(set(__import__("re").findall(r"{(\w+)", v))) for v in texts.values()]
        assert fields[0] == fields[1], f"{key}: the two languages take different fields"


def test_dataset_errors_are_explained_in_japanese_with_the_line():
    at = open_page("train")
    at.get("file_uploader")[1].upload("bad.txt", b"1+1  _2 \n12+1 _13\n3+3 _6 \n")
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert "bad.txt:3:" in errors and "幅がそろっていません" in errors


def test_an_uploaded_dataset_trains_and_its_model_answers_on_try_and_inside():
    rng = np.random.default_rng(0)
    lines = []
    for a, b in rng.integers(0, 100, (60, 2)):
        lines.append(f"{a}+{b}".ljust(5) + "_" + str(a + b).ljust(3))
    at = open_page("train")
    at.get("file_uploader")[1].upload("mine.txt", ("\n".join(lines) + "\n").encode())
    at.run()
    at.button(key="train_step").click().run()
    assert not at.exception and at.session_state["runner"].setup.task == "upload"
    at.switch_page("app_pages/try.py").run()
    assert "アップロードしたデータ (mine.txt)" in at.selectbox(key="task").options
    at.selectbox(key="task").set_value("upload").run()
    at.text_input(key="query").set_value("12+34").run()
    assert not at.exception and not at.warning
    assert "<code" in answer_text(at)
    at.switch_page("app_pages/inside.py").run()
    at.text_input(key="query").set_value("12+34").run()
    assert not at.exception and len(at.get("vega_lite_chart")) >= 4


def test_widgets_can_be_driven_after_switching_to_english():
    at = open_page("train")
    at.button(key="lang_en").click().run()
    at.selectbox(key="train_model").set_value("attention").run()
    at.selectbox(key="train_schedule").set_value("constant").run()
    at.button(key="train_step").click().run()
    assert not at.exception
    assert at.session_state["runner"].model.config.kind == "attention"


def test_train_page_starts_the_default_preset_with_its_forget_gate_bias():
    """The fast default's forget-gate bias (1.0) reaches the model the Train page builds; a book preset's is 0."""
    from s2s.presets import PRESETS
    from ui.keys import TRAIN_SETTINGS

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("app_pages/train.py").run()
    assert at.session_state[TRAIN_SETTINGS["forget_bias"]] == PRESETS["addition"]["default"].forget_bias == 1.0
    at.button(key="train_step").click().run()
    runner = at.session_state["runner"]
    assert runner.setup.model.forget_bias == 1.0
    at.selectbox(key="train_preset").set_value("book_peeky").run()
    assert at.session_state[TRAIN_SETTINGS["forget_bias"]] == 0.0


@pytest.mark.parametrize(("lang", "words"), [("en", "Accuracy on {n} questions never trained on"),
                                             ("ja", "学習に使っていない {n} 問で")])
def test_errors_page_says_how_many_questions_it_really_shows(lang, words):
    """2,000 generated questions for a task of the app; the held-out part of an uploaded dataset (here 30 of 300)."""
    at = open_page("errors", lang=lang)
    assert any(words.format(n="2,000") in c.value for c in at.caption), [c.value for c in at.caption]
    assert at.metric[2].value.endswith("/ 2,000")
    lines = [f"{a}+{b}".ljust(7) + "_" + str(a + b).ljust(4) for a, b in zip(range(100, 400), range(300), strict=True)]
    at.switch_page("app_pages/train.py").run()
    at.get("file_uploader")[1].upload("mine.txt", ("\n".join(lines) + "\n").encode())
    at.run()
    at.button(key="train_step").click().run()
    assert not at.exception, at.exception
    at.switch_page("app_pages/errors.py").run()
    at.selectbox(key="task").set_value("upload").run()
    assert not at.exception, at.exception
    n = len(at.session_state["runner"].val)
    assert n == 30
    captions = [c.value for c in at.caption]
    assert any(words.format(n=n) in c for c in captions) and not any("2,000" in c for c in captions), captions
    assert at.metric[2].value.endswith(f"/ {n}")
