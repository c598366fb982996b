"""Before planning: the meeting requests still waiting for an answer, accepted or declined in bulk (the API's
`answers`), and projects and participants brought in from everyday matching by searching the graph (the
API's `promote`). Search results show names and kinds only: a need's budget and confidential part stay in
the store."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from graph_service.api.deps import ServiceDep
from graph_service.api.routes import fairs as api
from graph_service.auth.actor import Actor
from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.fair.workspace import Fair
from graph_service.schema import Label
from graph_service.service import GraphService
from graph_service.web.fairs_common import Manager, fairs_of, managed, notice_number
from graph_service.web.fairs_text import PREFERENCES, form_problems, problems, refusal_status
from graph_service.web.render import render
from graph_service.web.session import posted_form

router = APIRouter(include_in_schema=False)
SHOWN = 200  # requests listed at once; the filter by participant narrows a fair of 20,000
FOUND = 30  # search results offered for promotion
# what can be brought in: projects (needs, challenges, offers) and participants
SEARCHABLE = {"need": (Label.NEED, "需求与揭榜挂帅"), "offer": (Label.OFFER, "成果与供给"),
              "researcher": (Label.RESEARCHER, "科技工作者"), "enterprise": (Label.ENTERPRISE, "企业"),
              "institution": (Label.INSTITUTION, "科研机构")}
STATUS_LABELS = {"pending": "待确认", "accepted": "已同意", "declined": "已拒绝"}


@router.get("/fairs/{fair_id}/requests", response_class=HTMLResponse)
def requests_page(request: Request, fair_id: str, service: ServiceDep, actor: Manager, who: str = "",
                  status: str = "pending", q: str = "", kind: str = "need") -> HTMLResponse:
    fair = managed(request, actor, fair_id)
    return _page(request, actor, fair, service, who=who.strip()[:64], status=status, q=q.strip()[:200],
                 kind=kind, notice=_notice(request))


def _notice(request: Request) -> str | None:
    done, n = request.query_params.get("done"), notice_number(request)
    if done in ("accepted", "declined"):
        return f"已{STATUS_LABELS[done][1:]} {n} 项洽谈请求。"
    if done == "promoted":
        projects, people = notice_number(request, "projects"), notice_number(request, "people")
        return f"已从图谱引入：项目 {projects} 个，参会者 {people} 位。"
    return None


def _page(request: Request, actor: Actor, fair: Fair, service: GraphService, status_code: int = 200, *,
          who: str = "", status: str = "pending", q: str = "", kind: str = "need", errors: list | None = None,
          failed: str | None = None, notice: str | None = None) -> HTMLResponse:
    inst = fair.instance()
    names = {p.id: p.name for p in inst.participants}
    counts = {s: 0 for s in STATUS_LABELS}
    for r in inst.requests:
        counts[r.status] = counts.get(r.status, 0) + 1
    status = status if status in STATUS_LABELS else "pending"
    rows = [r for r in inst.requests if r.status == status and (not who or who in (r.a, r.b))]
    shown = [{"a": r.a, "a_name": names.get(r.a, r.a), "b": r.b, "b_name": names.get(r.b, r.b),
              "preference": PREFERENCES.get(r.preference, r.preference), "fit": r.fit} for r in rows[:SHOWN]]
    kind = kind if kind in SEARCHABLE else "need"
    found = _search(service, q, kind, {p.id for p in inst.projects} | set(names)) if q else []
    summary = fair.summary()
    return render(request, "fair_requests.html", actor, status=status_code, title=f"{summary['name']} · 请求与项目",
                  fair=summary, tab="requests", counts=counts, labels=STATUS_LABELS, listed=status, who=who,
                  rows=shown, more=max(0, len(rows) - SHOWN), q=q, kind=kind, kinds=SEARCHABLE, found=found,
                  errors=errors or [], failed=failed, notice=notice)


def _search(service: GraphService, q: str, kind: str, already: set[str]) -> list[dict]:
    """Names and kinds of the matching nodes, and whether the fair has them already (nothing private)."""
    label, _ = SEARCHABLE[kind]
    try:
        hits = service.search(q, label, FOUND)
    except InvalidInput:
        return []
    p = service.projection
    return [{"id": n.id, "name": p.names[p.index[n.id]] if n.id in p.index else n.id, "kind": SEARCHABLE[kind][1],
             "already": n.id in already} for n in hits]


@router.post("/fairs/{fair_id}/answers", response_class=HTMLResponse)
async def answer(request: Request, fair_id: str, service: ServiceDep, actor: Manager) -> Response:
    form = await posted_form(request)
    fair = managed(request, actor, fair_id)
    verdict = str(form.get("verdict", ""))
    picked = [str(v).split("|", 1) for v in form.getlist("pick") if "|" in str(v)][:10_000]
    try:
        if verdict not in ("accepted", "declined"):
            raise InvalidInput("请选择“同意”或“拒绝”")
        if not picked:
            raise InvalidInput("请先勾选要答复的洽谈请求")
        rows = [api.AnswerIn.model_validate({"a": a, "b": b, "status": verdict}) for a, b in picked]
        done = await run_in_threadpool(api.answer_requests, fair.id, rows, fairs_of(request))
    except ValidationError as e:
        return _page(request, actor, fair, service, 422, failed="answers", errors=form_problems(e))
    except (InvalidInput, Conflict, NotFound) as e:
        return _page(request, actor, fair, service, refusal_status(e), failed="answers", errors=problems(e))
    return RedirectResponse(f"/fairs/{fair.id}/requests?done={verdict}&n={done['answered']}", status_code=303)


@router.post("/fairs/{fair_id}/promote", response_class=HTMLResponse)
async def promote(request: Request, fair_id: str, service: ServiceDep, actor: Manager) -> Response:
    form = await posted_form(request)
    fair = managed(request, actor, fair_id)
    nodes = [str(v) for v in form.getlist("node")][:10_000]
    try:
        body = api.PromoteIn.model_validate({"nodes": nodes})
        added = await run_in_threadpool(api.promote_nodes, fair.id, body, fairs_of(request), service)
    except ValidationError:
        return _page(request, actor, fair, service, 422, failed="promote",
                     errors=[{"file": "", "line": "", "field": "", "reason": "请先勾选要引入的条目"}])
    except (InvalidInput, Conflict, NotFound) as e:
        return _page(request, actor, fair, service, refusal_status(e), failed="promote", errors=problems(e))
    return RedirectResponse(f"/fairs/{fair.id}/requests?done=promoted&projects={len(added['projects_added'])}"
                            f"&people={len(added['participants_added'])}", status_code=303)
