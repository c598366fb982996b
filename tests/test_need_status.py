"""A need past its deadline is never offered as open, and is labelled where it is shown (both stores)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from graph_service import need_status
from graph_service.api.app import create_app
from graph_service.need_status import need_state
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from tests.conftest import as_staff

DAY = date(2025, 6, 1)


class _DriverDate:  # what a driver's own date type offers (neo4j.time.Date)
    def to_native(self) -> date:
        return date(2025, 5, 31)


@pytest.mark.parametrize(("props", "effective", "label"), [
    ({"status": "open", "deadline": "2025-05-31"}, "expired", "已过期"),
    ({"status": "matching", "deadline": "2025-05-31"}, "expired", "已过期"),
    ({"status": "open", "deadline": "2025-06-01"}, "open", "开放中"),  # the deadline day is still open
    ({"status": "matching", "deadline": "2030-01-01"}, "matching", "对接中"),
    ({"status": "closed", "deadline": "2030-01-01"}, "closed", "已关闭"),
    ({"status": "signed", "deadline": "2020-01-01"}, "signed", "已签约"),
    ({"status": "open"}, "open", "开放中"),
    ({"deadline": "2025-01-01"}, "expired", "已过期"),  # no status: the model's default, open
    ({"status": "open", "deadline": _DriverDate()}, "expired", "已过期"),
    ({"status": "open", "deadline": datetime(2025, 5, 31, 23, 59)}, "expired", "已过期"),
    ({"status": "open", "deadline": "not a date"}, "open", "开放中"),
])
def test_state_is_the_status_read_against_the_deadline(props: dict, effective: str, label: str) -> None:
    state = need_state(props, DAY)
    assert (state.effective, state.label, state.offered) == (effective, label, effective in ("open", "matching"))
    assert state.status == props.get("status", "open")


def test_the_day_comes_from_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    props = {"status": "open", "deadline": "2025-05-31"}
    monkeypatch.setattr(need_status, "clock", lambda: date(2025, 5, 31))
    assert need_state(props).offered
    monkeypatch.setattr(need_status, "clock", lambda: DAY)
    assert need_state(props).effective == "expired" and need_status.today() == DAY


@pytest.fixture
def client(tiny_backend: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(service=GraphService.open(tiny_backend))) as c:
        yield as_staff(c)


def _offered(client: TestClient, researcher: str) -> list[dict]:
    r = client.get(f"/api/v1/recommendations/needs/{researcher}", params={"top_k": 100})
    assert r.status_code == 200, r.text
    return r.json()


def test_an_expired_need_is_not_offered_and_is_labelled_where_shown(client: TestClient,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    p = client.app.state.service.projection
    by_expertise = sorted((i for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER),
                          key=lambda i: -len(p.out[RelType.EXPERT_IN][i].indices))
    # on the suite's day no generated need has expired: a researcher who is offered some
    researcher, offered = next((p.ids[i], got) for i in by_expertise[:20] if (got := _offered(client, p.ids[i])))
    need = offered[0]
    assert need["status"]["offered"] and need["status"]["effective_status"] in ("open", "matching")
    deadline = date.fromisoformat(need["status"]["deadline"])

    monkeypatch.setattr(need_status, "clock", lambda: deadline)  # its last day: still offered
    assert need["need"]["id"] in [n["need"]["id"] for n in _offered(client, researcher)]

    today = deadline + timedelta(days=1)
    monkeypatch.setattr(need_status, "clock", lambda: today)
    later = _offered(client, researcher)
    assert need["need"]["id"] not in [n["need"]["id"] for n in later]
    for n in later:  # whatever is still offered is open on the day, by its stored deadline too
        stored = client.get(f"/api/v1/entities/{n['need']['id']}").json()
        assert n["status"]["offered"] and stored["need_status"]["offered"]
        assert stored["properties"]["status"] in ("open", "matching")
        assert date.fromisoformat(stored["properties"]["deadline"]) >= today

    read = client.get(f"/api/v1/entities/{need['need']['id']}").json()
    assert read["properties"]["status"] == need["status"]["status"]  # stored as it was; shown as expired
    assert read["need_status"] == {"status": need["status"]["status"], "effective_status": "expired",
                                   "label": "已过期", "deadline": deadline.isoformat(), "offered": False}
    found = client.get("/api/v1/entities", params={"q": need["need"]["name"], "label": "Need"}).json()
    assert [e["need_status"]["label"] for e in found if e["id"] == need["need"]["id"]] == ["已过期"]
    # partners may still be asked for it; the answer says it has expired
    partners = client.get("/api/v1/recommendations/partners", params={"need": need["need"]["id"], "top_k": 3})
    assert partners.status_code == 200 and partners.json()["need_status"]["effective_status"] == "expired"
    assert client.get("/api/v1/recommendations/partners",
                      params={"enterprise": need["enterprise"]["id"], "top_k": 3}).json()["need_status"] is None


def test_a_closed_need_is_labelled_closed_and_other_entities_carry_no_status(client: TestClient) -> None:
    p = client.app.state.service.projection
    closed = p.vocab["status"].index("closed")
    need = next(p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.NEED and p.attrs["status"][i] == closed)
    body = client.get(f"/api/v1/entities/{need}").json()
    assert body["need_status"]["effective_status"] == "closed" and body["need_status"]["label"] == "已关闭"
    assert not body["need_status"]["offered"]
    assert "need_status" not in client.get("/api/v1/entities/R0000001").json()
