"""What the fair pages share: the fair a page is about (its organiser's or any for staff, as the API checks),
the planning state said to a person, CSV uploads read as the API reads them, and errors in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from graph_service.api.routes import fairs as api
from graph_service.auth.actor import Actor
from graph_service.auth.permissions import Resource, require
from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.fair.agenda import Agendas
from graph_service.fair.workspace import Fair, Fairs
from graph_service.web.fairs_text import STALE_PARTS, STATES, column, say
from graph_service.web.session import page

Manager = Annotated[Actor, page("fair.manage")]
DATALIST_MAX = 500  # participants offered as suggestions in a filter; more would weigh the page down


def fairs_of(request: Request) -> Fairs:
    return request.app.state.fairs


def managed(request: Request, actor: Actor, fair_id: str) -> Fair:
    """The fair, when this account manages it (its organiser, or staff): the API's check (`api.owner_of`).
    An unknown fair has no owner, so an organiser is refused (403) and only staff learn it does not exist."""
    fairs = fairs_of(request)
    require(actor, "fair.manage", Resource(owner=api.owner_of(fairs, fair_id)))
    with in_chinese():
        return fairs.get(fair_id)


@contextmanager
def in_chinese() -> Iterator[None]:
    """The fair services' errors, raised again with their messages in Chinese (the error page shows them)."""
    try:
        yield
    except InvalidInput as e:
        where = column(e.field)
        raise InvalidInput(f"{where}：{say(e.reason)}" if where else say(e.reason)) from None
    except (NotFound, Conflict) as e:
        raise type(e)(say(str(e))) from None


def planned(fair: Fair) -> tuple[Agendas | None, str | None]:
    """The fair's agendas over its plan, or why there is none to show (not planned yet, being planned)."""
    try:
        return fair.agendas(), None
    except Conflict as e:
        return None, say(str(e))


def plan_state(status: dict) -> dict:
    """The planning job as the page and its polling script show it."""
    state = status.get("state", "none")
    elapsed = 0
    if state == "running" and status.get("started"):
        try:
            elapsed = max(0, round((datetime.now(UTC) - datetime.fromisoformat(status["started"])).total_seconds()))
        except ValueError:
            elapsed = 0
    limit = status.get("time_limit") or 0
    return {"state": state, "label": STATES.get(state, state), "elapsed": elapsed, "time_limit": limit,
            # the solver stops at its time limit; forming sessions and placing tables come on top of it
            "percent": min(95, round(100 * elapsed / limit)) if state == "running" and limit else None,
            "seconds": status.get("seconds"), "error": say(status.get("error") or ""),
            "stale": bool(status.get("stale")),
            "stale_inputs": [STALE_PARTS.get(x, x) for x in status.get("stale_inputs") or []]}


def uploaded(form: FormData, name: str = "file") -> UploadFile | None:
    """The file a form field carries, None when none was chosen (browsers send an empty part then)."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def participant_choices(fair: Fair) -> list[tuple[str, str]]:
    """(id, name) of the fair's participants, for a datalist; none past DATALIST_MAX."""
    people = fair.instance().participants
    return [(p.id, p.name) for p in people] if len(people) <= DATALIST_MAX else []


def notice_number(request: Request, key: str = "n") -> int:
    value = request.query_params.get(key, "")
    return int(value) if value.isdigit() and len(value) < 10 else 0
