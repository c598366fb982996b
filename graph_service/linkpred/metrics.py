"""Ranking metrics for link prediction, as pure functions of positive and negative scores.

Positives are held-out true links, negatives sampled non-links, all scored by one method.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

__all__ = ["auc", "expected_mrr", "hits_at_k", "mrr", "redrawn_mrr"]


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative (ties 1/2)."""
    labels = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    return float(roc_auc_score(labels, np.concatenate([pos, neg])))


def hits_at_k(pos: np.ndarray, neg: np.ndarray, k: int) -> float:
    """Share of positives scored strictly above the k-th best negative (OGB's Hits@K)."""
    if len(neg) < k:
        return 1.0
    threshold = np.sort(neg)[-k]
    return float(np.mean(pos > threshold))


def mrr(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mean over positives of 1 / rank among the negatives (rank 1 = above them all; ties count half)."""
    sorted_neg = np.sort(neg)
    above = len(neg) - np.searchsorted(sorted_neg, pos, side="right")
    ties = np.searchsorted(sorted_neg, pos, side="right") - np.searchsorted(sorted_neg, pos, side="left")
    return float(np.mean(1.0 / (1.0 + above + ties / 2.0)))


def expected_mrr(pos: np.ndarray, pool: np.ndarray, n: int) -> float:
    """The MRR expected when each positive is ranked among `n` negatives drawn from `pool` (ties half).

    With q the share of the pool above a positive, the number of drawn negatives above it is binomial(n, q)
    and E[1 / (1 + B)] = (1 - (1 - q)^(n+1)) / ((n+1) q): a steadier estimate than one draw of n."""
    sorted_pool = np.sort(pool)
    right = np.searchsorted(sorted_pool, pos, side="right")
    q = (len(pool) - right + (right - np.searchsorted(sorted_pool, pos, side="left")) / 2.0) / len(pool)
    q = np.maximum(q, 1e-15)
    return float(np.mean(-np.expm1((n + 1) * np.log1p(-np.minimum(q, 1 - 1e-15))) / ((n + 1) * q)))


def redrawn_mrr(pos: np.ndarray, pool: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """The MRR of `pos` against each row of `picks` (indices into `pool`): one evaluation per redraw of the
    negatives. Given the same `picks`, methods are compared on the same negatives, as in one evaluation."""
    return np.array([mrr(pos, pool[row]) for row in picks])
