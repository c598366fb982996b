"""Partner recommendation: history never sees the future; candidates and features hold in the graph."""

from __future__ import annotations

import numpy as np
import pytest

from graph_service.projection import build_projection
from graph_service.recommend.partner_eval import deal_cases, evaluate
from graph_service.recommend.partners import FEATURES, History, Query, candidates, features
from graph_service.schema import Label, RelType
from graph_service.stores.sqlite_store import SqliteStore


@pytest.fixture(scope="module")
def loaded(tiny_store: SqliteStore):
    return tiny_store, build_projection(tiny_store)


def test_history_holds_only_deals_before_the_cutoff(loaded) -> None:
    store, p = loaded
    for year in (2018, 2022, 2025):
        h = History(p, year)
        deals = np.flatnonzero(h.involved.sum(axis=0).A1 > 0)
        assert len(deals) and (p.attrs["year"][deals] < year).all()
        expected = {d for d in range(p.base_nodes) if p.label_of(d) == Label.DEAL and 0 <= p.attrs["year"][d] < year}
        assert set(deals.tolist()) <= expected
    late = [c for c in deal_cases(p, store, range(2026, 2027))]
    assert late, "the tiny market has deals in 2026"
    case = late[0]
    before, after = History(p, 2026), History(p, 2027)
    person = next(iter(case.truth))
    assert after.partners[case.query.enterprise, person] >= before.partners[case.query.enterprise, person] + 1


def test_candidates_and_features_follow_the_graph(loaded) -> None:
    _, p = loaded
    h = History(p, 2024)
    firm = next(i for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE and h.partners[i].nnz > 1)
    fields = p.out[RelType.ACTIVE_IN][firm].indices
    cands = candidates(h, Query(firm, fields))
    assert all(p.label_of(c) == Label.RESEARCHER for c in cands.tolist())
    experts = set(p.inc[RelType.EXPERT_IN][fields].indices.tolist()) if len(fields) else set()
    assert experts <= set(cands.tolist())
    partners = {x for x in h.partners[firm].indices.tolist() if p.label_of(x) == Label.RESEARCHER}
    assert partners <= set(cands.tolist())
    x = features(h, Query(firm, fields), cands)
    assert x.shape == (len(cands), len(FEATURES))
    overlap = x[:, FEATURES.index("field_overlap")]
    for c, value in zip(cands.tolist()[:50], overlap[:50].tolist()):
        mine = set(p.out[RelType.EXPERT_IN][c].indices.tolist())
        assert value == pytest.approx(len(mine & set(fields.tolist())) / len(fields))
    past = x[:, FEATURES.index("past_partner")]
    assert {c for c, v in zip(cands.tolist(), past.tolist()) if v > 0} == partners


def test_temporal_evaluation_reports_every_method(loaded) -> None:
    store, p = loaded
    report = evaluate(p, store, test_start=2024, train_start=2020)
    assert report["test_cases"] > 20 and report["candidate_recall"] > 0.9
    assert set(report["methods"]) == {"model", "random", *FEATURES}
    m = report["methods"]
    assert m["model"]["hits@10"] > m["random"]["hits@10"]
    for values in m.values():
        assert set(values) == {"hits@10", "mrr", "ndcg@10"} and all(0 <= v <= 1 for v in values.values())
