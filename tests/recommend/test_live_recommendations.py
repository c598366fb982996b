"""What a new user meets, through the API on each store: everything written is recommended at once, and
nothing deleted lingers. (Issue 13's cases; no projection rebuild anywhere.)"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.recommend.saved import IDENTITY_FILE
from tests.conftest import Backend, as_staff

PARTNERS = "/api/v1/recommendations/partners"
HYDROGEN = "储氢材料、燃料电池、加氢站"


@pytest.fixture
def client(backend: Backend, tiny_backend, tiny_models: Path) -> Iterator[TestClient]:
    settings = backend.settings.model_copy(update={"model_dir": tiny_models})
    with TestClient(create_app(settings)) as c:
        yield as_staff(c)


def _ok(r, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json()


def test_a_deleted_and_recreated_researcher_has_no_ghost_relationships(client: TestClient) -> None:
    before = _ok(client.get("/api/v1/graph/neighbourhood/R0000001"))["relationships"]
    assert before
    assert client.delete("/api/v1/entities/R0000001").status_code in (204, 409)
    if client.get("/api/v1/entities/R0000001").status_code == 200:
        pytest.skip("the tiny market's R0000001 is party to a deal")  # integrity keeps it: not this test's case
    _ok(client.put("/api/v1/entities/researchers/R0000001", json={"id": "R0000001", "name": "同编号新人"}))
    assert _ok(client.get("/api/v1/graph/neighbourhood/R0000001"))["relationships"] == []
    assert _ok(client.get("/api/v1/entities/R0000001/relationships")) == []
    firm = before[0]["dst"] if before[0]["src"] == "R0000001" else before[0]["src"]
    assert _ok(client.get("/api/v1/graph/paths", params={"a": "R0000001", "b": firm}))["connected"] is False


def test_a_new_enterprise_and_its_new_need_are_matched_at_once_by_fields_and_words(client: TestClient) -> None:
    firm = {"id": "E9000009", "name": "蜀氢新能源科技有限公司", "tier": "专精特新", "industry": "新能源",
            "size": "small"}
    _ok(client.post("/api/v1/entities/enterprises", json=firm), 201)
    _ok(client.put("/api/v1/relationships/ACTIVE_IN", json={"src": "E9000009", "dst": "F0203", "weight": 1.0}))
    for_firm = _ok(client.get(PARTNERS, params={"enterprise": "E9000009", "top_k": 10}))
    assert len(for_firm["partners"]) == 10 and [f["id"] for f in for_firm["fields"]] == ["F0203"]
    # an expert who joins after start-up, whose expertise is the need's words
    _ok(client.put("/api/v1/entities/researchers/R9000007", json={"id": "R9000007", "name": "氢能专家",
                                                                   "expertise": HYDROGEN + " 氢能"}))
    need = _ok(client.post("/api/v1/entities/needs", json={"name": "车载储氢需求", "kind": "need", "text": HYDROGEN,
                                                          "poster": "E9000009", "fields": ["F0203"]}), 201)["id"]
    found = _ok(client.get(PARTNERS, params={"need": need, "top_k": 100}))
    assert [f["id"] for f in found["fields"]] == ["F0203"]
    scores = [p["score"] for p in found["partners"]]
    assert max(scores) > 3 * min(scores)  # ranked by the model, not flat
    words = {p["researcher"]["id"]: p["matched_words"] for p in found["partners"]}
    assert set(words["R9000007"]) == {"储氢材料", "燃料电池", "加氢站"}  # found by its text alone
    same = _ok(client.get(PARTNERS, params={"enterprise": "E9000009", "text": HYDROGEN, "top_k": 100}))
    assert {p["researcher"]["id"] for p in same["partners"] if p["matched_words"]} <= set(words)
    # and the new researcher sees the new need among those that fit them
    fits = _ok(client.get("/api/v1/recommendations/needs/R9000007"))
    assert need in [n["need"]["id"] for n in fits]


def test_a_deal_posted_now_is_a_past_deal_in_the_next_answer(client: TestClient) -> None:
    firm, expert = "E000002", "R0000002"
    before = _ok(client.get(PARTNERS, params={"enterprise": firm, "top_k": 100}))
    assert not any(x["kind"] == "past_deal" for p in before["partners"] if p["researcher"]["id"] == expert
                   for x in p["paths"])
    deal = _ok(client.post("/api/v1/entities/deals", json={
        "id": "D9000001", "name": "新签合同", "kind": "development", "date": "2026-06-01",
        "parties": [{"id": firm, "role": "client"}, {"id": expert, "role": "provider"}]}), 201)["id"]
    after = _ok(client.get(PARTNERS, params={"enterprise": firm, "top_k": 100}))
    paths = [x for p in after["partners"] if p["researcher"]["id"] == expert for x in p["paths"]]
    assert any(x["kind"] == "past_deal" and deal in [n["id"] for n in x["nodes"]] for x in paths)


def test_models_of_another_store_never_stop_a_start(backend: Backend, tiny_backend, tiny_models: Path,
                                                     tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Saved models that name another store and another graph: the service says so, starts, and serves with
    models it trains for this store (kept for its next start)."""
    other = tmp_path / "models"
    shutil.copytree(tiny_models, other)
    (other / IDENTITY_FILE).write_text('{"store_id": "elsewhere", "graph": "another"}')
    settings = backend.settings.model_copy(update={"model_dir": other})
    with caplog.at_level(logging.WARNING), TestClient(create_app(settings)) as c:
        as_staff(c)
        assert "were trained on store elsewhere, not on this store" in caplog.text
        assert len(_ok(c.get(PARTNERS, params={"enterprise": "E000002", "top_k": 5}))["partners"]) == 5
    kept = list((other / "stores").glob("*/partners.pkl"))
    assert len(kept) == 1
    kept[0].write_bytes(b"not a model")  # damaged files: still a start, still answers
    with TestClient(create_app(settings)) as c:
        as_staff(c)
        assert len(_ok(c.get(PARTNERS, params={"enterprise": "E000002", "top_k": 5}))["partners"]) == 5
