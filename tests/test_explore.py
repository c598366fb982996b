"""Paths between entities and communities, against networkx on the same graph."""

from __future__ import annotations

import random
from collections.abc import Iterator

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.errors import InvalidInput
from graph_service.explore import community_of, connect, explain
from graph_service.projection import TYPES, Projection, build_projection
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from graph_service.stores.sqlite_store import SqliteStore
from tests.conftest import as_staff

# people, organisations and their deals: no taxonomy or geography hubs
PEOPLE = (RelType.CO_AUTHOR, RelType.AFFILIATED_WITH, RelType.PARTY_TO, RelType.POSTED, RelType.FULFILS)


def _oracle(tiny_store: SqliteStore, types) -> nx.Graph:
    g = nx.Graph(stored=set())  # and every relationship as stored: (type, src, dst)
    wanted = {str(t) for t in types}
    for t, a, b, w in tiny_store._conn().execute(
            "SELECT r.type, x.id, y.id, r.weight FROM rels r JOIN nodes x ON x.k = r.src JOIN nodes y ON y.k = r.dst"):
        if t in wanted:
            g.add_edge(a, b, weight=w, type=t)
            g.graph["stored"].add((t, a, b))
    return g


@pytest.mark.parametrize("types", [PEOPLE, None], ids=["people", "every type"])
def test_shortest_paths_have_networkx_lengths_and_real_edges(tiny_store: SqliteStore, types) -> None:
    p, g = build_projection(tiny_store), _oracle(tiny_store, types or TYPES)
    rng = random.Random(2)
    people = sorted(n for n in g if n[0] in "REI")
    checked = 0
    for _ in range(80):
        a, b = rng.sample(people, 2)
        c = connect(p, a, b, types, max_hops=6)
        try:
            expected = nx.shortest_path_length(g, a, b)
        except nx.NetworkXNoPath:
            expected = None
        if expected is None or expected > 6:
            assert c.shortest == []
            continue
        checked += 1
        assert len(c.shortest) - 1 == expected
        assert c.shortest[0] == a and c.shortest[-1] == b
        for step in c.shortest_steps + c.strongest_steps:  # real relationships, in their stored direction
            assert (step.type, step.src, step.dst) in g.graph["stored"]
        cost = lambda path: sum(1 / g[x][y]["weight"] for x, y in zip(path, path[1:]))  # noqa: E731
        assert c.strongest[0] == a and c.strongest[-1] == b
        assert cost(c.strongest) <= cost(c.shortest) + 1e-9
    assert checked >= 20


def test_same_node_and_bad_limits(tiny_store: SqliteStore) -> None:
    p = build_projection(tiny_store)
    assert connect(p, "R0000001", "R0000001").shortest == ["R0000001"]
    with pytest.raises(InvalidInput):
        connect(p, "R0000001", "R0000002", max_hops=0)


def test_community_is_a_louvain_community_of_the_neighbourhood(tiny_store: SqliteStore) -> None:
    p: Projection = build_projection(tiny_store)
    hub = max((n for n in p.ids if n.startswith("R")), key=lambda n: len(p.neighbours(n).nodes))
    c = community_of(p, hub)
    assert c.members[0] == hub and len(c.members) > 1
    g = _oracle(tiny_store, ("CO_AUTHOR",))
    ego = nx.ego_graph(g, hub, radius=2)
    assert set(c.members) <= set(ego) and c.neighbourhood == ego.number_of_nodes()
    assert nx.community.modularity(ego, [set(c.members), set(ego) - set(c.members)], weight="weight") > 0


def test_paths_and_community_through_the_api(tiny_store: SqliteStore) -> None:
    with TestClient(create_app(service=GraphService.open(tiny_store))) as client:
        body = client.get("/api/v1/graph/paths", params={"a": "R0000001", "b": "R0000002"}).json()
        assert body["connected"] == bool(body["shortest"])
        if body["connected"]:
            assert body["shortest"][0]["id"] == "R0000001" and body["shortest"][-1]["id"] == "R0000002"
            assert len(body["shortest_relationships"]) == len(body["shortest"]) - 1
        assert client.get("/api/v1/graph/paths", params={"a": "R0000001", "b": "nope"}).status_code == 404
        com = client.get("/api/v1/graph/community/R0000001").json()
        assert com["members"][0]["id"] == "R0000001" and com["communities"] >= 1


def test_a_search_that_finds_nothing_says_why(tiny_store: SqliteStore) -> None:
    p = build_projection(tiny_store)
    far = connect(p, "R0000001", "R0000002", [RelType.CO_AUTHOR], max_hops=1)
    assert (far.stopped, far.max_hops, far.hops) == ("hop_limit", 1, 1) and far.explored > 2
    alone = connect(p, "R0000001", "R0000002", [RelType.AFFILIATED_WITH])
    assert alone.stopped == "exhausted" and alone.exhausted in ("R0000001", "R0000002") and alone.hops < 6
    cut = connect(p, "R0000001", "E000001", max_examined=50)
    assert cut.stopped == "explore_limit" and cut.examined <= 50 and cut.hubs
    degree = [len(p.neighbours(h).nodes) for h in cut.hubs]  # the most connected first
    assert degree == sorted(degree, reverse=True) and degree[0] > 50 - cut.examined
    reason = explain(p, cut)
    assert reason and "探索上限" in reason and p.names[p.index[cut.hubs[0]]] in reason
    assert connect(p, "R0000001", "E000001").stopped == "found"


@pytest.fixture
def client(tiny_backend: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(service=GraphService.open(tiny_backend))) as c:
        yield as_staff(c)


def test_every_type_by_default_and_reasons_when_narrowed(client: TestClient) -> None:
    """A researcher and an enterprise joined only through fields and regions: found by default; over
    people and deals alone, the answer says what was searched and why it stopped."""
    url, a, b = "/api/v1/graph/paths", "R0000001", "E000001"
    found = client.get(url, params={"a": a, "b": b}).json()
    assert found["connected"] and found["stopped"] == "found" and found["reason"] is None
    assert set(found["types"]) == set(RelType)
    assert {n["label"] for n in found["shortest"][1:-1]} & {Label.FIELD, Label.REGION}
    narrowed = client.get(url, params={"a": a, "b": b, "types": list(PEOPLE)}).json()
    assert not narrowed["connected"] and narrowed["stopped"] == "no_relationships"
    assert [e["id"] for e in narrowed["isolated"]] == [b] and narrowed["types"] == list(PEOPLE)
    assert b in narrowed["reason"] and "CO_AUTHOR" in narrowed["reason"] and "没有" in narrowed["reason"]

    far = client.get(url, params={"a": a, "b": "R0000002", "types": "CO_AUTHOR", "max_hops": 1}).json()
    assert (far["connected"], far["stopped"], far["max_hops"], far["hops_searched"]) == (False, "hop_limit", 1, 1)
    assert f"探索 {far['explored']:,} 个节点" in far["reason"] and "跳数上限 1" in far["reason"]
    assert "CO_AUTHOR" in far["reason"]
    apart = client.get(url, params={"a": a, "b": "R0000002", "types": "AFFILIATED_WITH"}).json()
    assert apart["stopped"] == "exhausted" and apart["examined"] > 0 and apart["hubs"] == []
    assert "不连通" in apart["reason"] and f"探索 {apart['explored']:,} 个节点" in apart["reason"]
