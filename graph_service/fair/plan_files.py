"""A written plan read back: meetings.csv, sessions.csv and invitations.csv of a plan directory, the
form in which re-planning, agendas and outcomes take it (the planner's arrays are gone by then)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from graph_service.errors import InvalidInput
from graph_service.fair.instance import Instance, Locked
from graph_service.fair.spreadsheet import restore_formula


@dataclass
class ProgrammeEntry:
    """One themed session as placed: where, when, which projects, who is invited."""

    session: str
    block: str
    room: str
    theme: str
    projects: list[str] = field(default_factory=list)
    invitees: list[str] = field(default_factory=list)


@dataclass
class PlanView:
    meetings: list[Locked]
    sessions: dict[str, ProgrammeEntry]

    @classmethod
    def read(cls, plan_dir: Path) -> PlanView:
        for name in ("meetings.csv", "sessions.csv", "invitations.csv"):
            if not (plan_dir / name).is_file():
                raise InvalidInput("missing: plan the fair first", file=str(plan_dir / name))
        meetings = [Locked(a=r["a"], b=r["b"], slot=r["slot"], table=int(r["table"]))
                    for r in read_csv(plan_dir / "meetings.csv")]
        sessions: dict[str, ProgrammeEntry] = {}
        for r in read_csv(plan_dir / "sessions.csv"):
            entry = sessions.setdefault(r["session"], ProgrammeEntry(r["session"], r["block"], r["room"],
                                                                     r.get("theme", "")))
            entry.projects.append(r["project"])
        for line, r in enumerate(read_csv(plan_dir / "invitations.csv"), 2):
            if r["session"] not in sessions:
                raise InvalidInput(f"unknown session {r['session']!r}", file="invitations.csv", line=line,
                                   field="session")
            sessions[r["session"]].invitees.append(r["participant"])
        return cls(meetings, sessions)

    def misfit(self, instance: Instance) -> str | None:
        """Why this plan no longer fits the instance's layout (changed after planning), or None."""
        event = instance.event
        slots, blocks, rooms = ({x.id for x in xs} for xs in (event.slots, event.blocks, event.rooms))
        for m in self.meetings:
            if m.slot not in slots:
                return f"slot {m.slot} of a planned meeting is no longer in the layout"
            if m.table > event.tables:
                return f"table {m.table} of a planned meeting is beyond the layout's {event.tables} tables"
        for s in self.sessions.values():
            if s.block not in blocks or s.room not in rooms:
                return f"block {s.block} or room {s.room} of session {s.session} is no longer in the layout"
        return None

    def busy(self, instance: Instance) -> dict[str, set[str]]:
        """Slots each participant spends in sessions (presenting or invited)."""
        blocks = {b.id: b for b in instance.event.blocks}
        presenter = {p.id: p.presenter for p in instance.projects}
        in_block: dict[str, set[str]] = {}
        for s in self.sessions.values():
            people = [presenter[p] for p in s.projects if p in presenter] + s.invitees
            for who in people:
                in_block.setdefault(who, set()).add(s.block)
        return {pid: {s.id for s in instance.event.slots for b in bs if s.overlaps(blocks[b])}
                for pid, bs in in_block.items()}


def read_csv(path: Path) -> list[dict[str, str]]:
    """A plan file's rows as written (cells restored: see graph_service.fair.spreadsheet)."""
    with path.open(newline="", encoding="utf-8") as f:
        return [{k: restore_formula(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in csv.DictReader(f)]
