"""Who holds a case: the staff member whose patch fits the need (the enterprise's region, the need's
fields) with the most room left; staff may hand a case on by hand."""

from __future__ import annotations

from collections.abc import Iterable

from graph_service.cases.pipeline import get_case
from graph_service.errors import InvalidInput
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord, StaffProfile

MAX_CLIMB = 8  # region levels: a district inside a city inside a province is three


def _up(store: GraphStore, start: Iterable[str], rel: RelType) -> set[str]:
    """The nodes and every ancestor of them along `rel` (a region's parents, a field's parents)."""
    seen, frontier = set(start), set(start)
    for _ in range(MAX_CLIMB):
        frontier = {r.dst for node in frontier for r in store.relationships(node, [rel], "out")} - seen
        if not frontier:
            break
        seen |= frontier
    return seen


def patch_of(store: GraphStore, need: str, enterprise: str) -> tuple[set[str], set[str]]:
    """The regions the enterprise lies in (its own and every one above) and the need's fields with theirs."""
    located = [r.dst for r in store.relationships(enterprise, [RelType.LOCATED_IN], "out")]
    about = [r.dst for r in store.relationships(need, [RelType.ABOUT], "out")]
    return _up(store, located, RelType.PART_OF), _up(store, about, RelType.SUBFIELD_OF)


def fit(profile: StaffProfile, regions: set[str], fields: set[str]) -> int:
    """2 when the enterprise lies in the staff member's regions, plus 1 when the need is in their fields."""
    return 2 * bool(regions & set(profile.regions)) + bool(fields & set(profile.fields))


def choose_assignee(store: GraphStore, need: str, enterprise: str) -> str | None:
    """The staff member for a new case: one whose region holds the enterprise (staff visit it) before
    anyone else, among those one with room before one at capacity, then one whose fields hold the need,
    then the least loaded for their capacity. None when no staff profile exists (a lead assigns by hand)."""
    profiles = store.staff_profiles()
    if not profiles:
        return None
    regions, fields = patch_of(store, need, enterprise)
    loads = store.open_loads()

    def order(p: StaffProfile) -> tuple:
        score, load = fit(p, regions, fields), loads.get(p.username, 0)
        return -(score // 2), load >= p.capacity, -(score % 2), load / max(p.capacity, 1), p.username

    return min(profiles, key=order).username


def assign(store: GraphStore, case_id: str, assignee: str, actor: str, expected: str, reason: str = "") -> CaseRecord:
    """Hand the case to another staff member (an account of role staff or admin)."""
    case = get_case(store, case_id)
    account = store.get_account(assignee)
    if account is None or account.role not in ("staff", "admin") or account.disabled:
        raise InvalidInput(f"{assignee!r} 不是在岗的服务人员账号", field="assignee")
    if case.assignee == assignee:
        raise InvalidInput(f"案件已由 {assignee} 负责", field="assignee")
    text = f"转交给 {assignee}" + (f"：{reason.strip()}" if reason.strip() else "")
    return store.update_case(case_id, expected, {"assignee": assignee},
                             CaseEvent(case_id, "assign", actor, text, {"from": case.assignee, "to": assignee}))


def set_profile(store: GraphStore, profile: StaffProfile) -> StaffProfile:
    """A staff member's patch; regions and fields must be nodes of those labels, the lead a staff account."""
    account = store.get_account(profile.username)
    if account is None or account.role not in ("staff", "admin"):
        raise InvalidInput(f"{profile.username!r} 不是服务人员账号", field="username")
    found = store.labels_of([*profile.regions, *profile.fields])
    for name, ids, label in (("regions", profile.regions, Label.REGION), ("fields", profile.fields, Label.FIELD)):
        wrong = [i for i in ids if found.get(i) != label]
        if wrong:
            raise InvalidInput(f"{'、'.join(wrong)} 不是图谱中的{'地区' if label == Label.REGION else '领域'}",
                               field=name)
    if profile.capacity < 1:
        raise InvalidInput("可承担案件数须至少为 1", field="capacity")
    if profile.lead is not None and profile.lead == profile.username:
        raise InvalidInput("负责人不能是本人", field="lead")
    if profile.lead is not None and getattr(store.get_account(profile.lead), "role", None) not in ("staff", "admin"):
        raise InvalidInput(f"{profile.lead!r} 不是服务人员账号", field="lead")
    store.put_staff(profile)
    return profile
