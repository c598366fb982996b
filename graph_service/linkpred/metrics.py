"""Ranking metrics for link prediction, as pure functions of positive and negative scores.

Positives are held-out true links, negatives sampled non-links, all scored by one method.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

__all__ = ["auc", "hits_at_k", "mrr"]


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
