"""Collaborator suggestions: new people only, ranked by the model, with reasons that hold in the graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.errors import InvalidInput
from graph_service.projection import Hop, build_projection
from graph_service.recommend.collaborators import CollaboratorRecommender
from graph_service.schema import RelType
from graph_service.service import GraphService
from graph_service.stores.sqlite_store import SqliteStore
from loaders.generator import generate
from loaders.importer import load_directory
from tests.conftest import as_staff


def _reach(p, node: str, hop: Hop) -> set[str]:
    return {p.ids[i] for i in p.neighbours(node, hop).nodes.tolist()}


def test_suggestions_are_new_ranked_and_explained(tiny_store: SqliteStore) -> None:
    p = build_projection(tiny_store)
    rec = CollaboratorRecommender(p).fit()
    co, fields = Hop([RelType.CO_AUTHOR]), Hop([RelType.EXPERT_IN], "out")
    me = max((n for n in p.ids if n.startswith("R")), key=lambda n: len(p.neighbours(n, co).nodes))
    found = rec.recommend(me, top_k=8)
    assert 0 < len(found) <= 8
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    mine = _reach(p, me, co)
    for s in found:
        assert s.id != me and s.id not in mine
        theirs = _reach(p, s.id, co)
        assert set(s.common_coauthors) == mine & theirs
        assert set(s.shared_fields) == _reach(p, me, fields) & _reach(p, s.id, fields)
    with pytest.raises(InvalidInput, match="not a Researcher"):
        rec.recommend("I000001")
    # rebound to a changed graph: the scorer reads the new co-authorships (one of mine removed)
    gone = sorted(mine)[0]
    p.remove_edge(RelType.CO_AUTHOR, me, gone)
    p.compact()
    again = rec.rebound(p)
    a, b = p.idx(me), p.idx(gone)
    assert rec._bound.graph.adj[a, b] == 1 and again._bound.graph.adj[a, b] == 0
    assert again._bound.graph.deg[a] == rec._bound.graph.deg[a] - 1
    assert all(s.id != me for s in again.recommend(me, top_k=8))


def test_held_out_coauthorships_rank_above_random_pairs(tmp_path: Path) -> None:
    """Hide 10% of co-authorships of a generated market; suggestions should find them far above chance."""
    generate("tiny", tmp_path / "d", seed=11)
    store = SqliteStore(tmp_path / "s.sqlite")
    store.ensure_schema()
    load_directory(store, tmp_path / "d", progress=False)
    rels = [r for r in store._conn().execute("SELECT a.id, b.id FROM rels JOIN nodes a ON a.k = src "
                                             "JOIN nodes b ON b.k = dst WHERE type = 'CO_AUTHOR'")]
    rng = np.random.default_rng(0)
    hidden = [rels[i] for i in rng.choice(len(rels), size=len(rels) // 10, replace=False)]
    p = build_projection(store)
    for a, b in hidden:
        p.remove_edge(RelType.CO_AUTHOR, a, b)
    p.compact()
    rec = CollaboratorRecommender(p).fit()
    hits = sum(b in {s.id for s in rec.recommend(a, top_k=20)} for a, b in hidden)
    researchers = sum(1 for i in p.ids if i.startswith("R"))
    assert hits / len(hidden) > 5 * 20 / researchers  # hit rate against picking 20 at random


def test_collaborators_through_the_api(tiny_store: SqliteStore) -> None:
    with TestClient(create_app(service=GraphService.open(tiny_store))) as client:
        as_staff(client)
        body = client.get("/api/v1/recommendations/collaborators/R0000001", params={"top_k": 3}).json()
        assert len(body) <= 3 and all(s["researcher"]["label"] == "Researcher" for s in body)
        assert client.get("/api/v1/recommendations/collaborators/I000001").status_code == 422
        assert client.get("/api/v1/recommendations/collaborators/nope").status_code == 404
