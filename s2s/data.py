"""Characters, fixed-width examples, generated datasets and the book's text format.

The book stores one example per line as ``question_answer``: the question padded with spaces
to a fixed width, then the answer starting with ``_`` (the decoder's start symbol), padded too:
``16+75  _91  ``. A :class:`Vocab` maps characters to ids; a :class:`Codec` adds the two
widths and turns text into id arrays and back. Both travel with the data and the checkpoint.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from s2s.tasks import TASKS

PAD = " "
START = "_"


class DatasetError(ValueError):
    """A dataset file or text that cannot be read; names the file and line when known.

    ``kind`` and ``params`` say the same as the message in a form the app can translate.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 kind: str = "other", **params):
        self.message, self.path, self.line, self.kind, self.params = message, path, line, kind, params
        where = "" if path is None else f"{path}: " if line is None else f"{path}:{line}: "
        super().__init__(where + message)


class QueryError(ValueError):
    """A question the model cannot read; the message says what is wrong and what is allowed.

    ``kind`` is "empty", "unknown" or "too_long"; ``chars`` the offending characters; the app
    uses these to say the same in its own language.
    """

    def __init__(self, message: str, kind: str, chars: tuple[str, ...] = (), length: int = 0):
        super().__init__(message)
        self.kind, self.chars, self.length = kind, chars, length


def describe_chars(chars: Iterable[str]) -> str:
    """Readable list of characters: runs of digits and letters shortened, space named."""
    chars = sorted(set(chars))
    out, i = [], 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1 and chars[j + 1].isalnum():
            j += 1
        if j - i >= 2:
            out.append(f"{chars[i]}-{chars[j]}")
        else:
            out.extend(chars[i:j + 1])
        i = j + 1
    return " ".join("space" if c == " " else c for c in out)


class Vocab:
    """Character <-> id tables. Ids follow the order of ``chars``."""

    def __init__(self, chars: Iterable[str]):
        self.chars = tuple(chars)
        if any(len(c) != 1 for c in self.chars) or len(set(self.chars)) != len(self.chars):
            raise ValueError("a vocabulary is a sequence of distinct single characters")
        for special in (PAD, START):
            if special not in self.chars:
                raise ValueError(f"the vocabulary must contain {special!r}")
        self.char_to_id = {c: i for i, c in enumerate(self.chars)}
        self._table = np.full(0x110000 if max(map(ord, self.chars)) > 0xFFFF else 0x10000, -1, np.int64)
        self._table[[ord(c) for c in self.chars]] = np.arange(len(self.chars))

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocab:
        """The sorted characters of the texts, plus padding and start symbols."""
        found: set[str] = {PAD, START}
        for t in texts:
            found.update(t)
        return cls(sorted(found))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self.chars == other.chars

    @property
    def start_id(self) -> int:
        """Id of the decoder's start symbol '_'."""
        return self.char_to_id[START]

    def encode_block(self, lines: Sequence[str]) -> np.ndarray:
        """Equal-length strings -> (N, width) ids; -1 marks characters outside the vocabulary."""
        if not lines:
            return np.zeros((0, 0), np.int64)
        codes = np.frombuffer("".join(lines).encode("utf-32-le"), dtype=np.uint32).reshape(len(lines), -1)
        ids = np.full(codes.shape, -1, np.int64)
        inside = codes < len(self._table)
        ids[inside] = self._table[codes[inside]]
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> string."""
        return "".join(self.chars[int(i)] for i in ids)


@dataclass(frozen=True)
class Codec:
    """A vocabulary, the fixed widths of questions and answers (the answer width counts '_'),
    and the characters a question may contain (default: the vocabulary without '_')."""

    vocab: Vocab
    question_width: int
    answer_width: int
    question_chars: str = ""

    @property
    def query_chars(self) -> str:
        """Characters a user may type."""
        return self.question_chars or "".join(c for c in self.vocab.chars if c != START)

    def normalize(self, text: str) -> str:
        """NFKC (full-width digits and symbols become ASCII) and outer whitespace removed."""
        return unicodedata.normalize("NFKC", text).strip()

    def allowed(self) -> str:
        """What may be typed, for messages."""
        return f"use only {describe_chars(self.query_chars)}, at most {self.question_width} characters"

    def validate(self, text: str) -> str:
        """The normalised question, or QueryError saying what is wrong and what is allowed."""
        q = self.normalize(text)
        if not q:
            raise QueryError(f"the question is empty: {self.allowed()}", "empty")
        allowed = self.query_chars
        bad = sorted({c for c in q if c not in allowed})
        if bad:
            shown = ", ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in bad[:8])
            more = f" and {len(bad) - 8} more" if len(bad) > 8 else ""
            raise QueryError(f"unknown character{'s' if len(bad) > 1 else ''} {shown}{more}: {self.allowed()}",
                             "unknown", tuple(bad))
        if len(q) > self.question_width:
            raise QueryError(f"the question is too long ({len(q)} characters): {self.allowed()}",
                             "too_long", length=len(q))
        return q

    def encode_questions(self, questions: Sequence[str]) -> np.ndarray:
        """Valid questions -> (N, question_width) ids, padded with spaces."""
        return self.vocab.encode_block([q.ljust(self.question_width) for q in questions])

    def decode_answer(self, ids: Iterable[int]) -> str:
        """Decoder output ids (without the start symbol) -> the answer without padding."""
        return self.vocab.decode(ids).rstrip(PAD)

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        return {"chars": "".join(self.vocab.chars), "question_width": self.question_width,
                "answer_width": self.answer_width, "question_chars": self.query_chars}

    @classmethod
    def from_dict(cls, d: dict) -> Codec:
        """Inverse of to_dict."""
        codec = cls(Vocab(d["chars"]), int(d["question_width"]), int(d["answer_width"]),
                    str(d.get("question_chars", "")))
        if set(codec.question_chars) - set(codec.vocab.chars) or START in codec.question_chars:
            raise ValueError("question characters must be vocabulary characters other than '_'")
        return codec


@dataclass
class Dataset:
    """Examples as id arrays: xs (N, question_width) questions, ts (N, answer_width) answers with '_'."""

    xs: np.ndarray
    ts: np.ndarray
    codec: Codec
    source: str = ""

    def __post_init__(self):
        # ids kept in the smallest integer type that holds the vocabulary (and -1): a 50 MB upload then
        # holds 50 MB of ids rather than 400 MB of int64, and every session's generated set an eighth
        dtype = next(d for d in (np.int8, np.int16, np.int32) if len(self.codec.vocab) <= np.iinfo(d).max)
        self.xs, self.ts = self.xs.astype(dtype, copy=False), self.ts.astype(dtype, copy=False)

    def __len__(self) -> int:
        return len(self.xs)

    def subset(self, index) -> Dataset:
        """Examples at the given indices."""
        return Dataset(self.xs[index], self.ts[index], self.codec, self.source)

    def questions(self) -> list[str]:
        """The questions as text, without padding."""
        return [self.codec.vocab.decode(row).rstrip(PAD) for row in self.xs]

    def answers(self) -> list[str]:
        """The answers as text, without '_' and padding."""
        return [self.codec.decode_answer(row[1:]) for row in self.ts]


def task_codec(task: str) -> Codec:
    """The codec of a generated task: its alphabet plus ' ' and '_'; widths from the task."""
    spec = TASKS[task]
    return Codec(Vocab.from_texts([spec.alphabet]), spec.question_width, spec.answer_width + 1, spec.alphabet)


def from_pairs(pairs: Sequence[tuple[str, str]], codec: Codec, source: str = "") -> Dataset:
    """Unpadded (question, answer) pairs -> Dataset."""
    qs = [q.ljust(codec.question_width) for q, _ in pairs]
    ans = [(START + a).ljust(codec.answer_width) for _, a in pairs]
    return Dataset(codec.vocab.encode_block(qs), codec.vocab.encode_block(ans), codec, source)


def is_held_out(question: str) -> bool:
    """Whether a question belongs to the held-out part of its task (one in ten, by a hash of its text).

    Splitting the question space itself, not a sample of it, keeps held-out questions out of
    training even for tasks with few distinct questions (a warm-up task has 3,875).
    """
    return zlib.crc32(question.encode("utf-8")) % 10 == 0


def make_split(task: str, n_train: int, n_val: int, seed: int) -> tuple[Dataset, Dataset]:
    """A training set and a held-out set of a generated task; no held-out question is ever trained on.
    For a task of distinct questions (addition) each set holds every question at most once."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    spec, codec = TASKS[task], task_codec(task)
    rng = np.random.default_rng(seed)
    train: list[tuple[str, str]] = []
    val: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(train) < n_train or len(val) < n_val:
        before = len(seen)
        for pair in spec.sample(rng, max(n_train - len(train), 10 * (n_val - len(val)), 1000)):
            if spec.distinct:
                if pair[0] in seen:
                    continue
                seen.add(pair[0])
            (val if is_held_out(pair[0]) else train).append(pair)
        if spec.distinct and len(seen) == before:
            raise ValueError(f"{task} has too few distinct questions for {n_train:,} to train on and {n_val:,} "
                             "held out")
    src = f"generated:{task}"
    return from_pairs(train[:n_train], codec, src), from_pairs(val[:n_val], codec, src)


def split_dataset(data: Dataset, val_fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """Hold out a fraction of the distinct questions, chosen with ``seed`` (at least one, never all),
    with every line that asks them: a question repeated in a file is never both trained on and held
    out. The training part is shuffled. DatasetError if the data asks fewer than two questions."""
    _, group = np.unique(data.xs, axis=0, return_inverse=True)
    group = group.ravel()
    n_groups = int(group.max()) + 1 if len(group) else 0
    if n_groups < 2:
        raise DatasetError("every line asks the same question: at least 2 different questions are needed "
                           "(one to train on, one to hold out)", data.source or None, kind="one_question")
    rng = np.random.default_rng(seed)
    n_val = min(max(1, int(round(n_groups * val_fraction))), n_groups - 1)
    held = np.isin(group, rng.permutation(n_groups)[:n_val])
    return data.subset(rng.permutation(np.flatnonzero(~held))), data.subset(np.flatnonzero(held))


def parse_book_text(text: str, path: str | Path = "<text>", codec: Codec | None = None) -> Dataset:
    """Lines ``question_answer`` of fixed widths -> Dataset; DatasetError names the line at fault.

    With ``codec`` (a model's), every character and both widths must fit it; without, the
    vocabulary is built from the file.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # a UTF-8 byte order mark, as some editors write
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise DatasetError("the file is empty: expected lines like '16+75  _91  '", path, kind="empty")
    qs, ans = [], []
    for n, line in enumerate(lines, 1):
        if "\x00" in line or "\r" in line:
            raise DatasetError("binary data or a stray carriage return: expected text lines", path, n, kind="binary")
        cut = line.find(START)
        if cut < 0:
            raise DatasetError(f"no '{START}' between question and answer in {line[:40]!r}", path, n,
                               kind="no_start", text=line[:40])
        q, a = line[:cut], line[cut:]
        if not q.strip():
            raise DatasetError("the question before '_' is empty", path, n, kind="empty_question")
        if qs and (len(q) != len(qs[0]) or len(a) != len(ans[0])):
            raise DatasetError(
                f"mixed widths: question {len(q)} and answer {len(a)} characters, but line 1 has "
                f"{len(qs[0])} and {len(ans[0])} (pad every line with spaces to the same widths)", path, n,
                kind="mixed_widths", q=len(q), a=len(a), q1=len(qs[0]), a1=len(ans[0]))
        qs.append(q)
        ans.append(a)
    if codec is None:
        inside = sorted({c for q in qs for c in q.rstrip(PAD)})
        codec = Codec(Vocab.from_texts(qs + ans), len(qs[0]), len(ans[0]), "".join(inside))
    elif len(qs[0]) > codec.question_width or len(ans[0]) != codec.answer_width:
        raise DatasetError(
            f"widths {len(qs[0])}+{len(ans[0])} do not fit this model, which reads questions of at most "
            f"{codec.question_width} characters and writes answers of {codec.answer_width} (with '_')", path, 1,
            kind="model_widths", q=len(qs[0]), a=len(ans[0]), qw=codec.question_width, aw=codec.answer_width)
    qs = [q.ljust(codec.question_width) for q in qs]
    xs, ts = codec.vocab.encode_block(qs), codec.vocab.encode_block(ans)
    for block, texts in ((xs, qs), (ts, ans)):
        rows, cols = np.nonzero(block < 0)
        if len(rows):
            r, c = int(rows[0]), int(cols[0])
            raise DatasetError(
                f"character {texts[r][c]!r} is not in the vocabulary ({describe_chars(codec.vocab.chars)})",
                path, r + 1, kind="bad_char", char=texts[r][c], allowed=describe_chars(codec.vocab.chars))
    return Dataset(xs, ts, codec, f"file:{Path(str(path)).name}")


def parse_book_bytes(raw: bytes, path: str | Path, codec: Codec | None = None) -> Dataset:
    """Bytes of a file in the book's format (UTF-8 text) -> Dataset; see parse_book_text."""
    if b"\x00" in raw[:65536]:
        raise DatasetError("binary data (NUL bytes): expected a text file of 'question_answer' lines", path,
                           kind="binary")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise DatasetError("not UTF-8 text (binary data?)", path, line, kind="binary") from None
    return parse_book_text(text, path, codec)


def read_book_file(path: str | Path, codec: Codec | None = None) -> Dataset:
    """Read a file in the book's format; see parse_book_text."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DatasetError(f"cannot read the file: {e.strerror or e}", path, kind="unreadable") from None
    return parse_book_bytes(raw, path, codec)
