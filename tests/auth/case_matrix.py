"""The case routes' rows of the role matrix. Staff act on cases; an enterprise member reads and answers its
own (another enterprise's member is let through the role check and then finds no such case: 404); a
researcher reads and answers the introductions addressed to them."""

from __future__ import annotations

from collections.abc import Iterator

from graph_service.cases.partners import feedback, introduce
from graph_service.cases.pipeline import open_case

STAFF = frozenset({"admin", "staff"})
READERS = STAFF | {"enterprise", "other", "researcher"}


def _case(w) -> str:
    """The world's need's case, the world's researcher accepted and introduced."""
    if not hasattr(w, "case"):
        store = w.client.app.state.service.store
        case = store.case_for_need(w.need) or open_case(store, w.need, "staff-x")
        feedback(store, case.id, w.researcher, "accept", "staff-x")
        introduce(store, case.id, w.researcher, "staff-x", store.get_case(case.id).updated)
        w.case = case.id
    return w.case


def _token(w) -> str:
    return w.client.app.state.service.store.get_case(_case(w)).updated


def CASE_ROUTES(w) -> Iterator:  # noqa: N802 - a table
    yield "GET", "/api/v1/cases", lambda w, a: ("/api/v1/cases", {}), READERS
    for path in ("reminders", "lead", "dashboard", "staff"):
        yield "GET", f"/api/v1/cases/{path}", lambda w, a, path=path: (f"/api/v1/cases/{path}", {}), STAFF
    yield "PUT", "/api/v1/cases/staff/{username}", \
        lambda w, a: ("/api/v1/cases/staff/staff-x", {"json": {"regions": [w.region], "capacity": 10}}), STAFF
    yield "POST", "/api/v1/cases", lambda w, a: ("/api/v1/cases", {"json": {"need": w.need}}), STAFF
    yield "GET", "/api/v1/cases/{case_id}", lambda w, a: (f"/api/v1/cases/{_case(w)}", {}), READERS
    staff_only = {
        "stage": lambda w: {"expected": _token(w), "stage": "clarified"},
        "assign": lambda w: {"expected": _token(w), "assignee": "admin-x"},
        "clarify": lambda w: {"expected": _token(w), "problem": "晶圆清洗良率"},
        "shortlist": lambda w: {"expected": _token(w), "researchers": [w.researcher]},
        "introductions": lambda w: {"expected": _token(w), "researcher": w.researcher},
        "log": lambda w: {"kind": "call", "text": "电话回访"},
        "sign": lambda w: {"expected": _token(w)},
        "promote": lambda w: {"fair": "no-such-fair"},
    }
    for part, body in staff_only.items():
        yield "POST", f"/api/v1/cases/{{case_id}}/{part}", \
            lambda w, a, part=part, body=body: (f"/api/v1/cases/{_case(w)}/{part}", {"json": body(w)}), STAFF
    yield "PUT", "/api/v1/cases/{case_id}/next", lambda w, a: (
        f"/api/v1/cases/{_case(w)}/next", {"json": {"expected": _token(w), "action": "约见", "due": "2026-12-20"}}), \
        STAFF
    yield "POST", "/api/v1/cases/{case_id}/feedback", lambda w, a: (
        f"/api/v1/cases/{_case(w)}/feedback", {"json": {"researcher": w.researcher, "verdict": "accept"}}), \
        STAFF | {"enterprise", "other"}
    yield "POST", "/api/v1/cases/{case_id}/introductions/{researcher_id}/answer", lambda w, a: (
        f"/api/v1/cases/{_case(w)}/introductions/{w.researcher}/answer", {"json": {"agree": True}}), \
        STAFF | {"researcher"}
