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
    values = np.array(list(exposure.values()))
    if len(values) == 0:
        return ExposureReport(0.0, 0.0, 0.0)
    top = np.sort(values)[::-1][: max(1, len(values) // 10)]
    total = values.sum()
    return ExposureReport(float((values > 0).mean()), gini(values), float(top.sum() / total) if total else 0.0)


class ExposureTracker:
    """Re-ranks across a stream of requests: a candidate's score is lowered by `strength` times the
    log of the exposure it has already received, so the popular are damped, not excluded."""

    def __init__(self, strength: float = 1.0) -> None:
        if strength < 0:
            raise ValueError("strength must be >= 0")
        self.strength = strength
        self.exposure: dict[str, float] = defaultdict(float)

    def rerank(self, ids: Sequence[str], scores: Sequence[float], top_k: int) -> list[str]:
        penalty = np.array([np.log1p(self.exposure[i]) for i in ids])
        adjusted = np.asarray(scores, dtype=np.float64) - self.strength * penalty
        order = np.argsort(-adjusted, kind="stable")[:top_k]
        chosen = [ids[i] for i in order]
        for rank, item in enumerate(chosen, 1):
            self.exposure[item] += position_exposure(rank)
        return chosen
