"""Reminders for the staff who hold cases: a next action past its due date (overdue), or no activity in the
log for more than N days (stalled); and the list a lead reads, their team's reminders by staff member.

Both read every case's facts at once (`store.case_facts()`, one read) and the staff profiles: never a
query per case, so a lead's list of a year of cases costs what one read of the cases costs.

    >>> reminders(store, date(2026, 3, 1), stalled_days=14, assignee="wang")   # doctest: +SKIP
    [Reminder(case='case-N0001', kind='stalled', days=20, message='案件 case-N0001 已 20 天无进展', ...)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from graph_service.cases.stages import LABELS, Stage
from graph_service.errors import InvalidInput
from graph_service.stores.cases import OPEN_EXCLUDES, CaseFacts, CaseStore

__all__ = ["KINDS", "Reminder", "check_stalled_days", "idle_days", "lead_list", "reminders"]

KINDS = {"overdue": "下一步逾期", "stalled": "长期无进展"}


@dataclass(frozen=True)
class Reminder:
    case: str
    need: str
    assignee: str | None
    kind: str  # overdue | stalled
    days: int  # days past the due date (overdue) or since the last logged activity (stalled)
    urgency: int  # days past the limit: overdue as `days`, stalled as `days` - stalled_days; sorts the list
    stage: str
    message: str
    due: str | None = None
    active: str = ""

    def as_dict(self) -> dict:
        return {**asdict(self), "kind_label": KINDS[self.kind], "stage_label": LABELS[Stage(self.stage)]}


def check_stalled_days(stalled_days: int) -> None:
    if isinstance(stalled_days, bool) or not isinstance(stalled_days, int) or stalled_days < 1:
        raise InvalidInput("停滞天数须为不小于 1 的整数", field="stalled_days")


def idle_days(active: str, today: date) -> int | None:
    """Whole days from the day of the last activity (ISO time; its date counts) to `today`; None if unknown."""
    try:
        return (today - date.fromisoformat(active[:10])).days
    except ValueError:
        return None


def reminders(store: CaseStore, today: date, stalled_days: int = 14, assignee: str | None = None) -> list[Reminder]:
    """The open cases' reminders (of `assignee`'s cases only, when given), most urgent first: the most days
    past its limit, an overdue action before a stalled case on equal terms, then by case id."""
    check_stalled_days(stalled_days)
    facts = store.case_facts()
    if assignee is not None:
        facts = [f for f in facts if f.assignee == assignee]
    return _ordered(_of(facts, today, stalled_days))


def lead_list(store: CaseStore, lead: str, today: date, stalled_days: int = 14) -> dict[str, list[Reminder]]:
    """The reminders of every staff member whose profile names `lead` as their lead, and the lead's own:
    the lead first, then the team by user name; a member with nothing pending has an empty list."""
    check_stalled_days(stalled_days)
    team = sorted(p.username for p in store.staff_profiles() if p.lead == lead and p.username != lead)
    members = [lead, *team]
    wanted = set(members)
    found = _of((f for f in store.case_facts() if f.assignee in wanted), today, stalled_days)
    grouped: dict[str, list[Reminder]] = {m: [] for m in members}
    for r in _ordered(found):
        grouped[r.assignee or ""].append(r)
    return grouped


def _of(facts: Iterable[CaseFacts], today: date, stalled_days: int) -> list[Reminder]:
    out: list[Reminder] = []
    for f in facts:
        if f.stage in OPEN_EXCLUDES:
            continue
        late = _days_overdue(f.due, today)
        if late is not None and late > 0:
            what = f"下一步“{f.next_action}”" if f.next_action else f"案件 {f.id} 的下一步"
            out.append(Reminder(f.id, f.need, f.assignee, "overdue", late, late, f.stage,
                                f"{what}已逾期 {late} 天（应于 {f.due} 前完成）", f.due, f.active))
        idle = idle_days(f.active, today)
        if idle is not None and idle > stalled_days:
            out.append(Reminder(f.id, f.need, f.assignee, "stalled", idle, idle - stalled_days, f.stage,
                                f"案件 {f.id} 已 {idle} 天无进展（{LABELS[Stage(f.stage)]}阶段）", f.due, f.active))
    return out


def _days_overdue(due: str | None, today: date) -> int | None:
    if not due:
        return None
    try:
        return (today - date.fromisoformat(due[:10])).days
    except ValueError:
        return None


def _ordered(found: list[Reminder]) -> list[Reminder]:
    return sorted(found, key=lambda r: (-r.urgency, r.kind != "overdue", r.case))
