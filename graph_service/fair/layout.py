"""The standard layout of a 科创会: days of four session blocks and twelve 25-minute 1:1 slots, rooms
enough for the sessions, a table per 15 participants. `create-fair`, the API and the generator start
from it; an organiser with another layout writes event.json by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from graph_service.fair.event import Event, Room, TimeSpan

BLOCK_TIMES = [(time(9, 0), time(10, 30)), (time(10, 45), time(12, 15)), (time(14, 0), time(15, 30)),
               (time(15, 45), time(17, 15))]
SLOT_STARTS = [time(h, m) for h in (9, 10, 11, 14, 15, 16) for m in (0, 30)]
SLOT_LENGTH = timedelta(minutes=25)  # and 5 minutes to change tables
ROOM_SIZES = [150, 120, 100, 80, 80, 60]
MIN_SESSION = 7  # projects: a third of the real fair's mean session (2,350 / 101)


def standard_event(days: int, sessions: int, participants: int, projects: int, start: date,
                   name: str = "永不落幕科创会", tables: int | None = None) -> Event:
    """Sessions hold half the mean size (at most MIN_SESSION) up to twice the mean."""
    dates = [start + timedelta(days=d) for d in range(days)]
    blocks = [TimeSpan(id=f"D{d + 1}B{b + 1}", day=day, start=s, end=e)
              for d, day in enumerate(dates) for b, (s, e) in enumerate(BLOCK_TIMES)]
    rooms_needed = math.ceil(sessions / len(blocks))
    rooms = [Room(id=f"R{r + 1:02d}", capacity=ROOM_SIZES[r % len(ROOM_SIZES)]) for r in range(rooms_needed)]
    slots = [TimeSpan(id=f"D{d + 1}S{s + 1:02d}", day=day, start=t,
                      end=(datetime.combine(day, t) + SLOT_LENGTH).time())
             for d, day in enumerate(dates) for s, t in enumerate(SLOT_STARTS)]
    lo = max(1, min(MIN_SESSION, projects // sessions // 2))
    return Event(name=name, blocks=blocks, rooms=rooms, slots=slots,
                 tables=tables or max(10, participants // 15), sessions=sessions,
                 session_size=(lo, max(lo, math.ceil(projects / sessions) * 2)))
