"""An enterprise's need: its public summary and confidential part, the partners recommended for it with
each reason as a sentence and a small picture of the paths, filters by name, and accept or decline with a
reason, which goes into the need's case (a declined partner is never suggested again for it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from graph_service.api.deps import ServiceDep
from graph_service.api.ratelimit import rate_limit
from graph_service.auth.actor import Actor
from graph_service.auth.ownership import owners_in
from graph_service.auth.permissions import Resource, require
from graph_service.cases import partners as answers
from graph_service.cases.partners import DECLINE_REASONS
from graph_service.cases.pipeline import open_case
from graph_service.errors import InvalidInput, NotFound
from graph_service.recommend.partner_service import Filters
from graph_service.schema import Label
from graph_service.web.pictures import path_picture
from graph_service.web.reasons import sentences
from graph_service.web.render import render
from graph_service.web.session import page, posted_form

router = APIRouter(include_in_schema=False)
SHOWN = 10
_NOTICES = {"done": "已记录您的意见", "posted": "需求已发布，科服专员将跟进"}
Name = Annotated[str, Query(max_length=100)]


@router.get("/needs/{need_id}", response_class=HTMLResponse, dependencies=[rate_limit("recommend")])
def need_page(request: Request, need_id: str, service: ServiceDep,
              actor: Annotated[Actor, page("recommend.enterprise")],
              region: Name = "", circle: Name = "", kind: Name = "") -> HTMLResponse:
    node = _own_need(service, actor, need_id)
    filters = Filters(region or None, circle or None, kind or None)
    error = None
    try:
        result, _ = service.partners(None, need_id, SHOWN, filters)
        suggestions = result.suggestions
    except InvalidInput as e:  # a filter naming no region, circle or kind: say which
        suggestions, error = [], e.reason
    p = service.projection
    case = service.store.case_for_need(need_id)
    answered = case.detail.get("feedback", {}) if case else {}
    rows = [{"id": s.id, "name": p.names[p.index[s.id]], "score": round(s.score * 100),
             "reasons": sentences(p, s.paths, s.matched_words), "picture": path_picture(p, s.paths[:3]),
             "answer": answered.get(s.id, {}).get("verdict")} for s in suggestions]
    private = {k: node.props[k] for k in ("budget", "contact", "detail") if node.props.get(k) not in (None, "")}
    return render(request, "need.html", actor, title=str(node.props.get("name", need_id)), need=node, private=private,
                  partners=rows,
                  reasons=DECLINE_REASONS, filters={"region": region, "circle": circle, "kind": kind}, error=error,
                  notice=_NOTICES.get(next((k for k in _NOTICES if request.query_params.get(k)), "")))


@router.post("/needs/{need_id}/answers")
async def answer(request: Request, need_id: str, service: ServiceDep,
                 actor: Annotated[Actor, page("case.answer")]) -> RedirectResponse:
    form = await posted_form(request)
    _own_need(service, actor, need_id)
    case = service.store.case_for_need(need_id) or open_case(service.store, need_id, str(actor.username))
    require(actor, "case.answer", Resource(frozenset({case.enterprise})))
    verdict, reason = str(form.get("verdict", "")), str(form.get("reason", "")) or None
    answers.feedback(service.store, case.id, str(form.get("researcher", ""))[:64], verdict, str(actor.username),
                     reason if verdict == "decline" else None, str(form.get("note", ""))[:500])
    return RedirectResponse(f"/needs/{need_id}?done=1", status_code=303)


def _own_need(service: ServiceDep, actor: Actor, need_id: str):  # noqa: ANN202
    """The need's stored node, when it is a need this actor may see the recommendations of."""
    p = service.projection
    i = p.index.get(need_id)
    if i is None or p.label_of(i) != Label.NEED:
        raise NotFound(f"需求 {need_id} 不存在")
    require(actor, "recommend.enterprise", owners_in(p, need_id, Label.NEED))
    return service.get(need_id)
