"""The Compare page's lesson races tell the book's story at the fixed seed 0, as the app trains them
(ui.background.BackgroundCompare alone on the server, both cores): chapter 7's ordering with clear gaps at the
end of its 15 epochs, chapter 8's attention far ahead after one of its two (benchmarks/race.py)."""

from __future__ import annotations

from benchmarks.race import run, story_told


def test_chapter_7_race_shows_the_books_ordering_with_clear_gaps():
    r = run("addition", "lesson", limit=900)
    assert r["finished"], r
    assert story_told("addition", r["final"]), r["final"]  # plain < reversed < Peeky, 15 points apart


def test_chapter_8_race_shows_attention_far_ahead():
    r = run("date", "lesson", limit=900, epochs=1)
    assert r["finished"], r
    assert r["final"]["attention"] >= 0.9 and story_told("date", r["final"]), r["final"]
