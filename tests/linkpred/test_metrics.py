"""Ranking metrics on tiny hand-checked fixtures."""

import numpy as np
import pytest

from graph_service.linkpred.metrics import auc, hits_at_k, mrr


def test_auc() -> None:
    assert auc(np.array([3.0, 2.0]), np.array([1.0, 0.0])) == 1.0
    assert auc(np.array([1.0]), np.array([1.0])) == 0.5
    assert auc(np.array([2.0, 0.0]), np.array([1.0])) == pytest.approx(0.5)


def test_hits_at_k_counts_positives_above_the_kth_negative() -> None:
    neg = np.array([0.1, 0.5, 0.9])
    assert hits_at_k(np.array([1.0, 0.6, 0.2]), neg, 1) == pytest.approx(1 / 3)
    assert hits_at_k(np.array([1.0, 0.6, 0.2]), neg, 2) == pytest.approx(2 / 3)
    assert hits_at_k(np.array([0.5]), neg, 2) == 0.0  # a tie is not above
    assert hits_at_k(np.array([0.0]), neg, 10) == 1.0  # fewer negatives than k


def test_mrr_ranks_each_positive_among_the_negatives() -> None:
    neg = np.array([0.2, 0.4])
    assert mrr(np.array([0.5]), neg) == 1.0
    assert mrr(np.array([0.3]), neg) == 0.5
    assert mrr(np.array([0.4]), neg) == pytest.approx(1 / 1.5)  # a tie counts half
    assert mrr(np.array([0.5, 0.1]), neg) == pytest.approx((1 + 1 / 3) / 2)
