"""No stored value stops the service: values written before the models refused them (Infinity, NaN) or of
the wrong kind ("abc" as a level, a number as a category or a name), written straight through each store's
writer; the projection builds, the app starts and reads answer with null for what JSON cannot carry."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.projection import build_projection
from graph_service.schema import Label, RelType
from graph_service.settings import Settings
from graph_service.stores.base import GraphWriter
from tests.conftest import Backend, sign_in

INF, NAN = float("inf"), float("nan")


def _write_odd_values(backend: Backend) -> None:
    def work(w: GraphWriter) -> None:
        w.upsert_nodes(Label.NEED, [("N1", "x", {"kind": "need", "text": "t", "budget": INF}),
                                    ("N2", "y", {"kind": 3.5, "status": ["a"], "text": "t", "budget": NAN})])
        w.upsert_nodes(Label.REGION, [("RG1", "甲", {"level": "abc", "kind": "city"}), ("RG2", "乙", {"level": INF}),
                                      ("RG3", "丙", {"level": 1e30}), ("RG4", "丁", {"level": 2}),
                                      ("RG5", "戊", {"level": "3"})])
        w.upsert_nodes(Label.FIELD, [("F1", "f", {"level": [1, 2]})])
        w.upsert_nodes(Label.ENTERPRISE, [("E1", "e", {"tier": "专精特新", "size": 3.5, "industry": "x"})])
        w.upsert_nodes(Label.RESEARCHER, [("R1", "a", {}), ("R2", "b", {}), ("R3", "c", {}), ("R4", 12345, {})])
        w.upsert_rels(RelType.CO_AUTHOR, [("R1", "R2", {"weight": INF}), ("R2", "R3", {"weight": -1.0})])
        if backend.kind == "neo4j":  # SQLite's REAL NOT NULL column cannot hold these
            w.upsert_rels(RelType.CO_AUTHOR, [("R1", "R3", {"weight": NAN}), ("R3", "R4", {"weight": "abc"})])

    with backend.open() as store:
        store.write(work)


def test_the_projection_builds_past_odd_stored_values(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    _write_odd_values(backend)
    with backend.open() as store, caplog.at_level(logging.WARNING, logger="graph_service.projection.build"):
        p = build_projection(store)
    level = {node: int(p.attrs["level"][p.index[node]]) for node in ("RG1", "RG2", "RG3", "RG4", "RG5", "F1")}
    assert level == {"RG1": -1, "RG2": -1, "RG3": -1, "RG4": 2, "RG5": 3, "F1": -1}
    assert p.attrs["kind"][p.index["N1"]] == p.vocab["kind"].index("need") and p.attrs["kind"][p.index["N2"]] == -1
    status = int(p.attrs["status"][p.index["N2"]])  # a list: unknown, or (SQLite's JSON text) a category of its own
    assert status == -1 or p.vocab["status"][status] not in ("open", "matching", "signed", "closed")
    assert p.attrs["size"][p.index["E1"]] == -1
    assert p.names[p.index["R4"]] == "12345"
    weights = p.out[RelType.CO_AUTHOR].data
    assert len(weights) == 2 * (4 if backend.kind == "neo4j" else 2) and np.all(np.isfinite(weights) & (weights > 0))
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "'level'" in warned and "CO_AUTHOR" in warned


def test_the_app_starts_and_answers_with_null(backend: Backend, settings: Settings) -> None:
    _write_odd_values(backend)
    with TestClient(create_app(settings)) as client:
        auth = sign_in(client)  # staff: reads the private budget too
        r = client.get("/api/v1/entities/N1", headers=auth)
        assert r.status_code == 200 and r.json()["properties"].get("budget") is None, r.text
        assert client.get("/api/v1/entities/N2", headers=auth).status_code == 200
        assert client.get("/api/v1/entities/RG2").json()["properties"]["level"] is None
        assert client.get("/api/v1/entities/RG1").json()["properties"]["level"] == "abc"
        assert client.get("/api/v1/entities/R4").json()["name"] == "12345"
        found = client.get("/api/v1/entities", params={"q": "乙"}).json()
        assert [e["properties"]["level"] for e in found] == [None]
        rels = client.get("/api/v1/entities/R1/relationships")
        assert rels.status_code == 200 and all(
            r["properties"]["weight"] is None or math.isfinite(r["properties"]["weight"]) for r in rels.json())
        r = client.get("/api/v1/graph/neighbourhood/R1")
        assert r.status_code == 200 and all(math.isfinite(rel["weight"]) for rel in r.json()["relationships"])
        assert client.get("/api/v1/graph/paths", params={"a": "R1", "b": "R3"}).json()["connected"] is True
        assert client.post("/api/v1/graph/projection/rebuild", headers=auth).status_code == 200
