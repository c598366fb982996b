"""The fair organiser's pages over HTTP, on both stores: create a fair, import its files (a bad one named by file,
line and field in a table, nothing changed), plan it, the programme and 1:1 grid filtered by participant,
the fairness report with its charts, agenda downloads, a cancellation and a late registration, outcomes
recorded by staff; and refusals: another organiser and an enterprise get 403, a visitor is sent to sign in."""

from __future__ import annotations

import csv
import io
import re

import icalendar
from fastapi.testclient import TestClient

from graph_service.auth.accounts import add_user
from graph_service.schema import Label
from tests.conftest import TEST_PASSWORD
from tests.web.test_pages import TOKEN, sign_in, site  # noqa: F401  # the fixture

FAIR = "/fairs/pf1"
DAY = "2026-12-01"


def _token(page) -> str:  # noqa: ANN001
    return TOKEN.search(page.text).group(1)


def _people(site: TestClient) -> tuple[list[str], list[str]]:  # noqa: F811
    """Enterprises and researchers of the tiny market (the participants' nodes in the graph)."""
    p = site.app.state.service.projection  # type: ignore[attr-defined]
    firms = [p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE][:6]
    experts = [p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER][:10]
    return firms, experts


def fair_files(site: TestClient) -> dict[str, str]:  # noqa: F811
    """A small fair's participants, projects and requests as CSV text (half the requests without a fit:
    the matching model scores them, as for the API's uploads)."""
    firms, experts = _people(site)
    people = ["id,name,kind,region,small,specialised,fields,node"]
    people += [f"E{k},企业{k},enterprise,{'成都市' if k % 2 else '重庆市'},{str(k < 3).lower()},"
               f"{str(k % 3 == 0).lower()},氢能;储能,{node}" for k, node in enumerate(firms)]
    people += [f"R{k},专家{k},researcher,成都市,false,false,氢能,{node}" for k, node in enumerate(experts)]
    projects = ["id,title,kind,fields,presenter"]
    projects += [f"P{k},项目{k},need,{['氢能', '储能'][k % 2]},E{k}" for k in range(4)]
    asks = ["a,b,preference,status,fit"]
    asks += [f"E{k},R{(k * 3 + j) % len(experts)},{'must' if j == 0 else 'meet'},accepted,{'0.6' if j % 2 else ''}"
             for k in range(len(firms)) for j in range(4)]
    return {"participants": "\n".join(people) + "\n", "projects": "\n".join(projects) + "\n",
            "requests": "\n".join(asks) + "\n"}


def create(site: TestClient, fair_id: str = "pf1") -> None:  # noqa: F811
    form = site.get("/fairs/new")
    assert form.status_code == 200 and "新建科创会" in form.text
    answer = site.post("/fairs/new", data={"csrf_token": _token(form), "id": fair_id, "name": "页面测试科创会",
                                           "start": DAY, "days": "1", "sessions": "2", "expected_participants": "30",
                                           "expected_projects": "4", "tables": "4"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/fairs/{fair_id}?done=created"


def upload(site: TestClient, part: str, text: str, name: str | None = None, fair: str = FAIR):  # noqa: ANN201, F811
    page = site.get(fair)
    return site.post(f"{fair}/import/{part}", data={"csrf_token": _token(page)},
                     files={"file": (name or f"{part}.csv", text.encode(), "text/csv")})


def test_an_organiser_runs_a_fair_through_the_pages(site: TestClient) -> None:  # noqa: F811
    sign_in(site, "organiser-a")
    home = site.get("/")
    assert "暂无科创会" in home.text
    create(site)
    page = site.get(f"{FAIR}?done=created")
    assert page.status_code == 200 and "页面测试科创会" in page.text and "科创会已创建" in page.text
    assert f'href="{FAIR}"' in site.get("/").text  # the home lists it, linked
    # every control is labelled: each input, select and textarea has a <label for> (hidden ones aside)
    for path in ("/fairs/new", FAIR):
        _every_control_labelled(site.get(path).text)

    # imports: a bad file is refused as a table naming the file, line and field; nothing is kept
    files = fair_files(site)
    bad = files["participants"] + ("X9,坏数据,enterprise,成都市,false,false,,,2026-12-05\n"
                                   "X8,又一行,enterprise,成都市,false,false,,,第三天\n")
    bad = bad.replace("id,name,kind,region,small,specialised,fields,node",
                      "id,name,kind,region,small,specialised,fields,node,available")
    refused = upload(site, "participants", bad, name="报名表.csv")
    assert refused.status_code == 422
    row = _error_rows(refused.text)
    lines = len(bad.strip().splitlines())
    assert row == [
        ["报名表.csv", str(lines - 1), "available（可参会时段）", "“2026-12-05”既不是时段编号，也不是活动日期"],
        ["报名表.csv", str(lines), "available（可参会时段）", "“第三天”既不是时段编号，也不是活动日期"]], row
    assert "本次没有做任何改动" in refused.text
    assert site.app.state.fairs.get("pf1").summary()["participants"] == 0  # type: ignore[attr-defined]
    for part in ("participants", "projects", "requests"):
        done = upload(site, part, files[part])
        assert done.status_code == 303, done.text
        assert site.get(done.headers["location"]).status_code == 200
        if part == "participants":
            unknown = upload(site, "requests", "a,b\nE0,NOBODY\n")
            assert _error_rows(unknown.text) == [["requests.csv", "2", "b（对方）", "未登记的参会者“NOBODY”"]]
    page = site.get(FAIR)
    assert "16</span> 位参会者" in page.text and "4</span> 个项目" in page.text and "已确认 24" in page.text

    # plan: the button starts the API's job (the test client runs it before answering), the page shows it done
    assert "开始排程" in page.text and 'id="plan-status"' in page.text
    started = site.post(f"{FAIR}/plan", data={"csrf_token": _token(page), "time_limit": "3"})
    assert started.status_code == 303
    status = site.get(f"{FAIR}/plan/status").json()
    assert status["state"] == "done" and status["label"] == "排程完成", status
    page = site.get(FAIR)
    assert "排程完成" in page.text and f'href="{FAIR}/schedule"' in page.text

    # the grid: a day's slots × tables, every meeting of the plan in its cell
    fair = site.app.state.fairs.get("pf1")  # type: ignore[attr-defined]
    meetings = fair.agendas().view.meetings
    assert len(meetings) > 10
    grid = site.get(f"{FAIR}/schedule")
    assert grid.status_code == 200 and "1:1 洽谈安排" in grid.text and "推介会安排" in grid.text
    assert grid.text.count(" × </span>") == len(meetings)
    assert 'role="region"' in grid.text and "4 号桌" in grid.text
    _every_control_labelled(grid.text)
    # filtered by participant: only theirs, with their agenda and its downloads
    busiest = max({x for m in meetings for x in (m.a, m.b)}, key=lambda x: sum(x in (m.a, m.b) for m in meetings))
    mine = [m for m in meetings if busiest in (m.a, m.b)]
    one = site.get(f"{FAIR}/schedule", params={"who": busiest})
    assert one.text.count(" × </span>") == len(mine)
    assert f"/fairs/pf1/agendas/{busiest}?format=ics" in one.text and "的日程" in one.text
    by_name = site.get(f"{FAIR}/schedule", params={"who": "企业"})
    assert "找到 6 位参会者" in by_name.text
    nobody = site.get(f"{FAIR}/schedule", params={"who": "不存在的人"})
    assert "没有找到" in nobody.text

    # downloads: the API's files through the page session
    ics = site.get(f"/fairs/pf1/agendas/{busiest}", params={"format": "ics"})
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert f"{busiest}.ics" in ics.headers["content-disposition"]
    events = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert sum("1:1 洽谈" in str(e["summary"]) for e in events) == len(mine)
    rows = list(csv.DictReader(io.StringIO(site.get(f"/fairs/pf1/agendas/{busiest}", params={"format": "csv"}).text)))
    assert sum(r["what"] == "meeting" for r in rows) == len(mine)
    plan_rows = list(csv.DictReader(io.StringIO(site.get(f"{FAIR}/table-plan.csv").text)))
    assert len(plan_rows) == len(meetings)
    assert site.get("/fairs/pf1/agendas/NOBODY").status_code == 404

    # the fairness report: charts drawn as SVG, and the numbers in tables
    report = site.get(f"{FAIR}/report")
    assert report.status_code == 200
    assert report.text.count('<svg class="chart"') == 2
    for label in ("全部", "专精特新", "小微企业", "地区：成都市", "地区：重庆市"):
        assert f">{label}<" in report.text, label
    planned = fair.plan_report()
    assert f'<span class="num">{planned["meetings"]}</span> 场 1:1 洽谈' in report.text
    histogram = re.findall(r"<tr><td>(\d+) 场</td><td>(\d+)</td>", report.text)
    assert sum(int(n) for _, n in histogram) == planned["participants_asking"] == 6

    # a cancellation and a late registration: nobody else's meeting moves
    changes = site.get(f"{FAIR}/changes")
    assert changes.status_code == 200 and "取消参会" in changes.text and "补报名" in changes.text
    assert "由平台科服专员录入" in changes.text and 'action="/fairs/pf1/outcomes"' not in changes.text
    _every_control_labelled(changes.text)
    kept = {(m.a, m.b, m.slot, m.table) for m in meetings if busiest not in (m.a, m.b)}
    gone = site.post(f"{FAIR}/cancellations", data={"csrf_token": _token(changes), "participant": busiest})
    assert gone.status_code == 303
    notice = site.get(gone.headers["location"])
    assert f"其余 {len(kept)} 场洽谈原样保留" in notice.text and busiest in notice.text
    after = {(m.a, m.b, m.slot, m.table) for m in fair.agendas().view.meetings}
    assert kept <= after and not any(busiest in (a, b) for a, b, _, _ in after)
    wrong = site.post(f"{FAIR}/cancellations", data={"csrf_token": _token(changes), "participant": "NOBODY"})
    assert wrong.status_code == 422 and "NOBODY" in wrong.text
    host = next(f"E{k}" for k in range(6) if f"E{k}" != busiest)
    form = {"csrf_token": _token(changes), "id": "LATE1", "name": "迟到的专家", "kind": "researcher",
            "region": "成都市", "fields": "氢能", "available": DAY, "wants": host, "direction": "them", "preference": "must",
            "status": "accepted"}
    bad_late = site.post(f"{FAIR}/late-registrations", data={**form, "name": ""})
    assert bad_late.status_code == 422 and "名称" in bad_late.text and 'value="LATE1"' in bad_late.text  # kept
    late = site.post(f"{FAIR}/late-registrations", data=form)
    assert late.status_code == 303, late.text
    assert "原有" in site.get(late.headers["location"]).text
    final = fair.agendas().view.meetings
    assert any("LATE1" in (m.a, m.b) for m in final)
    assert after <= {(m.a, m.b, m.slot, m.table) for m in final}
    assert site.get(f"{FAIR}/schedule", params={"who": "LATE1"}).text.count(" × </span>") >= 1

    # outcomes: staff record them (signed ones write deals), as the API lets only staff do
    outcome = next(m for m in final if m.a.startswith("E") and m.b.startswith("R"))
    refused = site.post(f"{FAIR}/outcomes", data={"csrf_token": _token(changes)},
                        files={"file": ("o.csv", b"a,b,outcome\n", "text/csv")})
    assert refused.status_code == 403
    site.cookies.clear()
    sign_in(site, "staff-a")
    changes = site.get(f"{FAIR}/changes")
    assert 'action="/fairs/pf1/outcomes"' in changes.text
    text = f"a,b,outcome,project,amount\n{outcome.a},{outcome.b},signed,,88\n{host},NOBODY,held,,\n"
    bad = site.post(f"{FAIR}/outcomes", data={"csrf_token": _token(changes)},
                    files={"file": ("成果.csv", text.encode(), "text/csv")})
    assert bad.status_code == 422
    assert _error_rows(bad.text) == [["成果.csv", "3", "b（对方）", "未登记的参会者“NOBODY”"]]
    deals = site.app.state.service.store.counts().nodes.get("Deal", 0)  # type: ignore[attr-defined]
    text = f"a,b,outcome,amount,note\n{outcome.a},{outcome.b},signed,88,\n{host},LATE1,intention,,等待预算\n"
    done = site.post(f"{FAIR}/outcomes", data={"csrf_token": _token(changes)},
                     files={"file": ("成果.csv", text.encode(), "text/csv")})
    assert done.status_code == 303, done.text
    shown = site.get(done.headers["location"])
    assert "签约 1 项（写入图谱的合作 1 项）" in shown.text and "等待预算" in shown.text and "达成意向" in shown.text
    assert site.app.state.service.store.counts().nodes["Deal"] == deals + 1  # type: ignore[attr-defined]


def test_others_are_refused_and_forms_need_their_token(site: TestClient) -> None:  # noqa: F811
    store = site.app.state.service.store  # type: ignore[attr-defined]
    add_user(store, "organiser-b", "organiser", None, TEST_PASSWORD)
    sign_in(site, "organiser-a")
    create(site)
    page = site.get(FAIR)
    forged = site.post(f"{FAIR}/plan", data={"time_limit": "3"})
    assert forged.status_code == 403 and "请刷新页面后重试" in forged.text
    assert site.app.state.fairs.get("pf1").status()["state"] == "none"  # type: ignore[attr-defined]
    again = site.post("/fairs/new", data={"csrf_token": _token(page), "id": "pf1", "name": "重复", "start": DAY,
                                          "days": "1", "sessions": "2", "expected_participants": "30",
                                          "expected_projects": "4"})
    assert again.status_code == 409 and "已存在" in again.text and 'value="重复"' in again.text
    wrong = site.post("/fairs/new", data={"csrf_token": _token(page), "id": "bad id", "name": "坏", "start": DAY,
                                          "days": "40", "sessions": "2", "expected_participants": "30",
                                          "expected_projects": "4"})
    assert wrong.status_code == 422 and "天数" in wrong.text and "须小于或等于 14" in wrong.text
    paths = [FAIR, f"{FAIR}/requests", f"{FAIR}/schedule", f"{FAIR}/report", f"{FAIR}/changes", f"{FAIR}/plan/status",
             f"{FAIR}/table-plan.csv", f"{FAIR}/agendas/E0?format=ics"]
    # another organiser: refused, for this fair and for one that does not exist alike
    site.cookies.clear()
    sign_in(site, "organiser-b")
    for path in [*paths, "/fairs/nope"]:
        answer = site.get(path)
        assert answer.status_code == 403 and "无权" in answer.text, path
    page = site.get("/fairs/new")
    assert site.post(f"{FAIR}/plan", data={"csrf_token": _token(page), "time_limit": "3"}).status_code == 403
    assert upload(site, "participants", "id,name,kind\nA,甲,enterprise\n").status_code == 403
    assert "页面测试科创会" not in site.get("/").text
    token = _token(site.get("/fairs/new"))
    for action, data in (("answers", {"verdict": "accepted", "pick": "E0|R0"}), ("promote", {"node": "E0"})):
        assert site.post(f"{FAIR}/{action}", data={"csrf_token": token, **data}).status_code == 403, action
    # an enterprise: refused, creating too
    site.cookies.clear()
    sign_in(site, "ent-a")
    for path in [*paths, "/fairs/new"]:
        assert site.get(path).status_code == 403, path
    # a visitor: sent to sign in, and brought back
    site.cookies.clear()
    for path in [*paths[:4], "/fairs/new"]:
        answer = site.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={path}", path
    # staff manage every fair; before planning the grid and the report say to plan first
    sign_in(site, "staff-a")
    assert site.get(FAIR).status_code == 200
    assert "尚未排程" in site.get(f"{FAIR}/schedule").text and "尚未排程" in site.get(f"{FAIR}/report").text
    assert site.get("/fairs/nope").status_code == 404


def _error_rows(html: str) -> list[list[str]]:
    """The rows of the error table (file, line, field, reason) on a page."""
    table = re.search(r'<div class="fair-errors".*?<tbody>(.*?)</tbody>', html, re.S)
    assert table, html[:2000]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]


def _every_control_labelled(html: str) -> None:
    main = html.split('<main id="main"', 1)[1]
    labelled = set(re.findall(r'<label for="([^"]+)"', main))
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", main):
        if 'type="hidden"' in tag or 'type="checkbox"' in tag:  # checkboxes sit inside their labels
            continue
        found = re.search(r'\bid="([^"]+)"', tag)
        assert found and found.group(1) in labelled, tag


def test_pending_requests_are_answered_and_projects_promoted_from_the_graph(site: TestClient) -> None:  # noqa: F811
    sign_in(site, "organiser-a")
    create(site)
    files = fair_files(site)
    assert upload(site, "participants", files["participants"]).status_code == 303
    asks = "a,b,preference,status\nE0,R0,meet,pending\nE1,R1,must,pending\nE2,R2,meet,pending\nE3,R3,meet,accepted\n"
    assert upload(site, "requests", asks).status_code == 303
    page = site.get(f"{FAIR}/requests")
    assert page.status_code == 200 and "待确认 3 项" in page.text and "已同意 1 项" in page.text
    assert 'value="E0|R0"' in page.text and 'value="E3|R3"' not in page.text  # pending ones listed
    fair = site.app.state.fairs.get("pf1")  # type: ignore[attr-defined]
    done = site.post(f"{FAIR}/answers", data={"csrf_token": _token(page), "verdict": "accepted",
                                             "pick": ["E0|R0", "E1|R1"]})
    assert done.status_code == 303 and "done=accepted&n=2" in done.headers["location"]
    assert "已同意 2 项洽谈请求" in site.get(done.headers["location"]).text
    status = {(r.a, r.b): r.status for r in fair.instance().requests}
    assert status == {("E0", "R0"): "accepted", ("E1", "R1"): "accepted", ("E2", "R2"): "pending",
                      ("E3", "R3"): "accepted"}
    declined = site.post(f"{FAIR}/answers", data={"csrf_token": _token(page), "verdict": "declined",
                                                 "pick": ["E2|R2", "E9|NOBODY"]})
    assert declined.status_code == 422 and "E9" in declined.text  # one unknown pair: nothing answered
    assert {(r.a, r.b): r.status for r in fair.instance().requests}[("E2", "R2")] == "pending"
    none = site.post(f"{FAIR}/answers", data={"csrf_token": _token(page), "verdict": "declined"})
    assert none.status_code == 422 and "请先勾选" in none.text
    # promotion: search the graph's needs by a word of one, bring it in; its poster comes along
    store = site.app.state.service.store  # type: ignore[attr-defined]
    p = site.app.state.service.projection  # type: ignore[attr-defined]
    need = next(p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.NEED)
    word = str(store.get_node(need).props["name"])[:4]
    found = site.get(f"{FAIR}/requests", params={"kind": "need", "q": word})
    assert found.status_code == 200 and f'value="{need}"' in found.text
    assert "budget" not in found.text and "预算" not in found.text  # names and kinds only
    before = len(fair.instance().participants)
    done = site.post(f"{FAIR}/promote", data={"csrf_token": _token(found), "node": [need]})
    assert done.status_code == 303 and "projects=1" in done.headers["location"], done.text
    assert need in {x.id for x in fair.instance().projects} and len(fair.instance().participants) >= before
    again = site.get(f"{FAIR}/requests", params={"kind": "need", "q": word})
    assert "已在本科创会" in again.text and f'value="{need}"' not in again.text
