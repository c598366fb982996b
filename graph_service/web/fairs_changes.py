"""Changes to a planned fair and what came of it: a cancellation and a late registration re-plan around every
meeting (the API's `cancel` and `late`: nothing planned moves), outcomes recorded from a CSV file as the
command line reads it and as the API records them (`record`: platform staff, since signed outcomes write
deals into the graph), and the follow-up list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from graph_service.api.deps import ServiceDep
from graph_service.api.routes import fairs as api
from graph_service.auth.actor import Actor
from graph_service.auth.permissions import allowed
from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.fair.instance import upload_rows
from graph_service.fair.outcomes import OUTCOME_COLUMNS, Outcome
from graph_service.fair.workspace import Fair
from graph_service.web.fairs_common import (
    Manager,
    fairs_of,
    managed,
    notice_number,
    participant_choices,
    plan_state,
    uploaded,
)
from graph_service.web.fairs_text import KINDS, OUTCOMES, form_problems, problems, refusal_status
from graph_service.web.render import render
from graph_service.web.session import page, posted_form

router = APIRouter(include_in_schema=False)
Recorder = Annotated[Actor, page("graph.write")]  # as the API's POST …/outcomes
LATE_FIELDS = ["id", "name", "kind", "region", "fields", "node", "wants", "direction", "preference", "status"]


@router.get("/fairs/{fair_id}/changes", response_class=HTMLResponse)
def changes_page(request: Request, fair_id: str, actor: Manager) -> HTMLResponse:
    fair = managed(request, actor, fair_id)
    return _page(request, actor, fair, notice=_notice(request))


def _notice(request: Request) -> str | None:
    done = request.query_params.get("done")
    n = {k: notice_number(request, k) for k in ("kept", "lost", "added", "deals", "signed", "other")}
    if done == "cancel":
        return (f"已取消参会并重新排程：取消 {n['lost']} 场洽谈，新增 {n['added']} 场，"
                f"其余 {n['kept']} 场洽谈原样保留，未作任何移动。")
    if done == "late":
        return f"已登记并排入：新增 {n['added']} 场洽谈，原有 {n['kept']} 场洽谈原样保留，未作任何移动。"
    if done == "outcomes":
        return (f"已记录会后成果：签约 {n['signed']} 项（写入图谱的合作 {n['deals']} 项），"
                f"其他 {n['other']} 项转入跟进。")
    return None


def _page(request: Request, actor: Actor, fair: Fair, status: int = 200, *, errors: list | None = None,
          failed: str | None = None, late: dict | None = None, notice: str | None = None) -> HTMLResponse:
    summary = fair.summary()
    plan = plan_state(summary["plan"])
    try:
        change = fair.plan_report().get("change")
    except Conflict:
        change = None
    followup = api.followup(fair.id, fairs_of(request))  # the API's list: intentions first
    for row in followup:
        row["outcome_label"] = OUTCOMES.get(row["outcome"], row["outcome"])
    return render(request, "fair_changes.html", actor, status=status, title=f"{summary['name']} · 调整与成果",
                  fair=summary, tab="changes", plan=plan, change=change, choices=participant_choices(fair),
                  cancelled=sorted(fair.cancelled()), days=summary["days"], kinds=KINDS, outcomes=OUTCOMES,
                  outcome_columns=OUTCOME_COLUMNS, can_record=allowed(actor, "graph.write"), followup=followup,
                  errors=errors or [], failed=failed, late=late or {"kind": "researcher", "direction": "them",
                                                                     "preference": "meet", "status": "accepted"},
                  notice=notice)


@router.post("/fairs/{fair_id}/cancellations", response_class=HTMLResponse)
async def cancel(request: Request, fair_id: str, actor: Manager) -> Response:
    form = await posted_form(request)
    fair = managed(request, actor, fair_id)
    who = str(form.get("participant", "")).strip()[:100]
    try:
        body = api.CancelIn.model_validate({"participant": who})
        done = await run_in_threadpool(api.cancel, fair.id, body, fairs_of(request))
    except ValidationError as e:
        return _page(request, actor, fair, 422, failed="cancel", errors=form_problems(e))
    except (InvalidInput, Conflict, NotFound) as e:
        return _page(request, actor, fair, refusal_status(e), failed="cancel", errors=problems(e))
    c = done["change"]
    return RedirectResponse(f"/fairs/{fair.id}/changes?done=cancel&kept={c['kept']}&lost={c['cancelled_meetings']}"
                            f"&added={c['added']}", status_code=303)


@router.post("/fairs/{fair_id}/late-registrations", response_class=HTMLResponse)
async def late(request: Request, fair_id: str, service: ServiceDep, actor: Manager) -> Response:
    """One late-comer and the meetings they or others ask for, fitted into free capacity (the API's `late`)."""
    form = await posted_form(request)
    fair = managed(request, actor, fair_id)
    values = {k: str(form.get(k, "")).strip()[:4000] for k in LATE_FIELDS}
    values["small"], values["specialised"] = form.get("small") == "on", form.get("specialised") == "on"
    values["available"] = [str(d) for d in form.getlist("available")][:366]
    person = {"id": values["id"], "name": values["name"], "kind": values["kind"], "region": values["region"],
              "fields": values["fields"].replace("；", ";"), "small": values["small"],
              "specialised": values["specialised"], "available": values["available"], "node": values["node"] or None}
    others = [w.strip() for w in values["wants"].replace(",", "\n").replace(";", "\n").splitlines() if w.strip()]
    asks = [{"a": values["id"], "b": other} if values["direction"] == "mine" else {"a": other, "b": values["id"]}
            for other in others[:1000]]
    asks = [{**a, "preference": values["preference"] or "meet", "status": values["status"] or "accepted"} for a in asks]
    try:
        body = api.LateIn.model_validate({"participants": [person], "requests": asks})
        done = await run_in_threadpool(api.late, fair.id, body, fairs_of(request), service)
    except ValidationError as e:
        return _page(request, actor, fair, 422, failed="late", errors=form_problems(e), late=values)
    except (InvalidInput, Conflict) as e:
        return _page(request, actor, fair, refusal_status(e), failed="late", errors=problems(e), late=values)
    c = done["change"]
    return RedirectResponse(f"/fairs/{fair.id}/changes?done=late&kept={c['kept']}&added={c['added']}",
                            status_code=303)


@router.post("/fairs/{fair_id}/outcomes", response_class=HTMLResponse)
async def outcomes(request: Request, fair_id: str, service: ServiceDep, actor: Recorder) -> Response:
    form = await posted_form(request)
    fair = managed(request, actor, fair_id)
    upload = uploaded(form)
    if upload is None:
        return _page(request, actor, fair, 422, failed="outcomes", errors=[
            {"file": "", "line": "", "field": "", "reason": "请选择要导入的会后成果文件（CSV）"}])
    name = upload.filename or "outcomes.csv"
    try:
        rows = await run_in_threadpool(upload_rows, upload.file, Outcome, name)
        summary = await run_in_threadpool(api.record, fair.id, rows, fairs_of(request), service, actor)
    except (InvalidInput, Conflict) as e:
        # "outcomes": what the recorder calls the rows it was given
        return _page(request, actor, fair, refusal_status(e), failed="outcomes", errors=problems(e, "outcomes", name))
    counts = summary["recorded"]
    other = sum(v for k, v in counts.items() if k != "signed")
    return RedirectResponse(f"/fairs/{fair.id}/changes?done=outcomes&signed={counts.get('signed', 0)}"
                            f"&deals={len(summary['deals_written'])}&other={other}", status_code=303)
