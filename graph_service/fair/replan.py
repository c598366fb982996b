"""Re-planning after a cancellation or a late registration: every meeting already planned stays where
it is (nobody loses one that could be kept, nothing moves); freed or new capacity goes to the
requests that can still be met, participants short of their minimum first."""

from __future__ import annotations

import csv
import time as clock
from pathlib import Path

from graph_service.errors import InvalidInput
from graph_service.fair.instance import Instance, Locked, Participant, Request
from graph_service.fair.schedule import Board, Placement, Problem, assign_tables, build_problem, fill


def read_meetings(plan_dir: Path) -> list[Locked]:
    path = plan_dir / "meetings.csv"
    if not path.is_file():
        raise InvalidInput("missing: plan the fair first", file=str(path))
    with path.open(newline="", encoding="utf-8") as f:
        return [Locked(a=r["a"], b=r["b"], slot=r["slot"], table=int(r["table"])) for r in csv.DictReader(f)]


def busy_from_plan(instance: Instance, plan_dir: Path) -> dict[str, set[str]]:
    """Slots each participant spends in sessions, as the plan's sessions.csv and invitations.csv say."""
    blocks = {b.id: b for b in instance.event.blocks}
    presenter = {p.id: p.presenter for p in instance.projects}
    block_of: dict[str, str] = {}
    busy: dict[str, set[str]] = {}
    with (plan_dir / "sessions.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            block_of[r["session"]] = r["block"]
            if r["project"] in presenter:
                busy.setdefault(presenter[r["project"]], set()).add(r["block"])
    with (plan_dir / "invitations.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            busy.setdefault(r["participant"], set()).add(block_of[r["session"]])
    return {pid: {s.id for s in instance.event.slots for b in bs if s.overlaps(blocks[b])}
            for pid, bs in busy.items()}


def replan(instance: Instance, plan_dir: Path, *, cancel: str | None = None,
           register: tuple[list[Participant], list[Request]] | None = None) -> tuple[Problem, Placement, dict]:
    """The problem after the change (its instance included) and the new placement, with what changed."""
    started = clock.perf_counter()
    kept = read_meetings(plan_dir)
    people = {p.id for p in instance.participants}
    if cancel is not None:
        if cancel not in people:
            raise InvalidInput(f"unknown participant {cancel!r}", field="cancel")
        lost = [m for m in kept if cancel in (m.a, m.b)]
        kept = [m for m in kept if cancel not in (m.a, m.b)]
        instance = instance.model_copy(update={
            "participants": [p for p in instance.participants if p.id != cancel],
            "requests": [r for r in instance.requests if cancel not in (r.a, r.b)],
            "projects": [p for p in instance.projects if p.presenter != cancel]})
    else:
        lost = []
    if register is not None:
        newcomers, asks = register
        clash = [p.id for p in newcomers if p.id in people]
        if clash:
            raise InvalidInput(f"already registered: {', '.join(clash)}", field="participants")
        instance = instance.model_copy(update={"participants": [*instance.participants, *newcomers],
                                               "requests": [*instance.requests, *asks]})
    instance = Instance(event=instance.event, projects=instance.projects, participants=instance.participants,
                        requests=instance.requests, locked=kept).check({"locked": "meetings.csv"})
    prob = build_problem(instance, busy_from_plan(instance, plan_dir))
    placement = Placement.empty(prob)
    board = Board(prob, placement)
    for k, (t, _) in prob.locked.items():
        board.put(k, t)
    added = fill(board)
    assign_tables(prob, placement)
    return prob, placement, {"kept": len(kept), "cancelled_meetings": len(lost), "added": added,
                                 "moved": 0, "seconds": round(clock.perf_counter() - started, 3)}
