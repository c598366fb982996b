"""Private parts (a need's budget, contact and detail; a deal's amount) reach their owners and staff only,
on every path: reads, searches, neighbourhoods, paths, recommendations, explanations and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.schema import PRIVATE, Label
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from graph_service.text.index import TEXT_FIELDS
from tests.auth.world import ACTORS, SECRET, World, make_world
from tests.conftest import Backend

NEED_OWNERS = {"admin", "staff", "enterprise"}
DEAL_PARTIES = {"admin", "staff", "enterprise", "researcher"}


@pytest.fixture
def world(tiny_backend: GraphStore, tiny_models: Path, backend: Backend) -> Iterator[World]:
    with TestClient(create_app(backend.settings, GraphService.open(tiny_backend, tiny_models))) as client:
        yield make_world(client)


def test_a_need_and_a_deal_show_private_parts_to_their_owners_only(world: World) -> None:
    for actor in ACTORS:
        need = world.call(actor, "GET", f"/api/v1/entities/{world.need}").json()["properties"]
        found = world.call(actor, "GET", "/api/v1/entities", params={"q": "高纯度晶圆", "label": "Need"}).json()
        deal = world.call(actor, "GET", f"/api/v1/entities/{world.deal}").json()["properties"]
        sees = actor in NEED_OWNERS
        assert all((k in need) == sees for k in SECRET), (actor, need)
        assert [all((k in e["properties"]) == sees for k in SECRET) for e in found] == [True], (actor, found)
        assert ("amount" in deal) == (actor in DEAL_PARTIES), (actor, deal)
        assert need["kind"] == "need" and need["text"]  # the public summary, for everyone


def test_no_other_path_carries_a_private_value(world: World) -> None:
    secrets = [SECRET["contact"], SECRET["detail"], "880", "保密"]
    urls = [f"/api/v1/graph/neighbourhood/{world.enterprise}", f"/api/v1/graph/neighbourhood/{world.need}",
            f"/api/v1/graph/paths?a={world.researcher}&b={world.need}",
            f"/api/v1/entities/{world.need}/relationships", f"/api/v1/entities/{world.deal}/relationships",
            f"/api/v1/recommendations/needs/{world.researcher}?top_k=50"]
    for actor in set(ACTORS) - NEED_OWNERS:
        for url in urls:
            text = world.call(actor, "GET", url).text
            assert not any(s in text for s in secrets), (actor, url)
        # a write refused, an unknown id: errors do not quote the need either
        for method, url, body in (("PUT", f"/api/v1/entities/needs/{world.need}",
                                   {"id": world.need, "name": "x", "kind": "need", "text": "y"}),
                                  ("DELETE", f"/api/v1/entities/{world.need}", None)):
            text = world.call(actor, method, url, json=body).text
            assert not any(s in text for s in secrets), (actor, url, text)
    assert world.call("staff", "GET", f"/api/v1/entities/{world.need}").json()["properties"]["budget"] == 880.0


def test_recommendation_explanations_read_public_text_only() -> None:
    """Matched words come from the text index; it never holds a private field."""
    for label, fields in TEXT_FIELDS.items():
        assert not set(fields) & PRIVATE.get(label, frozenset()), label
    assert Label.DEAL not in TEXT_FIELDS


def test_a_case_keeps_the_budget_and_the_notes_from_everyone_else(world: World) -> None:
    from graph_service.cases.partners import clarify
    from tests.auth.case_matrix import _case

    case = _case(world)  # the world's need's case, the world's researcher introduced
    store = world.client.app.state.service.store
    clarify(store, case, "staff-x", store.get_case(case).updated, "良率" + SECRET["detail"], budget=880.0)
    world.call("staff", "POST", f"/api/v1/cases/{case}/log", json={"kind": "note", "text": "内部：" + SECRET["contact"]})
    secrets = [SECRET["contact"], SECRET["detail"], "880"]
    for actor in ACTORS:
        texts = [world.call(actor, "GET", url).text for url in ("/api/v1/cases", f"/api/v1/cases/{case}")]
        texts.append(world.call(actor, "POST", f"/api/v1/cases/{case}/feedback",
                                json={"researcher": world.researcher, "verdict": "decline"}).text)
        shown = [s for s in secrets if any(s in t for t in texts)]
        expected = {"admin": secrets, "staff": secrets, "enterprise": secrets[1:]}.get(actor, [])  # not staff's note
        assert shown == expected, (actor, shown)
