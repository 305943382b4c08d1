"""s2s.history: snapshots of the probes' answers during training, evenly thinned and bounded."""

from __future__ import annotations

import numpy as np
import pytest

from s2s.data import task_codec
from s2s.history import TOP_K, AnswerHistory
from s2s.inference import answer
from s2s.models import ModelConfig, build_model


def model_for(task: str, kind: str):
    codec = task_codec(task)
    return build_model(ModelConfig(kind=kind, vocab_size=len(codec.vocab), wordvec_size=8, hidden_size=16,
                                   reverse=True), np.random.default_rng(0)), codec


def test_snapshots_hold_the_greedy_answers_top_candidates_and_attention():
    model, codec = model_for("date", "attention")
    questions = ["September 27, 1994", "2/10/93"]
    hist = AnswerHistory(codec, questions, every=5)
    hist.record(model, 0, 0.0)
    (snap,) = hist.snapshots
    expected = answer(model, codec, questions)
    assert snap.answers == [a.text for a in expected]
    Td, Te = codec.answer_width - 1, codec.question_width
    assert snap.top_ids.shape == snap.top_probs.shape == (2, Td, TOP_K)
    for p, a in enumerate(expected):
        assert [codec.vocab.chars[i] for i in snap.top_ids[p, :, 0]] == [s.char for s in a.steps]
        assert np.allclose(snap.top_probs[p, :, 0], [s.prob for s in a.steps], atol=1e-6)
        assert np.all(np.diff(snap.top_probs[p], axis=1) <= 0)  # most probable first
    assert snap.attention.shape == (2, Td, Te) and np.allclose(snap.attention.sum(axis=2), 1, atol=1e-5)
    assert hist.inputs[0] == list("September 27, 1994".ljust(Te))[::-1]  # as the reversing encoder reads it


def test_peeky_snapshots_have_no_attention():
    model, codec = model_for("addition", "peeky")
    hist = AnswerHistory(codec, ["16+75"])
    hist.record(model, 0, 0.0)
    assert hist.snapshots[0].attention is None


def test_a_long_run_is_thinned_evenly_and_memory_stays_bounded():
    model, codec = model_for("addition", "peeky")
    hist = AnswerHistory(codec, ["16+75", "52+607", "999+1"], every=1, limit=10)
    sizes = []
    for it in range(0, 1000):
        if hist.due(it):
            hist.record(model, it, it / 100)
        sizes.append(len(hist.snapshots))
    its = [s.iteration for s in hist.snapshots]
    assert max(sizes) <= 10 and len(its) >= 5
    assert its[0] == 0 and len(set(np.diff(its))) == 1  # evenly spaced from the start
    assert hist.every in (128, 256) and its[-1] >= 1000 - hist.every
    one = hist.snapshots[0].top_ids.nbytes + hist.snapshots[0].top_probs.nbytes
    assert hist.nbytes() <= 10 * one


def test_history_needs_room():
    _, codec = model_for("addition", "peeky")
    with pytest.raises(ValueError):
        AnswerHistory(codec, ["1+1"], limit=1)
