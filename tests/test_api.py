"""The HTTP API on each real store (embedded, Neo4j) loaded with the tiny market."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from tests.conftest import Backend, as_staff


@pytest.fixture
def client(tiny_backend: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(service=GraphService.open(tiny_backend))) as c:
        yield as_staff(c)


def test_health_reports_store_kind_and_reachability(client: TestClient, backend: Backend) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["store"] == backend.kind and body["reachable"] is True
    assert body["projection_nodes"] > 1000


def test_app_opens_its_store_from_settings_at_start_up(backend: Backend) -> None:
    with TestClient(create_app(backend.settings)) as c:
        assert c.get("/api/v1/stats").json()["total_nodes"] == 0
        assert c.get("/health").json()["store"] == backend.kind
    if backend.kind == "sqlite":
        assert backend.settings.sqlite_path.exists()


def test_stats_counts_by_kind(client: TestClient) -> None:
    body = client.get("/api/v1/stats").json()
    assert body["nodes"]["Researcher"] == 500
    assert body["total_relationships"] == sum(body["relationships"].values())


def test_read_and_search(client: TestClient) -> None:
    body = client.get("/api/v1/entities/I000001").json()
    assert body == {"id": "I000001", "label": "Institution", "name": "四川大学", "properties": {"kind": "university"}}
    found = client.get("/api/v1/entities", params={"q": "大学", "label": "Institution", "limit": 3}).json()
    assert len(found) == 3 and all("大学" in e["name"] and e["label"] == "Institution" for e in found)
    assert client.get("/api/v1/entities/nope").status_code == 404
    assert client.get("/api/v1/entities", params={"q": "x", "label": "Planet"}).status_code == 422


def test_create_validates_with_field_paths(client: TestClient) -> None:
    body = {"id": "E9", "name": "成都新芯科技有限公司", "tier": "大企业", "industry": "电子信息", "size": "small"}
    r = client.post("/api/v1/entities/enterprises", json=body)
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "tier"]]
    r = client.post("/api/v1/entities/enterprises", json=body | {"tier": "专精特新"})
    assert r.status_code == 201 and r.json()["properties"]["tier"] == "专精特新"
    assert client.post("/api/v1/entities/enterprises", json=r.json()["properties"] | {"id": "E9", "name": "x"}
                       ).status_code == 409
    assert client.post("/api/v1/entities/researchers", json={"id": "E9", "name": "x"}).status_code == 409


def test_replace_and_delete(client: TestClient) -> None:
    r = client.put("/api/v1/entities/researchers/R0000001", json={"id": "R0000001", "name": "新名字", "title": "教授"})
    assert r.status_code == 200
    assert client.get("/api/v1/entities/R0000001").json()["name"] == "新名字"
    coauthor = client.get("/api/v1/graph/neighbourhood/R0000001", params={"types": "CO_AUTHOR"}).json()["nodes"][0]
    path = client.get("/api/v1/graph/paths", params={"a": coauthor["id"], "b": "R0000001"}).json()
    assert [n["name"] for n in path["shortest"]] == [coauthor["name"], "新名字"]  # responses name it anew
    r = client.put("/api/v1/entities/researchers/R0000001", json={"id": "R0000002", "name": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "id"]
    assert client.post("/api/v1/entities/researchers", json={"id": "R7", "name": "将删除"}).status_code == 201
    assert client.put("/api/v1/relationships/CO_AUTHOR", json={"src": "R7", "dst": "R0000001"}).status_code == 200
    assert client.delete("/api/v1/entities/R7").status_code == 204
    assert client.get("/api/v1/entities/R7").status_code == 404
    assert client.get("/api/v1/graph/neighbourhood/R7").status_code == 404
    assert client.delete("/api/v1/entities/R7").status_code == 404


def test_relationship_writes_show_in_the_neighbourhood(client: TestClient) -> None:
    client.post("/api/v1/entities/researchers", json={"id": "R9", "name": "新人"})
    r = client.put("/api/v1/relationships/CO_AUTHOR", json={"src": "R9", "dst": "R0000002", "weight": 2})
    assert r.status_code == 200 and r.json() == {"type": "CO_AUTHOR", "src": "R0000002", "dst": "R9", "weight": 2.0}
    nb = client.get("/api/v1/graph/neighbourhood/R9").json()
    assert [n["id"] for n in nb["nodes"]] == ["R0000002"]
    two = client.get("/api/v1/graph/neighbourhood/R9", params={"hops": 2, "types": "CO_AUTHOR"}).json()
    assert len(two["nodes"]) > 1 and all(rel["type"] == "CO_AUTHOR" for rel in two["relationships"])
    bad = client.put("/api/v1/relationships/AFFILIATED_WITH", json={"src": "R9", "dst": "R0000002"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "dst"]
    assert client.put("/api/v1/relationships/CO_AUTHOR", json={"src": "R9", "dst": "ghost"}).status_code == 404
    assert client.delete("/api/v1/relationships/CO_AUTHOR", params={"src": "R9", "dst": "R0000002"}).status_code == 204
    assert client.get("/api/v1/graph/neighbourhood/R9").json()["nodes"] == []


def test_neighbourhood_filters_and_limits(client: TestClient) -> None:
    params = {"hops": 2, "types": "PARTY_TO", "direction": "out", "direction2": "in", "labels": "Researcher"}
    body = client.get("/api/v1/graph/neighbourhood/E000001", params=params).json()
    assert all(n["label"] == "Researcher" for n in body["nodes"])
    small = client.get("/api/v1/graph/neighbourhood/RG0002", params={"limit": 2}).json()
    assert len(small["nodes"]) == 2 and small["truncated"] is True


def test_openapi_documents_every_kind(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/entities/researchers" in paths and "/api/v1/relationships/PARTY_TO" in paths


def test_a_write_by_another_writer_is_seen_at_the_next_request(client: TestClient) -> None:
    """Out of band (as `techmatch load` writes): through the store, not this service, yet seen at once."""
    service = client.app.state.service
    service.store.write(lambda w: w.upsert_nodes(Label.RESEARCHER, [("R8", "旁路导入", {})]))
    assert client.get("/api/v1/graph/neighbourhood/R8").status_code == 200
    service.store.write(lambda w: w.upsert_rels(RelType.CO_AUTHOR, [("R0000001", "R8", {"weight": 2.0})]))
    edges = client.get("/api/v1/graph/neighbourhood/R8").json()["relationships"]
    assert [(e["src"], e["dst"]) for e in edges] == [("R0000001", "R8")]
    body = client.post("/api/v1/graph/projection/rebuild").json()  # still there, as a repair tool
    assert body["nodes"] == client.get("/api/v1/stats").json()["total_nodes"]


def test_relationships_of_an_entity_with_properties(client: TestClient) -> None:
    rels = client.get("/api/v1/entities/R0000001/relationships", params={"types": "AFFILIATED_WITH"}).json()
    assert len(rels) == 1 and rels[0]["src"] == "R0000001" and rels[0]["properties"]["primary"] is True
    everything = client.get("/api/v1/entities/R0000001/relationships").json()
    assert {r["type"] for r in everything} >= {"AFFILIATED_WITH", "EXPERT_IN", "LOCATED_IN"}
    assert client.get("/api/v1/entities/nope/relationships").status_code == 404
