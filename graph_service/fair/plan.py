"""A fair's plan end to end (sessions, placement, invitations, meetings), its report and its files."""

from __future__ import annotations

import json
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graph_service.fair.freshness import digests, write_inputs
from graph_service.fair.instance import Instance, write_rows
from graph_service.fair.placement import Board, Placement, assign_tables, first_come_first_served, place
from graph_service.fair.schedule import Problem, Selection, build_problem, select, targets
from graph_service.fair.sessions import Session, busy_slots, form_sessions, invite, place_sessions
from graph_service.recommend.fairness import gini


@dataclass
class Plan:
    instance: Instance
    sessions: list[Session]
    problem: Problem
    placement: Placement
    bound: float
    seconds: dict[str, float] = field(default_factory=dict)
    optimal: bool = False
    shortfall: int = 0
    unplaced: list[int] = field(default_factory=list)


def plan_fair(instance: Instance, time_limit: float = 60.0) -> Plan:
    seconds: dict[str, float] = {}
    started = clock.perf_counter()
    sessions = form_sessions(instance)
    place_sessions(instance, sessions)
    invite(instance, sessions)
    seconds["sessions"] = clock.perf_counter() - started
    prob = build_problem(instance, busy_slots(instance, sessions))
    seconds["problem"] = clock.perf_counter() - started - seconds["sessions"]
    chosen: Selection = select(prob, time_limit=time_limit)
    seconds["select"] = chosen.seconds
    mark = clock.perf_counter()
    placement, unplaced = place(prob, chosen.chosen)
    assign_tables(prob, placement)
    seconds["place"] = clock.perf_counter() - mark
    seconds["total"] = clock.perf_counter() - started
    return Plan(instance, sessions, prob, placement, chosen.bound, seconds, chosen.optimal, chosen.shortfall,
                unplaced)


def _stats(counts: np.ndarray) -> dict[str, float]:
    if len(counts) == 0:
        return {"min": 0, "median": 0, "max": 0, "gini": 0.0}
    return {"min": int(counts.min()), "median": float(np.median(counts)), "max": int(counts.max()),
            "gini": round(gini(counts), 4)}


def schedule_report(prob: Problem, placement: Placement, bound: float | None = None) -> dict:
    """Value, fairness and compactness of one schedule (the planner's or a baseline's)."""
    held = placement.held
    value = float(prob.value[held].sum())
    asked = prob.asked
    reachable = asked & (np.array([len(ks) for ks in prob.by_person]) > 0)
    board = Board(prob, Placement(placement.slot.copy(), placement.table.copy()))
    counts = board.count
    idle = np.array([board.idle_total(i) for i in range(len(prob.people))])
    k = prob.instance.event.min_meetings
    want = targets(prob)
    people = prob.instance.participants
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        if asked[i]:
            groups["all"].append(i)
            if p.small:
                groups["small enterprises"].append(i)
            if p.specialised:
                groups["专精特新"].append(i)
            groups[f"region {p.region or '?'}"].append(i)
    out = {
        "value": round(value, 3),
        "meetings": int(len(held)),
        "must_meet_held": int(prob.must[held].sum()),
        "must_meet_asked": int(prob.must.sum()),
        # over those who asked and whom somebody accepted: nobody can meet a participant all declined
        "meetings_per_participant": _stats(counts[reachable]),
        "participants_asking": int(asked.sum()),
        "participants_asking_all_declined": int((asked & ~reachable).sum()),
        "guarantee": {"min_meetings": k,
                      "met": int((counts[asked] >= want[asked]).sum()),
                      "short": int(np.maximum(want - counts, 0)[asked].sum())},
        "idle_slots": {"total": int(idle.sum()), "per_participant_with_meetings":
                       round(float(idle[counts > 0].mean()) if (counts > 0).any() else 0.0, 3),
                       "max": int(idle.max()) if len(idle) else 0},
        "share_with_at_least_k": {g: round(float((counts[m] >= k).mean()), 4) for g, m in sorted(groups.items())},
    }
    if bound is not None:
        out["bound"] = round(bound, 3)
        out["gap"] = round(max(0.0, bound - value) / bound, 5) if bound > 0 else 0.0
    return out


def unmet(prob: Problem, placement: Placement) -> list[dict]:
    """Every request not held, with why (one of a few reasons) and who is concerned."""
    counts = np.bincount(prob.pairs[placement.held].ravel(), minlength=len(prob.people))
    rows = [{"a": a, "b": b, "why": why, "who": ""} for (a, b), why in prob.dropped.items()]
    for k in np.flatnonzero(placement.slot < 0):
        a, b = (int(x) for x in prob.pairs[k])
        full = [prob.people[x] for x in (a, b) if counts[x] >= prob.cap[x]]
        why = "meeting limit reached" if full else "tables and slots went to meetings worth more"
        rows.append({"a": prob.people[a], "b": prob.people[b], "why": why, "who": ";".join(full)})
    return rows


def report(plan: Plan) -> dict:
    sessions = plan.sessions
    sizes = np.array([len(s.projects) for s in sessions]) if sessions else np.zeros(1)
    out = schedule_report(plan.problem, plan.placement, plan.bound)
    reasons: dict[str, int] = defaultdict(int)
    for row in unmet(plan.problem, plan.placement):
        reasons[row["why"]] += 1
    out.update({
        "seconds": round(plan.seconds.get("total", 0.0), 2),
        "stage_seconds": {k: round(v, 2) for k, v in plan.seconds.items()},
        "optimal": plan.optimal,
        "fairness_shortfall": plan.shortfall,
        "unplaced_after_selection": len(plan.unplaced),
        "sessions": {"count": len(sessions), "size_min": int(sizes.min()), "size_max": int(sizes.max()),
                     "invitations": sum(len(s.invitees) for s in sessions)},
        "requests_unmet": sum(reasons.values()),
        "requests_unmet_by_reason": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
    })
    return out


def baseline_report(plan: Plan) -> dict:
    """First come, first served on the same problem, for comparison."""
    return schedule_report(plan.problem, first_come_first_served(plan.problem))


def write_meetings(prob: Problem, p: Placement, out: Path) -> None:
    """meetings.csv (a,b,day,slot,table,value) and unmet.csv (a,b,why,who)."""
    event = prob.instance.event
    held = sorted(p.held, key=lambda k: (p.slot[k], p.table[k]))
    write_rows(out / "meetings.csv", ["a", "b", "day", "slot", "table", "value"], (
        {"a": prob.people[prob.pairs[k][0]], "b": prob.people[prob.pairs[k][1]],
         "day": event.slots[p.slot[k]].day.isoformat(), "slot": event.slots[p.slot[k]].id,
         "table": int(p.table[k]), "value": round(float(prob.value[k]), 4)} for k in held))
    write_rows(out / "unmet.csv", ["a", "b", "why", "who"], unmet(prob, p))


def write_plan(plan: Plan, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    event, prob, p = plan.instance.event, plan.problem, plan.placement
    write_meetings(prob, p, out)
    write_rows(out / "sessions.csv", ["session", "day", "block", "room", "project", "theme"], (
        {"session": s.id, "day": event.blocks[s.block].day.isoformat(), "block": event.blocks[s.block].id,
         "room": event.rooms[s.room].id, "project": plan.instance.projects[i].id, "theme": s.theme}
        for s in plan.sessions for i in s.projects))
    write_rows(out / "invitations.csv", ["session", "participant"], (
        {"session": s.id, "participant": pid} for s in plan.sessions for pid in s.invitees))
    rep = report(plan)
    (out / "report.json").write_text(json.dumps(rep, ensure_ascii=False, indent=2), encoding="utf-8")
    write_inputs(out, digests(plan.instance))
    return rep
