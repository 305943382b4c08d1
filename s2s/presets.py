"""Named training set-ups and held-out sizes: the one source of settings for the command line, the
app and the benchmarks.

A ``Preset`` holds a task's settings under the command line's names (``--model``, ``--hidden``, ...).
Its defaults are the book's chapter 7 settings, so ``BOOK`` is ``Preset()`` and every other preset
states only where it differs from the book. ``model_config`` and ``train_config`` turn a preset into
the engine's ``ModelConfig`` and ``TrainConfig``.

Rules:

- ``book_*`` presets are the book's settings for the book's experiments (wordvec 16, hidden 128 for
  addition and 256 for dates, batch 128, Adam 0.001, clip 5.0, 25 / 10 epochs, 45,000 examples, every
  bias starting at 0), so that they reproduce its figures (``python -m benchmarks.book_comparison``).
- ``default`` is the set-up a task starts with in the app and with ``--preset default``: the book's
  model kinds, and of the settings measured those that reached 90 % held-out exact match in the least
  training time (``python -m benchmarks.preset_search``; the figures are in benchmarks/README.md).
- A comparison (``COMPARISONS``) trains its variants alike: the book's settings, or a race's
  (``RACES``), and only the model kind and the reading direction differ (``comparison_presets``).
- Held-out questions are generated apart from every training set (``s2s.data.make_split``); each use
  has its size, and its seed where it draws a set of its own, in the constants below.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from s2s.models import ModelConfig
from s2s.trainer import TrainConfig

# -- held-out questions -------------------------------------------------------------------------------------------
LIVE_EVAL_SIZE = 1000  # scored at every evaluation while training live: the app's Train and Compare pages, and
#                        the benchmarks that time the default preset to 90 %
VAL_SIZE = 5000  # the held-out split of python -m s2s.train (--val-size) and of the book comparison
TEST_SIZE, TEST_SEED = 5000, 12345  # python -m s2s.eval --task: the questions a checkpoint is scored on
ERRORS_SIZE, ERRORS_SEED = 2000, 11  # the Errors page's report
MAP_SIZE, MAP_SEED = 500, 7  # the Inside page's PCA map of the encoder's final states
ABLATION_SIZE, ABLATION_SEED = 1000, 11  # the Inside page's ablation scan (s2s.ablation): 1,000 questions
#   resolve a cost of one question (0.1 point) and a unit costing 5 % to about 0.7 points; each question more
#   costs every unit one more decoding, so 2,000 (the Errors page's) would double the wait


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A model and training set-up for one task; every default is the book's (chapter 7)."""

    task: str | None = None  # None: not tied to a task (BOOK)
    model: str = "seq2seq"
    reverse: bool = False
    wordvec: int = 16
    hidden: int = 128
    forget_bias: float = 0.0  # the forget gates' initial bias (ModelConfig.forget_bias)
    cell: str = "lstm"  # the recurrent layer (ModelConfig.cell): the book's LSTM, or the GRU of its appendix
    layers: int = 1  # a Transformer's layers per stack and attention heads (ModelConfig.layers, heads)
    heads: int = 1
    batch: int = 128
    lr: float = 0.001
    clip: float = 5.0
    epochs: float = 25
    schedule: str = "constant"
    train_size: int = 45000
    eval_every: int = 0  # iterations between evaluations on the command line (0: once per epoch)

    def model_config(self, vocab_size: int) -> ModelConfig:
        """The model of this set-up for a vocabulary of `vocab_size` symbols."""
        return ModelConfig(kind=self.model, vocab_size=vocab_size, wordvec_size=self.wordvec,
                           hidden_size=self.hidden, reverse=self.reverse, forget_bias=self.forget_bias,
                           cell=self.cell, layers=self.layers, heads=self.heads)

    def train_config(self, **overrides) -> TrainConfig:
        """The training of this set-up (Adam, as every preset); `overrides` are TrainConfig fields (seed,
        workers, ...) given by the caller."""
        settings = {"batch_size": self.batch, "lr": self.lr, "optimizer": "adam", "clip": self.clip,
                    "epochs": self.epochs, "schedule": self.schedule}
        return TrainConfig(**(settings | overrides))


BOOK = Preset()  # the book's chapter 7 settings (ch07/train_seq2seq.py)
BOOK_DATE = replace(BOOK, hidden=256, epochs=10)  # chapter 8 on dates (ch08/train.py): a larger LSTM, fewer epochs

PRESETS: dict[str, dict[str, Preset]] = {
    "addition": {
        "default": Preset(task="addition", model="peeky", reverse=True, hidden=96, forget_bias=1.0, lr=0.01,
                          epochs=10, schedule="cosine", eval_every=50),
        "book_baseline": replace(BOOK, task="addition"),
        "book_reversed": replace(BOOK, task="addition", reverse=True),
        "book_peeky": replace(BOOK, task="addition", model="peeky", reverse=True),
        # beyond chapter 8: the default with the GRU of the appendix, and a Transformer of two layers, four heads,
        # 64 wide (times to 90 %: benchmarks/README.md)
        "gru": Preset(task="addition", model="peeky", reverse=True, hidden=96, forget_bias=1.0, lr=0.01, epochs=10,
                      schedule="cosine", eval_every=50, cell="gru"),
        "transformer": Preset(task="addition", model="transformer", hidden=64, heads=4, layers=2, lr=0.002,
                              epochs=10, schedule="cosine", eval_every=50),
    },
    "date": {
        "default": Preset(task="date", model="attention", reverse=True, lr=0.002, epochs=3),
        "book_baseline": replace(BOOK_DATE, task="date"),
        "book_peeky": replace(BOOK_DATE, task="date", model="peeky", reverse=True),
        "book_attention": replace(BOOK_DATE, task="date", model="attention", reverse=True),
        # beyond chapter 8: the default's attention model with the GRU of the appendix, and a Transformer (the
        # race beyond chapter 8's variants, BEYOND); 2 epochs take each past 97 % held-out (weights/README.md)
        "gru": Preset(task="date", model="attention", reverse=True, cell="gru", lr=0.005, epochs=2),
        "transformer": Preset(task="date", model="transformer", hidden=64, heads=4, layers=1, lr=0.002, epochs=2),
    },
    "date_ja": {"default": Preset(task="date_ja", model="attention", reverse=True, lr=0.002, epochs=3)},
    "reverse": {"default": Preset(task="reverse", model="attention", hidden=64, batch=64, lr=0.005, epochs=8,
                                  train_size=8000)},
    "sort": {"default": Preset(task="sort", model="peeky", reverse=True, hidden=64, batch=64, lr=0.005, epochs=8,
                               train_size=8000)},
}


@dataclass(frozen=True)
class Variant:
    """One model of a comparison, and the book's final accuracy for it where the book reports one. The rest
    (beyond the book): the recurrent layer, a Transformer's layers, heads and width, and a learning rate of its
    own (None: the race's)."""

    model: str
    reverse: bool
    book_accuracy: float | None = None
    cell: str = "lstm"
    layers: int = 1
    heads: int = 1
    hidden: int | None = None  # None: the race's
    lr: float | None = None


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
    """The settings of a comparison that differ from the book's (every variant alike) and how long the
    whole race takes on a 2-core machine with the session alone on the server (``python -m
    benchmarks.race``)."""

    hidden: int
    epochs: int
    lr: float = BOOK.lr
    minutes: float = 0.0  # wall clock of the whole race: measured for the lesson races, the book's estimated from them
    variants: str = ""  # the models raced: a key of BEYOND, or "" for the task's COMPARISONS (the book's)


# "lesson": the book's settings, stopped once the book's ordering shows with clear gaps; "book": the
# book's settings for as many epochs as the book trains.
# Beyond chapter 8: attention with the book's LSTM, the same with the GRU of its appendix C, and a Transformer
# (section 8.5.3) of one layer and four heads, 64 wide, with a lower learning rate (at the race's 0.005 it
# learns more slowly; 0.002 took 1.7 epochs to 99 % held-out on dates, the GRU 1.8).
BEYOND: dict[str, dict[str, Variant]] = {
    "date": {
        "attention": Variant("attention", True, 1.0),
        "attention_gru": Variant("attention", True, cell="gru"),
        "transformer": Variant("transformer", False, heads=4, hidden=64, lr=0.002),
    },
}

RACES: dict[str, dict[str, Race]] = {
    "addition": {"lesson": Race(128, 15, minutes=3.5), "book": Race(BOOK.hidden, BOOK.epochs, minutes=6.0)},
    "date": {"lesson": Race(128, 2, 0.005, minutes=1.0),
             "book": Race(BOOK_DATE.hidden, BOOK_DATE.epochs, minutes=10.0),
             "beyond": Race(128, 2, 0.005, minutes=1.6, variants="date")},
}


def race_variants(task: str, race: Race) -> dict[str, Variant]:
    """The models a race of a task compares: the book's (COMPARISONS) or those beyond it (BEYOND)."""
    return BEYOND[race.variants] if race.variants else COMPARISONS[task]


def comparison_presets(task: str, race: Race) -> dict[str, Preset]:
    """The variants of a race as presets: the race's hidden size, epochs and learning rate (unless the variant
    has its own), otherwise the book's settings."""
    return {name: replace(BOOK, task=task, model=v.model, reverse=v.reverse, hidden=v.hidden or race.hidden,
                          epochs=race.epochs, lr=v.lr or race.lr, cell=v.cell, layers=v.layers, heads=v.heads)
            for name, v in race_variants(task, race).items()}
