"""Partner suggestions for a need or an enterprise: ranked, explained by facts of the graph."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.errors import InvalidInput
from graph_service.projection import build_projection
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.sqlite_store import SqliteStore


def test_suggestions_for_a_need_are_ranked_and_explained(tiny_store: SqliteStore) -> None:
    p = build_projection(tiny_store)
    rec = PartnerRecommender(p, tiny_store).fit()
    firm = next(i for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE
                and rec.history.partners[i].nnz > 1 and len(p.out[RelType.POSTED][i].indices))
    need = p.ids[p.out[RelType.POSTED][firm].indices[0]]
    found = rec.recommend(need_id=need, top_k=10)
    assert found and [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    wanted = {p.ids[f] for f in p.out[RelType.ABOUT][p.idx(need)].indices.tolist()}
    for s in found:
        assert p.label_of(p.idx(s.id)) == Label.RESEARCHER
        expert = {p.ids[f] for f in p.out[RelType.EXPERT_IN][p.idx(s.id)].indices.tolist()}
        assert set(s.shared_fields) == expert & wanted
        for deal in s.past_deals:  # a past deal names both of them as parties
            parties = {p.ids[x] for x in p.inc[RelType.PARTY_TO][p.idx(deal)].indices.tolist()}
            assert {s.id, p.ids[firm]} <= parties
    fresh = rec.recommend(enterprise_id=p.ids[firm], top_k=10, exclude_known=True)
    assert all(not s.past_deals for s in fresh)
    with pytest.raises(InvalidInput, match="not an Enterprise"):
        rec.recommend(enterprise_id="R0000001")
    with pytest.raises(InvalidInput, match="give an enterprise or a need"):
        rec.recommend()


def test_partners_through_the_api(tiny_store: SqliteStore) -> None:
    with TestClient(create_app(service=GraphService.open(tiny_store))) as client:
        body = client.get("/api/v1/recommendations/partners", params={"enterprise": "E000002", "top_k": 5}).json()
        assert isinstance(body, list) and len(body) <= 5
        assert all(s["researcher"]["label"] == "Researcher" and 0 <= s["score"] <= 1 for s in body)
        assert client.get("/api/v1/recommendations/partners").status_code == 422
        assert client.get("/api/v1/recommendations/partners", params={"need": "nope"}).status_code == 404
