"""Each role's home page: what that person came to do first."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from graph_service.auth.actor import Actor
from graph_service.cases.stages import LABELS, Stage
from graph_service.need_status import LABELS as NEED_LABELS
from graph_service.need_status import need_state
from graph_service.projection import Hop
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.web.render import render

_POSTED = Hop([RelType.POSTED], "out")


def enterprise(request: Request, service: GraphService, actor: Actor) -> HTMLResponse:
    """The enterprise's needs and challenges, newest first, each with its state and its case's stage."""
    p = service.projection
    ids = [] if actor.entity not in p.index else \
        [p.ids[i] for i in p.neighbours(str(actor.entity), _POSTED).nodes.tolist() if p.label_of(i) == Label.NEED]
    nodes = service.store.get_nodes([*ids, str(actor.entity)] if actor.entity else ids)  # and the firm: one read
    stages = {f.need: f.stage for f in service.store.case_facts()}  # kept in memory: one read for every need
    rows = []
    for need_id in ids:
        node = nodes.get(need_id)
        if node is None:
            continue
        stage = stages.get(need_id)
        state = need_state(node.props)
        rows.append({"id": need_id, "name": node.props.get("name", need_id),
                     "kind": "揭榜挂帅" if node.props.get("kind") == "challenge" else "需求",
                     "posted": str(node.props.get("posted", "") or ""),
                     "state": NEED_LABELS.get(state.effective, state.effective),
                     "stage": LABELS[Stage(stage)] if stage else "—"})
    rows.sort(key=lambda r: (r["posted"], r["id"]), reverse=True)
    firm = nodes.get(str(actor.entity)) if actor.entity else None
    return render(request, "home_enterprise.html", actor, title="我的需求",
                  firm=firm.props.get("name") if firm else actor.entity, needs=rows)


def organiser(request: Request, actor: Actor) -> HTMLResponse:
    """The fairs this organiser created, each with its planning state."""
    fairs = request.app.state.fairs
    mine = [s for s in (fairs.get(i).summary() for i in fairs.ids()) if s["owner"] == actor.username]
    return render(request, "home_organiser.html", actor, title="我的科创会", fairs=mine)
