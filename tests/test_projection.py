"""The projection against networkx as the oracle: same neighbourhoods, before and after writes."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from graph_service.errors import NotFound
from graph_service.projection import Hop, Projection, build_projection
from graph_service.schema import UNDIRECTED, Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.stores.sqlite_store import SqliteStore


def _oracle(store: SqliteStore) -> nx.MultiDiGraph:
    """networkx graph of the same data, read through the store's public reads."""
    g = nx.MultiDiGraph()
    conn = store._conn()
    for node_id, label in conn.execute("SELECT id, label FROM nodes"):
        g.add_node(node_id, label=label)
    for t, s, d in conn.execute("SELECT r.type, a.id, b.id FROM rels r JOIN nodes a ON a.k = r.src "
                                "JOIN nodes b ON b.k = r.dst"):
        g.add_edge(s, d, key=t)
        if t in UNDIRECTED:
            g.add_edge(d, s, key=t)
    return g


def _nx_hop(g: nx.MultiDiGraph, nodes: set[str], hop: Hop) -> set[str]:
    types = {str(t) for t in hop.types} if hop.types else None
    out: set[str] = set()
    for n in nodes:
        edges = []
        if hop.direction in ("out", "both"):
            edges += [(d, k) for _, d, k in g.out_edges(n, keys=True)]
        if hop.direction in ("in", "both"):
            edges += [(s, k) for s, _, k in g.in_edges(n, keys=True)]
        out |= {m for m, k in edges if types is None or k in types}
    return out


def _ids(p: Projection, idx: np.ndarray) -> set[str]:
    return {p.ids[i] for i in idx}


HOPS = [
    (Hop([RelType.CO_AUTHOR]), Hop([RelType.CO_AUTHOR]), [Label.RESEARCHER]),
    (Hop([RelType.PARTY_TO], "out"), Hop([RelType.PARTY_TO], "in"), None),
    (Hop([RelType.AFFILIATED_WITH], "out"), Hop([RelType.AFFILIATED_WITH], "in"), None),
    (Hop([RelType.POSTED], "out"), Hop([RelType.ABOUT], "out"), [Label.FIELD]),
    (Hop(), Hop(), [Label.ENTERPRISE, Label.INSTITUTION]),
]


def test_counts_match_the_store(tiny_store: SqliteStore) -> None:
    p = build_projection(tiny_store)
    counts = tiny_store.counts()
    assert p.node_count == sum(counts.nodes.values())
    for t in RelType:
        assert p.edge_count(t) == counts.rels.get(t, 0)


def test_one_and_two_hop_neighbourhoods_equal_networkx(tiny_store: SqliteStore) -> None:
    p, g = build_projection(tiny_store), _oracle(tiny_store)
    rng = random.Random(3)
    starts = rng.sample([n for n in g if g.nodes[n]["label"] in ("Researcher", "Enterprise")], 60)
    for start in starts:
        for first, second, labels in HOPS:
            assert _ids(p, p.neighbours(start, first).nodes) == _nx_hop(g, {start}, first)
            expected = _nx_hop(g, _nx_hop(g, {start}, first), second) - {start}
            if labels:
                expected = {n for n in expected if g.nodes[n]["label"] in labels}
            nodes, counts = p.two_hop(start, first, second, labels)
            assert _ids(p, nodes) == expected
            assert (counts >= 1).all()


def test_path_counts_equal_networkx(tiny_store: SqliteStore) -> None:
    p, g = build_projection(tiny_store), _oracle(tiny_store)
    hop = Hop([RelType.CO_AUTHOR])
    start = max((n for n in g if n.startswith("R")), key=g.out_degree)
    nodes, counts = p.two_hop(start, hop, hop)
    paths = {}
    for mid in _nx_hop(g, {start}, hop):
        for far in _nx_hop(g, {mid}, hop) - {start}:
            paths[far] = paths.get(far, 0) + 1
    assert dict(zip((p.ids[i] for i in nodes), counts.tolist())) == paths


def test_node_attributes_are_arrays(tiny_store: SqliteStore) -> None:
    p = build_projection(tiny_store)
    i = p.idx("I000001")  # 四川大学
    assert p.label_of(i) == Label.INSTITUTION
    assert p.vocab["kind"][p.attrs["kind"][i]] == "university"
    deal = p.idx("D0000001")
    assert p.attrs["year"][deal] == int(tiny_store.get_node("D0000001").props["date"][:4])
    assert p.attrs["tier"][i] == -1


def test_writes_update_the_projection_like_the_oracle(tiny_store: SqliteStore) -> None:
    p, g = build_projection(tiny_store), _oracle(tiny_store)
    rng = random.Random(5)
    researchers = [n for n in g if n.startswith("R")]
    co = Hop([RelType.CO_AUTHOR])
    p.add_node("R9000001", Label.RESEARCHER)
    g.add_node("R9000001", label="Researcher")
    for _ in range(40):
        a, b = rng.sample(researchers + ["R9000001"], 2)
        if rng.random() < 0.6:
            p.add_edge(RelType.CO_AUTHOR, a, b, 2.0)
            g.add_edge(a, b, key="CO_AUTHOR")
            g.add_edge(b, a, key="CO_AUTHOR")
        elif g.has_edge(a, b, key="CO_AUTHOR"):
            p.remove_edge(RelType.CO_AUTHOR, a, b)
            g.remove_edge(a, b, key="CO_AUTHOR")
            g.remove_edge(b, a, key="CO_AUTHOR")
    gone = researchers[0]
    p.remove_node(gone)
    g.remove_node(gone)
    with pytest.raises(NotFound):
        p.neighbours(gone)
    assert p.overlay_size() > 0
    for compacted in (False, True):
        if compacted:
            p.compact()
            assert p.overlay_size() == 0
        for start in rng.sample(researchers[1:], 30) + ["R9000001"]:
            assert _ids(p, p.neighbours(start, co).nodes) == _nx_hop(g, {start}, co)
            assert _ids(p, p.two_hop(start, co, co)[0]) == _nx_hop(g, _nx_hop(g, {start}, co), co) - {start}
        assert p.edge_count(RelType.CO_AUTHOR) == sum(1 for *_, k in g.edges(keys=True) if k == "CO_AUTHOR") // 2


def test_nodes_are_ordered_by_label_then_id_whatever_the_store_or_insertion_order(store: GraphStore) -> None:
    """Indices, category codes and ranking ties must not depend on the backend or on write history."""
    store.write(lambda w: w.upsert_nodes(Label.INSTITUTION, [("I2", "乙所", {"kind": "research_institute"}),
                                                             ("I1", "甲大学", {"kind": "university"})]))
    store.write(lambda w: w.upsert_nodes(Label.RESEARCHER, [("R3", "丙", {}), ("R1", "甲", {})]))
    store.write(lambda w: w.delete_node("R1"))
    store.write(lambda w: w.upsert_nodes(Label.RESEARCHER, [("R2", "乙", {}), ("R1", "甲", {})]))
    store.write(lambda w: w.upsert_rels(RelType.AFFILIATED_WITH, [("R3", "I2", {}), ("R1", "I1", {})]))
    p = build_projection(store)
    assert p.ids == ["R1", "R2", "R3", "I1", "I2"]
    assert [p.names[i] for i in range(5)] == ["甲", "乙", "丙", "甲大学", "乙所"]
    p.add_node("R1", Label.RESEARCHER, name="甲改")
    assert p.names[0] == "甲改" and p.names[p.add_node("R4", Label.RESEARCHER, name="丁")] == "丁"
    assert p.vocab["kind"] == ["university", "research_institute"]
    assert [p.ids[i] for i in p.neighbours("I2", Hop([RelType.AFFILIATED_WITH], "in")).nodes] == ["R3"]
