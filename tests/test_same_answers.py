"""The product gives the same answers on every store: the same projection, and with the same models the
same partner suggestions, needs for a researcher, collaborators, paths, teams, communities, neighbourhoods,
relationship lists and searches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.projection import TYPES, Projection, build_projection
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from graph_service.stores.sqlite_store import SqliteStore
from tests.conftest import as_staff

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(tiny_models: Path) -> Path:
    return tiny_models


def _questions(p: Projection) -> list[tuple[str, dict]]:
    """GET requests over a spread of entities that have something to say."""
    def having(label: Label, rel: RelType, outgoing: bool, k: int) -> list[str]:
        m = p.out[rel] if outgoing else p.inc[rel]
        found = [p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == label and m[i].nnz]
        return found[:: max(1, len(found) // k)][:k]

    enterprises = having(Label.ENTERPRISE, RelType.PARTY_TO, True, 4)
    needs = having(Label.NEED, RelType.POSTED, False, 4)
    researchers = having(Label.RESEARCHER, RelType.CO_AUTHOR, True, 4)
    challenges = [p.ids[i] for i in range(p.base_nodes)
                  if p.label_of(i) == Label.NEED and p.vocab["kind"][p.attrs["kind"][i]] == "challenge"][:2]
    rec = "/api/v1/recommendations"
    out = [(f"{rec}/partners", {"enterprise": e, "top_k": 10}) for e in enterprises]
    out += [(f"{rec}/partners", {"need": n, "top_k": 10}) for n in needs]
    out += [(f"{rec}/partners", {"need": needs[0], "top_k": 5, "circle": "C01", "min_evidence": 1}),
            (f"{rec}/partners", {"enterprise": enterprises[0], "text": "燃料电池 储氢", "exclude_partners": True})]
    out += [(f"{rec}/needs/{r}", {}) for r in researchers]
    out += [(f"{rec}/collaborators/{r}", {}) for r in researchers]
    out += [(f"{rec}/teams/{c}", {}) for c in challenges]
    out += [("/api/v1/graph/paths", {"a": r, "b": e}) for r, e in zip(researchers, enterprises)]
    out += [(f"/api/v1/graph/community/{r}", {}) for r in researchers[:2]]
    out += [(f"/api/v1/graph/neighbourhood/{e}", {"hops": 2}) for e in enterprises[:2]]
    out += [(f"/api/v1/entities/{i}/relationships", {"limit": 5}) for i in (*enterprises[:2], *researchers[:2])]
    out += [("/api/v1/entities", {"q": "大学", "limit": 10}), ("/api/v1/entities", {"q": "技术", "label": "Need"})]
    return out


def _answers(store: GraphStore, models: Path) -> Iterator[tuple[str, dict, int, object]]:
    service = GraphService.open(store, models)
    with TestClient(create_app(service=service)) as client:
        as_staff(client)
        for url, params in _questions(service.projection):
            r = client.get(url, params=params)
            yield url, params, r.status_code, r.json()


def test_the_projection_is_the_embedded_stores(tiny_backend: GraphStore, tiny_store: SqliteStore) -> None:
    got, want = build_projection(tiny_backend), build_projection(tiny_store)
    assert got.ids == want.ids
    assert [got.names[i] for i in range(len(got.ids))] == [want.names[i] for i in range(len(want.ids))]
    assert np.array_equal(got.labels, want.labels)
    assert got.vocab == want.vocab
    assert got.attrs.keys() == want.attrs.keys()
    for name in want.attrs:
        assert np.array_equal(got.attrs[name], want.attrs[name]), name
    for t in TYPES:
        for a, b in ((got.out[t], want.out[t]), (got.inc[t], want.inc[t])):
            assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices), t
            assert np.allclose(a.data, b.data), t
        assert got.edge_count(t) == want.edge_count(t) == tiny_store.counts().rels.get(t, 0)


def test_recommendations_paths_and_teams_are_the_embedded_stores(
        tiny_backend: GraphStore, tiny_store: SqliteStore, models: Path) -> None:
    want = list(_answers(tiny_store, models))
    got = list(_answers(tiny_backend, models))
    assert len(got) == len(want) >= 25
    for (url, params, status, body), (_, _, want_status, want_body) in zip(got, want):
        assert (status, body) == (want_status, want_body), (url, params)
    assert all(status == 200 for _, _, status, _ in got)
    partners = [body for url, _, _, body in got if url.endswith("/partners")]
    assert all(body["partners"] for body in partners[:8])  # answers worth comparing
