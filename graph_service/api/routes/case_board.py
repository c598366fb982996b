"""The cases as lists: the board (filtered by stage, staff member, enterprise), a researcher's
introductions, reminders of overdue and stalled cases, a lead's list, the dashboard, and the staff
profiles assignment reads. Registered before the routes of one case, whose `/{case_id}` would match
these paths otherwise."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from graph_service.api.case_schemas import StaffProfileIn
from graph_service.api.deps import ServiceDep, allow
from graph_service.api.guards import settings_of
from graph_service.auth.actor import Actor, Role
from graph_service.cases.assign import set_profile
from graph_service.cases.dashboard import dashboard
from graph_service.cases.reminders import lead_list, reminders
from graph_service.cases.stages import Stage
from graph_service.cases.views import introduction_view, summaries
from graph_service.need_status import today
from graph_service.stores.cases import StaffProfile

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
Staff = Annotated[Actor, allow("case.work")]
StalledDays = Annotated[int, Query(ge=1, le=365, description="a case with no activity for longer is stalled "
                                                            "(default: TECHMATCH_STALLED_DAYS)")]
Limit = Annotated[int, Query(ge=1, le=500)]


def _days(request: Request, given: int | None) -> int:
    return given or settings_of(request.app).stalled_days


@router.get("", summary="The cases: staff see all (filter by stage, staff member, enterprise); an enterprise "
            "member sees its own; a researcher the introductions addressed to them")
def board(service: ServiceDep, actor: Annotated[Actor, allow("case.read")], stage: Stage | None = None,
          assignee: str | None = None, enterprise: str | None = None, limit: Limit = 100,
          after: str = "") -> list[dict]:
    store = service.store
    if actor.role == Role.RESEARCHER:
        found = store.list_cases(stage=stage, introduced=actor.entity, limit=limit, after=after)
        return [introduction_view(store, actor, c) for c in found]
    if actor.role == Role.ENTERPRISE:
        enterprise, assignee = actor.entity, None  # its own cases, whoever holds them
    found = store.list_cases(stage=stage, assignee=assignee, enterprise=enterprise, limit=limit, after=after)
    return summaries(store, found)


@router.get("/reminders", summary="Overdue and stalled cases of one staff member (default: the caller)")
def my_reminders(service: ServiceDep, actor: Staff, request: Request, assignee: str | None = None,
                 stalled_days: StalledDays | None = None) -> list[dict]:
    found = reminders(service.store, today(), _days(request, stalled_days), assignee or actor.username)
    return [r.as_dict() for r in found]


@router.get("/lead", summary="A lead's list: the overdue and stalled cases of everyone they lead "
            "(default: the caller)")
def lead(service: ServiceDep, actor: Staff, request: Request, lead: str | None = None,
         stalled_days: StalledDays | None = None) -> dict:
    grouped = lead_list(service.store, lead or str(actor.username), today(), _days(request, stalled_days))
    return {staff: [r.as_dict() for r in found] for staff, found in grouped.items()}


@router.get("/dashboard", summary="The funnel by stage with conversions, time to first introduction and to "
            "signature, per staff member, region, field and enterprise tier; stalled cases")
def dashboard_(service: ServiceDep, actor: Staff, request: Request, stalled_days: StalledDays | None = None) -> dict:
    return dashboard(service.store, service.projection, today(), _days(request, stalled_days)).as_dict()


@router.get("/staff", summary="Staff profiles: the regions and fields each takes cases in, capacity, lead, "
            "and the open cases each holds")
def staff(service: ServiceDep, actor: Staff) -> list[dict]:
    loads = service.store.open_loads()
    return [{**asdict(p), "open_cases": loads.get(p.username, 0)} for p in service.store.staff_profiles()]


@router.put("/staff/{username}", summary="Set a staff member's profile (new cases are assigned by it)")
def put_staff(username: str, body: StaffProfileIn, service: ServiceDep, actor: Staff) -> dict:
    profile = StaffProfile(username, tuple(body.regions), tuple(body.fields), body.capacity, body.lead)
    return asdict(set_profile(service.store, profile))
