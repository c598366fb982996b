"""An organiser runs a fair through the API on the tiny market, steps 1 to 7, on each real store:
create, promote from everyday matching, register, requests and answers, plan, report, agendas
(CSV and iCalendar) and overview, cancellation and late registration, outcomes into the graph."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from graph_service.cli import main
from graph_service.fair.instance import read_instance
from graph_service.fair.promote import GraphReads
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.settings import get_settings
from graph_service.stores import open_store
from tests.conftest import Backend
from tests.fair.conftest import cli_ok
from tests.fair.test_plan import check_schedule

FAIR = "/api/v1/fairs/f1"


def _ok(r, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json()


def _promoted_nodes(service: GraphService) -> list[str]:
    g = GraphReads(service.projection, service.store)
    p = service.projection
    needs = [p.ids[i] for i in g.of(Label.NEED)[:24]]
    offers = [p.ids[i] for i in g.of(Label.OFFER)[:8]]
    researchers = [p.ids[i] for i in g.of(Label.RESEARCHER)[:40]]
    return needs + offers + researchers


def test_organiser_runs_a_fair_through_the_api(api: tuple[TestClient, GraphService, Path]) -> None:
    client, service, root = api
    # 1. create
    fair = _ok(client.post("/api/v1/fairs", json={"id": "f1", "name": "测试科创会", "start": "2026-12-01", "days": 2,
                                                   "sessions": 4, "expected_participants": 90,
                                                   "expected_projects": 30, "tables": 10}), 201)
    assert fair["days"] == ["2026-12-01", "2026-12-02"] and fair["tables"] == 10 and fair["projects"] == 0
    _ok(client.post("/api/v1/fairs", json={"id": "f1", "start": "2026-12-01"}), 409)
    # 2. promote from everyday matching, register, requests, answers
    added = _ok(client.post(f"{FAIR}/promote", json={"nodes": _promoted_nodes(service)}))
    assert len(added["projects_added"]) == 32 and len(added["participants_added"]) > 40
    again = _ok(client.post(f"{FAIR}/promote", json={"nodes": _promoted_nodes(service)}))
    assert again == {"projects_added": [], "participants_added": []}  # idempotent
    _ok(client.post(f"{FAIR}/participants", json=[
        {"id": "INV1", "name": "天府创投", "kind": "investor", "fields": [], "available": ["2026-12-01"]}]))
    people = _ok(client.get(f"{FAIR}/participants", params={"limit": 5000}))["rows"]
    firms = [p for p in people if p["kind"] == "enterprise"]
    experts = [p for p in people if p["kind"] == "researcher"]
    asks = [{"a": f["id"], "b": experts[(k * 7 + j) % len(experts)]["id"], "preference": "must" if j == 0 else "meet"}
            for k, f in enumerate(firms) for j in range(4)]
    asks += [{"a": "INV1", "b": f["id"]} for f in firms[:5]]
    _ok(client.post(f"{FAIR}/requests", json=asks))
    stored = _ok(client.get(f"{FAIR}/requests", params={"limit": 5000}))["rows"]
    assert len(stored) == len(asks) and all(r["status"] == "pending" and 0 <= r["fit"] <= 1 for r in stored)
    answers = [{"a": r["a"], "b": r["b"], "status": "declined" if k % 10 == 9 else "accepted"}
               for k, r in enumerate(stored)]
    _ok(client.post(f"{FAIR}/answers", json=answers))
    # 3-4. plan (a background job; the test client runs it before answering) and its report
    job = _ok(client.post(f"{FAIR}/plan", json={"time_limit": 5}), 202)
    assert job["state"] == "running"
    status = _ok(client.get(f"{FAIR}/plan"))
    assert status["state"] == "done", status
    report = status["report"]
    assert report["meetings"] > 20 and 0 <= report["gap"] <= 0.02 and report["stale"] is False
    assert {"min", "median", "max", "gini"} <= set(report["meetings_per_participant"])
    instance = read_instance(root / "instance")
    meetings = check_schedule(instance, root / "plan")
    assert len(meetings) == report["meetings"]
    # 5. agendas and the overview
    busiest = Counter(x for m in meetings for x in (m["a"], m["b"])).most_common(1)[0][0]
    items = _ok(client.get(f"{FAIR}/agendas/{busiest}"))["items"]
    mine = [m for m in meetings if busiest in (m["a"], m["b"])]
    assert sum(1 for x in items if x["what"] == "meeting") == len(mine)
    rows = list(csv.DictReader(io.StringIO(client.get(f"{FAIR}/agendas/{busiest}", params={"format": "csv"}).text)))
    assert len(rows) == len(items) and rows[0]["day"] <= rows[-1]["day"]
    r = client.get(f"{FAIR}/agendas/{busiest}", params={"format": "ics"})
    assert r.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(r.content).walk("VEVENT")
    assert len(events) == len(items)
    slots = {s.id: s for s in instance.event.slots}
    first = slots[min(mine, key=lambda m: (m["day"], slots[m["slot"]].start))["slot"]]
    starts = {e.decoded("dtstart") for e in events}
    assert datetime.combine(first.day, first.start, ZoneInfo("Asia/Shanghai")) in starts
    assert len({str(e["uid"]) for e in events}) == len(events)
    _ok(client.get(f"{FAIR}/agendas/NOBODY"), 404)
    overview = _ok(client.get(f"{FAIR}/overview"))
    assert len(overview["programme"]) == report["sessions"]["count"]
    assert sum(s["meetings"] for s in overview["slots"]) == len(meetings)
    assert all(s["tables_free"] >= 0 for s in overview["slots"])
    plan_rows = list(csv.DictReader(io.StringIO(client.get(f"{FAIR}/table-plan").text)))
    assert len(plan_rows) == len(meetings)
    # 6. a cancellation, then a late registration: nobody else's meeting moves or is lost
    before = {(m["a"], m["b"], m["slot"], m["table"]) for m in meetings if busiest not in (m["a"], m["b"])}
    change = _ok(client.post(f"{FAIR}/cancellations", json={"participant": busiest}))["change"]
    assert change["kept"] == len(before) and change["moved"] == 0
    after = check_schedule(read_instance(root / "instance"), root / "plan")
    assert before <= {(m["a"], m["b"], m["slot"], m["table"]) for m in after}
    assert busiest not in {x for m in after for x in (m["a"], m["b"])}
    counts = Counter(x for m in after for x in (m["a"], m["b"]))
    host = min((f for f in firms if f["id"] != busiest), key=lambda f: counts[f["id"]])["id"]
    late = _ok(client.post(f"{FAIR}/late-registrations", json={
        "participants": [{"id": "LATE1", "name": "迟到研究员", "kind": "researcher", "fields": []}],
        "requests": [{"a": host, "b": "LATE1", "status": "accepted", "preference": "must"}]}))
    assert late["change"]["moved"] == 0 and late["change"]["added"] >= 1
    final = check_schedule(read_instance(root / "instance"), root / "plan")
    assert any("LATE1" in (m["a"], m["b"]) for m in final)
    assert {(m["a"], m["b"], m["slot"], m["table"]) for m in after} <= \
        {(m["a"], m["b"], m["slot"], m["table"]) for m in final}
    # 7. outcomes: signed -> a deal in the graph; the rest -> follow-up
    projects = {p["presenter"]: p for p in _ok(client.get(f"{FAIR}/projects", params={"limit": 5000}))["rows"]
                if p["kind"] in ("need", "challenge")}
    signed = next(m for m in final if m["a"] in projects and m["b"] != "LATE1")
    other = next(m for m in final if m is not signed and m["a"] in projects and m["a"] != signed["a"])
    need = projects[signed["a"]]["node"]
    deals_before = service.store.counts().nodes.get("Deal", 0)
    body = [{"a": signed["a"], "b": signed["b"], "outcome": "signed", "project": projects[signed["a"]]["id"],
             "amount": 120.5},
            {"a": other["a"], "b": other["b"], "outcome": "intention", "note": "等待预算"}]
    summary = _ok(client.post(f"{FAIR}/outcomes", json=body))
    assert summary["recorded"] == {"signed": 1, "intention": 1} and len(summary["deals_written"]) == 1
    deal = summary["deals_written"][0]
    # the everyday mode follows: the signed need's case is signed with the fair's deal
    assert summary["cases"]["opened"] + summary["cases"]["moved"] >= 1
    case = _ok(client.get(f"/api/v1/cases/case-{need}"))
    assert (case["stage"], case["detail"]["deal"]) == ("signed", deal)
    assert case["events"][-1]["kind"] == "fair" and "现场签约" in case["events"][-1]["text"]
    # read back through the API
    assert _ok(client.get(f"/api/v1/entities/{deal}"))["properties"]["amount"] == 120.5
    rels = {(r["type"], r["src"], r["dst"]) for r in _ok(client.get(f"/api/v1/entities/{deal}/relationships"))}
    party = {p["id"]: p for p in people}
    assert (str(RelType.PARTY_TO), party[signed["a"]]["node"], deal) in rels
    assert (str(RelType.PARTY_TO), party[signed["b"]]["node"], deal) in rels
    assert (str(RelType.FULFILS), deal, need) in rels
    assert _ok(client.get(f"/api/v1/entities/{need}"))["properties"]["status"] == "signed"
    assert deal in service.projection.index  # the next recommendation sees it
    firm, partner = party[signed["a"]]["node"], party[signed["b"]]["node"]
    assert service.projection.label_of(service.projection.idx(partner)) == Label.RESEARCHER
    found = _ok(client.get("/api/v1/recommendations/partners", params={"enterprise": firm, "top_k": 100}))
    paths = [x for s in found["partners"] if s["researcher"]["id"] == partner for x in s["paths"]]
    assert any(x["kind"] == "past_deal" and deal in [n["id"] for n in x["nodes"]] for x in paths)  # at once
    followup = _ok(client.get(f"{FAIR}/followup"))
    assert [(f["a"], f["outcome"]) for f in followup] == [(other["a"], "intention")]
    assert followup[0]["next_step"] and followup[0]["scheduled"] is True
    # recording again writes the same deal once
    _ok(client.post(f"{FAIR}/outcomes", json=body))
    assert service.store.counts().nodes["Deal"] == deals_before + 1
    # a signed outcome with a party outside the graph is refused, and nothing is written
    met = {tuple(sorted((m["a"], m["b"]))) for m in final}
    assert tuple(sorted(("INV1", host))) not in met
    # a pair that never met is refused, unless a person wrote why it happened anyway
    bad = _ok(client.post(f"{FAIR}/outcomes", json=[
        {"a": other["a"], "b": other["b"], "outcome": "signed"},
        {"a": "INV1", "b": host, "outcome": "signed"}]), 422)
    assert "outcomes:3: field 'outcome': INV1 and" in bad["detail"][0]["msg"]
    bad = _ok(client.post(f"{FAIR}/outcomes", json=[
        {"a": other["a"], "b": other["b"], "outcome": "signed"},
        {"a": "INV1", "b": host, "outcome": "signed", "note": "会后在展位洽谈"}]), 422)
    assert "outcomes:3: field 'a': INV1 (investor) is not in the graph" in bad["detail"][0]["msg"]
    assert service.store.counts().nodes["Deal"] == deals_before + 1


def test_bad_uploads_name_file_line_and_field_and_change_nothing(api: tuple[TestClient, GraphService, Path]) -> None:
    client, _, _ = api
    _ok(client.post("/api/v1/fairs", json={"id": "f2", "start": "2026-12-01", "days": 1, "sessions": 2,
                                           "expected_participants": 20, "expected_projects": 4}), 201)
    good = "id,name,kind,available\nA1,甲公司,enterprise,2026-12-01\n"
    assert _ok(client.post("/api/v1/fairs/f2/import/participants", content=good.encode()))["participants"] == 1
    bad = good + "A2,乙公司,enterprise,2026-12-05\n"
    detail = _ok(client.post("/api/v1/fairs/f2/import/participants", content=bad.encode()), 422)["detail"][0]
    assert detail["msg"].startswith("participants.csv:3: field 'available': '2026-12-05' is neither")
    wrong_kind = "id,name,kind\nB1,乙,robot\n"
    detail = _ok(client.post("/api/v1/fairs/f2/import/participants", content=wrong_kind.encode()), 422)["detail"][0]
    assert detail["msg"].startswith("participants.csv:2: field 'kind'")
    unknown = "a,b\nA1,NOBODY\n"
    detail = _ok(client.post("/api/v1/fairs/f2/import/requests", content=unknown.encode()), 422)["detail"][0]
    assert detail["msg"] == "requests.csv:2: field 'b': unknown participant 'NOBODY'"
    assert _ok(client.get("/api/v1/fairs/f2"))["participants"] == 1
    _ok(client.post("/api/v1/fairs/f2/promote", json={"nodes": ["NO-SUCH-NODE"]}), 422)
    _ok(client.get("/api/v1/fairs/f2/report"), 409)  # nothing planned yet: plan first
    _ok(client.get("/api/v1/fairs/nope"), 404)
    _ok(client.post("/api/v1/fairs", json={"id": "bad id", "start": "2026-12-01"}), 422)


def test_organiser_runs_a_fair_from_the_cli(market_backend: Backend, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with market_backend.open() as store:
        nodes = _promoted_nodes(GraphService.open(store))
        deals_before = store.counts().nodes["Deal"]
    market_backend.use(monkeypatch)
    ok, run = cli_ok, CliRunner()

    fair, plan, out = tmp_path / "fair", tmp_path / "plan", tmp_path / "export"
    ok("create-fair", fair, "--start", "2026-12-01", "--days", "2", "--sessions", "4", "--participants", "90",
       "--projects", "30", "--tables", "10")
    assert run.invoke(main, ["create-fair", str(fair)]).exit_code == 1  # not over an existing fair
    ok("promote-fair", fair, *nodes)
    instance = read_instance(fair)
    firms = [p.id for p in instance.participants if p.kind == "enterprise"]
    experts = [p.id for p in instance.participants if p.kind == "researcher"]
    asks = tmp_path / "requests.csv"
    asks.write_text("a,b,preference,status,fit\n" + "".join(
        f"{f},{experts[(k * 5 + j) % len(experts)]},meet,accepted,0.{j + 3}\n" for k, f in enumerate(firms)
        for j in range(4)), encoding="utf-8")
    ok("import-fair", fair, "--requests", asks)
    saved = (fair / "requests.csv").read_bytes()
    bad = tmp_path / "more.csv"
    bad.write_text(f"a,b\n{firms[0]},{experts[0]}\n{firms[0]},NOBODY\n", encoding="utf-8")
    r = run.invoke(main, ["import-fair", str(fair), "--requests", str(bad)])
    assert r.exit_code == 2 and "more.csv:3: field 'b': unknown participant 'NOBODY'" in r.output
    assert (fair / "requests.csv").read_bytes() == saved  # nothing written
    report = json.loads(ok("plan-fair", fair, "--out", plan, "--time-limit", "5", "--json"))
    meetings = check_schedule(read_instance(fair), plan)
    assert report["meetings"] == len(meetings) > 10
    assert "agendas" in ok("export-agendas", fair, "--plan", plan, "--out", out)
    someone = meetings[0]["a"]
    events = icalendar.Calendar.from_ical((out / "agendas" / f"{someone}.ics").read_bytes()).walk("VEVENT")
    agenda = list(csv.DictReader((out / "agendas" / f"{someone}.csv").open(encoding="utf-8")))
    assert len(events) == len(agenda) >= 1
    assert len(list(csv.DictReader((out / "table_plan.csv").open(encoding="utf-8")))) == len(meetings)
    assert len(list(csv.DictReader((out / "programme.csv").open(encoding="utf-8")))) == report["sessions"]["count"]
    signed, held = meetings[0], meetings[1]
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(f"a,b,outcome,amount\n{signed['a']},{signed['b']},signed,50\n{held['a']},{held['b']},held,\n",
                        encoding="utf-8")
    assert "1 deals written" in ok("record-outcomes", fair, "--plan", plan, "--outcomes", outcomes, "--fair", "f9")
    with open_store(get_settings()) as store:
        assert store.counts().nodes["Deal"] == deals_before + 1
    follow = list(csv.DictReader((plan / "followup.csv").open(encoding="utf-8")))
    assert [(f["a"], f["outcome"]) for f in follow] == [(held["a"], "held")]
    get_settings.cache_clear()


def test_a_plan_cut_short_by_a_restart_is_reported_and_can_be_run_again(
        api: tuple[TestClient, GraphService, Path]) -> None:
    client, _, _ = api
    _ok(client.post("/api/v1/fairs", json={"id": "f3", "start": "2026-12-01", "days": 1, "sessions": 1,
                                           "expected_participants": 10, "expected_projects": 2}), 201)
    root = Path(client.app.state.fairs.root) / "f3"
    dead = 2**22 + 12345  # above the kernel's default pid_max: no such process
    (root / "status.json").write_text(json.dumps({"state": "running", "pid": dead}), encoding="utf-8")
    status = _ok(client.get("/api/v1/fairs/f3/plan"))
    assert status["state"] == "failed" and "interrupted" in status["error"]
    _ok(client.post("/api/v1/fairs/f3/participants", json=[{"id": "A", "name": "甲", "kind": "enterprise"}]))
    assert _ok(client.post("/api/v1/fairs/f3/plan", json={"time_limit": 2}), 202)["state"] == "running"
    assert _ok(client.get("/api/v1/fairs/f3/plan"))["state"] == "done"
    # an edit after planning marks the plan stale; the report says so
    _ok(client.post("/api/v1/fairs/f3/participants", json=[{"id": "B", "name": "乙", "kind": "researcher"}]))
    assert _ok(client.get("/api/v1/fairs/f3/report"))["stale"] is True
