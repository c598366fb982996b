"""Partner suggestions for a need or an enterprise: ranked, filtered, explained by paths that exist in
the graph; the same model read from the researcher's side (needs) and for teams; saved and loaded."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.errors import InvalidInput
from graph_service.projection import Projection, build_projection
from graph_service.recommend.needs import needs_for
from graph_service.recommend.partner_service import Filters, PartnerRecommender, PartnerSuggestion
from graph_service.recommend.saved import fingerprint, write_identity
from graph_service.recommend.teams import teams_for
from graph_service.schema import UNDIRECTED, Label, RelType
from graph_service.service import GraphService
from graph_service.stores.sqlite_store import SqliteStore
from graph_service.text.index import build_text_index
from loaders.importer import load_directory
from tests.conftest import as_staff


@pytest.fixture(scope="module")
def rec(tiny_store: SqliteStore) -> PartnerRecommender:
    p = build_projection(tiny_store)
    return PartnerRecommender.train(p, tiny_store, build_text_index(tiny_store))


def _busy_firm_with_a_need(rec: PartnerRecommender) -> tuple[int, str]:
    p = rec.projection
    firm = next(i for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE
                and rec.history.partners[i].nnz > 1 and len(p.out[RelType.POSTED][i].indices))
    return firm, p.ids[p.out[RelType.POSTED][firm].indices[0]]


def _assert_paths_exist(p: Projection, s: PartnerSuggestion) -> None:
    """Every relationship of every path is in the graph, and joins consecutive nodes of the path."""
    for path in s.paths:
        assert path.nodes[-1] == s.id and len(path.rels) == len(path.nodes) - 1
        for (t, src, dst), a, b in zip(path.rels, path.nodes, path.nodes[1:]):
            assert {src, dst} == {a, b}
            rel = RelType(t)
            stored = p.out[rel][p.idx(src), p.idx(dst)] or (rel in UNDIRECTED and p.out[rel][p.idx(dst), p.idx(src)])
            assert stored, f"{path.kind}: no {t} from {src} to {dst}"


def test_suggestions_for_a_need_are_ranked_and_explained(rec: PartnerRecommender) -> None:
    p = rec.projection
    firm, need = _busy_firm_with_a_need(rec)
    found = rec.recommend(need_id=need, top_k=10)
    scores = [s.score for s in found.suggestions]
    assert found.suggestions and scores == sorted(scores, reverse=True)
    assert p.ids[found.query.enterprise] == p.ids[firm] and found.query.need == p.idx(need)
    wanted = {p.ids[f] for f in p.out[RelType.ABOUT][p.idx(need)].indices.tolist()}
    kinds = set()
    for s in found.suggestions:
        assert p.label_of(p.idx(s.id)) == Label.RESEARCHER
        _assert_paths_exist(p, s)
        kinds |= {path.kind for path in s.paths}
        expert = {p.ids[f] for f in p.out[RelType.EXPERT_IN][p.idx(s.id)].indices.tolist()}
        assert {path.nodes[1] for path in s.paths if path.kind == "shared_field"} == expert & wanted
        assert s.evidence == len({path.kind for path in s.paths}) + bool(s.matched_words)
    assert {"past_deal", "shared_field"} <= kinds
    for inst in found.institutions:  # each institution lists suggested researchers affiliated with it
        for r in inst.researchers:
            assert p.out[RelType.AFFILIATED_WITH][p.idx(r), p.idx(inst.id)]
    with pytest.raises(InvalidInput, match="not an Enterprise"):
        rec.recommend(enterprise_id="R0000001")
    with pytest.raises(InvalidInput, match="give an enterprise or a need"):
        rec.recommend()


def test_filters(rec: PartnerRecommender, tiny_store: SqliteStore) -> None:
    p, h = rec.projection, rec.history
    firm, _ = _busy_firm_with_a_need(rec)
    firm_id = p.ids[firm]
    plain = rec.recommend(enterprise_id=firm_id, top_k=20).suggestions
    assert any(path.kind == "past_deal" for s in plain for path in s.paths)
    fresh = rec.recommend(enterprise_id=firm_id, top_k=20, filters=Filters(exclude_partners=True)).suggestions
    assert fresh and not any(path.kind == "past_deal" for s in fresh for path in s.paths)
    strong = rec.recommend(enterprise_id=firm_id, top_k=20, filters=Filters(min_evidence=3)).suggestions
    assert all(s.evidence >= 3 for s in strong)

    chengdu = next(i for i in range(p.base_nodes) if p.label_of(i) == Label.REGION and p.attrs["level"][i] == 2)
    inside = rec.recommend(enterprise_id=firm_id, top_k=50, filters=Filters(region=p.ids[chengdu])).suggestions
    for s in inside:  # walk up from the researcher's region in the store, not through the filter's code
        at = p.out[RelType.LOCATED_IN][p.idx(s.id)].indices[0]
        chain = {at}
        while len(p.out[RelType.PART_OF][at].indices):
            at = p.out[RelType.PART_OF][at].indices[0]
            chain.add(at)
        assert chengdu in chain

    circle = next(i for i in range(p.base_nodes) if p.label_of(i) == Label.CIRCLE)
    members = set(p.inc[RelType.MEMBER_OF][circle].indices.tolist())
    in_circle = rec.recommend(enterprise_id=firm_id, top_k=50, filters=Filters(circle=p.ids[circle])).suggestions
    assert all(h.city[p.idx(s.id)] in members for s in in_circle)

    kind = "university"
    unis = rec.recommend(enterprise_id=firm_id, top_k=20, filters=Filters(institution_kind=kind)).suggestions
    assert unis
    nodes = tiny_store.get_nodes([p.ids[p.out[RelType.AFFILIATED_WITH][p.idx(s.id)].indices[0]] for s in unis])
    assert {n.props["kind"] for n in nodes.values()} == {kind}
    with pytest.raises(InvalidInput, match="未知的机构类型"):
        rec.recommend(enterprise_id=firm_id, filters=Filters(institution_kind="castle"))
    with pytest.raises(InvalidInput, match="是企业的编号，不是地区"):
        rec.recommend(enterprise_id=firm_id, filters=Filters(region=firm_id))


def test_needs_that_fit_a_researcher(rec: PartnerRecommender) -> None:
    p = rec.projection
    busy = max((i for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER),
               key=lambda i: len(p.out[RelType.EXPERT_IN][i].indices))
    found = needs_for(rec, p.ids[busy], top_k=10)
    assert found and [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    status = p.vocab["status"]
    mine = set(p.out[RelType.EXPERT_IN][busy].indices.tolist())
    for s in found:
        n = p.idx(s.id)
        assert status[p.attrs["status"][n]] in ("open", "matching")
        assert mine & set(p.out[RelType.ABOUT][n].indices.tolist()) or s.matched_words
        assert p.out[RelType.POSTED][p.idx(s.enterprise), n]
    challenges = needs_for(rec, p.ids[busy], top_k=10, challenges_only=True)
    assert all(s.kind == "challenge" for s in challenges)
    with pytest.raises(InvalidInput, match="not a Researcher"):
        needs_for(rec, "E000002")


def test_teams_cover_the_challenge_and_are_optimal(rec: PartnerRecommender) -> None:
    import graph_service.recommend.teams as t

    p = rec.projection
    challenge = p.vocab["kind"].index("challenge")
    need = next(i for i in range(p.base_nodes) if p.label_of(i) == Label.NEED and p.attrs["kind"][i] == challenge
                and len(p.out[RelType.ABOUT][i].indices) >= 2)
    answer = teams_for(rec, p.ids[need], count=3, per_field=5)
    fields = set(answer.fields)
    assert len(answer.teams) == 3
    assert len({frozenset(m.id for m in team.members) for team in answer.teams}) == 3  # all different
    for team in answer.teams:
        assert 2 <= len(team.members) <= 4 and set(team.covered) | set(team.uncovered) == fields
        for m in team.members:
            assert set(m.fields) == fields & {p.ids[f] for f in p.out[RelType.EXPERT_IN][p.idx(m.id)].indices}
        assert set(team.covered) == set().union(*(m.fields for m in team.members))
    # brute force over the same pool: no team of 2-4 scores better than the solver's first
    cands, scores = rec.scored(rec.query_for(None, p.ids[need]))
    score = dict(zip(cands.tolist(), scores.tolist()))
    pool = list(dict.fromkeys(c for f in p.out[RelType.ABOUT][need].indices.tolist()
                              for c in [c for c in cands.tolist() if rec.history.expertise[c, f]][:5]))
    ties = t._ties(rec, pool)

    def value(team: tuple[int, ...]) -> float:
        covered = {f for i in team for f in fields if rec.history.expertise[i, p.idx(f)]}
        bonus = sum(t.WORKED_TOGETHER if k == "worked_together" else t.SHARED_PARTNER
                    for (a, b), k in ties.items() if a in team and b in team)
        return (t.COVER * len(covered) + sum(int(t.SCALE * score[i]) for i in team) + bonus
                - t.MEMBER_COST * len(team)) / t.SCALE

    best = max(value(team) for k in (2, 3, 4) for team in combinations(pool, k))
    assert answer.teams[0].optimal and answer.teams[0].objective == pytest.approx(best)


def test_saved_models_load_and_score_the_same(rec: PartnerRecommender, tiny_store: SqliteStore,
                                              tmp_path: Path) -> None:
    rec.save(tmp_path)
    again = PartnerRecommender.load(tmp_path, rec.projection, tiny_store)
    assert again.model.meta == rec.model.meta and again.model.meta["features"]
    _, need = _busy_firm_with_a_need(rec)
    a, b = rec.recommend(need_id=need, top_k=10), again.recommend(need_id=need, top_k=10)
    assert [(s.id, s.score, s.matched_words) for s in a.suggestions] == \
        [(s.id, s.score, s.matched_words) for s in b.suggestions]
    (tmp_path / "partners.pkl").write_bytes((tmp_path / "partners.pkl").read_bytes()[:-10])
    with pytest.raises(Exception):  # noqa: B017 (a truncated pickle may fail in several ways)
        PartnerRecommender.load(tmp_path, rec.projection, tiny_store)


def test_partners_needs_teams_and_fairness_through_the_api(rec: PartnerRecommender, tiny_store: SqliteStore,
                                                             tmp_path: Path) -> None:
    rec.save(tmp_path)
    write_identity(tmp_path, tiny_store, tiny_store.change_head(), fingerprint(rec.projection))
    service = GraphService.open(tiny_store, tmp_path)
    assert service._partners is not None  # loaded at start, not trained
    firm, need = _busy_firm_with_a_need(rec)
    p = rec.projection
    with TestClient(create_app(service=service)) as client:
        as_staff(client)
        body = client.get("/api/v1/recommendations/partners", params={"need": need, "top_k": 5}).json()
        assert body["need"]["id"] == need and body["enterprise"]["id"] == p.ids[firm] and len(body["partners"]) <= 5
        first = body["partners"][0]
        assert first["researcher"]["label"] == "Researcher" and 0 <= first["score"] <= 1
        path = first["paths"][0]
        assert path["nodes"][-1]["id"] == first["researcher"]["id"] and path["nodes"][0]["label"]
        assert len(path["relationships"]) == len(path["nodes"]) - 1 and body["exposure"] is None
        assert client.get("/api/v1/recommendations/partners").status_code == 422
        assert client.get("/api/v1/recommendations/partners", params={"need": "nope"}).status_code == 404
        bad = client.get("/api/v1/recommendations/partners", params={"enterprise": p.ids[firm], "circle": "nope"})
        assert bad.status_code == 422 and "circle" in bad.text

        researcher = first["researcher"]["id"]
        assert isinstance(client.get(f"/api/v1/recommendations/needs/{researcher}").json(), list)
        challenge = p.vocab["kind"].index("challenge")
        ch = next(p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.NEED
                  and p.attrs["kind"][i] == challenge and len(p.out[RelType.ABOUT][i].indices) >= 2)
        teams = client.get(f"/api/v1/recommendations/teams/{ch}", params={"count": 2}).json()
        assert len(teams["teams"]) == 2 and all(2 <= len(t["members"]) <= 4 for t in teams["teams"])

        firms = [p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE][:40]

        def spread(strength: float) -> dict:
            assert client.put("/api/v1/recommendations/fairness", json={"strength": strength}).status_code == 200
            for f in firms:
                client.get("/api/v1/recommendations/partners", params={"enterprise": f, "top_k": 5})
            return client.get("/api/v1/recommendations/fairness").json()

        plain, fair = spread(1e-9), spread(2.0)  # a tiny strength only measures
        assert plain["requests"] == fair["requests"] == len(firms)
        assert fair["coverage"] > plain["coverage"] and fair["gini"] < plain["gini"]
        last = client.get("/api/v1/recommendations/partners", params={"enterprise": firms[0]}).json()
        assert last["exposure"]["requests"] == len(firms) + 1
        assert client.put("/api/v1/recommendations/fairness", json={"strength": -1}).status_code == 422


def test_a_new_need_with_no_links_is_matched_by_its_text(rec: PartnerRecommender, tiny_dir: Path,
                                                         tmp_path: Path) -> None:
    rec.save(tmp_path / "models")
    store = SqliteStore(tmp_path / "store.sqlite")  # a store of its own: this test writes
    store.ensure_schema()
    load_directory(store, tiny_dir, progress=False)
    firm, _ = _busy_firm_with_a_need(rec)
    p = rec.projection
    keywords = next(n.props["keywords"] for n in store.get_nodes(
        [p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER][:50]).values()
        if n.props.get("keywords"))
    text = f"寻求{'、'.join(keywords if isinstance(keywords, list) else str(keywords).split('|'))}方面的合作"
    with TestClient(create_app(service=GraphService.open(store, tmp_path / "models"))) as client:
        as_staff(client)
        created = client.post("/api/v1/entities/needs", json={"id": "N_NEW", "name": "新需求", "kind": "need",
                                                               "text": text, "poster": p.ids[firm]})
        assert created.status_code in (200, 201), created.text
        body = client.get("/api/v1/recommendations/partners", params={"need": "N_NEW", "top_k": 20}).json()
    assert body["fields"] == [] and body["partners"]
    assert any(s["matched_words"] for s in body["partners"])
