"""Partner recommendation: history never sees the future; candidates and features hold in the graph."""

from __future__ import annotations

import numpy as np
import pytest

from graph_service.projection import build_projection
from graph_service.recommend.partner_eval import BASELINES, KS, _mean, _rank_metrics, deal_cases, evaluate
from graph_service.recommend.partners import (
    FEATURES,
    KATZ_BETA,
    History,
    PartnerModel,
    Query,
    candidates,
    features,
)
from graph_service.schema import Label, RelType
from graph_service.stores.sqlite_store import SqliteStore
from loaders.importer import load_directory


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
    # Katz and the co-author / peer walks against dense matrix algebra on the same history
    walk = ((h.partners + h.coauthors).toarray() != 0).astype(float)
    np.fill_diagonal(walk, 0)
    b = KATZ_BETA
    katz = (b * walk + b**2 * walk @ walk + b**3 * walk @ walk @ walk)[firm]
    np.testing.assert_allclose(x[:, FEATURES.index("katz")], katz[cands] / b**3, rtol=1e-9)
    via = (h.partners.toarray() @ h.coauthors.toarray())[firm]
    np.testing.assert_allclose(x[:, FEATURES.index("coauthor_of_partner")], via[cands])
    peer = (h.activity.toarray() @ h.activity.toarray().T @ h.partners.toarray())[firm]
    np.testing.assert_allclose(x[:, FEATURES.index("peer_partner")], np.log1p(peer[cands]))


def test_temporal_evaluation_reports_every_method(loaded) -> None:
    store, p = loaded
    report = evaluate(p, store, test_start=2024, train_start=2020)
    assert report["test_cases"] > 20 and report["candidate_recall"] > 0.9
    assert set(report["methods"]) == {"model", "random", *BASELINES}
    assert {"popularity", "text only", "past_partner", "coauthor_of_partner"} <= set(BASELINES)
    m = report["methods"]
    assert m["model"]["hits@10"] > m["random"]["hits@10"]
    assert report["best_baseline"] == max(BASELINES, key=lambda n: m[n]["hits@10"])
    for values in m.values():
        assert set(values) == {"auc", "mrr", "ndcg@10", *(f"hits@{k}" for k in KS)}
        assert all(0 <= v <= 1 for v in values.values())
        assert [values[f"hits@{k}"] for k in KS] == sorted(values[f"hits@{k}"] for k in KS)


def test_rank_metrics_on_a_known_ranking() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    truth = np.array([False, True, False, True])
    m = _rank_metrics(scores, truth)
    assert m["hits@1"] == 0 and m["hits@3"] == 1 and m["mrr"] == 0.5
    assert m["auc"] == pytest.approx(0.25)  # of the four true-false pairs only (0.8, 0.7) is ordered rightly
    ideal = 1 + 1 / np.log2(3)
    assert m["ndcg@10"] == pytest.approx((1 / np.log2(3) + 1 / np.log2(5)) / ideal)
    missed = _rank_metrics(scores, np.zeros(4, dtype=bool))  # the true partner is not among the candidates
    assert missed["hits@50"] == 0 and missed["mrr"] == 0 and np.isnan(missed["auc"])
    assert _mean([m["auc"], missed["auc"]]) == pytest.approx(0.25)  # AUC only where it is defined


def test_features_do_not_see_deals_from_the_cutoff_on(tiny_dir, tmp_path) -> None:
    """The same query scored as of 2024 on the full graph and on a graph without the deals of 2024
    and later gives identical features: nothing from the future leaks into them."""
    full = SqliteStore(tmp_path / "full.sqlite")
    full.ensure_schema()
    load_directory(full, tiny_dir, progress=False)
    cut = SqliteStore(tmp_path / "cut.sqlite")
    cut.ensure_schema()
    load_directory(cut, tiny_dir, progress=False)
    late = [r[1] for batch in cut.scan_nodes(Label.DEAL, ("year",)) for r in batch if int(r[2] or 0) >= 2024]
    assert late
    cut.write(lambda w: [w.delete_node(d) for d in late])
    p_full, p_cut = build_projection(full), build_projection(cut)
    h_full, h_cut = History(p_full, 2024), History(p_cut, 2024)
    for firm_id in ("E000002", "E000005", "E000011"):
        q_full = Query(p_full.idx(firm_id), p_full.out[RelType.ACTIVE_IN][p_full.idx(firm_id)].indices)
        q_cut = Query(p_cut.idx(firm_id), p_cut.out[RelType.ACTIVE_IN][p_cut.idx(firm_id)].indices)
        ids = sorted({p_full.ids[c] for c in candidates(h_full, q_full).tolist()})
        assert ids == sorted({p_cut.ids[c] for c in candidates(h_cut, q_cut).tolist()})
        x_full = features(h_full, q_full, np.array([p_full.idx(i) for i in ids]))
        x_cut = features(h_cut, q_cut, np.array([p_cut.idx(i) for i in ids]))
        np.testing.assert_array_equal(x_full, x_cut)



def test_the_numpy_forest_scores_as_sklearn_does() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((2000, len(FEATURES))) * 5
    y = (x[:, 0] + x[:, 6] * x[:, 2] + rng.normal(size=2000) > 6).astype(float)
    model = PartnerModel(seed=1).fit([(x[:1500], y[:1500]), (x[500:], y[500:])])
    probe = rng.random((500, len(FEATURES))) * 6
    probe[rng.random(probe.shape) < 0.05] = np.nan  # missing values take the side the trees learned
    log_odds = np.mean([np.log(p / (1 - p)) for p in (clf.predict_proba(probe)[:, 1] for clf in model.clfs)], axis=0)
    np.testing.assert_allclose(model.score(probe), 1 / (1 + np.exp(-log_odds)), rtol=1e-9)
    first = model.clfs[0].predict_proba(probe)[:, 1]
    order, prob = model.rank(probe, refine=len(probe))  # nothing to cut: all bags on every row
    np.testing.assert_array_equal(order, np.argsort(-model.score(probe), kind="stable"))
    order, prob = model.rank(probe, refine=40)  # the cascade
    head = order[:40]
    assert set(head.tolist()) == set(np.argsort(-first, kind="stable")[:40].tolist())
    np.testing.assert_allclose(prob[head], model.score(probe)[head], rtol=1e-9)
    assert (np.diff(prob[head]) <= 0).all()
    np.testing.assert_allclose(prob[order[40:]], first[order[40:]], rtol=1e-9)
    assert (np.diff(first[order[40:]]) <= 0).all()


def test_a_crowd_of_partners_coauthors_is_cut_to_the_most_tied(loaded, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph_service.recommend import partners as module

    _, p = loaded
    h = History(p, 2026)
    firm = max((i for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE),
               key=lambda i: len(h.partners_coauthors(i).indices))
    via = h.partners_coauthors(firm)
    assert len(via.indices) > 6, "the tiny market has an enterprise whose partners have co-authors"
    monkeypatch.setattr(module, "MAX_COAUTHORS", 3)
    kept = set(candidates(h, Query(firm, np.empty(0, dtype=np.int64))).tolist())
    strongest = via.indices[np.argsort(-via.values, kind="stable")[:3]]
    assert set(strongest.tolist()) & set(np.flatnonzero(h.is_researcher).tolist()) <= kept
    other_routes = set(h.partners[firm].indices.tolist()) | set(h.peer(firm).indices.tolist())
    beyond = set(via.indices.tolist()) & kept - set(strongest.tolist())
    assert beyond <= other_routes  # the rest of the crowd stays out unless another route brings them


@pytest.mark.parametrize("extra, ok", [((), True), (("fb_far", "fb_declined"), True), (("fb_unknown",), False)])
def test_a_saved_model_loads_only_with_the_columns_this_version_computes(tmp_path, extra: tuple, ok: bool) -> None:
    rng = np.random.default_rng(0)
    names = [*FEATURES, *extra]
    x, y = rng.random((200, len(names))), (rng.random(200) > 0.5).astype(float)
    model = PartnerModel(0).fit([(x, y)])
    model.meta["features"] = names
    model.save(tmp_path / "m.pkl")
    if ok:
        assert np.array_equal(PartnerModel.load(tmp_path / "m.pkl").score(x), model.score(x))
    else:
        with pytest.raises(ValueError, match="fb_unknown"):
            PartnerModel.load(tmp_path / "m.pkl")
