"""Issue 13, on each real store, through the API and the CLI: a meeting request without `fit` gets the
matching model's score whichever way it comes in (a JSON body, a CSV upload, a late registration,
`import-fair`), never a silent 0.5; and the plan report's `stale` says whether the plan reflects the
fair's current inputs: false after a re-plan that keeps every meeting, true after a change not planned."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.cli import main
from graph_service.fair.fits import prior_fit
from graph_service.fair.instance import read_instance
from graph_service.fair.promote import GraphReads
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.settings import Settings, get_settings
from loaders.importer import load_directory
from tests.conftest import Backend, as_staff
from tests.fair.conftest import cli_ok

FAIRS = "/api/v1/fairs"
EVENT = {"start": "2026-12-01", "days": 1, "sessions": 2, "expected_participants": 30, "expected_projects": 4,
         "tables": 8}
INVESTOR = {"id": "INV", "name": "天府创投", "kind": "investor", "fields": ["氢能"]}
# who asks whom (names of the cast below), and where its fit must come from
ASKS = [("E1", "R1", "model"), ("R2", "E2", "model"), ("E2", "I1", "model"), ("R1", "R3", "fields"),
        ("INV", "E1", "fields")]


def _ok(r, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture(scope="module")
def cast(api: tuple[TestClient, GraphService, Path]) -> dict:
    """Graph nodes to register: two enterprises with the researcher the partner API ranks first for each
    (and its score), another researcher, and the first one's institution."""
    client, service, _ = api
    p = service.projection
    g = GraphReads(p, service.store)
    tops: dict[str, dict] = {}
    for e in (p.ids[i] for i in g.of(Label.ENTERPRISE)):
        r = client.get("/api/v1/recommendations/partners", params={"enterprise": e, "top_k": 1})
        if r.status_code == 200 and r.json()["partners"]:
            tops[e] = r.json()["partners"][0]
        if len(tops) == 2:
            break
    (e1, top1), (e2, top2) = tops.items()
    r1, r2 = top1["researcher"]["id"], top2["researcher"]["id"]
    assert r1 != r2, "pick enterprises with different best researchers"
    r3 = next(p.ids[i] for i in g.of(Label.RESEARCHER) if p.ids[i] not in (r1, r2))
    i1 = p.ids[g.step(p.index[r1], RelType.AFFILIATED_WITH, "out")[0]]
    return {"E1": e1, "E2": e2, "R1": r1, "R2": r2, "R3": r3, "I1": i1, "INV": "INV",
            "scores": {(e1, r1): top1["score"], (r2, e2): top2["score"]}}


def _fair(client: TestClient, fair_id: str, cast: dict) -> str:
    _ok(client.post(FAIRS, json={"id": fair_id, **EVENT}), 201)
    url = f"{FAIRS}/{fair_id}"
    _ok(client.post(f"{url}/promote", json={"nodes": [cast[k] for k in ("E1", "E2", "R1", "R2", "R3", "I1")]}))
    _ok(client.post(f"{url}/participants", json=[INVESTOR]))
    return url


def _fits(rows: list[dict]) -> dict[tuple[str, str], tuple[float, str]]:
    return {(r["a"], r["b"]): (float(r["fit"]), r["fit_from"]) for r in rows}


def test_a_request_without_fit_gets_the_model_score_on_every_path(
        api: tuple[TestClient, GraphService, Path], cast: dict, market_backend: Backend, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, _ = api
    pairs = [(cast[a], cast[b]) for a, b, _ in ASKS]
    # the API, as JSON
    url = _fair(client, "fit-json", cast)
    answer = _ok(client.post(f"{url}/requests", json=[{"a": a, "b": b} for a, b in pairs]))
    assert answer["fits"] == {"model": 3, "fields": 2}
    by_json = _fits(_ok(client.get(f"{url}/requests"))["rows"])
    assert [by_json[pair][1] for pair in pairs] == [source for _, _, source in ASKS]
    for pair, score in cast["scores"].items():  # the score partner suggestions show, not 0.5
        assert by_json[pair][0] == round(score, 4) != 0.5
    assert 0 < by_json[cast["E2"], cast["I1"]][0] < 1
    people = {p["id"]: p for p in _ok(client.get(f"{url}/participants"))["rows"]}
    for a, b in ((cast["R1"], cast["R3"]), ("INV", cast["E1"])):
        assert by_json[a, b][0] == prior_fit(people[a]["fields"], people[b]["fields"])
    # the API, as a CSV upload
    url = _fair(client, "fit-csv", cast)
    body = "a,b\n" + "".join(f"{a},{b}\n" for a, b in pairs)
    _ok(client.post(f"{url}/import/requests", content=body.encode(), headers={"content-type": "text/csv"}))
    assert _fits(_ok(client.get(f"{url}/requests"))["rows"]) == by_json
    # a fit given is kept as given
    _ok(client.post(f"{url}/requests", json=[{"a": cast["E1"], "b": cast["R1"], "fit": 0.5}]))
    row = next(r for r in _ok(client.get(f"{url}/requests"))["rows"] if (r["a"], r["b"]) == (cast["E1"], cast["R1"]))
    assert (row["fit"], row["fit_from"]) == (0.5, "given")
    # the CLI over the same store: import-fair gives the same fits
    market_backend.use(monkeypatch)
    ok = cli_ok

    fair = tmp_path / "fair"
    ok("create-fair", fair, "--start", EVENT["start"], "--days", "1", "--sessions", "2", "--participants", "30",
       "--projects", "4", "--tables", "8")
    ok("promote-fair", fair, *(cast[k] for k in ("E1", "E2", "R1", "R2", "R3", "I1")))
    (tmp_path / "people.csv").write_text("id,name,kind,fields\nINV,天府创投,investor,氢能\n", encoding="utf-8")
    (tmp_path / "asks.csv").write_text(body, encoding="utf-8")
    out = ok("import-fair", fair, "--participants", tmp_path / "people.csv", "--requests", tmp_path / "asks.csv")
    assert "3 from the matching model, 2 from shared fields" in out
    by_cli = {(r.a, r.b): (r.fit, r.fit_from) for r in read_instance(fair).requests}
    assert by_cli == by_json
    get_settings.cache_clear()


def test_without_a_model_a_request_the_model_should_score_needs_its_fit(
        backend: Backend, tiny_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("deals", "party_to", "fulfils"):  # no deals: no model can be trained
        (tiny_copy / f"{name}.csv").unlink()
    with backend.open() as store:
        load_directory(store, tiny_copy, progress=False)
        service = GraphService.open(store)
        p = service.projection
        g = GraphReads(p, store)
        firm, expert, other = (p.ids[g.of(Label.ENTERPRISE)[0]], *(p.ids[i] for i in g.of(Label.RESEARCHER)[:2]))
        with TestClient(create_app(Settings(fairs_dir=tmp_path / "fairs"), service=service)) as client:
            as_staff(client)
            _ok(client.post(FAIRS, json={"id": "nm", **EVENT}), 201)
            _ok(client.post(f"{FAIRS}/nm/promote", json={"nodes": [firm, expert, other]}))
            refused = _ok(client.post(f"{FAIRS}/nm/requests", json=[{"a": other, "b": expert},
                                                                   {"a": firm, "b": expert}]), 422)
            error = refused["detail"][0]
            assert error["loc"][-1] == "1.fit" and "匹配模型无法训练" in error["msg"] and "请填写 fit" in error["msg"]
            refused = _ok(client.post(f"{FAIRS}/nm/import/requests", content=f"a,b\n{firm},{expert}\n".encode(),
                                      headers={"content-type": "text/csv"}), 422)
            assert refused["detail"][0]["msg"].startswith("requests.csv:2: field 'fit': ")
            assert _ok(client.get(f"{FAIRS}/nm"))["requests"] == {}
            # a fit given, or a pair the model does not score, is accepted
            _ok(client.post(f"{FAIRS}/nm/requests", json=[{"a": firm, "b": expert, "fit": 0.3},
                                                          {"a": other, "b": expert}]))
            rows = _fits(_ok(client.get(f"{FAIRS}/nm/requests"))["rows"])
            assert rows[firm, expert] == (0.3, "given") and rows[other, expert][1] == "fields"
    backend.use(monkeypatch)
    run = CliRunner()
    fair = tmp_path / "fair"
    assert run.invoke(main, ["create-fair", str(fair), "--start", "2026-12-01", "--days", "1"]).exit_code == 0
    assert run.invoke(main, ["promote-fair", str(fair), firm, expert]).exit_code == 0
    (tmp_path / "asks.csv").write_text(f"a,b\n{firm},{expert}\n", encoding="utf-8")
    r = run.invoke(main, ["import-fair", str(fair), "--requests", str(tmp_path / "asks.csv")])
    assert r.exit_code == 2 and "asks.csv:2: field 'fit': " in r.output and "匹配模型无法训练" in r.output
    assert read_instance(fair).requests == []
    get_settings.cache_clear()


def _report(client: TestClient, url: str) -> dict:
    return _ok(client.get(f"{url}/report"))


def _meetings(root: Path) -> list[dict]:
    with (root / "plan" / "meetings.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_plan_is_stale_exactly_while_an_input_change_is_not_planned(
        api: tuple[TestClient, GraphService, Path], cast: dict) -> None:
    client, _, first = api
    url = _fair(client, "st", cast)
    root = first.parent / "st"
    e1, e2, r1, r2, r3, i1 = (cast[k] for k in ("E1", "E2", "R1", "R2", "R3", "I1"))
    asks = [(e1, r1), (e1, r2), (e1, r3), (e2, r1), (e2, r2), (e2, r3), (e1, i1), ("INV", e2)]
    _ok(client.post(f"{url}/projects", json=[{"id": "P1", "title": "氢能储运需求", "kind": "need",
                                              "fields": ["氢能"], "presenter": e1}]))
    _ok(client.post(f"{url}/requests", json=[{"a": a, "b": b, "status": "accepted"} for a, b in asks]))
    _ok(client.post(f"{url}/plan", json={"time_limit": 2}), 202)
    assert _report(client, url)["stale"] is False
    planned = len(_meetings(root))
    assert planned >= 4
    # a new request: the plan no longer reflects the inputs, everywhere the plan's state is shown
    _ok(client.post(f"{url}/requests", json=[{"a": e2, "b": i1, "status": "accepted"}]))
    assert (_report(client, url)["stale"], _report(client, url)["stale_inputs"]) == (True, ["requests"])
    assert _ok(client.get(f"{url}/plan"))["stale"] is True and _ok(client.get(url))["plan"]["stale"] is True
    # a late registration re-plans around every meeting, and takes the new request in: not stale
    late = _ok(client.post(f"{url}/late-registrations", json={
        "participants": [{"id": "LATE", "name": "迟到研究员", "kind": "researcher", "fields": []}],
        "requests": [{"a": e1, "b": "LATE", "status": "accepted"}, {"a": r2, "b": e2}]}))
    assert late["change"]["kept"] == planned and late["change"]["moved"] == 0
    assert late["stale"] is False and _report(client, url)["stale"] is False
    late_fit = {(r["a"], r["b"]): r["fit"] for r in _ok(client.get(f"{url}/requests"))["rows"]}
    assert late_fit[r2, e2] == round(cast["scores"][r2, e2], 4)  # the same model score as every other path
    # a cancellation re-plans too: every other meeting kept, not stale
    meetings = _meetings(root)
    gone = r3
    mine = sum(1 for m in meetings if gone in (m["a"], m["b"]))
    change = _ok(client.post(f"{url}/cancellations", json={"participant": gone}))
    assert change["change"]["kept"] == len(meetings) - mine and change["stale"] is False
    assert _report(client, url)["stale"] is False
    # a planned meeting's request declined: re-planning keeps the meeting, so the plan stays stale
    held = next(m for m in _meetings(root) if {m["a"], m["b"]} == {e1, r1})
    _ok(client.post(f"{url}/answers", json=[{"a": e1, "b": r1, "status": "declined"}]))
    assert _report(client, url)["stale_inputs"] == ["requests"]
    late = _ok(client.post(f"{url}/late-registrations", json={
        "participants": [{"id": "LATE2", "name": "又一位", "kind": "researcher", "fields": []}]}))
    why = late["change"]["no_longer_wanted"]
    assert late["stale"] is True and len(why) == 1 and why[0].endswith("没有已接受的会谈请求")
    assert why[0].startswith(f"{held['a']}–{held['b']}")
    # an edited project: sessions are not re-formed by a re-plan, so it stays stale until planned again
    project = _ok(client.get(f"{url}/projects"))["rows"][0]
    _ok(client.post(f"{url}/projects", json=[{**project, "title": project["title"] + "（更新）"}]))
    late = _ok(client.post(f"{url}/late-registrations", json={
        "participants": [{"id": "LATE3", "name": "第三位", "kind": "researcher", "fields": []}]}))
    assert late["stale_inputs"] == ["projects", "requests"]
    _ok(client.post(f"{url}/plan", json={"time_limit": 2}), 202)
    assert (_report(client, url)["stale"], _report(client, url)["stale_inputs"]) == (False, [])
    assert not any({m["a"], m["b"]} == {e1, r1} for m in _meetings(root))  # the declined one is gone


def test_the_cli_says_when_agendas_come_from_a_stale_plan(
        api: tuple[TestClient, GraphService, Path], cast: dict, market_backend: Backend, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    market_backend.use(monkeypatch)
    ok = cli_ok

    fair, plan = tmp_path / "fair", tmp_path / "plan"
    ok("create-fair", fair, "--start", EVENT["start"], "--days", "1", "--sessions", "2", "--participants", "30",
       "--projects", "4", "--tables", "8")
    ok("promote-fair", fair, *(cast[k] for k in ("E1", "E2", "R1", "R2", "R3", "I1")))
    asks = tmp_path / "asks.csv"
    pairs = [("E1", "R1"), ("E1", "R2"), ("E2", "R1"), ("E2", "R3")]
    asks.write_text("a,b,status\n" + "".join(f"{cast[a]},{cast[b]},accepted\n" for a, b in pairs), encoding="utf-8")
    ok("import-fair", fair, "--requests", asks)
    ok("plan-fair", fair, "--out", plan, "--time-limit", "2")
    assert "方案已过期" not in ok("export-agendas", fair, "--plan", plan, "--out", tmp_path / "x1")
    asks.write_text(f"a,b,status\n{cast['E2']},{cast['R2']},accepted\n", encoding="utf-8")
    ok("import-fair", fair, "--requests", asks)
    warned = ok("export-agendas", fair, "--plan", plan, "--out", tmp_path / "x2")
    assert "方案已过期，requests 在规划之后有改动" in warned
    # a late registration re-plans into a new directory, with the instance it reflects
    late = tmp_path / "late"
    late.mkdir()
    (late / "participants.csv").write_text("id,name,kind\nLATE,迟到研究员,researcher\n", encoding="utf-8")
    (late / "requests.csv").write_text(f"a,b,status\n{cast['E1']},LATE,accepted\n", encoding="utf-8")
    new = tmp_path / "plan2"
    ok("replan-fair", fair, "--plan", plan, "--out", new, "--register", late)
    assert "方案已过期" not in ok("export-agendas", new / "instance", "--plan", new, "--out", tmp_path / "x3")
    get_settings.cache_clear()
