"""A need from posting to a signed deal through the API, on each store, with each person in their role:
the enterprise member posts and answers, staff work the case, the researcher agrees to meet. Declined
partners never come back for the need; nobody sees more of the case than their role allows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from tests.conftest import Backend, sign_in

BUDGET = 86.5  # 万元: private to the enterprise and staff


def _poster(store: GraphStore) -> tuple[str, list[str], str]:
    """An enterprise with a region and fields, as the member posting a need would have."""
    for batch in store.scan_nodes(Label.ENTERPRISE, ()):
        for row in batch:
            fields = [r.dst for r in store.relationships(row[1], [RelType.ACTIVE_IN], "out")]
            regions = [r.dst for r in store.relationships(row[1], [RelType.LOCATED_IN], "out")]
            if fields and regions:
                return row[1], fields[:2], regions[0]
    raise AssertionError("no enterprise with fields and a region in the tiny market")


def _said(r) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(r.json(), ensure_ascii=False)


@pytest.fixture
def client(tiny_backend: GraphStore, tiny_models: Path, backend: Backend) -> Iterator[TestClient]:
    with TestClient(create_app(backend.settings, GraphService.open(tiny_backend, tiny_models))) as c:
        yield c


def test_a_need_goes_from_posting_to_a_signed_deal(client: TestClient) -> None:
    store: GraphStore = client.app.state.service.store
    firm, fields, region = _poster(store)
    staff, lead = sign_in(client, "staff", username="staff-a"), sign_in(client, "staff", username="staff-lead")
    member = sign_in(client, "enterprise", firm)
    r = client.put("/api/v1/cases/staff/staff-b", headers=lead, json={"regions": [], "fields": []})
    assert r.status_code == 422 and "不是服务人员账号" in _said(r)  # no such staff account yet
    assert client.put("/api/v1/cases/staff/staff-a", headers=lead,
                      json={"regions": [region], "fields": fields, "capacity": 5, "lead": "staff-lead"}).status_code == 200

    # the enterprise posts a need: its case opens at once, held by the staff member whose patch it is in
    posted = client.post("/api/v1/entities/needs", headers=member, json={
        "name": "电池热管理系统优化", "kind": "need", "text": "寻求电池热管理与液冷散热方案", "budget": BUDGET,
        "fields": fields})
    assert posted.status_code == 201, posted.text
    need = posted.json()["id"]
    [mine] = client.get("/api/v1/cases", headers=staff, params={"assignee": "staff-a"}).json()
    assert (mine["need"]["id"], mine["stage"], mine["enterprise"]["id"]) == (need, "new", firm)
    case = mine["id"]

    def token() -> str:
        return client.get(f"/api/v1/cases/{case}", headers=staff).json()["updated"]

    body = client.post(f"/api/v1/cases/{case}/clarify", headers=staff, json={
        "expected": token(), "problem": "电芯温差过大", "budget": BUDGET, "confidential": ["budget"]}).json()
    assert body["stage"] == "clarified" and body["detail"]["clarified"]["budget"] == BUDGET

    # staff shortlist from the recommendations; each kept with the model's reasons
    suggested = client.get("/api/v1/recommendations/partners", headers=staff,
                           params={"need": need, "top_k": 5}).json()["partners"]
    ids = [p["researcher"]["id"] for p in suggested]
    assert len(ids) == 5
    body = client.post(f"/api/v1/cases/{case}/shortlist", headers=staff,
                       json={"expected": token(), "researchers": ids[:3]}).json()
    assert body["stage"] == "shortlisted"
    assert [e["id"] for e in body["detail"]["shortlist"]] == ids[:3]
    assert all(e["reasons"] or e["words"] for e in body["detail"]["shortlist"])

    # the enterprise declines one (never suggested again for this need) and accepts another
    r = client.post(f"/api/v1/cases/{case}/feedback", headers=member,
                    json={"researcher": ids[0], "verdict": "decline"})
    assert r.status_code == 422 and "须选择原因" in _said(r)
    assert client.post(f"/api/v1/cases/{case}/feedback", headers=member, json={
        "researcher": ids[0], "verdict": "decline", "reason": "too_far"}).status_code == 200
    assert client.post(f"/api/v1/cases/{case}/feedback", headers=member, json={
        "researcher": ids[1], "verdict": "accept"}).status_code == 200
    for who in (member, staff):
        again = client.get("/api/v1/recommendations/partners", headers=who, params={"need": need, "top_k": 50}).json()
        assert ids[0] not in [p["researcher"]["id"] for p in again["partners"]]
        assert ids[1] in [p["researcher"]["id"] for p in again["partners"]]

    # staff introduce the accepted one; the researcher sees only their introduction, and agrees
    r = client.post(f"/api/v1/cases/{case}/introductions", headers=staff, json={"expected": token(),
                                                                               "researcher": ids[2]})
    assert r.status_code == 422  # not accepted by the enterprise
    client.post(f"/api/v1/cases/{case}/introductions", headers=staff, json={"expected": token(), "researcher": ids[1]})
    researcher = sign_in(client, "researcher", ids[1])
    [intro] = client.get("/api/v1/cases", headers=researcher).json()
    assert (intro["id"], intro["answer"], intro["need"]["id"]) == (case, None, need)
    seen = client.get(f"/api/v1/cases/{case}", headers=researcher).json()
    assert str(BUDGET) not in json.dumps(seen) and ids[0] not in json.dumps(seen)  # no budget, no other candidates
    assert client.post(f"/api/v1/cases/{case}/introductions/{ids[2]}/answer", headers=researcher,
                       json={"agree": True}).status_code in (403, 404)  # not theirs to answer
    body = client.post(f"/api/v1/cases/{case}/introductions/{ids[1]}/answer", headers=researcher,
                       json={"agree": True}).json()
    assert body["answer"] == "agree" and body["stage"] == "introduced"

    # meeting, negotiation, the log and the next action; then the signature writes the deal
    for stage in ("meeting", "negotiating"):
        assert client.post(f"/api/v1/cases/{case}/stage", headers=staff,
                           json={"expected": token(), "stage": stage}).json()["stage"] == stage
    assert client.post(f"/api/v1/cases/{case}/log", headers=staff,
                       json={"kind": "call", "text": "企业内部评审通过，预算可上浮"}).status_code == 201
    r = client.put(f"/api/v1/cases/{case}/next", headers=staff,
                   json={"expected": token(), "action": "发送合同草稿", "due": "2026-12-20"})
    assert r.json()["next_action"] == "发送合同草稿"
    stale = token()
    client.post(f"/api/v1/cases/{case}/log", headers=staff, json={"kind": "note", "text": "合同条款已确认"})
    signed = client.post(f"/api/v1/cases/{case}/sign", headers=staff, json={"expected": stale, "amount": 80})
    assert signed.status_code == 200, signed.text  # a log entry does not change the token
    body = signed.json()
    deal = body["detail"]["deal"]
    assert body["stage"] == "signed" and set(body["reached"]) >= {"introduced", "meeting", "negotiating", "signed"}
    assert {(r.src, r.type) for r in store.relationships(deal, [RelType.PARTY_TO], "in")} == \
        {(firm, "PARTY_TO"), (ids[1], "PARTY_TO")}
    assert [r.dst for r in store.relationships(deal, [RelType.FULFILS], "out")] == [need]
    assert store.get_node(need).props["status"] == "signed"
    assert client.get(f"/api/v1/entities/{deal}", headers=member).json()["properties"]["amount"] == 80
    assert client.post(f"/api/v1/cases/{case}/stage", headers=staff,
                       json={"expected": token(), "stage": "meeting", "reason": "x"}).status_code == 422

    # the enterprise sees its case without staff's notes; a stranger learns nothing
    own = client.get(f"/api/v1/cases/{case}", headers=member).json()
    assert own["stage"] == "signed" and {e["kind"] for e in own["events"]} <= {
        "stage", "clarify", "shortlist", "feedback", "introduce", "introduction", "fair", "promote"}
    assert "预算可上浮" not in json.dumps(own, ensure_ascii=False)
    other = next(row[1] for b in store.scan_nodes(Label.ENTERPRISE, ()) for row in b if row[1] != firm)
    stranger = sign_in(client, "enterprise", other)
    assert client.get(f"/api/v1/cases/{case}", headers=stranger).status_code == 404
    assert client.get("/api/v1/cases", headers=stranger).json() == []
    board = client.get("/api/v1/cases/dashboard", headers=staff).json()
    assert board["funnel"][-1]["stage"] == "signed" and board["funnel"][-1]["reached"] >= 1
    assert client.get("/api/v1/cases/dashboard", headers=member).status_code == 403
