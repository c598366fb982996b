"""A hostile client against the fair API, on each real store: every odd input it found answered 500 once;
each must be a clear 4xx naming the field (422) or the unknown thing (404), and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.service import GraphService

FAIRS = "/api/v1/fairs"
JSON = {"content-type": "application/json"}
PEOPLE = [{"id": "A", "name": "甲公司", "kind": "enterprise"}, {"id": "B", "name": "乙教授", "kind": "researcher"}]


def _fair(client: TestClient, fair_id: str) -> str:
    """A one-day fair with A and B registered; its URL."""
    r = client.post(FAIRS, json={"id": fair_id, "start": "2026-12-01", "days": 1, "sessions": 1,
                                 "expected_participants": 10, "expected_projects": 2})
    assert r.status_code == 201, r.text
    r = client.post(f"{FAIRS}/{fair_id}/participants", json=PEOPLE)
    assert r.status_code == 200, r.text
    return f"{FAIRS}/{fair_id}"


def _refused(r, *loc: object) -> str:
    """The message of a 422 whose first error is at body.<loc>."""
    assert r.status_code == 422, r.text
    error = r.json()["detail"][0]
    assert error["loc"] == ["body", *loc], error
    return error["msg"]


def _upload_refused(r, where: str) -> str:
    """The message of a refused CSV upload, which starts with file:line[: field]."""
    assert r.status_code == 422, r.text
    msg = r.json()["detail"][0]["msg"]
    assert msg.startswith(where), msg
    return msg


@pytest.fixture(scope="module")
def client(api: tuple[TestClient, GraphService, Path]) -> TestClient:
    return api[0]


def test_rows_that_are_lists_instead_of_objects_are_refused(client: TestClient) -> None:
    fair = _fair(client, "h1")
    for part in ("participants", "projects"):
        msg = _refused(client.post(f"{fair}/{part}", json=[[None, None]]), 0)
        assert "valid dictionary" in msg
    # the same models inside another body, and list cells that hold no words
    _refused(client.post(f"{fair}/late-registrations", json={"participants": [[None, None]]}), "participants", 0)
    _refused(client.post(f"{fair}/participants", json=[{**PEOPLE[0], "fields": [None]}]), 0, "fields", 0)
    _refused(client.post(f"{fair}/projects", json=[{"id": "P", "title": "t", "kind": "need", "fields": 5,
                                                     "presenter": "A"}]), 0, "fields")
    assert client.get(fair).json()["participants"] == 2


def test_a_meeting_request_with_oneself_names_field_b(client: TestClient) -> None:
    fair = _fair(client, "h2")
    msg = _refused(client.post(f"{fair}/requests", json=[{"a": "A", "b": "B"}, {"a": "A", "b": "A"}]), 1, "b")
    assert "two different participants" in msg
    _refused(client.post(f"{fair}/late-registrations", json={"requests": [{"a": "B", "b": "B"}]}),
             "requests", 0, "b")
    _upload_refused(client.post(f"{fair}/import/requests", content=b"a,b\nA,B\nB,B\n"), "requests.csv:3: field 'b'")
    _upload_refused(client.post(f"{fair}/import/locked", content=b"a,b,slot,table\nA,A,D1S01,1\n"),
                    "locked.csv:2: field 'b'")
    assert client.get(fair).json()["requests"] == {}


def test_a_csv_cell_over_the_field_limit_names_file_and_line(client: TestClient) -> None:
    fair = _fair(client, "h4")
    huge = "x" * 131_073
    body = f"id,name,kind\nC,丙,enterprise\nD,{huge},enterprise\n".encode()
    msg = _upload_refused(client.post(f"{fair}/import/participants", content=body), "participants.csv:3: ")
    assert "longer than 131,072 characters" in msg
    bad_utf8 = "id,name,kind\nC,丙,enterprise\n".encode("gbk")
    _upload_refused(client.post(f"{fair}/import/participants", content=bad_utf8), "participants.csv: not UTF-8")
    assert client.get(fair).json()["participants"] == 2


def test_every_integer_has_an_upper_bound(client: TestClient) -> None:
    huge = 10**15
    base = {"id": "h5", "start": "2026-12-01"}
    for field in ("expected_participants", "expected_projects", "tables", "sessions", "days"):
        _refused(client.post(FAIRS, json={**base, field: huge}), field)
    _refused(client.post(FAIRS, json={**base, "start": "9999-12-31"}), "start")
    fair = _fair(client, "h5")
    layout = {"name": "界", "blocks": [], "rooms": [{"id": "R1", "capacity": 10}], "tables": 5,
              "slots": [{"id": "S1", "day": "2026-12-01", "start": "09:00", "end": "09:25"}]}
    for change, loc in (({"tables": huge}, ("tables",)), ({"sessions": huge}, ("sessions",)),
                        ({"min_meetings": huge}, ("min_meetings",)),
                        ({"session_size": [1, huge]}, ("session_size", 1)),
                        ({"max_meetings": {"enterprise": huge}}, ("max_meetings", "enterprise")),
                        ({"max_meetings_with": {"investor": huge}}, ("max_meetings_with", "investor")),
                        ({"rooms": [{"id": "R1", "capacity": huge}]}, ("rooms", 0, "capacity")),
                        ({"slots": [{"id": "S1", "day": "9999-12-31", "start": "09:00", "end": "09:25"}]},
                         ("slots", 0, "day"))):
        _refused(client.put(f"{fair}/event", json={**layout, **change}), *loc)
    _refused(client.post(f"{fair}/participants", json=[{**PEOPLE[0], "max_meetings": huge}]), 0, "max_meetings")
    _upload_refused(client.post(f"{fair}/import/requests", content=f"a,b,seq\nA,B,{huge}\n".encode()),
                    "requests.csv:2: field 'seq'")
    _upload_refused(client.post(f"{fair}/import/locked", content=f"a,b,slot,table\nA,B,D1S01,{huge}\n".encode()),
                    "locked.csv:2: field 'table'")
    # checked before the route runs, so no plan is needed to see it refused
    _refused(client.post(f"{fair}/outcomes", json=[{"a": "A", "b": "B", "outcome": "signed", "amount": 1e12}]),
             0, "amount")
    assert client.get(fair).json()["tables"] == 10


def test_non_finite_numbers_are_refused(client: TestClient) -> None:
    fair = _fair(client, "h6")
    for number in ("NaN", "Infinity", "-Infinity", "1e309"):
        _non_finite_refused(client, fair, number)
    assert client.get(fair).json()["requests"] == {}


def _non_finite_refused(client: TestClient, fair: str, number: str) -> None:
    body = f'[{{"a": "A", "b": "B", "fit": {number}}}]'.encode()
    assert "finite" in _refused(client.post(f"{fair}/requests", content=body, headers=JSON), 0, "fit")
    _refused(client.post(f"{fair}/plan", content=f'{{"time_limit": {number}}}'.encode(), headers=JSON),
             "time_limit")
    _refused(client.post(f"{fair}/outcomes", content=f'[{{"a": "A", "b": "B", "outcome": "held", '
                                                     f'"amount": {number}}}]'.encode(), headers=JSON), 0, "amount")
    layout = (f'{{"name": "界", "blocks": [], "rooms": [{{"id": "R1", "capacity": {number}}}], "tables": 5, '
              '"slots": [{"id": "S1", "day": "2026-12-01", "start": "09:00", "end": "09:25"}]}')
    _refused(client.put(f"{fair}/event", content=layout.encode(), headers=JSON), "rooms", 0, "capacity")
    word = number.lower().replace("1e309", "inf")
    _upload_refused(client.post(f"{fair}/import/requests", content=f"a,b,fit\nA,B,{word}\n".encode()),
                    "requests.csv:2: field 'fit'")


def test_control_characters_are_refused_naming_the_field(client: TestClient) -> None:
    fair = _fair(client, "h7")
    person = PEOPLE[0]
    assert "U+0000" in _refused(client.post(f"{fair}/participants", json=[{**person, "name": "甲\x00"}]), 0, "name")
    _refused(client.post(f"{fair}/participants", json=[{**person, "id": "A\x1b"}]), 0, "id")
    _refused(client.post(f"{fair}/participants", json=[{**person, "region": "成\n都"}]), 0, "region")
    _refused(client.post(f"{fair}/participants", json=[{**person, "fields": ["\x1b[31m"]}]), 0, "fields", 0)
    _refused(client.post(f"{fair}/projects", json=[{"id": "P", "title": "t", "kind": "need", "fields": [],
                                                     "presenter": "A", "text": "bell\x07"}]), 0, "text")
    _refused(client.post(FAIRS, json={"id": "h7b", "start": "2026-12-01", "name": "科创会\x1b[2J"}), "name")
    _refused(client.post(f"{fair}/outcomes", json=[{"a": "A", "b": "B", "outcome": "held", "note": "\x00"}]),
             0, "note")
    _refused(client.post(f"{fair}/promote", json={"nodes": ["N\x00"]}), "nodes", 0)
    _upload_refused(client.post(f"{fair}/import/participants", content="id,name,kind\nC,丙\x00,enterprise\n".encode()),
                    "participants.csv:2: field 'name'")
    assert client.get(fair).json()["participants"] == 2
    # a line break in a name is kept (agendas escape it); ids never hold one
    r = client.post(f"{fair}/participants", json=[{**person, "name": "甲公司\n技术部"}])
    assert r.status_code == 200, r.text


def test_a_lone_surrogate_is_refused_naming_the_field(client: TestClient) -> None:
    fair = _fair(client, "h7s")
    body = b'[{"id": "C", "name": "\\ud800", "kind": "enterprise"}]'  # JSON can carry it; no UTF-8 file can
    assert "unicode" in _refused(client.post(f"{fair}/participants", content=body, headers=JSON), 0, "name")


def test_odd_input_on_every_route_is_a_clear_4xx(client: TestClient) -> None:
    fair = _fair(client, "h10")
    for part in ("participants", "projects", "requests", "answers"):  # empty lists change nothing
        assert client.post(f"{fair}/{part}", json=[]).status_code == 200
    msg = _refused(client.post(f"{fair}/participants", json=[PEOPLE[0], PEOPLE[0]]), "id")
    assert "already used" in msg
    assert "unknown participant 'NOBODY'" in _refused(client.post(f"{fair}/requests", json=[
        {"a": "A", "b": "NOBODY"}]), "0.b")
    assert "no request from A to B" in _refused(client.post(f"{fair}/answers", json=[
        {"a": "A", "b": "B", "status": "accepted"}]), "0")
    _refused(client.post(f"{fair}/cancellations", json={"participant": "NOBODY"}), "participant")
    assert client.post(f"{fair}/cancellations", json={"participant": "A"}).status_code == 409  # no plan yet
    assert client.post(f"{fair}/outcomes", json=[{"a": "A", "b": "B", "outcome": "held"}]).status_code == 409
    assert client.post(f"{fair}/late-registrations", json={}).status_code == 409
    for path in ("report", "overview", "table-plan", "agendas/A"):
        r = client.get(f"{fair}/{path}")
        assert r.status_code == 409 and "no plan yet" in r.text, (path, r.text)
    # fair ids: unicode, line breaks, traversal
    assert client.get(f"{FAIRS}/张三").status_code == 404
    assert client.get(f"{FAIRS}/h10%0A").status_code == 404
    for bad in ("张三", "h10\n", "../x"):
        _refused(client.post(FAIRS, json={"id": bad, "start": "2026-12-01"}), "id")
    # layouts: no slot and no block, an unknown or non-zone time zone, ids with a path separator
    layout = {"name": "界", "blocks": [], "rooms": [], "tables": 5,
              "slots": [{"id": "S1", "day": "2026-12-01", "start": "09:00", "end": "09:25"}]}
    assert "at least one" in _refused(client.put(f"{fair}/event", json={**layout, "slots": []}))
    for zone in ("Asia", "zone.tab", "Mars/Olympus"):
        assert "time zone" in _refused(client.put(f"{fair}/event", json={**layout, "timezone": zone}))
    _refused(client.post(f"{fair}/participants", json=[{**PEOPLE[0], "id": "../x"}]), 0, "id")
    assert client.post(f"{fair}/import/nothing", content=b"a\n").status_code == 422
    assert client.get(f"{fair}/participants", params={"offset": 10**9}).json()["rows"] == []
    assert client.get(f"{fair}/participants", params={"offset": 10**18}).status_code == 422
    assert client.get(fair).json()["participants"] == 2


def test_every_bad_line_of_a_file_is_named_at_once_and_nothing_kept(client: TestClient) -> None:
    fair = _fair(client, "h9")
    body = ("id,name,kind,max_meetings\nC,丙公司,enterprise,3\nD,丁,robot,2\nE,戊,enterprise,many\n"
            "F,己,enterprise,1,extra\nG,庚,researcher,2\n").encode()
    r = client.post(f"{fair}/import/participants", content=body)
    assert r.status_code == 422, r.text
    said = [(e["loc"][-1], e["msg"].split(":")[1]) for e in r.json()["detail"]]
    assert said == [("kind", "3"), ("max_meetings", "4"), ("body", "5")], r.json()  # lines 3, 4 and 5, in order
    assert client.get(fair).json()["participants"] == 2  # not one line of the file kept
    # references across the parts too: each unknown participant on its own line
    r = client.post(f"{fair}/import/requests", content=b"a,b\nA,X1\nA,B\nY2,B\n")
    assert [e["msg"] for e in r.json()["detail"]] == ["requests.csv:2: field 'b': unknown participant 'X1'",
                                                     "requests.csv:4: field 'a': unknown participant 'Y2'"]
