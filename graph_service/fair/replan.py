"""Re-planning after a cancellation or a late registration: every meeting already planned stays where
it is (nobody loses one that could be kept, nothing moves); freed or new capacity goes to the
requests that can still be met, participants short of their minimum first."""

from __future__ import annotations

import json
import time as clock
from pathlib import Path

from graph_service.errors import InvalidInput
from graph_service.fair.freshness import digests, read_inputs, replanned, unwanted, write_inputs
from graph_service.fair.instance import Instance, Locked, Participant, Request, write_rows
from graph_service.fair.placement import Board, Placement, assign_tables, fill
from graph_service.fair.plan import schedule_report, write_meetings
from graph_service.fair.plan_files import PlanView, read_csv
from graph_service.fair.schedule import Problem, build_problem


def replan(instance: Instance, plan_dir: Path, *, cancel: str | None = None,
           register: tuple[list[Participant], list[Request]] | None = None) -> tuple[Problem, Placement, dict]:
    """The problem after the change (its instance included) and the new placement, with what changed."""
    started = clock.perf_counter()
    view = PlanView.read(plan_dir)
    kept = view.meetings
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
    prob = build_problem(instance, view.busy(instance))
    placement = Placement.empty(prob)
    board = Board(prob, placement)
    for k, (t, _) in prob.locked.items():
        board.put(k, t)
    added = fill(board)
    assign_tables(prob, placement)
    return prob, placement, {"kept": len(kept), "cancelled_meetings": len(lost), "added": added,
                                 "moved": 0, "seconds": round(clock.perf_counter() - started, 3)}


def kept(prob: Problem, before: Instance) -> Instance:
    """The instance after the change, as it is saved: the plan's meetings are locks only while
    re-planning; the organiser's own locks stay (less a cancelled participant's)."""
    people = {p.id for p in prob.instance.participants}
    return prob.instance.model_copy(update={"locked": [m for m in before.locked if m.a in people and m.b in people]})


def write_replan(prob: Problem, placement: Placement, change: dict, plan_dir: Path, out: Path,
                 before: Instance) -> dict:
    """The new plan in `out`: its meetings, the old plan's sessions and invitations (less a cancelled
    participant's projects and seats; nothing else moves), a report with what changed, and what it
    reflects of the inputs (`before`: the instance the re-plan started from; see fair.freshness)."""
    out.mkdir(parents=True, exist_ok=True)
    write_meetings(prob, placement, out)
    projects = {p.id for p in prob.instance.projects}
    people = {p.id for p in prob.instance.participants}
    for name, key, still in (("sessions.csv", "project", projects), ("invitations.csv", "participant", people)):
        rows = read_csv(plan_dir / name)
        write_rows(out / name, list(rows[0]) if rows else [], (r for r in rows if r[key] in still))
    after = kept(prob, before)
    meetings = [Locked(a=r["a"], b=r["b"], slot=r["slot"], table=int(r["table"]))
                for r in read_csv(out / "meetings.csv")]
    why = unwanted(after, meetings)
    reflected = read_inputs(plan_dir) or digests(before)  # a plan from before plans recorded it: as planned
    write_inputs(out, replanned(reflected, before, after, not why))
    rep = {**schedule_report(prob, placement), "change": {**change, "no_longer_wanted": why}}
    (out / "report.json").write_text(json.dumps(rep, ensure_ascii=False, indent=2), encoding="utf-8")
    return rep
