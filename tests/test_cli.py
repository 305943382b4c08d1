"""The commands s2s.train, s2s.eval and s2s.decode, end to end in subprocesses."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from s2s.checkpoint import load_checkpoint
from s2s.data import make_split, read_book_file, task_codec
from s2s.presets import BOOK, PRESETS
from s2s.train import build_parser, chosen_preset
from s2s.trainer import MAX_WORKERS, evaluate

ROOT = Path(__file__).resolve().parents[1]
LINE_KEYS = {"epoch", "iteration", "train_seconds", "cumulative_train_seconds", "loss", "val_accuracy",
             "val_char_accuracy", "examples_per_second"}
TINY = ["--task", "sort", "--model", "peeky", "--reverse", "--hidden", "16", "--train-size", "512",
        "--val-size", "64", "--batch", "64", "--epochs", "2", "--json"]


def run(module, *args, stdin="", timeout=300):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", f"s2s.{module}", *map(str, args)], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    for f in fragments:
        assert f in lines[0]
    assert result.stdout == ""
    return lines[0]


def assert_usage_error(result):
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "x.npz"
    result = run("train", *TINY, "--out", out)
    assert result.returncode == 0, result.stderr
    return out, result


def answers_in_process(weights, questions):
    ck = load_checkpoint(weights)
    xs = ck.codec.encode_questions([ck.codec.validate(q) for q in questions])
    ids = ck.model.generate(xs, ck.codec.vocab.start_id, ck.codec.answer_width - 1)
    return [ck.codec.decode_answer(row) for row in ids]


# ------------------------------------------------------------------------------------------------
# train


def test_train_prints_one_json_line_per_epoch(tiny):
    out, result = tiny
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    for n, line in enumerate(lines, 1):
        assert set(line) == LINE_KEYS
        assert line["epoch"] == n and line["iteration"] == 8 * n  # 512 examples / batch 64
        assert math.isfinite(line["loss"]) and line["loss"] > 0
        assert 0 <= line["val_accuracy"] <= line["val_char_accuracy"] <= 1
        assert line["train_seconds"] > 0 and line["examples_per_second"] > 0
    assert lines[1]["cumulative_train_seconds"] > lines[0]["cumulative_train_seconds"]
    assert lines[1]["cumulative_train_seconds"] == pytest.approx(lines[0]["train_seconds"] + lines[1]["train_seconds"])


def test_train_writes_a_loadable_checkpoint(tiny):
    out, _ = tiny
    ck = load_checkpoint(out)
    assert ck.model.config.to_dict() == {"kind": "peeky", "vocab_size": 12, "wordvec_size": 16, "hidden_size": 16,
                                         "reverse": True, "forget_bias": 0.0, "cell": "lstm",
                                         "layers": 1, "heads": 1}
    assert ck.codec.to_dict() == task_codec("sort").to_dict()
    assert ck.meta["task"] == "sort"
    assert ck.meta["training"]["train_size"] == 512 and ck.meta["training"]["val_size"] == 64
    assert ck.meta["training"]["iterations"] == 16
    assert list(out.parent.glob("*.tmp")) == []


def test_until_accuracy_stops_early(tmp_path):
    out = tmp_path / "u.npz"
    result = run("train", "--task", "reverse", "--model", "attention", "--reverse", "--hidden", "32", "--lr", "0.01",
                 "--batch", "64", "--train-size", "2000", "--val-size", "200", "--epochs", "30",
                 "--until-accuracy", "0.5", "--json", "--out", out)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert 1 <= len(lines) < 30
    assert lines[-1]["val_accuracy"] >= 0.5
    assert all(line["val_accuracy"] < 0.5 for line in lines[:-1])
    assert load_checkpoint(out).meta["training"]["val_accuracy"] == lines[-1]["val_accuracy"]


def test_train_with_two_workers(tmp_path):
    out = tmp_path / "t.npz"
    result = run("train", *TINY, "--workers", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2 and lines[1]["loss"] < lines[0]["loss"]
    assert load_checkpoint(out).meta["train_config"]["workers"] == 2


def test_train_uses_the_cores_available_unless_told(tmp_path):
    """--workers defaults to auto: one process per core this process may use (at most MAX_WORKERS)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    out = tmp_path / "auto.npz"
    assert run("train", *TINY, "--out", out).returncode == 0
    assert load_checkpoint(out).meta["train_config"]["workers"] == min(cores, MAX_WORKERS)
    assert run("train", *TINY, "--workers", "1", "--out", out).returncode == 0
    assert load_checkpoint(out).meta["train_config"]["workers"] == 1


def settings(*args):
    return chosen_preset(build_parser().parse_args([*args, "--out", "x.npz"]))


def test_options_not_given_come_from_the_preset_or_the_book():
    assert settings("--task", "sort") == BOOK
    assert settings("--task", "addition", "--preset", "default") == PRESETS["addition"]["default"]
    given = settings("--task", "addition", "--preset", "book_peeky", "--hidden", "64", "--epochs", "2.5",
                     "--no-reverse", "--forget-bias", "1")
    assert (given.hidden, given.epochs, given.reverse, given.forget_bias) == (64, 2.5, False, 1.0)
    assert (given.model, given.lr, given.batch) == ("peeky", BOOK.lr, BOOK.batch)


def test_forget_bias_comes_from_the_preset_unless_given(tmp_path):
    preset = PRESETS["addition"]["default"]
    assert settings("--task", "addition", "--preset", "default").forget_bias == preset.forget_bias
    assert settings("--task", "addition", "--preset", "default", "--forget-bias", "0").forget_bias == 0.0
    assert settings("--task", "addition").forget_bias == BOOK.forget_bias == 0.0
    out = tmp_path / "fb.npz"
    result = run("train", *TINY, "--forget-bias", "1.5", "--workers", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    ck = load_checkpoint(out)
    assert ck.model.config.forget_bias == 1.5 and ck.meta["model"]["forget_bias"] == 1.5


def test_train_on_a_book_format_file(tmp_path):
    pairs = make_split("sort", 300, 1, seed=3)[0]
    data_file = tmp_path / "sort.txt"
    data_file.write_text("".join(f"{q:<5}_{a:<5}\n" for q, a in zip(pairs.questions(), pairs.answers(), strict=True)),
                         encoding="utf-8")
    out = tmp_path / "f.npz"
    result = run("train", "--data", data_file, "--hidden", "8", "--batch", "64", "--epochs", "1", "--val-size", "30",
                 "--json", "--out", out)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    ck = load_checkpoint(out)
    assert ck.meta["task"] is None
    assert ck.meta["training"]["train_size"] + ck.meta["training"]["val_size"] == 300
    assert (ck.codec.question_width, ck.codec.answer_width) == (5, 6)


def test_train_refuses_a_malformed_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("321  _123  \n45   _45   \n9 8  _89\n", encoding="utf-8")
    line = assert_one_line_error(run("train", "--data", bad, "--out", tmp_path / "m.npz"), f"{bad}:3:")
    assert "mixed widths" in line
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("args", [["--hidden", "0"], ["--lr", "-1"], ["--lr", "nan"], ["--batch", "0"],
                                  ["--epochs", "0"], ["--clip", "nan"], ["--until-accuracy", "1.5"],
                                  ["--hidden", "abc"], ["--eval-every", "-1"], ["--workers", "0"], ["--workers", "64"],
                                  ["--workers", "many"], ["--forget-bias", "nan"], ["--forget-bias", "inf"]])
def test_train_refuses_bad_numbers(tmp_path, args):
    result = run("train", "--task", "sort", *args, "--out", tmp_path / "n.npz")
    assert_usage_error(result)
    assert args[0] in result.stderr or "learning rate" in result.stderr or "clip" in result.stderr
    assert not (tmp_path / "n.npz").exists()


def test_train_refuses_a_missing_output_folder_before_training(tmp_path):
    result = run("train", *TINY, "--out", tmp_path / "no" / "such" / "x.npz")
    assert_usage_error(result)
    assert "--out" in result.stderr


# ------------------------------------------------------------------------------------------------
# eval


def test_eval_on_generated_task(tiny):
    out, _ = tiny
    result = run("eval", "--weights", out, "--task", "sort", "--n", "300", "--seed", "7", "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert set(got) == {"accuracy", "char_accuracy", "n"}
    assert got["n"] == 300
    _, val = make_split("sort", 0, 300, seed=7)
    assert got == evaluate(load_checkpoint(out).model, val)


def test_eval_on_a_file(tiny, tmp_path):
    out, _ = tiny
    data_file = tmp_path / "d.txt"
    data_file.write_text("321  _123  \r\n9870 _0789 \r\n55   _55   \r\n", encoding="utf-8")
    result = run("eval", "--weights", out, "--data", data_file, "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["n"] == 3
    ck = load_checkpoint(out)
    assert got == evaluate(ck.model, read_book_file(data_file, ck.codec))
    text = run("eval", "--weights", out, "--data", data_file)
    assert text.returncode == 0 and "accuracy" in text.stdout and "3 examples" in text.stdout


def test_eval_errors(tiny, tmp_path):
    out, _ = tiny
    bad = tmp_path / "bad.txt"
    bad.write_text("321  _123  \n98 _0789 \n", encoding="utf-8")
    assert_one_line_error(run("eval", "--weights", out, "--data", bad), f"{bad}:2:", "mixed widths")
    foreign = tmp_path / "foreign.txt"
    foreign.write_text("321  _123  \n3x1  _13x  \n", encoding="utf-8")
    assert_one_line_error(run("eval", "--weights", out, "--data", foreign), f"{foreign}:2:", "'x'")
    assert_one_line_error(run("eval", "--weights", out, "--task", "addition"), "sort")
    assert_usage_error(run("eval", "--weights", out, "--task", "sort", "--n", "0"))


# ------------------------------------------------------------------------------------------------
# decode


def test_decode_prints_one_line_per_question(tiny):
    out, _ = tiny
    expected = answers_in_process(out, ["321", "98765", "0"])
    one = run("decode", "--weights", out, "321")
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines() == expected[:1] and one.stdout.count("\n") == 1
    wide = run("decode", "--weights", out, "３２１")  # full-width digits, as a Japanese IME types them
    assert wide.returncode == 0 and wide.stdout == one.stdout
    many = run("decode", "--weights", out, "321", "98765", "0")
    assert many.stdout.split("\n")[:-1] == expected
    piped = run("decode", "--weights", out, stdin="321\n98765\n0\n")
    assert piped.returncode == 0 and piped.stdout == many.stdout


def test_decode_trace_is_json(tiny):
    out, _ = tiny
    result = run("decode", "--weights", out, "--trace", "321")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    got = json.loads(lines[0])
    assert {"question", "answer", "steps", "trace"} <= set(got)
    assert got["question"] == "321"
    assert len(got["steps"]) == 5  # answer width 6 including '_'
    assert "".join(s["char"] for s in got["steps"]).rstrip() == got["answer"]
    for step in got["steps"]:
        probs = [p for _, p in step["top"]]
        assert probs == sorted(probs, reverse=True) and step["prob"] == probs[0]
    assert got["trace"]["encoder_input"] == [" ", " ", "1", "2", "3"]  # '321  ' read reversed
    assert np.asarray(got["trace"]["decoder"]["h"]).shape == (5, 16)
    assert np.asarray(got["trace"]["encoder"]["h"]).shape == (5, 16)
    assert np.allclose(np.asarray(got["trace"]["probs"]).sum(axis=1), 1, atol=1e-4)


@pytest.mark.parametrize(("text", "fragment"), [("32a", "'a'"), ("123456", "too long"), ("", "empty"),
                                                ("3😀", "😀"), ("1\t2", "U+0009"), ("１２３４５６", "too long")])
def test_decode_invalid_question(tiny, text, fragment):
    out, _ = tiny
    line = assert_one_line_error(run("decode", "--weights", out, text), fragment)
    assert "0-9" in line and "5" in line  # what is allowed


def test_decode_names_the_bad_question_among_several(tiny):
    out, _ = tiny
    assert_one_line_error(run("decode", "--weights", out, "321", "4x"), "question 2", "'x'")
    assert_one_line_error(run("decode", "--weights", out, stdin="321\n\n"), "question 2", "empty")


def test_corrupt_or_missing_weights(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(np.random.default_rng(0).bytes(3000))
    assert_one_line_error(run("decode", "--weights", bad, "321"), str(bad))
    assert_one_line_error(run("eval", "--weights", bad, "--task", "sort"), str(bad))
    assert_one_line_error(run("decode", "--weights", tmp_path / "missing.npz", "321"), "cannot read")


ADDITION_WEIGHTS = ROOT / "weights" / "addition_peeky.npz"


def test_decode_notes_odd_questions_on_stderr_and_answers_them_as_before():
    odd = ["16+", "+", "1234+5", "007+3"]
    expected = answers_in_process(ADDITION_WEIGHTS, odd + ["16+75"])
    result = run("decode", "--weights", ADDITION_WEIGHTS, *odd, "16+75")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == expected  # every question answered, greedy, in order
    notes = result.stderr.splitlines()
    assert len(notes) == 4 and all(line.startswith("note: question ") for line in notes), result.stderr
    assert "question 1 '16+' is outside training: the second number is missing" in notes[0]
    assert "question 2 '+' is outside training: there are no numbers" in notes[1]
    assert "the first number has 4 digits, the model learned up to 3 (true answer: 1239)" in notes[2]
    assert "question 4 '007+3'" in notes[3] and "leading 0" in notes[3] and "(true answer: 10)" in notes[3]
    assert "16+75" not in result.stderr  # an ordinary question has no note


def test_decode_ignores_spaces_in_a_sum_and_notes_nothing():
    result = run("decode", "--weights", ADDITION_WEIGHTS, "12 + 34", stdin="")
    assert result.returncode == 0 and result.stderr == "" and result.stdout == "46\n"
    piped = run("decode", "--weights", ADDITION_WEIGHTS, stdin="１２　＋　３４\n12+34\n")
    assert piped.returncode == 0 and piped.stderr == "" and piped.stdout == "46\n46\n"


def test_decode_notes_a_single_odd_question_of_a_warm_up_task(tiny):
    out, _ = tiny  # the sort task: 3 to 5 digits
    result = run("decode", "--weights", out, "32")
    assert result.returncode == 0 and result.stdout.splitlines() == answers_in_process(out, ["32"])
    assert result.stderr == ("note: the question '32' is outside training: it has 2 characters, the model learned "
                             "3 to 5 (true answer: 23)\n")


def test_train_with_the_gru_cell_writes_a_gru_checkpoint(tmp_path):
    out = tmp_path / "gru.npz"
    result = run("train", *TINY, "--cell", "gru", "--out", out)
    assert result.returncode == 0, result.stderr
    ck = load_checkpoint(out)
    assert ck.model.config.cell == "gru" and any(".gru." in name for name, _, _ in ck.model.named_parameters())
    bad = run("train", *TINY, "--cell", "rnn", "--out", tmp_path / "no.npz")
    assert bad.returncode == 2 and "--cell" in bad.stderr and "gru" in bad.stderr


def test_train_a_transformer_and_refuse_heads_that_do_not_divide_the_width(tmp_path):
    args = ["--task", "sort", "--model", "transformer", "--hidden", "16", "--train-size", "256", "--val-size", "32",
            "--batch", "64", "--epochs", "1", "--json"]
    result = run("train", *args, "--heads", "4", "--out", tmp_path / "t.npz")
    assert result.returncode == 0, result.stderr
    assert load_checkpoint(tmp_path / "t.npz").model.config.heads == 4
    bad = run("train", *args, "--heads", "3", "--out", tmp_path / "no.npz")
    assert bad.returncode == 2 and "--heads 3 must divide --hidden 16" in bad.stderr and "Traceback" not in bad.stderr
