"""Filters by name or id, the catalogue routes that list what they accept, and 422s that name where the
value was (query, path or body): through the API, on each store holding the tiny market."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.schema import INSTITUTION_KINDS, Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from tests.conftest import as_staff

PARTNERS = "/api/v1/recommendations/partners"


@pytest.fixture
def client(tiny_backend: GraphStore, tiny_models: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service=GraphService.open(tiny_backend, tiny_models))) as c:
        yield as_staff(c)


def _enterprise(client: TestClient) -> str:
    """The same enterprise on every store (its candidates are in several cities and institution kinds)."""
    store = client.app.state.service.store
    return min(row[1] for batch in store.scan_nodes(Label.ENTERPRISE, ()) for row in batch)


def _partners(client: TestClient, **params: str) -> dict:
    r = client.get(PARTNERS, params={"enterprise": _enterprise(client), "top_k": 20, **params})
    assert r.status_code == 200, r.text
    return r.json()


def _error(client: TestClient, **params: str) -> dict:
    r = client.get(PARTNERS, params={"enterprise": _enterprise(client), **params})
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    return error


def _flat(branches: list[dict], parent: str | None = None) -> dict[str, tuple[str | None, str, int | None]]:
    out = {}
    for b in branches:
        assert b["id"] not in out
        out[b["id"]] = (parent, b["name"], b["level"])
        out.update(_flat(b["children"], b["id"]))
    return out


def test_filters_take_an_id_a_full_name_or_a_short_name(client: TestClient) -> None:
    everyone = _partners(client)
    circle = [_partners(client, circle=v) for v in ("成渝", "成渝地区双城经济圈", "C01")]
    assert circle[0] == circle[1] == circle[2] and circle[0]["partners"]
    assert _partners(client, circle="G60")["considered"] < circle[0]["considered"]  # a filter, not ignored
    regions = _flat(client.get("/api/v1/catalogue/regions").json())
    chengdu = next(i for i, (_, name, _) in regions.items() if name == "成都市")
    region = [_partners(client, region=v) for v in ("成都市", "成都", chengdu)]
    assert region[0] == region[1] == region[2] and 0 < region[0]["considered"] < everyone["considered"]
    kind = [_partners(client, institution_kind=v) for v in ("大学", "university", "高校")]
    assert kind[0] == kind[1] == kind[2] and kind[0]["partners"]
    assert kind[0] != _partners(client, institution_kind="科研院所")


def test_unknown_or_ambiguous_filter_values_are_refused_where_they_were(client: TestClient) -> None:
    error = _error(client, circle="成都平原")
    assert error["loc"] == ["query", "circle"] and "找不到经济圈" in error["msg"] and "成都都市圈" in error["msg"]
    error = _error(client, region="市中区")  # a district of 乐山市 and one of 内江市
    assert error["loc"] == ["query", "region"] and "可指多个地区" in error["msg"] and "乐山市" in error["msg"]
    error = _error(client, institution_kind="城堡")
    assert error["loc"] == ["query", "institution_kind"] and "未知的机构类型" in error["msg"]
    error = _error(client, region="C01")
    assert error["loc"] == ["query", "region"] and "是经济圈的编号" in error["msg"]


def test_input_errors_name_the_query_path_or_body(client: TestClient) -> None:
    enterprise = _enterprise(client)
    r = client.get(f"/api/v1/recommendations/needs/{enterprise}")  # not a researcher: a path parameter
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "researcher_id"]
    r = client.get(PARTNERS, params={"need": enterprise})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "need"]
    r = client.put("/api/v1/relationships/AFFILIATED_WITH", json={"src": enterprise, "dst": enterprise})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"


def test_list_routes_show_what_the_store_holds(client: TestClient) -> None:
    store = client.app.state.service.store
    circles = client.get("/api/v1/catalogue/circles").json()
    assert circles[0]["name"] == "成渝地区双城经济圈" and "成都市" in [m["name"] for m in circles[0]["members"]]
    for c in circles:
        members = sorted(r.src for r in store.relationships(c["id"], [RelType.MEMBER_OF], "in"))
        assert [m["id"] for m in c["members"]] == members
    for part, label, up in (("regions", Label.REGION, RelType.PART_OF), ("fields", Label.FIELD, RelType.SUBFIELD_OF)):
        flat = _flat(client.get(f"/api/v1/catalogue/{part}").json())
        stored = store.get_nodes([row[1] for batch in store.scan_nodes(label, ()) for row in batch])
        assert set(flat) == set(stored)
        for node_id, node in stored.items():
            parents = [r.dst for r in store.relationships(node_id, [up], "out")]
            assert flat[node_id] == (min(parents) if parents else None, node.props["name"], node.props["level"])
    roots = [b["name"] for b in client.get("/api/v1/catalogue/regions").json()]
    assert "四川省" in roots and "重庆市" in roots
    kinds = client.get("/api/v1/catalogue/institution-kinds").json()
    assert [(k["code"], k["label"]) for k in kinds] == [(c, names[0]) for c, names in INSTITUTION_KINDS.items()]
    assert {"code": "university", "label": "大学", "aliases": ["高校", "高等院校", "学院"]} in kinds


def test_what_is_written_through_the_api_is_listed_and_accepted_at_once(client: TestClient) -> None:
    regions = _flat(client.get("/api/v1/catalogue/regions").json())
    chengdu = next(i for i, (_, name, _) in regions.items() if name == "成都市")
    assert client.post("/api/v1/entities/circles", json={"id": "C90", "name": "测试科创走廊",
                                                         "kind": "corridor"}).status_code == 201
    assert client.put("/api/v1/relationships/MEMBER_OF", json={"src": chengdu, "dst": "C90"}).status_code == 200
    assert client.post("/api/v1/entities/regions", json={"id": "RG9001", "name": "新设区", "level": 3,
                                                         "kind": "district"}).status_code == 201
    assert client.put("/api/v1/relationships/PART_OF", json={"src": "RG9001", "dst": chengdu}).status_code == 200
    circles = {c["id"]: c for c in client.get("/api/v1/catalogue/circles").json()}
    assert circles["C90"]["members"] == [{"id": chengdu, "name": "成都市"}]
    assert _flat(client.get("/api/v1/catalogue/regions").json())["RG9001"] == (chengdu, "新设区", 3)
    _partners(client, circle="测试科创")  # accepted by its short name
    _partners(client, region="新设区")
    assert client.delete("/api/v1/entities/C90").status_code == 204
    assert "C90" not in [c["id"] for c in client.get("/api/v1/catalogue/circles").json()]
    assert _error(client, circle="测试科创走廊")["loc"] == ["query", "circle"]
