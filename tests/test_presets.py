"""Presets (s2s.presets): the book's settings defined once, presets building the engine's configs, and
the comparisons built from them."""

from __future__ import annotations

import dataclasses

import pytest

from s2s.models import ModelConfig
from s2s.presets import BOOK, BOOK_DATE, COMPARISONS, PRESETS, RACES, Preset, comparison_presets
from s2s.trainer import TrainConfig

ALL = [(task, name) for task, presets in PRESETS.items() for name in presets]


def test_the_book_is_the_defaults():
    """Chapter 7's settings (ch07/train_seq2seq.py) and chapter 8's for dates (ch08/train.py)."""
    assert BOOK == Preset()
    assert (BOOK.model, BOOK.reverse, BOOK.wordvec, BOOK.hidden, BOOK.batch, BOOK.lr, BOOK.clip, BOOK.epochs,
            BOOK.train_size, BOOK.schedule, BOOK.forget_bias) == ("seq2seq", False, 16, 128, 128, 0.001, 5.0, 25,
                                                                 45000, "constant", 0.0)
    assert dataclasses.replace(BOOK_DATE, hidden=BOOK.hidden, epochs=BOOK.epochs) == BOOK
    assert (BOOK_DATE.hidden, BOOK_DATE.epochs) == (256, 10)


@pytest.mark.parametrize(("task", "name"), [x for x in ALL if x[1].startswith("book_")])
def test_book_presets_are_the_books_settings_with_the_books_initialisation(task, name):
    preset = PRESETS[task][name]
    book = BOOK_DATE if task == "date" else BOOK
    assert preset.forget_bias == 0.0
    assert dataclasses.replace(preset, task=None, model=book.model, reverse=book.reverse) == book


def test_the_addition_default_starts_its_forget_gates_at_one():
    assert PRESETS["addition"]["default"].forget_bias == 1.0
    config = PRESETS["addition"]["default"].model_config(13)
    assert config.forget_bias == 1.0 and config.hidden_size == 96 and config.kind == "peeky" and config.reverse


@pytest.mark.parametrize(("task", "name"), ALL)
def test_a_preset_builds_its_model_and_training_configs(task, name):
    p = PRESETS[task][name]
    assert p.task == task
    assert p.model_config(20) == ModelConfig(kind=p.model, vocab_size=20, wordvec_size=p.wordvec,
                                             hidden_size=p.hidden, reverse=p.reverse, forget_bias=p.forget_bias,
                                             cell=p.cell, layers=p.layers, heads=p.heads)
    assert p.train_config() == TrainConfig(batch_size=p.batch, lr=p.lr, optimizer="adam", clip=p.clip,
                                           epochs=p.epochs, schedule=p.schedule)
    given = p.train_config(seed=7, workers=2, epochs=1.5)
    assert (given.seed, given.workers, given.epochs, given.lr) == (7, 2, 1.5, p.lr)


def test_presets_take_keywords_only():
    with pytest.raises(TypeError):
        Preset("addition", "peeky")


@pytest.mark.parametrize("task", list(COMPARISONS))
def test_comparison_variants_differ_only_in_model_and_reading_direction(task):
    for race_name, race in RACES[task].items():
        if race.variants:
            continue  # beyond the book: the next test
        variants = comparison_presets(task, race)
        assert list(variants) == list(COMPARISONS[task])
        for name, preset in variants.items():
            v = COMPARISONS[task][name]
            assert (preset.model, preset.reverse) == (v.model, v.reverse)
            assert (preset.hidden, preset.epochs, preset.lr) == (race.hidden, race.epochs, race.lr), race_name
            alike = dataclasses.replace(preset, model=BOOK.model, reverse=BOOK.reverse, task=None, hidden=BOOK.hidden,
                                        epochs=BOOK.epochs, lr=BOOK.lr)
            assert alike == BOOK


def test_the_race_beyond_chapter_8_races_lstm_gru_and_transformer_on_the_same_data():
    race = RACES["date"]["beyond"]
    presets = comparison_presets("date", race)
    assert [(p.model, p.cell) for p in presets.values()] == [("attention", "lstm"), ("attention", "gru"),
                                                               ("transformer", "lstm")]
    lstm, gru, transformer = presets.values()
    assert (lstm.hidden, lstm.lr) == (gru.hidden, gru.lr) == (race.hidden, race.lr)
    assert (transformer.hidden, transformer.heads, transformer.lr) == (64, 4, 0.002)
    assert {p.epochs for p in presets.values()} == {race.epochs}
    assert len({(p.batch, p.clip, p.train_size) for p in presets.values()}) == 1


def test_the_books_races_are_the_books_settings():
    assert (RACES["addition"]["book"].hidden, RACES["addition"]["book"].epochs) == (BOOK.hidden, BOOK.epochs)
    assert (RACES["date"]["book"].hidden, RACES["date"]["book"].epochs) == (BOOK_DATE.hidden, BOOK_DATE.epochs)
    assert RACES["addition"]["book"].lr == RACES["date"]["book"].lr == BOOK.lr
