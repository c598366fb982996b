"""A fair's layout: days of session blocks (themed sessions, in rooms) and 1:1 meeting slots (at
tables), with the limits the planner keeps: sessions to form, their size, meetings per participant."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import Field, model_validator

from graph_service.fair.values import MAX_MEETINGS, MAX_SESSIONS, Day, FrozenModel, Id, Kind, Meetings, Tables, Title

MAX_SLOTS, MAX_BLOCKS, MAX_ROOMS = 2000, 500, 500


class TimeSpan(FrozenModel):
    id: Id
    day: Day
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeSpan:
        if self.end <= self.start:
            raise ValueError(f"{self.id} ends ({self.end}) before it starts ({self.start})")
        return self

    def overlaps(self, other: TimeSpan) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end

    def at(self, t: time) -> datetime:
        return datetime.combine(self.day, t)


class Room(FrozenModel):
    id: Id
    capacity: Annotated[int, Field(ge=1, le=100_000)]


class Event(FrozenModel):
    name: Title
    timezone: Annotated[str, Field(max_length=64)] = "Asia/Shanghai"  # of the venue; agendas carry it
    blocks: Annotated[list[TimeSpan], Field(max_length=MAX_BLOCKS)]  # time blocks for themed sessions (推介洽谈会)
    rooms: Annotated[list[Room], Field(max_length=MAX_ROOMS)]
    slots: Annotated[list[TimeSpan], Field(max_length=MAX_SLOTS)]  # 1:1 meeting slots
    tables: Tables
    sessions: Annotated[int, Field(ge=1, le=MAX_SESSIONS)] = 100  # how many themed sessions to form
    session_size: tuple[Annotated[int, Field(ge=1, le=10_000)], Annotated[int, Field(ge=1, le=10_000)]] = (10, 35)
    min_meetings: Annotated[int, Field(ge=0, le=MAX_MEETINGS)] = 3  # fairness: meetings guaranteed, where feasible
    max_meetings: dict[Kind, Meetings] = {
        "enterprise": 8, "researcher": 8, "institution": 8, "investor": 10}
    max_meetings_with: dict[Kind, Meetings] = {}  # per participant, with each kind

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        if not self.slots and not self.blocks:
            raise ValueError("an event needs at least one 1:1 slot or session block")
        for what, spans in (("slots", self.slots), ("blocks", self.blocks)):
            _unique(what, [s.id for s in spans])
            ordered = sorted(spans, key=lambda s: (s.day, s.start))
            for a, b in zip(ordered, ordered[1:]):
                if a.overlaps(b):
                    raise ValueError(f"{what} {a.id} and {b.id} overlap")
        _unique("rooms", [r.id for r in self.rooms])
        if self.timezone not in _zones():  # not ZoneInfo(): "Asia" is a directory, "zone.tab" a table
            raise ValueError(f"unknown time zone {self.timezone!r} (an IANA name such as 'Asia/Shanghai')")
        lo, hi = self.session_size
        if not 1 <= lo <= hi:
            raise ValueError(f"session_size {self.session_size} must be 1 <= min <= max")
        return self

    @property
    def days(self) -> list[date]:
        return sorted({s.day for s in self.slots} | {b.day for b in self.blocks})


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what}: id {i!r} appears twice")
        seen.add(i)
