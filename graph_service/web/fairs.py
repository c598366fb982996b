"""The fair organiser's pages (科创会): create a fair, import its participants, projects and requests (errors
as a table of file, line, field and reason, nothing changed), plan it with a progress display; the
programme, the 1:1 grid and agenda downloads (fairs_plan.py); the fairness report (fairs_plan.py);
cancellations, late registrations and outcomes (fairs_changes.py).

Thin like the API: each page calls what /api/v1/fairs calls (its route functions where they fit a page,
`graph_service.fair.workspace` through them), under the same rule (`fair.manage`: an organiser the fairs
they created, staff every fair)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from graph_service.api.deps import ServiceDep
from graph_service.api.guards import settings_of
from graph_service.api.ratelimit import rate_limit
from graph_service.api.routes import fairs as api
from graph_service.auth.actor import Actor
from graph_service.errors import Conflict, InvalidInput
from graph_service.fair.instance import COLUMNS
from graph_service.fair.workspace import Fair
from graph_service.web import fairs_changes, fairs_plan, fairs_requests
from graph_service.web.fairs_common import Manager, fairs_of, managed, notice_number, plan_state, uploaded
from graph_service.web.fairs_text import KINDS, PARTS, PROJECT_KINDS, form_problems, problems, refusal_status, say
from graph_service.web.render import render
from graph_service.web.session import page, posted_form

router = APIRouter(include_in_schema=False)
Creator = Annotated[Actor, page("fair.create")]
Part = Literal["participants", "projects", "requests", "locked"]
# what the creation form asks, in order (FairIn's fields; `event`, a layout of one's own, is the API's)
NEW_FIELDS = ["id", "name", "start", "days", "sessions", "expected_participants", "expected_projects", "tables"]
# the standard layout's defaults, scaled down to a first fair
NEW_DEFAULTS = {"name": "永不落幕科创会", "days": "2", "sessions": "8", "expected_participants": "200",
                "expected_projects": "60", "tables": ""}


@router.get("/fairs/new", response_class=HTMLResponse)
def new_fair_page(request: Request, actor: Creator) -> HTMLResponse:
    today = date.today()
    values = {**NEW_DEFAULTS, "id": f"kch{today:%Y%m%d}", "start": today.isoformat()}
    return render(request, "fair_new.html", actor, title="新建科创会", values=values, errors=[])


@router.post("/fairs/new", response_class=HTMLResponse)
async def create_fair(request: Request, actor: Creator) -> Response:
    form = await posted_form(request)
    values = {k: str(form.get(k, "")).strip()[:500] for k in NEW_FIELDS}
    given = {k: v for k, v in values.items() if v != ""}
    try:
        body = api.FairIn.model_validate(given)
        created = api.create_fair(body, fairs_of(request), actor)  # the API's own route function
    except ValidationError as e:
        return render(request, "fair_new.html", actor, status=422, title="新建科创会", values=values,
                      errors=form_problems(e))
    except (InvalidInput, Conflict) as e:
        return render(request, "fair_new.html", actor, status=refusal_status(e), title="新建科创会", values=values,
                      errors=problems(e))
    return RedirectResponse(f"/fairs/{created['id']}?done=created", status_code=303)


@router.get("/fairs/{fair_id}", response_class=HTMLResponse)
def fair_page(request: Request, fair_id: str, actor: Manager) -> HTMLResponse:
    fair = managed(request, actor, fair_id)
    return _fair_page(request, actor, fair, notice=_notice(request))


def _notice(request: Request) -> str | None:
    done, part = request.query_params.get("done"), request.query_params.get("part", "")
    if done == "created":
        return "科创会已创建。下一步：导入参会者、项目和洽谈请求。"
    if done == "imported" and part in PARTS:
        return f"已导入{PARTS[part]} {notice_number(request)} 行。"
    if done == "planning":
        return "已开始排程。"
    return None


def _fair_page(request: Request, actor: Actor, fair: Fair, status: int = 200, *, errors: list | None = None,
               failed: str | None = None, error: str | None = None, notice: str | None = None) -> HTMLResponse:
    summary = fair.summary()
    inst = fair.instance()
    people: dict[str, int] = {}
    for p in inst.participants:
        people[KINDS.get(p.kind, p.kind)] = people.get(KINDS.get(p.kind, p.kind), 0) + 1
    projects: dict[str, int] = {}
    for x in inst.projects:
        projects[PROJECT_KINDS.get(x.kind, x.kind)] = projects.get(PROJECT_KINDS.get(x.kind, x.kind), 0) + 1
    return render(request, "fair_page.html", actor, status=status, title=summary["name"], fair=summary,
                  tab="overview", people=people, projects=projects, plan=plan_state(summary["plan"]),
                  parts=PARTS, columns=COLUMNS, errors=errors or [], failed=failed, error=error, notice=notice,
                  upload_limit=settings_of(request.app).max_body_bytes)


@router.post("/fairs/{fair_id}/import/{part}", response_class=HTMLResponse)
async def import_file(request: Request, fair_id: str, part: Part, service: ServiceDep, actor: Manager) -> Response:
    """A CSV upload of one part, read and merged exactly as the API's import (`api.import_part`): a bad value
    is named by file, line and field, and nothing of the file is kept."""
    form = await posted_form(request)
    fair = managed(request, actor, fair_id)
    upload = uploaded(form)
    if upload is None:
        return _fair_page(request, actor, fair, 422, failed=part, errors=[
            {"file": "", "line": "", "field": "", "reason": f"请选择要导入的{PARTS[part]}文件（CSV）"}])
    try:
        result = await run_in_threadpool(api.import_part, fair, part, upload.file, service)
    except (InvalidInput, Conflict) as e:
        return _fair_page(request, actor, fair, refusal_status(e), failed=part,
                          errors=problems(e, f"{part}.csv", upload.filename))
    received = result.get(f"{part}_received", 0)
    return RedirectResponse(f"/fairs/{fair.id}?done=imported&part={part}&n={received}#import", status_code=303)


@router.post("/fairs/{fair_id}/plan", response_class=HTMLResponse, dependencies=[rate_limit("expensive")])
async def start_planning(request: Request, fair_id: str, background: BackgroundTasks, actor: Manager) -> Response:
    """Planning starts as the API starts it (`api.start_plan`: the job in the background); the page then
    shows its progress."""
    form = await posted_form(request)
    fair = managed(request, actor, fair_id)
    try:
        body = api.PlanIn.model_validate({"time_limit": str(form.get("time_limit", "60")).strip() or "60"})
        api.start_plan(fair.id, background, fairs_of(request), body)
    except ValidationError as e:
        return _fair_page(request, actor, fair, 422, error="排程时限" + form_problems(e)[0]["reason"])
    except (InvalidInput, Conflict) as e:
        return _fair_page(request, actor, fair, 409, error=say(str(e)))
    # the job runs after this answer is sent (a test client runs it before returning)
    return RedirectResponse(f"/fairs/{fair.id}?done=planning#plan", status_code=303)


@router.get("/fairs/{fair_id}/plan/status")
def planning_status(request: Request, fair_id: str, actor: Manager) -> JSONResponse:
    """The planning state for the fair page's progress display (static/fairs.js polls it)."""
    fair = managed(request, actor, fair_id)
    return JSONResponse(plan_state(fair.status()), headers={"Cache-Control": "no-store"})


router.include_router(fairs_plan.router)
router.include_router(fairs_changes.router)
router.include_router(fairs_requests.router)
