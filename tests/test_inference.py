"""Beam search and forced ("what if") decoding against greedy decoding and exhaustive search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from s2s.data import Codec, Vocab
from s2s.inference import answer, beam_search, decode_from
from s2s.models import ModelConfig, build_model


def model_and_codec(kind: str, chars: str = "0123456789+", qw: int = 7, aw: int = 5, seed: int = 3):
    codec = Codec(Vocab.from_texts([chars]), qw, aw)
    # large weights so the untrained model is confident and its beams differ from its greedy answer
    model = build_model(ModelConfig(kind=kind, vocab_size=len(codec.vocab), wordvec_size=8, hidden_size=16,
                                    reverse=False), np.random.default_rng(seed))
    for _, p, _ in model.named_parameters():
        p *= 8
    return model, codec


@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
def test_decoding_from_an_empty_prefix_is_the_greedy_answer(kind):
    model, codec = model_and_codec(kind)
    greedy = answer(model, codec, ["12+345"])[0]
    steps = decode_from(model, codec, "12+345", "")
    assert [s.char for s in steps] == [s.char for s in greedy.steps]
    assert np.allclose([s.prob for s in steps], [s.prob for s in greedy.steps], atol=1e-5)
    assert [c for c, _ in steps[0].top] == [c for c, _ in greedy.steps[0].top]


@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
def test_a_forced_character_is_kept_and_the_rest_follows_greedily(kind):
    model, codec = model_and_codec(kind)
    greedy = decode_from(model, codec, "12+345", "")
    other = next(c for c, _ in greedy[0].top if c != greedy[0].char)
    forced = decode_from(model, codec, "12+345", other)
    assert forced[0].char == other and forced[0].prob == pytest.approx(dict(greedy[0].top)[other], abs=1e-6)
    # each later step is the most probable character after the forced path so far
    for t in range(1, len(forced)):
        assert forced[t].char == forced[t].top[0][0]
        again = decode_from(model, codec, "12+345", "".join(s.char for s in forced[:t]))
        assert again[t].char == forced[t].char
    assert "".join(s.char for s in forced) != "".join(s.char for s in greedy)


def test_forced_prefix_is_checked():
    model, codec = model_and_codec("peeky")
    with pytest.raises(ValueError, match="longer"):
        decode_from(model, codec, "1+1", "12345")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        decode_from(model, codec, "1+1", "x")


@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
def test_beam_of_width_one_is_greedy(kind):
    model, codec = model_and_codec(kind)
    greedy = decode_from(model, codec, "99+1", "")
    (beam,) = beam_search(model, codec, "99+1", 1)
    assert beam.text == "".join(s.char for s in greedy).rstrip()
    assert beam.log_prob == pytest.approx(sum(np.log(s.prob) for s in greedy), abs=1e-4)


@pytest.mark.parametrize("kind", ["seq2seq", "attention"])
def test_a_beam_as_wide_as_all_answers_is_the_exhaustive_ranking(kind):
    model, codec = model_and_codec(kind, chars="ab", qw=3, aw=4, seed=5)  # 4 symbols, 3 steps: 64 answers
    V, steps = len(codec.vocab), codec.answer_width - 1
    beams = beam_search(model, codec, "ab", V ** steps)
    exhaustive = []
    for seq in itertools.product(range(V), repeat=steps):
        lp = sum(np.log(s.prob) for s in decode_from(model, codec, "ab", codec.vocab.decode(seq)))
        exhaustive.append(lp)
    assert np.allclose([b.log_prob for b in beams], sorted(exhaustive, reverse=True), atol=1e-4)
    # narrower beams find answers at least as likely as the greedy one here, best first
    narrow = beam_search(model, codec, "ab", 3)
    assert [b.log_prob for b in narrow] == sorted((b.log_prob for b in narrow), reverse=True)
    assert narrow[0].log_prob >= beam_search(model, codec, "ab", 1)[0].log_prob - 1e-9
    for b in narrow:
        assert b.log_prob == pytest.approx(sum(np.log(p) for _, p in b.steps), abs=1e-6)
        assert len(b.parent_ranks) == steps and b.parent_ranks[0] == 0


def test_beam_width_must_be_positive():
    model, codec = model_and_codec("peeky")
    with pytest.raises(ValueError, match="at least 1"):
        beam_search(model, codec, "1+1", 0)
