"""What each person may see of a case. Staff see everything. An enterprise member sees its own cases:
the stages, the shortlist with the model's reasons, its own answers and the introductions, but not the
staff's working notes. A researcher sees only the introductions addressed to them: the need's public
summary, the enterprise, and their own answer; never the budget, the other candidates or anyone's
feedback. Routes and pages both call these, so no path shows more."""

from __future__ import annotations

from collections.abc import Sequence

from graph_service.auth.actor import Actor, Role
from graph_service.auth.permissions import Resource, allowed, require
from graph_service.cases.stages import LABELS, Stage
from graph_service.errors import NotFound
from graph_service.projection import Projection
from graph_service.schema import PRIVATE, Label
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseFacts, CaseRecord

# The log an enterprise member reads: the stages, the answers, the fair; not calls and notes by staff.
ENTERPRISE_EVENTS = frozenset({"stage", "clarify", "shortlist", "feedback", "introduce", "introduction", "fair",
                               "promote"})


def case_resource(case: CaseRecord) -> Resource:
    """A case belongs to its enterprise; the researchers introduced may read their introduction."""
    return Resource(frozenset({case.enterprise, *case.introduced}))


def readable(store: GraphStore, actor: Actor, case_id: str) -> CaseRecord:
    """The case if the actor may read some of it; the same 404 as a missing case otherwise, so that a
    stranger learns nothing of which needs have cases."""
    require(actor, "case.read")  # 401 for the anonymous, 403 for roles that never read cases
    case = store.get_case(case_id)
    if case is None or not allowed(actor, "case.read", case_resource(case)):
        raise NotFound(f"没有编号为 {case_id!r} 的案件")
    return case


def case_view(store: GraphStore, actor: Actor, case: CaseRecord, events: list[CaseEvent]) -> dict:
    """The case as `actor` may see it, with its log."""
    if actor.role == Role.RESEARCHER:
        return introduction_view(store, actor, case)
    base = _summary(store, case)
    if actor.role == Role.ENTERPRISE:
        return {**base, "detail": {k: case.detail[k] for k in ("clarified", "shortlist", "feedback",
                                                                "introductions", "deal") if k in case.detail},
                "events": [_event(e) for e in events if e.kind in ENTERPRISE_EVENTS]}
    return {**base, "next_action": case.next_action, "due": case.due, "detail": case.detail,
            "events": [_event(e) for e in events]}


def introduction_view(store: GraphStore, actor: Actor, case: CaseRecord) -> dict:
    """One introduction, as the researcher it is addressed to sees it."""
    need = store.get_node(case.need)
    public = {k: v for k, v in (need.props if need else {}).items() if k not in PRIVATE.get(Label.NEED, ())}
    mine = case.detail.get("introductions", {}).get(actor.entity or "", {})
    names = _names(store, [case.enterprise])
    return {"id": case.id, "need": {"id": case.need, "name": public.get("name", ""), "text": public.get("text", ""),
                                    "kind": public.get("kind")},
            "enterprise": {"id": case.enterprise, "name": names.get(case.enterprise, "")},
            "stage": case.stage, "stage_label": LABELS[Stage(case.stage)],
            "asked": mine.get("asked"), "answer": mine.get("answer"), "answered": mine.get("at")}


def _summary(store: GraphStore, case: CaseRecord) -> dict:
    names = _names(store, [case.need, case.enterprise])
    return {"id": case.id, "need": {"id": case.need, "name": names.get(case.need, "")},
            "enterprise": {"id": case.enterprise, "name": names.get(case.enterprise, "")},
            "stage": case.stage, "stage_label": LABELS[Stage(case.stage)], "assignee": case.assignee,
            "opened": case.opened, "posted": case.posted, "updated": case.updated, "active": case.active,
            "reached": case.reached, "close_reason": case.close_reason, "introduced": list(case.introduced)}


def summaries(store: GraphStore, cases: Sequence[CaseRecord | CaseFacts], p: Projection | None = None) -> list[dict]:
    """Cases in a list: the summary only (one read of names for them all; none for the names the projection
    `p` holds)."""
    names = _names(store, [i for c in cases for i in (c.need, c.enterprise)], p)
    return [{"id": c.id, "need": {"id": c.need, "name": names.get(c.need, "")},
             "enterprise": {"id": c.enterprise, "name": names.get(c.enterprise, "")}, "stage": c.stage,
             "stage_label": LABELS[Stage(c.stage)], "assignee": c.assignee, "posted": c.posted,
             "active": c.active, "next_action": c.next_action, "due": c.due, "updated": getattr(c, "updated", None)}
            for c in cases]


def _names(store: GraphStore, ids: list[str], p: Projection | None = None) -> dict[str, str]:
    wanted = list(dict.fromkeys(ids))
    found = {i: str(p.names[p.index[i]]) for i in wanted if i in p.index} if p is not None else {}
    rest = [i for i in wanted if i not in found]
    return {**found, **({i: str(n.props.get("name", "")) for i, n in store.get_nodes(rest).items()} if rest else {})}


def _event(e: CaseEvent) -> dict:
    return {"seq": e.seq, "at": e.at, "kind": e.kind, "actor": e.actor, "text": e.text, "detail": e.detail}
