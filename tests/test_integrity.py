"""The probe's meaningless writes, each refused with a clear answer, on both stores (one test per finding)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from tests.conftest import as_staff

NEED = {"name": "工业机器人视觉检测", "kind": "need", "text": "需要视觉检测算法"}


@pytest.fixture
def client(tiny_backend: GraphStore, tiny_models: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service=GraphService.open(tiny_backend, tiny_models))) as c:
        yield as_staff(c)


def _field(r) -> list:
    return [e["loc"][-1] for e in r.json()["detail"]]


def test_a_need_is_created_with_its_poster_and_a_server_id(client: TestClient) -> None:
    r = client.post("/api/v1/entities/needs", json=NEED)
    assert r.status_code == 422 and _field(r) == ["poster"]
    r = client.post("/api/v1/entities/needs", json={**NEED, "poster": "E000001", "fields": ["F01"]})
    assert r.status_code == 201, r.text
    need = r.json()["id"]
    assert need.startswith("need-")
    rels = {(x["type"], x["src"], x["dst"]) for x in client.get(f"/api/v1/entities/{need}/relationships").json()}
    assert rels == {("POSTED", "E000001", need), ("ABOUT", need, "F01")}
    r = client.post("/api/v1/entities/needs", json={**NEED, "poster": "F01"})  # a field cannot post
    assert r.status_code == 422
    r = client.post("/api/v1/entities/needs", json={**NEED, "poster": "R0000001"})  # needs are enterprises'
    assert r.status_code == 422 and _field(r) == ["poster"]
    r = client.post("/api/v1/entities/needs", json={**NEED, "poster": "ghost"})
    assert r.status_code == 404
    assert client.put("/api/v1/entities/needs/N-new", json={**NEED, "id": "N-new"}).status_code == 404
    assert client.get("/api/v1/entities/N-new").status_code == 404


@pytest.mark.parametrize("raw", ["1e309", "Infinity", "-Infinity", "NaN"])
def test_non_finite_numbers_are_refused_naming_the_field(client: TestClient, raw: str) -> None:
    body = '{"name": "x", "kind": "need", "text": "t", "poster": "E000001", "budget": ' + raw + "}"
    r = client.post("/api/v1/entities/needs", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and _field(r) == ["budget"], r.text
    assert not client.get("/api/v1/entities", params={"q": "x", "label": "Need"}).json()


@pytest.mark.parametrize("name", ["坏\x00名字", "坏\x1b[31m名字", "换\n行"])
def test_control_characters_are_refused_naming_the_field(client: TestClient, name: str) -> None:
    r = client.post("/api/v1/entities/researchers", json={"id": "R-ctl", "name": name})
    assert r.status_code == 422 and _field(r) == ["name"] and "U+00" in r.text


def test_a_deal_has_at_least_two_distinct_parties(client: TestClient) -> None:
    deal = {"name": "技术开发合同", "kind": "development", "date": "2025-05-01", "amount": 50}
    one = [{"id": "E000001", "role": "client"}]
    assert _field(client.post("/api/v1/entities/deals", json={**deal, "parties": []})) == ["parties"]
    assert _field(client.post("/api/v1/entities/deals", json={**deal, "parties": one})) == ["parties"]
    assert _field(client.post("/api/v1/entities/deals", json={**deal, "parties": one + one})) == ["parties"]
    r = client.post("/api/v1/entities/deals", json={**deal, "parties": one + [{"id": "R0000001", "role": "provider"}]})
    assert r.status_code == 201, r.text
    d = r.json()["id"]
    r = client.delete("/api/v1/relationships/PARTY_TO", params={"src": "R0000001", "dst": d})
    assert r.status_code == 409 and "至少要有 2 个当事方" in r.json()["detail"]


def test_signed_needs_have_a_deal(client: TestClient) -> None:
    r = client.post("/api/v1/entities/needs", json={**NEED, "poster": "E000001", "status": "signed"})
    assert r.status_code == 422 and _field(r) == ["status"]
    need = client.post("/api/v1/entities/needs", json={**NEED, "poster": "E000001"}).json()
    r = client.put(f"/api/v1/entities/needs/{need['id']}", json={**NEED, "id": need["id"], "status": "signed"})
    assert r.status_code == 422 and _field(r) == ["status"]
    deal = {"name": "合同", "kind": "development", "date": "2025-05-01", "fulfils": [need["id"]],
            "parties": [{"id": "E000001", "role": "client"}, {"id": "R0000001", "role": "provider"}]}
    assert client.post("/api/v1/entities/deals", json=deal).status_code == 201
    r = client.put(f"/api/v1/entities/needs/{need['id']}", json={**NEED, "id": need["id"], "status": "signed"})
    assert r.status_code == 200 and r.json()["properties"]["status"] == "signed"
    # the deal cannot go while the need it made signed still says so
    deal_id = client.get(f"/api/v1/entities/{need['id']}/relationships", params={"types": "FULFILS"}).json()[0]["src"]
    assert client.delete(f"/api/v1/entities/{deal_id}").status_code == 409
    r = client.delete("/api/v1/relationships/FULFILS", params={"src": deal_id, "dst": need["id"]})
    assert r.status_code == 409 and "signed" in r.json()["detail"]


def test_hierarchies_stay_acyclic(client: TestClient) -> None:
    r = client.put("/api/v1/relationships/PART_OF", json={"src": "RG0002", "dst": "RG0002"})
    assert r.status_code == 422 and _field(r) == ["dst"]
    parent = client.get("/api/v1/entities/RG0002/relationships", params={"types": "PART_OF", "direction": "out"}
                        ).json()[0]["dst"]
    r = client.put("/api/v1/relationships/PART_OF", json={"src": parent, "dst": "RG0002"})
    assert r.status_code == 409 and "环" in r.json()["detail"]
    sub = client.get("/api/v1/entities/F0101/relationships", params={"types": "SUBFIELD_OF", "direction": "out"}
                     ).json()
    if sub:
        r = client.put("/api/v1/relationships/SUBFIELD_OF", json={"src": sub[0]["dst"], "dst": "F0101"})
        assert r.status_code == 409


def test_deleting_an_entity_named_by_deals_is_refused(client: TestClient) -> None:
    deal = {"name": "合同", "kind": "licensing", "date": "2024-02-01",
            "parties": [{"id": "E000001", "role": "client"}, {"id": "R0000001", "role": "provider"}]}
    d = client.post("/api/v1/entities/deals", json=deal).json()["id"]
    r = client.delete("/api/v1/entities/E000001")
    assert r.status_code == 409 and "成交" in r.json()["detail"]
    assert client.get("/api/v1/entities/E000001").status_code == 200
    kept = client.get(f"/api/v1/entities/{d}/relationships", params={"types": "PARTY_TO"}).json()
    assert {x["src"] for x in kept} == {"E000001", "R0000001"}
    assert client.delete(f"/api/v1/entities/{d}").status_code == 204  # the deal itself may go, explicitly
    assert client.delete("/api/v1/entities/E000001").status_code in (204, 409)  # other deals may still name it


def test_a_need_keeps_its_poster(client: TestClient) -> None:
    client.post("/api/v1/entities/enterprises", json={"id": "E-new", "name": "新企业", "tier": "专精特新",
                                                       "industry": "电子信息", "size": "small"})
    need = client.post("/api/v1/entities/needs", json={**NEED, "poster": "E-new"}).json()["id"]
    r = client.delete("/api/v1/relationships/POSTED", params={"src": "E-new", "dst": need})
    assert r.status_code == 409 and "发布者" in r.json()["detail"]
    r = client.delete("/api/v1/entities/E-new")  # nor is its poster deleted from under it
    assert r.status_code == 409 and need in r.json()["detail"]
    assert client.delete(f"/api/v1/entities/{need}").status_code == 204
    assert client.delete("/api/v1/entities/E-new").status_code == 204
