"""A planned fair's pages: the programme and the 1:1 schedule as grids (a day's slots × tables, filtered by
participant), a participant's agenda with its downloads (.ics, CSV), the table plan, and the fairness report
with its charts (SVG drawn here, graph_service.web.charts) and numbers. What they read is what the API's
routes read: `Fair.agendas()` (agendas, overview, table plan) and `Fair.plan_report()`."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from graph_service.api.routes import fairs as api
from graph_service.auth.actor import Actor
from graph_service.fair.agenda import Agendas
from graph_service.fair.workspace import Fair
from graph_service.web.charts import bars
from graph_service.web.fairs_common import Manager, fairs_of, in_chinese, managed, participant_choices, planned
from graph_service.web.fairs_text import KINDS, UNMET, WHAT
from graph_service.web.render import render

router = APIRouter(include_in_schema=False)
MATCHES_SHOWN = 50  # participants a name filter lists
HISTOGRAM_TOP = 20  # meetings per participant: this many and more share the last bar


@router.get("/fairs/{fair_id}/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, fair_id: str, actor: Manager, day: Annotated[int, Query(ge=1, le=366)] = 1,
                  who: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    fair = managed(request, actor, fair_id)
    agendas, why = planned(fair)
    base = {"fair": fair.summary(), "tab": "schedule", "who": who.strip(), "choices": participant_choices(fair)}
    title = f"{base['fair']['name']} · 日程"
    if agendas is None:
        return render(request, "fair_schedule.html", actor, title=title, unplanned=why, **base)
    return render(request, "fair_schedule.html", actor, title=title, unplanned=None,
                  **base, **_schedule(agendas, day, who.strip()))


def _schedule(agendas: Agendas, day: int, who: str) -> dict:
    event = agendas.instance.event
    days = event.days
    day = min(day, len(days)) if days else 1
    on = days[day - 1] if days else None
    people = agendas.people
    matches = []
    if who:
        if who in people:
            matches = [people[who]]
        else:
            q = who.casefold()
            matches = [p for p in people.values() if q in p.name.casefold() or q in p.id.casefold()]
    focus = {p.id for p in matches} if who else None
    slots = sorted((s for s in event.slots if s.day == on), key=lambda s: s.start)
    in_day = {s.id for s in slots}
    cells: dict[tuple[str, int], dict] = {}
    for m in agendas.view.meetings:
        if m.slot in in_day and (focus is None or m.a in focus or m.b in focus):
            a, b = people.get(m.a), people.get(m.b)
            cells[m.slot, m.table] = {"a": a.name if a else m.a, "b": b.name if b else m.b, "ids": f"{m.a} × {m.b}"}
    grid = []
    for t in range(1, event.tables + 1):
        row = [cells.get((s.id, t)) for s in slots]
        if focus is None or any(row):  # filtered: the tables where the participant sits
            grid.append((t, row))
    overview = agendas.overview()  # the API's overview: programme and each slot's load
    load = {s["slot"]: s for s in overview["slots"]}
    blocks = sorted((b for b in event.blocks if b.day == on), key=lambda b: b.start)
    sessions = {(s["block"], s["room"]): s for s in overview["programme"]}
    mine: set[str] = set()
    agenda = []
    if len(matches) == 1:
        items = agendas.of(matches[0].id)
        mine = {x.session for x in items if x.session}
        agenda = [{"day": x.day, "time": f"{x.start}–{x.end}", "what": WHAT.get(x.what, x.what), "where": x.where,
                   "with": x.with_name or x.title, "kind": KINDS.get(x.with_kind, "")} for x in items]
    programme = [(b, [sessions.get((b.id, r.id)) for r in event.rooms]) for b in blocks]
    return {"days": days, "day": day, "slots": slots, "grid": grid, "load": load, "tables": event.tables,
            "rooms": event.rooms, "programme": programme, "mine": mine,
            "matches": [{"id": p.id, "name": p.name, "kind": KINDS.get(p.kind, p.kind)}
                        for p in matches[:MATCHES_SHOWN]],
            "more_matches": max(0, len(matches) - MATCHES_SHOWN), "agenda": agenda,
            "focused": matches[0].id if len(matches) == 1 else None, "meetings": len(agendas.view.meetings)}


@router.get("/fairs/{fair_id}/agendas/{participant_id}")
def agenda_download(request: Request, fair_id: str, participant_id: str, actor: Manager,
                    format: Literal["ics", "csv"] = "ics") -> Response:  # noqa: A002  # the API's name
    """The same file as GET /api/v1/fairs/{fair}/agendas/{participant}?format=…, for the page session."""
    fair = managed(request, actor, fair_id)
    with in_chinese():
        return api.agenda(fair.id, participant_id, fairs_of(request), format)


@router.get("/fairs/{fair_id}/table-plan.csv")
def table_plan_download(request: Request, fair_id: str, actor: Manager) -> Response:
    """Who sits at which table in each slot, for the floor staff (the API's table plan)."""
    fair = managed(request, actor, fair_id)
    with in_chinese():
        answer = api.table_plan(fair.id, fairs_of(request))
    answer.headers["Content-Disposition"] = api.attachment(f"{fair.id}-table-plan.csv")
    return answer


@router.get("/fairs/{fair_id}/report", response_class=HTMLResponse)
def report_page(request: Request, fair_id: str, actor: Manager) -> HTMLResponse:
    fair = managed(request, actor, fair_id)
    agendas, why = planned(fair)
    summary = fair.summary()
    title = f"{summary['name']} · 公平性报告"
    if agendas is None:
        return render(request, "fair_report.html", actor, title=title, fair=summary, tab="report", unplanned=why)
    return render(request, "fair_report.html", actor, title=title, fair=summary, tab="report", unplanned=None,
                  **_report(fair, agendas, actor))


def _report(fair: Fair, agendas: Agendas, actor: Actor) -> dict:
    report = fair.plan_report()  # the API's report: value, bound, gap, fairness, idle slots, unmet requests
    instance = agendas.instance
    # who the fairness figures are about, as the planner counts them (schedule.build_problem's `asked`):
    # participants who made at least one accepted request they did not mark "no"
    asking = {r.a for r in instance.requests if r.status == "accepted" and r.preference != "no" and not r.recommended}
    met = Counter(x for m in agendas.view.meetings for x in (m.a, m.b))
    counts = Counter(min(met[pid], HISTOGRAM_TOP) for pid in asking)
    top = max(counts, default=0)
    histogram = [(f"{k} 场" if k < HISTOGRAM_TOP else f"{k} 场及以上", counts[k]) for k in range(top + 1)]
    k = instance.event.min_meetings
    people = {p.id: p for p in instance.participants}
    sizes: Counter[str] = Counter()
    for pid in asking:
        p = people.get(pid)
        if p is None:
            continue
        sizes["all"] += 1
        sizes["专精特新"] += p.specialised
        sizes["small enterprises"] += p.small
        sizes[f"region {p.region or '?'}"] += 1
    shares = []
    for group, share in sorted((report.get("share_with_at_least_k") or {}).items(), key=lambda kv: _group_order(kv[0])):
        shares.append({"label": _group_label(group), "share": share, "people": sizes.get(group, 0)})
    unmet = [(UNMET.get(why, why), n) for why, n in (report.get("requests_unmet_by_reason") or {}).items()]
    return {
        "report": report, "k": k, "asking": len(asking), "registered": len(people), "histogram": histogram,
        "shares": shares, "unmet": unmet, "change": report.get("change"),
        "histogram_svg": bars([(label, n, f"{n} 人") for label, n in histogram], "每位参会者的洽谈场数分布（人数）"),
        "shares_svg": bars([(s["label"], s["share"], f"{s['share']:.0%}") for s in shares],
                           f"各群体中至少有 {k} 场洽谈的比例", "#146c2e"),
    }


def _group_order(group: str) -> tuple[int, str]:
    return ({"all": 0, "专精特新": 1, "small enterprises": 2}.get(group, 3), group)


def _group_label(group: str) -> str:
    if group == "all":
        return "全部"
    if group == "small enterprises":
        return "小微企业"
    if group.startswith("region "):
        region = group.removeprefix("region ")
        return f"地区：{region}" if region != "?" else "地区：未填写"
    return group
