"""Every route × every role (and another enterprise's member): allowed or refused as declared, on both stores.

Each route gets one real request per actor; "refused" means 401 for the anonymous visitor and 403 for a
signed-in account; "allowed" means any other answer (a 404 or 409 says the permission check let it through).
A route missing from the table fails the test, so a new route cannot go undeclared."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.api.declared import api_routes, declared_action
from graph_service.models import Need, PlainRel
from graph_service.schema import ENDPOINTS, PLURALS, Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from tests.auth.case_matrix import CASE_ROUTES
from tests.auth.fair_matrix import FAIR_ROUTES
from tests.auth.world import ACTORS, World, make_world
from tests.conftest import TEST_PASSWORD, Backend

ALL = frozenset(ACTORS)
SIGNED_IN = ALL - {"anonymous"}
STAFF = frozenset({"admin", "staff"})
Example = Callable[[World, str], tuple[str, dict]]  # (url, request keyword arguments)
_serial = itertools.count()


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


def _as_staff(w: World, node_id: str) -> dict:
    body = w.call("staff", "GET", f"/api/v1/entities/{node_id}").json()
    return {"id": body["id"], "name": body["name"], **body["properties"]}


def _existing_rel(store: GraphStore, rel_type: RelType, src: str | None = None) -> dict:
    sources = [src] if src else [row[1] for label in sorted(ENDPOINTS[rel_type][0])
                                 for batch in store.scan_nodes(label, (), batch=500) for row in batch]
    for node in sources:
        for r in store.relationships(node, [rel_type], "out", limit=1):
            return {"src": r.src, "dst": r.dst, **{k: v for k, v in r.props.items()}}
    raise AssertionError(f"the tiny market has no {rel_type} to re-write")


def _routes(w: World) -> Iterator[tuple[str, str, Example, frozenset[str]]]:
    """(method, path template, example request, actors allowed) for every route outside the fairs."""
    store = w.client.app.state.service.store
    yield "GET", "/api/v1/entities", lambda w, a: ("/api/v1/entities", {"params": {"q": "公司"}}), ALL
    yield "GET", "/api/v1/entities/{node_id}", lambda w, a: (f"/api/v1/entities/{w.need}", {}), ALL
    yield "GET", "/api/v1/entities/{node_id}/relationships", \
        lambda w, a: (f"/api/v1/entities/{w.researcher}/relationships", {}), ALL

    def fresh_need(w: World, a: str) -> tuple[str, dict]:
        need = Need(id=_unique("N-del"), name="待删除的需求", kind="need", text="测试")
        w.client.app.state.service.write_graph([(Label.NEED, need)],
                                               [(RelType.POSTED, PlainRel(src=w.enterprise, dst=need.id))])
        return f"/api/v1/entities/{need.id}", {}
    yield "DELETE", "/api/v1/entities/{node_id}", fresh_need, STAFF | {"enterprise"}

    owned = {"enterprises": (w.enterprise, STAFF | {"enterprise"}),
             "researchers": (w.researcher, STAFF | {"researcher"}),
             "needs": (w.need, STAFF | {"enterprise"}), "offers": (w.offer, STAFF | {"researcher"}),
             "deals": (w.deal, STAFF), "fields": (w.field, STAFF), "regions": (w.region, STAFF),
             "institutions": (w.institution, STAFF),
             "circles": (next(r[1] for b in store.scan_nodes(Label.CIRCLE, ()) for r in b), STAFF)}
    for plural in PLURALS:
        node_id, allowed = owned[plural]
        body = _as_staff(w, node_id)
        yield "PUT", f"/api/v1/entities/{plural}/{{node_id}}", \
            lambda w, a, node_id=node_id, body=body, plural=plural: (f"/api/v1/entities/{plural}/{node_id}",
                                                                      {"json": body}), allowed
        extra = {"needs": {"poster": w.enterprise}, "offers": {"poster": w.researcher},
                 "deals": {"parties": [{"id": w.enterprise, "role": "client"},
                                       {"id": w.researcher, "role": "provider"}]}}.get(plural, {})
        creators = {"needs": STAFF | {"enterprise"}, "offers": STAFF | {"researcher"}}.get(plural, STAFF)
        yield "POST", f"/api/v1/entities/{plural}", \
            lambda w, a, body=body, extra=extra, plural=plural: (
                f"/api/v1/entities/{plural}", {"json": {**body, **extra, "id": _unique("X")}}), creators

    member_links = {RelType.ABOUT: (w.need, STAFF | {"enterprise"}),
                    RelType.ACTIVE_IN: (w.enterprise, STAFF | {"enterprise"}),
                    RelType.EXPERT_IN: (w.researcher, STAFF | {"researcher"}),
                    RelType.AFFILIATED_WITH: (w.researcher, STAFF | {"researcher"}),
                    RelType.LOCATED_IN: (w.researcher, STAFF | {"researcher"})}
    for rel_type in RelType:
        src, allowed = member_links.get(rel_type, (None, STAFF))
        body = _existing_rel(store, rel_type, src)
        url = f"/api/v1/relationships/{rel_type}"
        yield "PUT", url, lambda w, a, url=url, body=body: (url, {"json": body}), allowed
        yield "DELETE", url, lambda w, a, url=url, body=body: (url, {"params": {"src": body["src"], "dst": "ghost"}}), \
            allowed

    r = w.researcher
    yield "GET", "/api/v1/graph/neighbourhood/{node_id}", lambda w, a: (f"/api/v1/graph/neighbourhood/{r}", {}), ALL
    yield "GET", "/api/v1/graph/paths", lambda w, a: ("/api/v1/graph/paths", {"params": {"a": r, "b": w.need}}), ALL
    yield "GET", "/api/v1/graph/community/{node_id}", lambda w, a: (f"/api/v1/graph/community/{r}", {}), ALL
    yield "POST", "/api/v1/graph/projection/rebuild", lambda w, a: ("/api/v1/graph/projection/rebuild", {}), STAFF
    mine = STAFF | {"researcher"}
    yield "GET", "/api/v1/recommendations/collaborators/{researcher_id}", \
        lambda w, a: (f"/api/v1/recommendations/collaborators/{r}", {}), mine
    yield "GET", "/api/v1/recommendations/needs/{researcher_id}", \
        lambda w, a: (f"/api/v1/recommendations/needs/{r}", {}), mine
    yield "GET", "/api/v1/recommendations/partners", \
        lambda w, a: ("/api/v1/recommendations/partners", {"params": {"need": w.need, "top_k": 3}}), \
        STAFF | {"enterprise"}
    yield "GET", "/api/v1/recommendations/teams/{need_id}", \
        lambda w, a: (f"/api/v1/recommendations/teams/{w.need}", {}), STAFF | {"enterprise"}
    yield "PUT", "/api/v1/recommendations/fairness", \
        lambda w, a: ("/api/v1/recommendations/fairness", {"json": {"strength": 0}}), STAFF
    yield "GET", "/api/v1/recommendations/fairness", lambda w, a: ("/api/v1/recommendations/fairness", {}), STAFF
    for part in ("circles", "regions", "fields", "institution-kinds"):
        url = f"/api/v1/catalogue/{part}"
        yield "GET", url, lambda w, a, url=url: (url, {}), ALL
    yield "GET", "/health", lambda w, a: ("/health", {}), ALL
    yield "GET", "/api/v1/stats", lambda w, a: ("/api/v1/stats", {}), ALL
    yield "POST", "/api/v1/auth/token", lambda w, a: (
        "/api/v1/auth/token", {"data": {"username": "staff-x", "password": TEST_PASSWORD}}), ALL
    yield "GET", "/api/v1/auth/me", lambda w, a: ("/api/v1/auth/me", {}), SIGNED_IN
    yield "GET", "/api/v1/users", lambda w, a: ("/api/v1/users", {}), frozenset({"admin"})
    yield "POST", "/api/v1/users", lambda w, a: ("/api/v1/users", {"json": {
        "username": _unique("u"), "role": "organiser", "password": "long-enough-1"}}), frozenset({"admin"})
    yield "PATCH", "/api/v1/users/{username}", \
        lambda w, a: ("/api/v1/users/organiser-x", {"json": {"disabled": False}}), frozenset({"admin"})
    yield "GET", "/api/v1/audit", lambda w, a: ("/api/v1/audit", {}), STAFF
    yield "GET", "/api/v1/health/state", lambda w, a: ("/api/v1/health/state", {}), STAFF
    yield from FAIR_ROUTES(w)
    yield from CASE_ROUTES(w)


@pytest.fixture
def world(tiny_backend: GraphStore, tiny_models: Path, backend: Backend) -> Iterator[World]:
    with TestClient(create_app(backend.settings, GraphService.open(tiny_backend, tiny_models))) as client:
        yield make_world(client)


def test_every_route_answers_every_role_as_declared(world: World) -> None:
    declared = {(m, r.path_format): declared_action(r) for r in api_routes(world.client.app) for m in r.methods}
    assert all(declared.values()), [k for k, v in declared.items() if v is None]
    table = {(m, path): (example, allowed) for m, path, example, allowed in _routes(world)}
    assert set(table) == set(declared), set(declared) ^ set(table)
    wrong = []
    for (method, path), (example, allowed) in sorted(table.items()):
        for actor in ACTORS:
            url, kwargs = example(world, actor)
            status = world.call(actor, method, url, **kwargs).status_code
            refused = status in (401, 403)
            expected = 401 if actor == "anonymous" else 403
            if (actor in allowed) == refused or (refused and status != expected) or status >= 500:
                wrong.append(f"{method} {path} as {actor}: {status} ({'allowed' if actor in allowed else 'refused'}"
                             " expected)")
    assert not wrong, "\n".join(wrong)
    assert len(table) * len(ACTORS) >= 85 * 7


def test_an_organiser_manages_only_their_own_fairs(world: World) -> None:
    from tests.conftest import sign_in

    second = sign_in(world.client, "organiser", username="organiser-2")
    body = {"id": "fair-own", "start": "2026-12-20", "sessions": 4, "expected_participants": 40,
            "expected_projects": 20}
    assert world.call("organiser", "POST", "/api/v1/fairs", json=body).status_code == 201
    assert world.client.get("/api/v1/fairs/fair-own", headers=second).status_code == 403
    assert world.client.post("/api/v1/fairs/fair-own/projects", headers=second, json=[]).status_code == 403
    assert world.client.get("/api/v1/fairs", headers=second).json() == []
    assert [f["id"] for f in world.call("organiser", "GET", "/api/v1/fairs").json()] == ["fair-own"]
    assert [f["id"] for f in world.call("staff", "GET", "/api/v1/fairs").json()] == ["fair-own"]
