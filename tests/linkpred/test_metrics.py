"""Ranking metrics on tiny hand-checked fixtures."""

import numpy as np
import pytest

from graph_service.linkpred.metrics import auc, expected_mrr, hits_at_k, mrr, redrawn_mrr


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


def test_expected_mrr_is_the_mean_mrr_over_draws_from_the_pool() -> None:
    pool = np.array([0.0, 1.0, 2.0, 3.0])
    # a positive above the whole pool ranks first whatever is drawn; below it all, last of n + 1
    assert expected_mrr(np.array([5.0]), pool, 3) == pytest.approx(1.0)
    assert expected_mrr(np.array([-1.0]), pool, 3) == pytest.approx(1 / 4)
    # q = 1/2: E[1/(1+B)] for B ~ binomial(2, 1/2) is 1/4 + 2/4 * 1/2 + 1/4 * 1/3
    assert expected_mrr(np.array([1.5]), pool, 2) == pytest.approx(0.25 + 0.25 + 1 / 12)
    rng = np.random.default_rng(0)
    pos, big = rng.normal(1, 1, 300), rng.normal(0, 1, 50_000)
    picks = np.array([rng.choice(len(big), 300, replace=False) for _ in range(100)])
    draws = redrawn_mrr(pos, big, picks)
    assert draws[3] == mrr(pos, big[picks[3]])  # one evaluation per row of picks
    assert expected_mrr(pos, big, 300) == pytest.approx(draws.mean(), rel=0.05)
