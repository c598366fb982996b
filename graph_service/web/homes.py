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
PAGE = 50  # needs on one page of an enterprise's home


def enterprise(request: Request, service: GraphService, actor: Actor, page: int = 1) -> HTMLResponse:
    """The enterprise's needs and challenges, newest first, PAGE at a time, each with its state and its case's
    stage: from the projection (a need's name, kind, status, deadline and posting date) and the case facts
    kept in memory, so no store read however many needs an enterprise has posted."""
    p = service.projection
    firm = str(actor.entity) if actor.entity in p.index else None
    needs = [] if firm is None else \
        [i for i in p.neighbours(firm, _POSTED).nodes.tolist() if p.label_of(i) == Label.NEED]

    def attr(name: str, i: int) -> str | None:
        code = p.attrs[name][i]
        return p.vocab[name][code] if code >= 0 else None

    needs.sort(key=lambda i: (attr("posted", i) or "", p.ids[i]), reverse=True)
    pages = max(1, -(-len(needs) // PAGE))
    page = min(max(page, 1), pages)
    stages = {f.need: f.stage for f in service.store.case_facts()}  # kept in memory: one read for every need
    rows = []
    for i in needs[(page - 1) * PAGE:page * PAGE]:
        state = need_state({"status": attr("status", i), "deadline": attr("deadline", i)})
        stage = stages.get(p.ids[i])
        rows.append({"id": p.ids[i], "name": str(p.names[i]),
                     "kind": "揭榜挂帅" if attr("kind", i) == "challenge" else "需求",
                     "posted": (attr("posted", i) or "")[:10],
                     "state": NEED_LABELS.get(state.effective, state.effective),
                     "stage": LABELS[Stage(stage)] if stage else "—"})
    name = str(p.names[p.index[firm]]) if firm else actor.entity
    return render(request, "home_enterprise.html", actor, title="我的需求", firm=name, needs=rows, page=page,
                  pages=pages, total=len(needs))


def organiser(request: Request, actor: Actor) -> HTMLResponse:
    """The fairs this organiser created, each with its planning state."""
    fairs = request.app.state.fairs
    mine = [s for s in (fairs.get(i).summary() for i in fairs.ids()) if s["owner"] == actor.username]
    return render(request, "home_organiser.html", actor, title="我的科创会", fairs=mine)
