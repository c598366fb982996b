"""Reminders on each store: overdue next actions and stalled cases of open cases, most urgent first, for
one staff member or for a lead's whole team (the cases of tests/cases/test_dashboard.py, by hand)."""

from __future__ import annotations

from datetime import date

import pytest

from graph_service.cases.reminders import lead_list, reminders
from graph_service.errors import InvalidInput
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import StaffProfile
from tests.cases.test_dashboard import SEVEN, TODAY, case


def _seen(found: list) -> list[tuple[str, str, int]]:
    return [(r.case, r.kind, r.days) for r in found]


def test_overdue_and_stalled_most_urgent_first(store: GraphStore) -> None:
    store.import_cases(SEVEN)
    found = reminders(store, TODAY)
    # N5 idle 31 days (17 past the limit of 14), N2 idle 30 (16 past), N3's action due 3 days ago;
    # N1 is overdue and N4 long idle, but signed and closed: no reminder
    assert _seen(found) == [("case-N5", "stalled", 31), ("case-N2", "stalled", 30), ("case-N3", "overdue", 3)]
    assert [r.urgency for r in found] == [17, 16, 3]
    assert found[0].message == "案件 case-N5 已 31 天无进展（新建阶段）" and found[0].assignee is None
    assert found[2].message == "下一步“发送合同草稿”已逾期 3 天（应于 2026-03-28 前完成）" and found[2].assignee == "li"
    assert found[2].as_dict()["kind_label"] == "下一步逾期" and found[2].as_dict()["stage_label"] == "已引荐"
    assert _seen(reminders(store, TODAY, assignee="wang")) == [("case-N2", "stalled", 30)]
    assert reminders(store, TODAY, assignee="nobody") == []
    # with 30 days allowed, N2 (30 idle) is no longer stalled and the late action comes before N5 (1 past)
    assert _seen(reminders(store, TODAY, stalled_days=30)) == [("case-N3", "overdue", 3), ("case-N5", "stalled", 31)]
    # four weeks earlier no open case was due yet or idle for long
    assert _seen(reminders(store, date(2026, 3, 2))) == []


def test_a_due_date_without_an_action_is_still_reminded(store: GraphStore) -> None:
    store.import_cases([case("N8", "meeting", "2026-03-01", {"new": "2026-03-01", "meeting": "2026-03-20"},
                             active="2026-03-29", assignee="wang", due="2026-03-30")])
    (found,) = reminders(store, TODAY)
    assert (found.kind, found.days) == ("overdue", 1)
    assert found.message == "案件 case-N8 的下一步已逾期 1 天（应于 2026-03-30 前完成）"


def test_lead_list_by_staff_member(store: GraphStore) -> None:
    store.import_cases(SEVEN)
    for profile in (StaffProfile("wang"), StaffProfile("li", lead="wang"), StaffProfile("zhao", lead="wang"),
                    StaffProfile("sun", lead="qian")):
        store.put_staff(profile)
    team = lead_list(store, "wang", TODAY)
    assert list(team) == ["wang", "li", "zhao"]  # the lead first, then the team by name
    assert {name: _seen(found) for name, found in team.items()} == {
        "wang": [("case-N2", "stalled", 30)], "li": [("case-N3", "overdue", 3)], "zhao": []}
    assert {n: _seen(f) for n, f in lead_list(store, "qian", TODAY).items()} == {"qian": [], "sun": []}


def test_stalled_days_must_be_at_least_one(store: GraphStore) -> None:
    for bad in (0, -1):
        with pytest.raises(InvalidInput, match="停滞天数须为不小于 1 的整数"):
            reminders(store, TODAY, stalled_days=bad)
        with pytest.raises(InvalidInput, match="停滞天数"):
            lead_list(store, "wang", TODAY, stalled_days=bad)
