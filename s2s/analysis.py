"""Looking inside a model: properties of questions, PCA of encoder states, ordering of units, and
error analysis (accuracy broken down by what makes a question hard, and the worst examples).

Everything is NumPy on plain arrays, for the app's Inside page and for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s2s.data import Dataset
from s2s.layers import log_softmax
from s2s.models import Seq2seq
from s2s.tasks import classify_date, solve
from s2s.trainer import predict

# Properties a map can be coloured by, per task: name -> "quantitative" or "nominal".
PROPERTIES: dict[str, dict[str, str]] = {
    "addition": {"sum": "quantitative", "carries": "quantitative", "digits": "nominal",
                 "answer_length": "quantitative"},
    "date": {"format": "nominal", "month": "quantitative", "year": "quantitative"},
    "date_ja": {"format": "nominal", "month": "quantitative", "year": "quantitative"},
    "reverse": {"length": "quantitative", "first": "nominal"},
    "sort": {"length": "quantitative", "smallest": "quantitative"},
}


def carries(a: int, b: int) -> int:
    """Number of carries when adding a and b digit by digit."""
    count = carry = 0
    while a or b:
        carry = 1 if a % 10 + b % 10 + carry >= 10 else 0
        count += carry
        a, b = a // 10, b // 10
    return count


def _props_one(task: str, q: str) -> dict:
    if task == "addition":
        a, b = (int(x) for x in q.split("+"))
        return {"sum": a + b, "carries": carries(a, b), "digits": f"{len(str(a))}+{len(str(b))}",
                "answer_length": len(str(a + b)), "digits_a": len(str(a)), "digits_b": len(str(b)),
                "first_a": int(str(a)[0]), "first_b": int(str(b)[0])}
    if task in ("date", "date_ja"):
        iso = solve(task, q) or "0000-00-00"
        return {"format": classify_date(q) or "?", "month": int(iso[5:7]), "year": int(iso[:4])}
    if task == "reverse":
        return {"length": len(q), "first": q[:1]}
    if task == "sort":
        return {"length": len(q), "smallest": int(min(q))}
    return {}


def question_properties(task: str, questions: list[str], names=None) -> dict[str, np.ndarray]:
    """Each property of the task (`names`, default PROPERTIES) for every question, as an array."""
    rows = [_props_one(task, q) for q in questions]
    return {name: np.array([r[name] for r in rows]) for name in (names or PROPERTIES.get(task, {}))}


# What error analysis breaks accuracy down by, per task (properties of _props_one), and the grid of
# first digits for addition.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "addition": ("carries", "digits_a", "digits_b", "answer_length"),
    "date": ("format", "month"),
    "date_ja": ("format", "month"),
    "reverse": ("length",),
    "sort": ("length",),
}


@dataclass
class Group:
    """Questions sharing one value of a property."""

    value: object
    n: int
    accuracy: float  # whole answers right
    char_accuracy: float  # answer characters right


@dataclass
class Example:
    """One question with the model's answer, the truth, and how unlikely the truth was to the model."""

    question: str
    truth: str
    guess: str
    loss: float  # mean negative log-likelihood per answer character of the true answer

    @property
    def right(self) -> bool:
        return self.guess == self.truth


@dataclass
class ErrorReport:
    """Accuracy of a model on a dataset, overall and broken down; the worst examples."""

    n: int
    accuracy: float
    char_accuracy: float
    groups: dict[str, list[Group]]  # property -> groups, ordered by value
    worst: list[Example]  # wrong answers first, each part by loss, largest first
    first_digits: np.ndarray | None = None  # addition: (10, 10) accuracy by the first digit of a and b (nan: none)
    first_digits_n: np.ndarray | None = None  # the number of questions in each cell


def _truth_losses(model: Seq2seq, data: Dataset, batch_size: int) -> np.ndarray:
    """Per example, the mean negative log-likelihood of its true answer (teacher forcing)."""
    out = []
    for i in range(0, len(data), batch_size):
        ts = data.ts[i:i + batch_size]
        logp = log_softmax(model.scores(data.xs[i:i + batch_size], ts[:, :-1]))
        picked = np.take_along_axis(logp, ts[:, 1:, None], axis=2)[..., 0]
        out.append(-picked.mean(axis=1))
    return np.concatenate(out) if out else np.zeros(0)


def error_report(model: Seq2seq, data: Dataset, task: str, worst: int = 20, batch_size: int = 2000) -> ErrorReport:
    """Greedy answers to every question of `data`, scored overall, by each property of BREAKDOWNS[task]
    (none for uploaded data) and, for addition, by the first digits of both numbers."""
    target = data.ts[:, 1:]
    guess_ids = predict(model, data.xs, target.shape[1], data.codec.vocab.start_id, batch_size)
    same = guess_ids == target
    right, char_right = same.all(axis=1), same.mean(axis=1)
    questions, truths = data.questions(), data.answers()
    names = BREAKDOWNS.get(task, ())
    props = question_properties(task, questions, names + (("first_a", "first_b") if task == "addition" else ()))
    groups = {}
    for name in names:
        values = props[name]
        groups[name] = [Group(v.item() if hasattr(v, "item") else v, int(m.sum()), float(right[m].mean()),
                              float(char_right[m].mean()))
                        for v in np.unique(values) for m in [values == v]]
    losses = _truth_losses(model, data, batch_size)
    order = np.lexsort((-losses, right))[:worst]  # wrong first, then the largest loss
    examples = [Example(questions[i], truths[i], data.codec.decode_answer(guess_ids[i]), float(losses[i]))
                for i in order]
    report = ErrorReport(len(data), float(right.mean()) if len(data) else 0.0,
                         float(same.mean()) if len(data) else 0.0, groups, examples)
    if task == "addition":
        counts = np.zeros((10, 10))
        hits = np.zeros((10, 10))
        np.add.at(counts, (props["first_a"], props["first_b"]), 1)
        np.add.at(hits, (props["first_a"], props["first_b"]), right)
        report.first_digits = np.divide(hits, counts, out=np.full((10, 10), np.nan), where=counts > 0)
        report.first_digits_n = counts.astype(int)
    return report


@dataclass
class PCA:
    """Principal components of row vectors: mean (H,), components (k, H), explained variance ratio (k,)."""

    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(N, H) -> (N, k) coordinates."""
        return (np.asarray(X, np.float64) - self.mean) @ self.components.T


def pca(X: np.ndarray, k: int = 2) -> PCA:
    """PCA by SVD of the centred rows; each component's sign makes its largest loading positive."""
    X = np.asarray(X, np.float64)
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    comps = vt[:k]
    signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])
    comps = comps * signs[:, None]
    var = s ** 2
    return PCA(mean, comps, var[:k] / max(var.sum(), 1e-12))


def correlations(states: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Pearson correlation of every unit (column of states (N, H)) with values (N,); 0 where constant."""
    S = np.asarray(states, np.float64) - np.mean(states, axis=0)
    v = np.asarray(values, np.float64) - np.mean(values)
    denom = np.sqrt((S * S).sum(axis=0) * (v @ v))
    return np.divide(S.T @ v, denom, out=np.zeros(S.shape[1]), where=denom > 0)


def unit_order(states: np.ndarray, by: str = "variance", values: np.ndarray | None = None,
               k: int | None = None) -> np.ndarray:
    """Indices of units, most interesting first: by variance over the rows of states (T or N, H),
    or by |correlation| with values (one per row); at most k."""
    if by == "variance":
        score = np.var(states, axis=0)
    elif by == "correlation":
        if values is None:
            raise ValueError("ordering by correlation needs one value per row")
        score = np.abs(correlations(states, values))
    else:
        raise ValueError(f"unknown ordering {by!r}: use 'variance' or 'correlation'")
    order = np.argsort(-score, kind="stable")
    return order if k is None else order[:k]
