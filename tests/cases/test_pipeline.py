"""A staff member takes a need from posting to a signed deal, on each store; the rules hold at each step
and every change is one transaction (a stale change is refused and leaves nothing)."""

from __future__ import annotations

from datetime import date

import pytest

from graph_service.cases.pipeline import case_id_of, log, move, open_case, plan_next
from graph_service.cases.stages import Stage
from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore


def _open_need(store: GraphStore) -> str:
    """A need of the tiny market that no deal fulfils yet."""
    for batch in store.scan_nodes(Label.NEED, ()):
        for row in batch:
            if not store.relationships(row[1], [RelType.FULFILS], "in"):
                return row[1]
    raise AssertionError("the tiny market has no open need")


def test_a_case_moves_by_hand_and_its_log_keeps_the_order(tiny_backend: GraphStore) -> None:
    store, need = tiny_backend, _open_need(tiny_backend)
    case = open_case(store, need, "staff-a", assignee="staff-a")
    assert (case.id, case.stage, case.need) == (case_id_of(need), "new", need) and case.enterprise.startswith("E")
    with pytest.raises(Conflict):
        open_case(store, need, "staff-b")  # one case per need
    for target in (Stage.CLARIFIED, Stage.SHORTLISTED, Stage.INTRODUCED, Stage.MEETING, Stage.NEGOTIATING):
        case = move(store, case.id, target, "staff-a", case.updated)
    log(store, case.id, "staff-a", "call", "与企业技术负责人通话，确认预算 80 万元")
    case = plan_next(store, case.id, "staff-a", store.get_case(case.id).updated, "发送合同草稿",  # type: ignore[union-attr]
                     date(2026, 12, 9))
    assert (case.next_action, case.due) == ("发送合同草稿", "2026-12-09")
    with pytest.raises(InvalidInput, match="签约"):
        move(store, case.id, Stage.SIGNED, "staff-a", case.updated)  # a signature writes its deal (signing.py)
    events = store.events(case.id)
    assert [e.kind for e in events] == ["stage"] * 6 + ["call", "action"]
    assert [e.text for e in events[:3]] == ["案件已建立", "新建 → 需求已澄清", "需求已澄清 → 已选定候选"]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert list(case.reached) == ["new", "clarified", "shortlisted", "introduced", "meeting", "negotiating"]
    assert list(case.reached.values()) == sorted(case.reached.values()) and case.active == events[-1].at


def test_a_stale_change_is_refused_and_leaves_nothing(tiny_backend: GraphStore) -> None:
    store, need = tiny_backend, _open_need(tiny_backend)
    case = open_case(store, need, "staff-a")
    moved = move(store, case.id, Stage.CLARIFIED, "staff-a", case.updated)
    with pytest.raises(Conflict):
        move(store, case.id, Stage.SHORTLISTED, "staff-b", case.updated)  # read before staff-a's change
    assert store.get_case(case.id) == moved and len(store.events(case.id)) == 2
    with pytest.raises(InvalidInput, match="须写明原因"):
        move(store, case.id, Stage.NEW, "staff-a", moved.updated)
    back = move(store, case.id, Stage.NEW, "staff-a", moved.updated, reason="企业改变了技术路线")
    closed = move(store, case.id, Stage.CLOSED, "staff-a", back.updated, close_reason="withdrawn")
    assert (closed.stage, closed.close_reason) == ("closed", "withdrawn")
    assert store.events(case.id)[-1].text == "新建 → 已关闭（企业撤回需求）"
    with pytest.raises(InvalidInput):
        log(store, case.id, "staff-a", "gossip", "x")
    with pytest.raises(NotFound):
        log(store, "case-nope", "staff-a", "note", "x")
    with pytest.raises(NotFound):
        open_case(store, "E000001", "staff-a")  # not a need
