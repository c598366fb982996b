"""Exposure fairness: how evenly recommendations spread over who could be shown, and a re-ranker
that damps candidates already shown often so that capable but less visible ones get their turn.

Exposure of a shown item at rank r (1-based) is 1 / log2(r + 1), as in DCG: the top slot counts most.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ExposureReport", "ExposureTracker", "exposure_report", "gini", "position_exposure"]


def position_exposure(rank: int) -> float:
    return 1.0 / float(np.log2(rank + 1))


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one holds all.

    >>> gini([1, 1, 1, 1])
    0.0
    >>> round(gini([0, 0, 0, 4]), 2)
    0.75
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if (x < 0).any():
        raise ValueError("gini needs non-negative values")
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


@dataclass(frozen=True)
class ExposureReport:
    coverage: float  # share of the population shown at least once
    gini: float  # inequality of exposure over the whole population (never shown = 0)
    top_decile_share: float  # share of all exposure taken by the most exposed 10%


def exposure_report(lists: Iterable[Sequence[str]], population: Sequence[str]) -> ExposureReport:
    """How a batch of ranked lists spreads exposure over `population` (ids outside it are ignored)."""
    exposure = dict.fromkeys(population, 0.0)
    for ranked in lists:
        for rank, item in enumerate(ranked, 1):
            if item in exposure:
                exposure[item] += position_exposure(rank)
    return _report(np.array(list(exposure.values())))


def _report(values: np.ndarray) -> ExposureReport:
    if len(values) == 0:
        return ExposureReport(0.0, 0.0, 0.0)
    top = np.sort(values)[::-1][: max(1, len(values) // 10)]
    total = values.sum()
    return ExposureReport(float((values > 0).mean()), gini(values), float(top.sum() / total) if total else 0.0)


class ExposureTracker:
    """Re-ranks across a stream of requests: a candidate's score is lowered by `strength` times the
    log of the exposure it has already received, so the popular are damped, not excluded. Scores are
    on a log scale (log-probabilities, log-odds), so the damping divides a probability by a power of
    past exposure. It also keeps who could have been shown, to report how exposure is spread."""

    def __init__(self, strength: float = 1.0) -> None:
        if strength < 0:
            raise ValueError("strength must be >= 0")
        self.strength = strength
        self.exposure: dict[str, float] = defaultdict(float)
        self.population: set[str] = set()
        self.requests = 0

    def order(self, ids: Sequence[str], scores: Sequence[float], top_k: int) -> list[str]:
        """The best `top_k` of `ids` after damping; records nothing."""
        penalty = np.array([np.log1p(self.exposure.get(i, 0.0)) for i in ids])
        adjusted = np.asarray(scores, dtype=np.float64) - self.strength * penalty
        return [ids[i] for i in np.argsort(-adjusted, kind="stable")[:top_k]]

    def record(self, shown: Sequence[str], candidates: Iterable[str] = ()) -> None:
        """One answered request: what it showed, in rank order, and everyone it could have shown."""
        self.requests += 1
        self.population.update(candidates)
        self.population.update(shown)
        for rank, item in enumerate(shown, 1):
            self.exposure[item] += position_exposure(rank)

    def rerank(self, ids: Sequence[str], scores: Sequence[float], top_k: int) -> list[str]:
        chosen = self.order(ids, scores, top_k)
        self.record(chosen, ids)
        return chosen

    def report(self) -> ExposureReport:
        """Spread of exposure so far over everyone who could have been shown."""
        values = np.array([self.exposure.get(i, 0.0) for i in self.population])
        return _report(values)
