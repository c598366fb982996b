"""Each role's home page: what that person came to do first."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from graph_service.auth.actor import Actor, Role
from graph_service.cases.stages import LABELS, Stage
from graph_service.need_status import LABELS as NEED_LABELS
from graph_service.need_status import need_state
from graph_service.projection import Hop
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.web import researcher
from graph_service.web.render import ROLE_NAMES, render

_POSTED = Hop([RelType.POSTED], "out")


def enterprise(request: Request, service: GraphService, actor: Actor) -> HTMLResponse:
    """The enterprise's needs and challenges, newest first, each with its state and its case's stage."""
    p = service.projection
    ids = [] if actor.entity not in p.index else \
        [p.ids[i] for i in p.neighbours(str(actor.entity), _POSTED).nodes.tolist() if p.label_of(i) == Label.NEED]
    nodes = service.store.get_nodes(ids)
    stages = {f.need: f.stage for f in service.store.case_facts()}  # kept in memory: one read for every need
    rows = []
    for need_id in ids:
        node = nodes.get(need_id)
        if node is None:
            continue
        stage = stages.get(need_id)
        state = need_state(node.props)
        rows.append({"id": need_id, "name": node.props.get("name", need_id), "kind": "揭榜挂帅" if node.props.get("kind") == "challenge" else "需求",
                     "posted": str(node.props.get("posted", "") or ""), "state": NEED_LABELS.get(state.effective, state.effective),
                     "stage": LABELS[Stage(stage)] if stage else "—"})
    rows.sort(key=lambda r: (r["posted"], r["id"]), reverse=True)
    firm = service.store.get_node(str(actor.entity)) if actor.entity else None
    return render(request, "home_enterprise.html", actor, title="我的需求", firm=firm.props.get("name") if firm else actor.entity,
                  needs=rows)


def plain(request: Request, service: GraphService, actor: Actor) -> HTMLResponse:
    """Staff: their cases; a researcher: needs that fit; an organiser: their fairs; an admin: the accounts."""
    context: dict = {"cases": [], "needs": [], "fairs": [], "accounts": []}
    if actor.role == Role.STAFF:
        context["cases"] = [{"id": c.id, "need": c.need, "stage": LABELS[Stage(c.stage)], "due": c.due or "",
                             "next": c.next_action or ""} for c in service.store.list_cases(assignee=actor.username)]
    elif actor.role == Role.RESEARCHER:
        return researcher.home(request, service, actor)
    elif actor.role == Role.ORGANISER:
        fairs = request.app.state.fairs
        context["fairs"] = [s for s in (fairs.get(i).summary() for i in fairs.ids()) if s["owner"] == actor.username]
    elif actor.role == Role.ADMIN:
        context["accounts"] = [{"username": a.username, "role": ROLE_NAMES.get(Role(a.role), a.role),
                                "entity": a.entity or "", "disabled": a.disabled} for a in service.store.list_accounts()]
    return render(request, "home.html", actor, title="首页", **context)
