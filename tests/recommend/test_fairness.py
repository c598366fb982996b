"""Exposure metrics on hand-checked fixtures, and the re-ranker spreading exposure without losing the best."""

import numpy as np
import pytest

from graph_service.recommend.fairness import ExposureTracker, exposure_report, gini, position_exposure


def test_gini() -> None:
    assert gini([2, 2, 2]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([1, 3]) == pytest.approx(0.25)
    assert gini([]) == 0.0
    with pytest.raises(ValueError):
        gini([1, -1])


def test_exposure_report_counts_the_never_shown() -> None:
    r = exposure_report([["a", "b"], ["a", "c"]], population=["a", "b", "c", "d"])
    assert r.coverage == 0.75
    exposure = [2 * position_exposure(1), position_exposure(2), position_exposure(2), 0.0]
    assert r.gini == pytest.approx(gini(exposure))
    assert r.top_decile_share == pytest.approx(exposure[0] / sum(exposure))


def test_damping_spreads_exposure_and_keeps_clear_winners_on_top() -> None:
    rng = np.random.default_rng(0)
    ids = [f"r{i}" for i in range(200)]
    quality = np.sort(rng.random(200))[::-1] * 3  # a few strong candidates, a long tail
    plain = [[ids[i] for i in np.argsort(-quality)[:10]] for _ in range(50)]
    tracker = ExposureTracker(strength=1.0)
    fair = [tracker.rerank(ids, quality, 10) for _ in range(50)]
    before, after = exposure_report(plain, ids), exposure_report(fair, ids)
    assert after.coverage > 2 * before.coverage and after.gini < before.gini
    assert fair[0] == plain[0]  # nothing shown yet: the first list is the plain ranking
    assert ExposureTracker(strength=0.0).rerank(ids, quality, 10) == plain[0]
