"""The 科创会 for organisers: create a fair, promote projects from everyday matching or import them,
register participants, collect meeting requests and answers, plan (a background job), read the
report, agendas and overview, re-plan after cancellations and late registrations, record outcomes."""

import tempfile
from collections import Counter
from dataclasses import asdict
from typing import IO, Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from starlette.concurrency import run_in_threadpool

from graph_service.api.deps import ServiceDep, allow
from graph_service.api.guards import settings_of
from graph_service.api.ratelimit import rate_limit
from graph_service.auth.actor import Actor, Role
from graph_service.auth.permissions import Resource, allowed, require
from graph_service.errors import InvalidInput, NotFound
from graph_service.fair.event import Event
from graph_service.fair.fits import with_fits
from graph_service.fair.instance import (
    COLUMNS,
    FILES,
    Instance,
    NewRequest,
    Participant,
    Preference,
    Project,
    Status,
    other_than_a,
    upload_rows,
)
from graph_service.fair.instance import (
    Request as MeetingRequest,
)
from graph_service.fair.layout import standard_event
from graph_service.fair.outcomes import Outcome
from graph_service.fair.promote import promote
from graph_service.fair.values import MAX_PEOPLE, MAX_SESSIONS, Day, Id, Tables, Title
from graph_service.fair.workspace import Fair, Fairs
from graph_service.service import GraphService

router = APIRouter(prefix="/api/v1/fairs", tags=["fairs"])


def get_fairs(request: Request) -> Fairs:
    return request.app.state.fairs


FairsDep = Annotated[Fairs, Depends(get_fairs)]


def owner_of(fairs: Fairs, fair_id: str) -> str | None:
    """The fair's organiser; an unknown fair has none, so only staff learn that it does not exist (404)."""
    try:
        return fairs.get(fair_id).owner
    except NotFound:
        return None


def _manager(fair_id: str, fairs: FairsDep, actor: Annotated[Actor, allow("fair.manage")]) -> None:
    """The fair's organiser (the account that created it) and platform staff manage it."""
    require(actor, "fair.manage", Resource(owner=owner_of(fairs, fair_id)))


def _agenda_reader(fair_id: str, participant_id: str, fairs: FairsDep,
                   actor: Annotated[Actor, allow("fair.agenda")]) -> None:
    """A participant's agenda: theirs (the enterprise or researcher they are), the organiser's and staff's."""
    require(actor, "fair.agenda", Resource(frozenset({participant_id}), owner=owner_of(fairs, fair_id)))


MANAGE = [Depends(_manager)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FairIn(_In):
    id: Id
    name: Title = "永不落幕科创会"
    start: Day | None = Field(None, description="first day (unless `event` is given)")
    days: Annotated[int, Field(ge=1, le=14)] = 3
    sessions: Annotated[int, Field(ge=1, le=MAX_SESSIONS)] = 100
    expected_participants: Annotated[int, Field(ge=2, le=MAX_PEOPLE)] = 3000
    expected_projects: Annotated[int, Field(ge=1, le=MAX_PEOPLE)] = 2350
    tables: Tables | None = Field(None, description="default: one per 15 participants")
    event: Event | None = Field(None, description="a layout of your own instead of the standard one")


class PromoteIn(_In):
    nodes: Annotated[list[Id], Field(min_length=1, max_length=10_000,
                                     description="needs, challenges, offers (become projects) and researchers, "
                                                 "enterprises, institutions (become participants)")]


class RequestIn(_In):
    a: Id
    b: Id
    preference: Preference = "meet"
    status: Status = "pending"
    fit: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="default: the matching model's score for the pair (see `fit_from` in the rows)")

    @field_validator("b")
    @classmethod
    def _two_people(cls, b: str, info: ValidationInfo) -> str:
        return other_than_a(b, info)


class AnswerIn(_In):
    a: Id
    b: Id
    status: Status


class PlanIn(_In):
    time_limit: Annotated[float, Field(ge=1, le=600)] = 60.0


class CancelIn(_In):
    participant: Id


class LateIn(_In):
    participants: Annotated[list[Participant], Field(max_length=MAX_PEOPLE)] = []
    requests: list[RequestIn] = []


@router.post("", status_code=201, summary="Create a fair (step 1); its creator manages it")
def create_fair(body: FairIn, fairs: FairsDep, actor: Annotated[Actor, allow("fair.create")]) -> dict:
    if body.event is not None:
        event = body.event
    elif body.start is not None:
        event = standard_event(body.days, body.sessions, body.expected_participants, body.expected_projects,
                               body.start, body.name, body.tables)
    else:
        raise InvalidInput("give the first day (start) or a whole event", field="start")
    return fairs.create(body.id, event, owner=actor.username if actor.role == Role.ORGANISER else None).summary()


@router.get("", summary="The fairs the caller manages (every fair for platform staff)")
def list_fairs(fairs: FairsDep, actor: Annotated[Actor, allow("fair.manage")]) -> list[dict]:
    mine = (fairs.get(i) for i in fairs.ids())
    return [f.summary() for f in mine if allowed(actor, "fair.manage", Resource(owner=f.owner))]


@router.get("/{fair_id}", dependencies=MANAGE, summary="A fair: its layout, what is registered and the planning state")
def get_fair(fair_id: str, fairs: FairsDep) -> dict:
    return fairs.get(fair_id).summary()


@router.put("/{fair_id}/event", dependencies=MANAGE,
            summary="Replace the fair's layout (days, blocks, rooms, slots, tables, limits)")
def put_event(fair_id: str, event: Event, fairs: FairsDep) -> dict:
    fair = fairs.get(fair_id)
    fair.set_event(event)
    return fair.summary()


@router.post("/{fair_id}/promote", dependencies=MANAGE,
             summary="Promote needs, challenges and offers from everyday matching into "
                     "projects, and register researchers, enterprises and institutions")
def promote_nodes(fair_id: str, body: PromoteIn, fairs: FairsDep, service: ServiceDep) -> dict:
    return fairs.get(fair_id).edit(lambda inst: promote(inst, service.projection, service.store, body.nodes))


@router.post("/{fair_id}/projects", dependencies=MANAGE, summary="Add or replace projects (by id)")
def put_projects(fair_id: str, rows: list[Project], fairs: FairsDep) -> dict:
    return _merge(fairs.get(fair_id), projects=rows)


@router.post("/{fair_id}/participants", dependencies=MANAGE,
             summary="Register participants with availability and limits (by id)")
def put_participants(fair_id: str, rows: list[Participant], fairs: FairsDep) -> dict:
    return _merge(fairs.get(fair_id), participants=rows)


@router.post("/{fair_id}/requests", dependencies=MANAGE,
             summary="Meeting requests (who wants to meet whom, with priority)")
def put_requests(fair_id: str, rows: list[RequestIn], fairs: FairsDep, service: ServiceDep) -> dict:
    fair = fairs.get(fair_id)
    return _merge(fair, requests=_requests(fair.instance(), rows, service))


@router.post("/{fair_id}/answers", dependencies=MANAGE, summary="Accept or decline meeting requests")
def answer_requests(fair_id: str, rows: list[AnswerIn], fairs: FairsDep) -> dict:
    def change(inst: Instance) -> tuple[Instance, dict]:
        asked = {(r.a, r.b): r for r in inst.requests}
        updated = []
        for k, row in enumerate(rows):
            if (row.a, row.b) not in asked:
                raise InvalidInput(f"no request from {row.a} to {row.b}", field=f"{k}")
            updated.append(asked[row.a, row.b].model_copy(update={"status": row.status}))
        return inst.merged(requests=updated), {"answered": len(updated)}

    return fairs.get(fair_id).edit(change)


@router.post("/{fair_id}/import/{part}", dependencies=MANAGE,
             summary="Import a CSV file (the columns `plan-fair` reads)",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_csv(fair_id: str, part: Literal["projects", "participants", "requests", "locked"],
                     request: Request, fairs: FairsDep, service: ServiceDep) -> dict:
    fair = fairs.get(fair_id)
    with tempfile.TemporaryFile() as upload:
        await _receive(request, upload)
        # parsing and merging a large file takes seconds: off the event loop, so others are answered
        return await run_in_threadpool(import_part, fair, part, upload, service)


async def _receive(request: Request, into: IO[bytes]) -> None:
    """The request body into a file, chunk by chunk; 413 as soon as it is larger than the upload limit."""
    limit = settings_of(request.app).max_upload_bytes  # also checked by guards.BodyLimit for text/csv
    too_large = HTTPException(413, f"the file is larger than the upload limit of {limit:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        into.write(chunk)
    into.seek(0)


def import_part(fair: Fair, part: str, upload: IO[bytes], service: GraphService) -> dict:
    """One part's CSV read, its requests given the model's fits, and merged into the fair (the pages too)."""
    file = f"{part}.csv"
    rows = upload_rows(upload, FILES[part], file)
    if part == "requests":  # rows without a fit get the model's, as requests posted as JSON do
        rows = with_fits(fair.instance(), rows, service.partner_recommender, file)
    return _merge(fair, **{part: rows}, where={part: file})


@router.post("/{fair_id}/plan", dependencies=[*MANAGE, rate_limit("expensive")],
             status_code=202, summary="Plan the fair (steps 3-4): a background job",
             description="Themed sessions, their rooms and blocks, invitations and the 1:1 schedule. Poll "
                         "GET /plan; the full-size fair takes about 70 s.")
def start_plan(fair_id: str, background: BackgroundTasks, fairs: FairsDep,
               body: Annotated[PlanIn, Body()] = PlanIn()) -> dict:
    fair = fairs.get(fair_id)
    status = fair.start_planning(body.time_limit)
    background.add_task(fair.run_planning, body.time_limit)
    return status


@router.get("/{fair_id}/plan", dependencies=MANAGE, summary="The planning job's state, and the report when done")
def plan_status(fair_id: str, fairs: FairsDep) -> dict:
    fair = fairs.get(fair_id)
    status = fair.status()
    return {**status, "report": fair.plan_report() if status["state"] == "done" else None}


@router.get("/{fair_id}/report", dependencies=MANAGE,
            summary="The plan report: value, bound, gap, fairness, idle slots, unmet requests, and whether "
                    "it is stale (`stale_inputs`: what changed since it was planned or re-planned)")
def plan_report(fair_id: str, fairs: FairsDep) -> dict:
    return fairs.get(fair_id).plan_report()


@router.get("/{fair_id}/agendas/{participant_id}", dependencies=[Depends(_agenda_reader)],
            summary="A participant's agenda as JSON, CSV or iCalendar",
            responses={200: {"content": {"text/csv": {}, "text/calendar": {}}}})
def agenda(fair_id: str, participant_id: str, fairs: FairsDep,
           format: Literal["json", "csv", "ics"] = "json") -> Response:
    fair = fairs.get(fair_id)
    fair.require_participant(participant_id)  # 404 for somebody unknown or cancelled, before 409 for no plan yet
    agendas = fair.agendas()
    if format == "csv":
        return Response(agendas.csv(participant_id), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": attachment(f"{participant_id}.csv")})
    if format == "ics":
        return Response(agendas.ical(participant_id), media_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": attachment(f"{participant_id}.ics")})
    return JSONResponse({"participant": participant_id, "items": [asdict(x) for x in agendas.of(participant_id)]})


@router.get("/{fair_id}/overview", dependencies=MANAGE,
            summary="The organiser's overview: programme, slot load, agenda spread")
def overview(fair_id: str, fairs: FairsDep) -> dict:
    return fairs.get(fair_id).agendas().overview()


@router.get("/{fair_id}/table-plan", dependencies=MANAGE,
            summary="Who sits at which table in each slot (CSV for the floor staff)",
            responses={200: {"content": {"text/csv": {}}}})
def table_plan(fair_id: str, fairs: FairsDep) -> Response:
    return Response(fairs.get(fair_id).agendas().table_plan_csv, media_type="text/csv; charset=utf-8")


@router.post("/{fair_id}/cancellations", dependencies=MANAGE,
             summary="A participant cancels (step 6): others keep every meeting")
def cancel(fair_id: str, body: CancelIn, fairs: FairsDep) -> dict:
    fair = fairs.get(fair_id)
    try:
        fair.require_participant(body.participant)
    except NotFound as e:  # a body naming nobody is bad input, not a missing page
        raise InvalidInput(str(e), field="participant") from None
    return fair.change_plan(cancel=body.participant)


@router.post("/{fair_id}/late-registrations", dependencies=MANAGE,
             summary="Late registrations (step 6): fitted into free capacity")
def late(fair_id: str, body: LateIn, fairs: FairsDep, service: ServiceDep) -> dict:
    fair = fairs.get(fair_id)
    instance = fair.instance()  # with the late-comers, for their fits; re-planning checks it all
    with_late = instance.model_copy(update={"participants": [*instance.participants, *body.participants]})
    return fair.change_plan(register=(body.participants, _requests(with_late, body.requests, service)))


@router.post("/{fair_id}/outcomes",
             summary="Record outcomes after the fair (step 7): signed ones become deals, and the cases of the "
                     "needs met open or move on (platform staff: outcomes write deals, need statuses and cases)")
def record(fair_id: str, rows: list[Outcome], fairs: FairsDep, service: ServiceDep,
           actor: Annotated[Actor, allow("graph.write")]) -> dict:
    return fairs.get(fair_id).record_outcomes(service, rows, actor=str(actor.username)).summary()


@router.get("/{fair_id}/followup", dependencies=MANAGE,
            summary="Outcomes that go back to everyday follow-up, intentions first")
def followup(fair_id: str, fairs: FairsDep) -> list[dict]:
    return fairs.get(fair_id).followup()


# last: its path would shadow the fixed ones above
@router.get("/{fair_id}/{part}", dependencies=MANAGE,
            summary="The fair's projects, participants, requests or locked meetings")
def list_part(fair_id: str, part: Literal["projects", "participants", "requests", "locked"], fairs: FairsDep,
              offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
              limit: Annotated[int, Query(ge=1, le=5000)] = 100) -> dict:
    rows = getattr(fairs.get(fair_id).instance(), part)
    return {"total": len(rows), "columns": COLUMNS[part],
            "rows": [r.model_dump(mode="json") for r in rows[offset:offset + limit]]}


def _merge(fair: Fair, where: dict[str, str] | None = None, **rows: list) -> dict:
    def change(inst: Instance) -> tuple[Instance, dict]:
        merged = inst.merged(**rows, where=where)
        fits = {}
        if "requests" in rows:  # where the received requests' fits came from
            fits = {"fits": dict(Counter(r.fit_from for r in rows["requests"]))}
        return merged, {"projects": len(merged.projects), "participants": len(merged.participants),
                        "requests": len(merged.requests), **{f"{k}_received": len(v) for k, v in rows.items()},
                        **fits}

    return fair.edit(change)


def _requests(instance: Instance, rows: list[RequestIn], service: GraphService) -> list[MeetingRequest]:
    """Requests in arrival order, those without a fit given the matching model's (`fits.with_fits`)."""
    first = max((r.seq for r in instance.requests), default=-1) + 1
    asked = []
    for k, r in enumerate(rows):
        try:
            asked.append(NewRequest(**r.model_dump(), seq=first + k))
        except ValidationError as e:  # e.g. seq past its bound after an import of huge ones
            err = e.errors()[0]
            raise InvalidInput(err["msg"], field=".".join(str(x) for x in (k, *err["loc"]))) from None
    return with_fits(instance, asked, service.partner_recommender)


def attachment(filename: str) -> str:
    """A Content-Disposition naming a download (RFC 6266): an ASCII fallback without quotes, backslashes,
    '%' or controls, and the real name as RFC 5987 UTF-8 (张三.ics), so no value can break the header."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"

