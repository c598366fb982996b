"""What each participant does at the fair (sessions they present, sessions they are invited to, 1:1
meetings) as CSV and iCalendar, and the organiser's overview: the programme, the table plan and the
load of each slot."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import numpy as np

from graph_service.errors import NotFound
from graph_service.fair.event import TimeSpan
from graph_service.fair.instance import Instance
from graph_service.fair.plan_files import PlanView
from graph_service.fair.spreadsheet import csv_text

TABLE_COLUMNS = ["day", "slot", "start", "end", "table", "a", "a_name", "b", "b_name"]
PROGRAMME_COLUMNS = ["session", "day", "block", "start", "end", "room", "capacity", "theme", "projects", "invitees"]
AGENDA_COLUMNS = ["day", "start", "end", "what", "where", "with_id", "with_name", "with_kind", "session", "title"]
WHAT = {"meeting": "1:1 洽谈", "presenting": "项目路演", "invited": "推介洽谈会"}


@dataclass(frozen=True)
class Item:
    day: str
    start: str
    end: str
    what: str  # meeting | presenting | invited
    where: str  # table or room
    with_id: str = ""
    with_name: str = ""
    with_kind: str = ""
    session: str = ""
    title: str = ""  # the session's theme, or the projects one presents


class Agendas:
    """Every participant's agenda over one plan, built once per (instance, plan)."""

    def __init__(self, instance: Instance, view: PlanView) -> None:
        self.instance, self.view = instance, view
        self.people = {p.id: p for p in instance.participants}
        self.slots = {s.id: s for s in instance.event.slots}
        self.blocks = {b.id: b for b in instance.event.blocks}
        projects = {p.id: p for p in instance.projects}
        self.items: dict[str, list[Item]] = {pid: [] for pid in self.people}
        self._tz: icalendar.Timezone | None = None
        for m in view.meetings:
            span = self.slots[m.slot]
            for me, other in ((m.a, m.b), (m.b, m.a)):
                o = self.people.get(other)
                self._add(me, span, Item(*_when(span), "meeting", f"洽谈桌 {m.table}", other,
                                         o.name if o else other, o.kind if o else ""))
        for s in view.sessions.values():
            span = self.blocks[s.block]
            mine: dict[str, list[str]] = {}
            for pid in s.projects:
                if pid in projects:
                    mine.setdefault(projects[pid].presenter, []).append(projects[pid].title)
            for who, titles in mine.items():
                self._add(who, span, Item(*_when(span), "presenting", s.room, session=s.session,
                                          title=f"{s.theme}｜{'；'.join(titles)}"))
            for who in s.invitees:
                self._add(who, span, Item(*_when(span), "invited", s.room, session=s.session, title=s.theme))
        for items in self.items.values():
            items.sort(key=lambda x: (x.day, x.start, x.what))

    def _add(self, who: str, span: TimeSpan, item: Item) -> None:
        if who in self.items:
            self.items[who].append(item)

    def of(self, pid: str) -> list[Item]:
        if pid not in self.items:
            raise NotFound(f"no participant {pid!r} in this fair")
        return self.items[pid]

    def csv(self, pid: str) -> str:
        return csv_text(AGENDA_COLUMNS, [asdict(x) for x in self.of(pid)])

    def ical(self, pid: str, stamp: datetime | None = None) -> bytes:
        """An iCalendar file a phone or Outlook imports; each event's UID is stable across re-exports,
        so a re-planned agenda updates the events instead of duplicating them."""
        items = self.of(pid)
        event = self.instance.event
        tz = ZoneInfo(event.timezone)
        cal = icalendar.Calendar()
        cal.add("prodid", "-//TechMatch 科创供需图谱//fair agenda//ZH")
        cal.add("version", "2.0")
        # an X- property is not known to be text: say so, or a line break in a name goes out unescaped
        cal.add("x-wr-calname", icalendar.vText(f"{event.name}｜{self.people[pid].name}"))
        stamp = stamp or datetime.now(UTC)
        for x in items:
            e = icalendar.Event()
            key = x.with_id if x.what == "meeting" else x.session
            e.add("uid", f"{x.day}-{x.start}-{x.what}-{key}-{pid}@techmatch")
            e.add("dtstamp", stamp)
            e.add("dtstart", datetime.fromisoformat(f"{x.day}T{x.start}").replace(tzinfo=tz))
            e.add("dtend", datetime.fromisoformat(f"{x.day}T{x.end}").replace(tzinfo=tz))
            who = f"：{x.with_name}" if x.with_name else f"：{x.title}"
            e.add("summary", f"{WHAT[x.what]}{who}")
            e.add("location", x.where)
            e.add("description", x.title if x.what != "meeting" else f"{x.with_kind} {x.with_id}")
            cal.add_component(e)
        cal.add_component(self._vtimezone())
        return cal.to_ical()

    def _vtimezone(self) -> icalendar.Timezone:
        """The venue's VTIMEZONE over the fair's days, built once (icalendar's own per-calendar lookup
        scans 68 years of transitions: 65 ms an agenda)."""
        if self._tz is None:
            days = self.instance.event.days
            self._tz = icalendar.Timezone.from_tzid(self.instance.event.timezone, first_date=days[0],
                                                    last_date=days[-1] + timedelta(days=1))
        return self._tz

    def overview(self) -> dict:
        """The organiser's view: sessions by block and room, meetings and free tables per slot, and how
        full the agendas are."""
        event = self.instance.event
        capacity = {r.id: r.capacity for r in event.rooms}
        per_slot = Counter(m.slot for m in self.view.meetings)
        met = np.array([sum(1 for x in items if x.what == "meeting") for items in self.items.values()])
        sessions = sorted(self.view.sessions.values(),
                          key=lambda s: (self.blocks[s.block].day, self.blocks[s.block].start, s.room))
        return {
            "name": event.name,
            "days": [d.isoformat() for d in event.days],
            "programme": [{"session": s.session, "day": self.blocks[s.block].day.isoformat(), "block": s.block,
                           "start": _hm(self.blocks[s.block].start), "end": _hm(self.blocks[s.block].end),
                           "room": s.room, "capacity": capacity.get(s.room, 0), "theme": s.theme,
                           "projects": len(s.projects), "invitees": len(s.invitees)}
                          for s in sessions],
            "slots": [{"slot": s.id, "day": s.day.isoformat(), "start": _hm(s.start), "end": _hm(s.end),
                       "meetings": per_slot[s.id], "tables_free": event.tables - per_slot[s.id]}
                      for s in event.slots],
            "participants": {"registered": len(self.people),
                             "with_meetings": int((met > 0).sum()),
                             "meetings_min": int(met.min()) if len(met) else 0,
                             "meetings_max": int(met.max()) if len(met) else 0,
                             "without_any_item": sum(1 for items in self.items.values() if not items)},
            "meetings": len(self.view.meetings),
        }

    def table_plan(self) -> list[dict]:
        """What the staff at the tables print: who sits at which table in each slot."""
        rows = []
        for m in sorted(self.view.meetings, key=lambda m: (self.slots[m.slot].day, self.slots[m.slot].start, m.table)):
            span = self.slots[m.slot]
            a, b = self.people.get(m.a), self.people.get(m.b)
            rows.append({"day": span.day.isoformat(), "slot": m.slot, "start": _hm(span.start), "end": _hm(span.end),
                         "table": m.table, "a": m.a, "a_name": a.name if a else "", "b": m.b,
                         "b_name": b.name if b else ""})
        return rows

    @cached_property  # a plan never changes under this object (a new plan makes new Agendas)
    def table_plan_csv(self) -> str:
        return csv_text(TABLE_COLUMNS, self.table_plan())

    def export(self, out: Path) -> dict:
        """agendas/{id}.csv and .ics for everyone with anything on their agenda; overview.json,
        programme.csv and table_plan.csv for the organiser."""
        (out / "agendas").mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC)
        written = 0
        for pid, items in self.items.items():
            if not items:
                continue
            (out / "agendas" / f"{pid}.csv").write_text(self.csv(pid), encoding="utf-8")
            (out / "agendas" / f"{pid}.ics").write_bytes(self.ical(pid, stamp))
            written += 1
        view = self.overview()
        (out / "overview.json").write_text(json.dumps(view, ensure_ascii=False, indent=2), encoding="utf-8")
        (out / "programme.csv").write_text(csv_text(PROGRAMME_COLUMNS, view["programme"]), encoding="utf-8")
        (out / "table_plan.csv").write_text(self.table_plan_csv, encoding="utf-8")
        return {"agendas": written, "meetings": view["meetings"], "sessions": len(view["programme"])}


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


def _when(span: TimeSpan) -> tuple[str, str, str]:
    return span.day.isoformat(), _hm(span.start), _hm(span.end)
