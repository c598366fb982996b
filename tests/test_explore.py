"""Paths between entities and communities, against networkx on the same graph."""

from __future__ import annotations

import random

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.errors import InvalidInput
from graph_service.explore import CONNECTION_TYPES, community_of, connect
from graph_service.projection import Projection, build_projection
from graph_service.service import GraphService
from graph_service.stores.sqlite_store import SqliteStore


def _oracle(tiny_store: SqliteStore, types) -> nx.Graph:
    g = nx.Graph()
    wanted = {str(t) for t in types}
    for t, a, b, w in tiny_store._conn().execute(
            "SELECT r.type, x.id, y.id, r.weight FROM rels r JOIN nodes x ON x.k = r.src JOIN nodes y ON y.k = r.dst"):
        if t in wanted:
            g.add_edge(a, b, weight=w, type=t)
    return g


def test_shortest_paths_have_networkx_lengths_and_real_edges(tiny_store: SqliteStore) -> None:
    p, g = build_projection(tiny_store), _oracle(tiny_store, CONNECTION_TYPES)
    rng = random.Random(2)
    people = sorted(n for n in g if n[0] in "REI")
    checked = 0
    for _ in range(80):
        a, b = rng.sample(people, 2)
        c = connect(p, a, b, max_hops=6)
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
        for step in c.shortest_steps + c.strongest_steps:
            assert g.has_edge(step.src, step.dst) and g[step.src][step.dst]["type"] == step.type
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
