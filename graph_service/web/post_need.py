"""Posting a need: the public summary and the confidential part, fields picked from the taxonomy or
suggested from the text (the fields of the most similar needs, offers and experts in the text index).
The same `entities.create` as POST /api/v1/entities/needs: the need, its poster and fields, and its case."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from graph_service import catalogue, entities
from graph_service.api.deps import ServiceDep
from graph_service.auth.actor import Actor
from graph_service.errors import InvalidInput
from graph_service.postings import NeedIn
from graph_service.projection import Hop
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.web.render import render
from graph_service.web.session import page, posted_form

router = APIRouter(include_in_schema=False)
SUGGESTED = 3
_FIELDS_OF = {Label.NEED: Hop([RelType.ABOUT], "out"), Label.OFFER: Hop([RelType.ABOUT], "out"),
              Label.RESEARCHER: Hop([RelType.EXPERT_IN], "out")}
_NAMES = {"name": "标题", "text": "公开摘要", "budget": "预算", "contact": "联系人", "detail": "保密说明",
          "deadline": "截止日期", "fields": "技术领域", "kind": "类型"}


@router.get("/needs/new", response_class=HTMLResponse)
def new_need(request: Request, service: ServiceDep, actor: Annotated[Actor, page("entity.write")]) -> HTMLResponse:
    return _form(request, service, actor, {})


@router.post("/needs/new", response_class=HTMLResponse)
async def post_need(request: Request, service: ServiceDep,
                    actor: Annotated[Actor, page("entity.write")]) -> Response:
    form = await posted_form(request)
    values = {k: str(form.get(k, "")).strip() for k in ("name", "text", "kind", "budget", "contact", "detail",
                                                          "deadline")}
    values["fields"] = [str(f) for f in form.getlist("fields")][:20]
    if form.get("action") == "suggest":
        values["fields"] = list(dict.fromkeys(values["fields"] + suggested_fields(service, values["text"])))
        return _form(request, service, actor, values, notice="已根据描述推荐技术领域，请确认后发布")
    try:
        body = NeedIn(name=values["name"], text=values["text"], kind=values["kind"] or "need",
                      budget=float(values["budget"]) if values["budget"] else None,
                      contact=values["contact"] or None, detail=values["detail"] or None,
                      deadline=date.fromisoformat(values["deadline"]) if values["deadline"] else None,
                      fields=values["fields"])
        node = entities.create(service, actor, Label.NEED, body)
    except ValidationError as e:
        wrong = "、".join(dict.fromkeys(_NAMES.get(str(x["loc"][0]), str(x["loc"][0])) for x in e.errors()))
        return _form(request, service, actor, values, error=f"请检查：{wrong}")
    except (ValueError, InvalidInput) as e:
        reason = getattr(e, "reason", None) or "预算须为数字、日期须为年-月-日"
        return _form(request, service, actor, values, error=reason)
    return RedirectResponse(f"/needs/{node.id}?posted=1", status_code=303)


def suggested_fields(service: GraphService, text: str) -> list[str]:
    """The fields most often held by what the text matches best (weighted by the words shared)."""
    if not text.strip():
        return []
    p = service.projection
    nodes, _, words, _ = service.partner_recommender().text.lookup(text)
    votes: Counter[int] = Counter()
    for k in sorted(range(len(nodes)), key=lambda k: -words[k])[:50]:
        hop = _FIELDS_OF.get(p.label_of(int(nodes[k])))
        if hop is not None:
            for f in p.neighbours(p.ids[int(nodes[k])], hop).nodes.tolist():
                votes[f] += int(words[k])
    return [p.ids[f] for f, _ in votes.most_common(SUGGESTED)]


def _form(request: Request, service: GraphService, actor: Actor, values: dict, error: str | None = None,
          notice: str | None = None) -> HTMLResponse:
    tree = catalogue.fields(service.projection)
    chosen = set(values.get("fields", []))
    open_tops = {t.id for t in tree if chosen & {t.id, *(c.id for c in t.children)}}
    return render(request, "need_new.html", actor, status=422 if error else 200, title="发布需求", tree=tree,
                  values=values, chosen=chosen, open_tops=open_tops, error=error, notice=notice)
