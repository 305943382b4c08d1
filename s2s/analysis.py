"""Looking inside a model: properties of questions, PCA of encoder states, ordering of units.

Everything is NumPy on plain arrays, for the app's Inside page and for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s2s.tasks import classify_date, solve

# Properties a map can be coloured by, per task: name -> "quantitative" or "nominal".
PROPERTIES: dict[str, dict[str, str]] = {
    "addition": {"sum": "quantitative", "carries": "quantitative", "digits": "nominal",
                 "answer_length": "quantitative"},
    "date": {"format": "nominal", "month": "quantitative", "year": "quantitative"},
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
                "answer_length": len(str(a + b))}
    if task == "date":
        iso = solve("date", q) or "0000-00-00"
        return {"format": classify_date(q) or "?", "month": int(iso[5:7]), "year": int(iso[:4])}
    if task == "reverse":
        return {"length": len(q), "first": q[:1]}
    if task == "sort":
        return {"length": len(q), "smallest": int(min(q))}
    return {}


def question_properties(task: str, questions: list[str]) -> dict[str, np.ndarray]:
    """Each property of the task (PROPERTIES) for every question, as an array."""
    rows = [_props_one(task, q) for q in questions]
    return {name: np.array([r[name] for r in rows]) for name in PROPERTIES.get(task, {})}


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
