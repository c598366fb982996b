"""What leaves the fair API for other programs, on each real store: agendas as iCalendar and CSV for
awkward participants (unknown, cancelled, not planned yet, unicode or quoted ids, names with line
breaks), download headers that no value can break, and CSV cells that spreadsheets do not run."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import quote

import icalendar
import pytest
from fastapi.testclient import TestClient

from graph_service.fair.instance import read_instance
from graph_service.schema import Label
from graph_service.service import GraphService

FAIRS = "/api/v1/fairs"
FORMULA = '=HYPERLINK("http://x","点我")'
PEOPLE = [{"id": "张三", "name": "张三\n博士", "kind": "researcher"},
          {"id": "F1", "name": FORMULA, "kind": "enterprise"},
          {"id": 'q"1', "name": "@SUM(1+1)", "kind": "enterprise"},
          {"id": "C1", "name": "-2+3 公司", "kind": "enterprise"},
          {"id": "APOS", "name": "'=already quoted", "kind": "investor"},
          {"id": "LONELY", "name": "无人约见", "kind": "researcher"}]
PAIRS = [("F1", "张三"), ('q"1', "张三"), ("C1", "张三"), ("F1", "C1"), ("APOS", "F1")]


def _ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r


@pytest.fixture(scope="module")
def planned(api: tuple[TestClient, GraphService, Path]) -> tuple[TestClient, str, Path]:
    """A planned one-day fair whose name holds a line break, with the awkward participants above."""
    client, _, _ = api
    _ok(client.post(FAIRS, json={"id": "x1", "name": "测试\n科创会", "start": "2026-12-01", "days": 1, "sessions": 1,
                                 "expected_participants": 10, "expected_projects": 2}), 201)
    fair = f"{FAIRS}/x1"
    _ok(client.post(f"{fair}/participants", json=PEOPLE))
    _ok(client.post(f"{fair}/requests", json=[{"a": a, "b": b, "status": "accepted", "preference": "must",
                                               "fit": 0.9} for a, b in PAIRS]))
    # before the plan: somebody unknown is 404, a registered participant's agenda 409 "no plan yet"
    for fmt in ("json", "csv", "ics"):
        assert _agenda(client, fair, "NOBODY", fmt).status_code == 404
        r = _agenda(client, fair, "张三", fmt)
        assert r.status_code == 409 and "no plan yet" in r.json()["detail"], r.text
    _ok(client.post(f"{fair}/plan", json={"time_limit": 2}), 202)
    assert client.get(f"{fair}/plan").json()["state"] == "done"
    return client, fair, Path(client.app.state.fairs.root) / "x1"


def _agenda(client: TestClient, fair: str, pid: str, fmt: str):
    return client.get(f"{fair}/agendas/{quote(pid, safe='')}", params={"format": fmt})


def test_agendas_of_unknown_cancelled_and_idle_participants(planned: tuple[TestClient, str, Path]) -> None:
    client, fair, _ = planned
    for fmt in ("json", "csv", "ics"):
        r = _agenda(client, fair, "NOBODY", fmt)
        assert r.status_code == 404 and "no participant 'NOBODY'" in r.json()["detail"]
    # nobody asked to meet LONELY: an empty agenda, and a calendar with no events that still imports
    assert _ok(_agenda(client, fair, "LONELY", "json")).json()["items"] == []
    cal = icalendar.Calendar.from_ical(_ok(_agenda(client, fair, "LONELY", "ics")).content)
    assert cal.walk("VEVENT") == []
    assert list(csv.reader(io.StringIO(_ok(_agenda(client, fair, "LONELY", "csv")).text)))[1:] == []


def test_ical_escapes_line_breaks_and_folds_long_lines(planned: tuple[TestClient, str, Path]) -> None:
    client, fair, _ = planned
    r = _ok(_agenda(client, fair, "F1", "ics"))
    raw = r.content
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in x and b"\r" not in x for x in lines)  # CRLF only
    assert all(len(x) <= 75 for x in lines)  # folded (RFC 5545 3.1)
    assert "X-WR-CALNAME:测试\\n科创会｜=HYPERLINK(\"http://x\"\\,\"点我\")" in raw.decode().replace("\r\n ", "")
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    summaries = {str(e["summary"]) for e in events}
    assert "1:1 洽谈：张三\n博士" in summaries  # the line break survives as a line break
    assert len({str(e["uid"]) for e in events}) == len(events) >= 2


def test_downloads_name_unicode_and_quoted_ids_safely(planned: tuple[TestClient, str, Path]) -> None:
    client, fair, _ = planned
    for pid, fallback in (("张三", "__"), ('q"1', "q_1")):
        for fmt in ("csv", "ics"):
            header = _ok(_agenda(client, fair, pid, fmt)).headers["content-disposition"]
            assert header == f"attachment; filename=\"{fallback}.{fmt}\"; filename*=UTF-8''{quote(pid, safe='')}.{fmt}"
            assert header.isascii() and "\r" not in header and "\n" not in header
    events = icalendar.Calendar.from_ical(_ok(_agenda(client, fair, "张三", "ics")).content).walk("VEVENT")
    assert {str(e["summary"]) for e in events} >= {f"1:1 洽谈：{FORMULA}", "1:1 洽谈：@SUM(1+1)"}


def test_csv_exports_neutralise_formulas_and_files_read_back_unchanged(
        planned: tuple[TestClient, str, Path]) -> None:
    client, fair, root = planned
    rows = list(csv.DictReader(io.StringIO(_ok(_agenda(client, fair, "张三", "csv")).text)))
    names = {r["with_id"]: r["with_name"] for r in rows}
    assert names["F1"] == "'" + FORMULA and names['q"1'] == "'@SUM(1+1)" and names["C1"] == "'-2+3 公司"
    table = list(csv.DictReader(io.StringIO(_ok(client.get(f"{fair}/table-plan")).text)))
    cells = [c for r in table for c in r.values()]
    assert "'" + FORMULA in cells and "''=already quoted" in cells
    assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells)
    # the instance files a spreadsheet may open are neutralised too, and read back exactly as given
    saved = (root / "instance" / "participants.csv").read_text(encoding="utf-8")
    assert re.search(r"F1,\"'=HYPERLINK", saved)
    given = {p["id"]: p["name"] for p in PEOPLE}
    assert {p.id: p.name for p in read_instance(root / "instance").participants} == given
    listed = _ok(client.get(f"{fair}/participants")).json()["rows"]
    assert {p["id"]: p["name"] for p in listed} == given
    # follow-up: the staff's CSV is neutralised, the API gives the note as written
    meeting = next(m for m in csv.DictReader((root / "plan" / "meetings.csv").open(encoding="utf-8"))
                   if "F1" in (m["a"], m["b"]))
    note = "=cmd|' /C calc'!A0"
    _ok(client.post(f"{fair}/outcomes", json=[{"a": meeting["a"], "b": meeting["b"], "outcome": "held",
                                                "note": note}]))
    assert _ok(client.get(f"{fair}/followup")).json()[0]["note"] == note
    followup = list(csv.DictReader((root / "followup.csv").open(encoding="utf-8")))
    assert followup[0]["note"] == "'" + note and followup[0]["a_name"].startswith("'")


def test_outcomes_naming_unknown_people_or_projects_are_refused(planned: tuple[TestClient, str, Path]) -> None:
    client, fair, root = planned
    before = (root / "outcomes.csv").read_bytes()
    for row, where in (({"a": "F1", "b": "NOBODY", "outcome": "held"}, "outcomes:3: field 'b': unknown participant"),
                       ({"a": "F1", "b": "F1", "outcome": "held"}, "outcomes:3: field 'b'"),
                       ({"a": "F1", "b": "张三", "outcome": "held", "project": "NOPE"}, "outcomes:3: field 'project'")):
        r = client.post(f"{fair}/outcomes", json=[{"a": "F1", "b": "张三", "outcome": "held"}, row])
        assert r.status_code == 422 and r.json()["detail"][0]["msg"].startswith(where), r.text
    assert (root / "outcomes.csv").read_bytes() == before


def test_cancelled_participants_and_changed_layouts_are_clear_4xx(planned: tuple[TestClient, str, Path]) -> None:
    client, fair, _ = planned
    _ok(client.post(f"{fair}/cancellations", json={"participant": "C1"}))
    for fmt in ("json", "csv", "ics"):
        r = _agenda(client, fair, "C1", fmt)
        assert r.status_code == 404 and "cancelled" in r.json()["detail"], r.text
    r = client.post(f"{fair}/cancellations", json={"participant": "C1"})
    assert r.status_code == 422 and "cancelled" in r.json()["detail"][0]["msg"]
    # a layout without the planned slots: the plan no longer fits, until planned again
    layout = {"name": "新布局", "blocks": [], "rooms": [], "tables": 3,
              "slots": [{"id": "NEW1", "day": "2026-12-01", "start": "09:00", "end": "09:25"}]}
    _ok(client.put(f"{fair}/event", json=layout))
    for path in ("agendas/F1", "overview", "table-plan"):
        r = client.get(f"{fair}/{path}")
        assert r.status_code == 409 and "no longer fits" in r.json()["detail"], (path, r.text)
    r = client.post(f"{fair}/late-registrations", json={"participants": [
        {"id": "L1", "name": "迟到", "kind": "investor"}]})
    assert r.status_code == 409 and "no longer fits" in r.json()["detail"]


def test_a_fair_with_sessions_only_has_agendas_without_meetings(api: tuple[TestClient, GraphService, Path]) -> None:
    client, _, _ = api
    layout = {"name": "路演专场", "tables": 1, "sessions": 1, "session_size": [1, 5], "slots": [],
              "blocks": [{"id": "B1", "day": "2026-12-01", "start": "09:00", "end": "10:30"}],
              "rooms": [{"id": "R1", "capacity": 50}]}
    _ok(client.post(FAIRS, json={"id": "x2", "event": layout}), 201)
    fair = f"{FAIRS}/x2"
    _ok(client.post(f"{fair}/participants", json=PEOPLE[:2]))
    _ok(client.post(f"{fair}/projects", json=[{"id": "P1", "title": "氢能\n储运", "kind": "need", "fields": ["能源"],
                                               "presenter": "F1"}]))
    _ok(client.post(f"{fair}/requests", json=[{"a": "F1", "b": "张三", "fit": 0.5, "status": "accepted"}]))
    _ok(client.post(f"{fair}/plan", json={"time_limit": 2}), 202)
    assert client.get(f"{fair}/plan").json()["report"]["meetings"] == 0
    events = icalendar.Calendar.from_ical(_ok(_agenda(client, fair, "F1", "ics")).content).walk("VEVENT")
    assert [str(e["summary"]).startswith("项目路演") for e in events] == [True]
    assert _ok(client.get(f"{fair}/table-plan")).text.strip() == "day,slot,start,end,table,a,a_name,b,b_name"


def test_a_signed_outcome_between_two_registrations_of_one_entity_is_refused(
        api: tuple[TestClient, GraphService, Path]) -> None:
    """Two participants standing for the same enterprise would make a deal with one party."""
    client, service, _ = api
    firm = next(row[1] for batch in service.store.scan_nodes(Label.ENTERPRISE, ()) for row in batch)
    _ok(client.post(FAIRS, json={"id": "same1", "start": "2026-12-01", "days": 1, "sessions": 1,
                                 "expected_participants": 10, "expected_projects": 2}), 201)
    fair = f"{FAIRS}/same1"
    _ok(client.post(f"{fair}/participants", json=[{"id": "A", "name": "甲", "kind": "enterprise", "node": firm},
                                                  {"id": "B", "name": "乙", "kind": "enterprise", "node": firm}]))
    _ok(client.post(f"{fair}/requests", json=[{"a": "A", "b": "B", "status": "accepted", "fit": 0.9}]))
    _ok(client.post(f"{fair}/plan", json={"time_limit": 2}), 202)
    r = client.post(f"{fair}/outcomes", json=[{"a": "A", "b": "B", "outcome": "signed"}])
    assert r.status_code == 422 and "two parties" in r.json()["detail"][0]["msg"], r.text
