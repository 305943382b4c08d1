"""Named training set-ups shared by the command line and the app.

``book_*`` presets reproduce the book's settings (wordvec 16, hidden 128 / 256, batch 128,
Adam 0.001, clip 5.0, 45,000 examples); ``default`` is the fast set-up the app starts with and
``python -m s2s.train --preset default`` uses. The addition default (hidden 96, Adam 0.01 with cosine
decay) reaches 90 % held-out exact match in about 8 s of training on 2 cores, against 24-28 s for the
book's settings in PyTorch: a smaller LSTM takes cheaper steps and, with a ten times larger learning
rate, needs far fewer of them. (Hidden 64 learns faster still, 6-9 s, but its steps are so short that
the app's server threads cost it a third of its speed; at hidden 96 the app keeps 94 %.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """A model and training set-up for one task."""

    task: str
    model: str
    reverse: bool
    wordvec: int
    hidden: int
    batch: int
    lr: float
    clip: float
    epochs: int
    train_size: int
    schedule: str = "constant"
    eval_every: int = 0  # iterations between evaluations on the command line (0: once per epoch)


def _book(task: str, model: str, reverse: bool, hidden: int = 128, epochs: int = 25) -> Preset:
    return Preset(task, model, reverse, 16, hidden, 128, 0.001, 5.0, epochs, 45000)


PRESETS: dict[str, dict[str, Preset]] = {
    "addition": {
        "default": Preset("addition", "peeky", True, 16, 96, 128, 0.01, 5.0, 10, 45000, "cosine", 50),
        "book_baseline": _book("addition", "seq2seq", False),
        "book_reversed": _book("addition", "seq2seq", True),
        "book_peeky": _book("addition", "peeky", True),
    },
    "date": {
        "default": Preset("date", "attention", True, 16, 128, 128, 0.002, 5.0, 3, 45000),
        "book_baseline": _book("date", "seq2seq", False, 256, 10),
        "book_peeky": _book("date", "peeky", True, 256, 10),
        "book_attention": _book("date", "attention", True, 256, 10),
    },
    "date_ja": {"default": Preset("date_ja", "attention", True, 16, 128, 128, 0.002, 5.0, 3, 45000)},
    "reverse": {"default": Preset("reverse", "attention", False, 16, 64, 64, 0.005, 5.0, 8, 8000)},
    "sort": {"default": Preset("sort", "peeky", True, 16, 64, 64, 0.005, 5.0, 8, 8000)},
}


@dataclass(frozen=True)
class Variant:
    """One model of a comparison, and the book's final accuracy for it where the book reports one."""

    model: str
    reverse: bool
    book_accuracy: float | None = None


# The book's comparisons (chapter 7 on addition, chapter 8 on dates), trained on the same data and seed.
# book_accuracy: the final held-out accuracy the book reports, read off its figures (approximate).
COMPARISONS: dict[str, dict[str, Variant]] = {
    "addition": {
        "baseline": Variant("seq2seq", False, 0.10),
        "reversed": Variant("seq2seq", True, 0.50),
        "peeky_reversed": Variant("peeky", True, 0.99),
    },
    "date": {
        "baseline": Variant("seq2seq", True),
        "attention": Variant("attention", True, 1.0),
    },
}


@dataclass(frozen=True)
class Race:
    """The settings of a comparison (every variant alike; wordvec 16, batch 128, clip 5.0, 45,000
    examples as in the book) and how long it takes, measured by ``python -m benchmarks.race`` on a
    2-core machine with the session alone on the server."""

    hidden: int
    epochs: int
    lr: float = 0.001
    minutes: float = 0.0  # wall clock of the whole race: measured for the lesson races, the book's estimated from them


# "lesson": the book's settings, stopped once the book's ordering shows with clear gaps; "book": the
# book's settings for as many epochs as the book trains.
RACES: dict[str, dict[str, Race]] = {
    "addition": {"lesson": Race(128, 15, minutes=3.5), "book": Race(128, 25, minutes=6.0)},
    "date": {"lesson": Race(128, 2, 0.005, minutes=1.0), "book": Race(256, 10, minutes=10.0)},
}
