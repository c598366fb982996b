"""Staff pages: the case board by stage, a case with its timeline and next action, and the funnel
dashboard with charts. The same functions as /api/v1/cases (graph_service.cases), under `case.work`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from graph_service.api.deps import ServiceDep
from graph_service.api.guards import settings_of
from graph_service.auth.actor import Actor
from graph_service.cases.dashboard import Dashboard, dashboard
from graph_service.cases.pipeline import get_case, log, move, plan_next
from graph_service.cases.reminders import reminders
from graph_service.cases.stages import CLOSE_REASONS, LABELS, ORDER, TERMINAL, Stage
from graph_service.cases.views import case_view, summaries
from graph_service.errors import InvalidInput
from graph_service.need_status import today
from graph_service.web.charts import bars
from graph_service.web.render import render
from graph_service.web.session import page, posted_form

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, page("case.work")]
PER_STAGE = 30  # cards per column of the board: the most recently active
MY_CASES = 200  # open cases on a staff member's home, most recently active first
ACTIVITY_NAMES = {"call": "电话", "note": "备注", "meeting": "会面", "document": "文件往来"}


def home(request: Request, service: ServiceDep, actor: Actor) -> HTMLResponse:
    """My cases due and stalled, then the ones I hold."""
    days = settings_of(request.app).stalled_days
    due = [r.as_dict() for r in reminders(service.store, today(), days, actor.username)]
    held = [f for f in service.store.case_facts() if f.assignee == actor.username and Stage(f.stage) not in TERMINAL]
    held.sort(key=lambda f: f.active, reverse=True)  # kept in memory; names from the projection
    mine = summaries(service.store, held[:MY_CASES], service.projection)
    return render(request, "staff_home.html", actor, title="我的案件", reminders=due, cases=mine, stalled_days=days)


@router.get("/cases", response_class=HTMLResponse)
def board(request: Request, service: ServiceDep, actor: Staff, mine: bool = False) -> HTMLResponse:
    facts = [f for f in service.store.case_facts() if not mine or f.assignee == actor.username]  # kept in memory
    by_stage: dict[str, list] = {}
    for f in sorted(facts, key=lambda f: f.active, reverse=True):
        by_stage.setdefault(f.stage, []).append(f)
    shown = [f for stage in by_stage.values() for f in stage[:PER_STAGE]]
    p = service.projection
    names = {x: str(p.names[p.index[x]]) for f in shown for x in (f.need, f.enterprise) if x in p.index}
    columns = [{"stage": stage.value, "label": LABELS[stage], "count": len(by_stage.get(stage.value, [])),
                "cases": [{"id": f.id, "need": {"id": f.need, "name": names.get(f.need, "")},
                           "enterprise": {"name": names.get(f.enterprise, "")}, "assignee": f.assignee}
                          for f in by_stage.get(stage.value, [])[:PER_STAGE]]}
               for stage in [*ORDER, Stage.CLOSED]]
    return render(request, "staff_board.html", actor, title="案件看板", columns=columns, mine=mine)


@router.get("/cases/dashboard", response_class=HTMLResponse)
def funnel(request: Request, service: ServiceDep, actor: Staff) -> HTMLResponse:
    d = _dashboard(service, today(), settings_of(request.app).stalled_days)
    chart = bars([(s.label, s.reached, f"{s.reached:,}" + (f"（{s.conversion:.0%}）" if s.conversion else ""))
                  for s in d.funnel], "各阶段案件数")
    staff = bars([(r.name, r.conversion or 0.0, f"{(r.conversion or 0):.0%}") for r in d.by_staff[:15]],
                 "各专员签约转化率", "#146c2e")
    return render(request, "staff_dashboard.html", actor, title="服务漏斗", d=d, chart=chart, staff_chart=staff)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, service: ServiceDep, actor: Staff) -> HTMLResponse:
    case = get_case(service.store, case_id)
    view = case_view(service.store, actor, case, service.store.events(case_id))
    targets = [(s.value, LABELS[s]) for s in [*ORDER, Stage.CLOSED] if s not in (Stage(case.stage), Stage.SIGNED)]
    return render(request, "staff_case.html", actor, title=f"案件 {case_id}", case=view, token=case.updated,
                  targets=targets, close_reasons=CLOSE_REASONS, activities=ACTIVITY_NAMES,
                  notice=request.query_params.get("done") and "已保存")


@router.post("/cases/{case_id}/next")
async def next_action(request: Request, case_id: str, service: ServiceDep, actor: Staff) -> RedirectResponse:
    form = await posted_form(request)
    try:
        due = date.fromisoformat(str(form.get("due", "")))
    except ValueError:
        raise InvalidInput("请填写截止日期（年-月-日）", field="due") from None
    plan_next(service.store, case_id, str(actor.username), str(form.get("expected", "")),
              str(form.get("action", ""))[:500], due)
    return _back(case_id)


@router.post("/cases/{case_id}/log")
async def log_activity(request: Request, case_id: str, service: ServiceDep, actor: Staff) -> RedirectResponse:
    form = await posted_form(request)
    log(service.store, case_id, str(actor.username), str(form.get("kind", "")), str(form.get("text", ""))[:2000])
    return _back(case_id)


@router.post("/cases/{case_id}/move")
async def move_stage(request: Request, case_id: str, service: ServiceDep, actor: Staff) -> RedirectResponse:
    form = await posted_form(request)
    try:
        target = Stage(str(form.get("stage", "")))
    except ValueError:
        raise InvalidInput("请选择阶段", field="stage") from None
    move(service.store, case_id, target, str(actor.username), str(form.get("expected", "")),
         str(form.get("reason", ""))[:500], str(form.get("close_reason", "")) or None)
    return _back(case_id)


_MEMO: dict[str, tuple[tuple, Dashboard]] = {}


def _dashboard(service: ServiceDep, day: date, days: int) -> Dashboard:
    """The dashboard, counted again only when a case changed (the case log's mark, read from the store: any
    worker's change counts), the day or the projection did: staff reload it far more often than cases move."""
    key = (id(service), service.store.case_log_mark(), day, days, id(service.projection), service.version)
    found = _MEMO.get("last")
    if found is None or found[0] != key:
        found = _MEMO["last"] = (key, dashboard(service.store, service.projection, day, days))
    return found[1]


def _back(case_id: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}?done=1", status_code=303)
