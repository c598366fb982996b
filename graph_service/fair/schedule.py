"""The 1:1 meeting schedule, first part: which requested meetings to hold (CP-SAT, with a proven bound);
which slot and table each then takes is fair.placement.

Choosing meetings is the hard part and is solved exactly in two phases: first the smallest total
shortfall below each asking participant's guaranteed minimum (fairness), then the most expected value
at that fairness. Every schedule obeys that selection model's constraints, so its bound bounds the value
of any schedule at that fairness; the placed value is reported against it.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from graph_service.errors import InvalidInput
from graph_service.fair.instance import Event, Instance, Request

SCALE = 1000  # CP-SAT wants integer weights: values in thousandths
DEEPER = 10  # each further meeting missing below the minimum weighs this much more than the one before


@dataclass
class Problem:
    """The instance as arrays: participants and slots by index, candidate meetings as index pairs."""

    instance: Instance
    people: list[str]
    index: dict[str, int]
    kind: list[str]
    avail: np.ndarray  # bool, participants x slots
    cap: np.ndarray  # meetings each participant may have
    asked: np.ndarray  # bool: made at least one request (the fairness guarantee is for them)
    pairs: np.ndarray  # int, candidates x 2
    value: np.ndarray
    must: np.ndarray
    seq: np.ndarray
    locked: dict[int, tuple[int, int]]  # candidate -> (slot, table) the organiser fixed
    dropped: dict[tuple[str, str], str]  # requests that cannot be candidates, with why
    by_person: list[list[int]] = field(default_factory=list)

    @property
    def slots(self) -> int:
        return self.avail.shape[1]

    def day_of(self) -> np.ndarray:
        days = {d: i for i, d in enumerate(self.instance.event.days)}
        return np.array([days[s.day] for s in self.instance.event.slots])


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def build_problem(instance: Instance, busy: dict[str, set[str]] | None = None) -> Problem:
    """`busy`: slot ids each participant cannot meet in (e.g. while presenting in a session)."""
    event = instance.event
    people = [p.id for p in instance.participants]
    index = {p: i for i, p in enumerate(people)}
    slot_ids = [s.id for s in event.slots]
    slot_at = {s: t for t, s in enumerate(slot_ids)}
    by_day: dict[str, list[int]] = defaultdict(list)
    for t, s in enumerate(event.slots):
        by_day[s.day.isoformat()].append(t)
    avail = np.zeros((len(people), len(slot_ids)), dtype=bool)
    cap = np.zeros(len(people), dtype=np.int64)
    for i, p in enumerate(instance.participants):
        if p.available:
            for token in p.available:
                for t in by_day.get(token, [slot_at[token]] if token in slot_at else []):
                    avail[i, t] = True
        else:
            avail[i] = True
        for slot_id in (busy or {}).get(p.id, ()):
            avail[i, slot_at[slot_id]] = False
        limit = p.max_meetings if p.max_meetings is not None else event.max_meetings.get(p.kind)
        limit = len(slot_ids) if limit is None else limit
        cap[i] = min(limit, int(avail[i].sum()))
    best: dict[tuple[str, str], Request] = {}
    dropped: dict[tuple[str, str], str] = {}
    asked = np.zeros(len(people), dtype=bool)
    for r in instance.requests:
        key = _pair(r.a, r.b)
        if r.preference == "no":
            dropped.setdefault(key, "marked 'no' by the asker")
            continue
        if r.status != "accepted":
            dropped.setdefault(key, f"{r.status} by the one asked")
            continue
        if not r.recommended:
            asked[index[r.a]] = True
        if key not in best or r.value > best[key].value:
            best[key] = r
    must_pairs = {_pair(r.a, r.b) for r in instance.requests
                  if r.preference == "must" and r.status == "accepted"}
    locked_at = {_pair(m.a, m.b): (slot_at[m.slot], m.table) for m in instance.locked}
    keys = list(best) + [k for k in locked_at if k not in best]
    pairs: list[tuple[int, int]] = []
    value: list[float] = []
    must: list[bool] = []
    seq: list[int] = []
    locked: dict[int, tuple[int, int]] = {}
    for key in keys:
        i, j = index[key[0]], index[key[1]]
        if key not in locked_at and not (avail[i] & avail[j]).any():
            dropped[key] = "no slot both are free in"
            continue
        asked_for = best.get(key)
        if key in locked_at:
            locked[len(pairs)] = locked_at[key]
        pairs.append((i, j))
        value.append(asked_for.value if asked_for else 0.0)
        must.append(key in must_pairs)
        seq.append(asked_for.seq if asked_for else -1)
    for k, (t, _) in locked.items():  # the organiser's word beats availability and limits
        for x in pairs[k]:
            avail[x, t] = True
    prob = Problem(instance, people, index, [p.kind for p in instance.participants], avail, cap, asked,
                   np.array(pairs, dtype=np.int64).reshape(-1, 2), np.array(value), np.array(must, dtype=bool),
                   np.array(seq, dtype=np.int64), locked, dropped)
    prob.by_person = [[] for _ in people]
    for k, (i, j) in enumerate(prob.pairs):
        prob.by_person[i].append(int(k))
        prob.by_person[j].append(int(k))
    for i, ks in enumerate(prob.by_person):
        prob.cap[i] = max(prob.cap[i], sum(1 for k in ks if k in locked))
    return prob


@dataclass
class Selection:
    chosen: np.ndarray  # candidate indices to hold
    value: float
    bound: float
    shortfall: int  # meetings missing below the guaranteed minimums, in total
    optimal: bool
    seconds: float


def targets(prob: Problem) -> np.ndarray:
    """Meetings guaranteed to each asking participant where feasible: the event's minimum, capped by
    what they can have at all."""
    n = np.array([len(ks) for ks in prob.by_person])
    return np.where(prob.asked, np.minimum(prob.instance.event.min_meetings, np.minimum(prob.cap, n)), 0)


def _limits(prob: Problem, m: cp_model.CpModel, y: list, extra: dict[int, int] | None = None) -> None:
    event = prob.instance.event
    for i, ks in enumerate(prob.by_person):
        if len(ks) > prob.cap[i]:
            m.add(sum(y[k] for k in ks) <= int(prob.cap[i]))
        for kind, limit in event.max_meetings_with.items():
            with_kind = [k for k in ks if prob.kind[_other(prob, k, i)] == kind]
            if len(with_kind) > limit:
                m.add(sum(y[k] for k in with_kind) <= limit)
    if len(y) > prob.slots * event.tables:
        m.add(sum(y) <= prob.slots * event.tables)


def limit_with(event: Event, kind: str) -> int:
    limit = event.max_meetings_with.get(kind)  # type: ignore[call-overload]
    return 1 << 30 if limit is None else int(limit)


def _other(prob: Problem, k: int, i: int) -> int:
    a, b = prob.pairs[k]
    return int(b if a == i else a)


def _solver(seconds: float, workers: int) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = seconds
    s.parameters.num_workers = workers
    s.parameters.random_seed = 0
    return s


def select(prob: Problem, time_limit: float = 60.0, workers: int = 2, gap: float = 0.002) -> Selection:
    """Which candidates to hold: fairest first, then most valuable; CP-SAT with a time limit."""
    started = clock.perf_counter()
    m = cp_model.CpModel()
    y = [m.new_bool_var(f"y{k}") for k in range(len(prob.pairs))]
    for k in prob.locked:
        m.add(y[k] == 1)
    _limits(prob, m, y)
    want = targets(prob)
    short, penalty = [], []
    for i in np.flatnonzero(want):
        s = m.new_int_var(0, int(want[i]), f"s{i}")
        m.add(sum(y[k] for k in prob.by_person[i]) + s >= int(want[i]))
        short.append(s)
        # the deeper the shortfall the dearer: a participant left with none weighs most (convex penalty)
        for level in range(1, int(want[i])):
            e = m.new_int_var(0, level, "")
            m.add(e >= s - (int(want[i]) - level))
            penalty.append(DEEPER ** level * e)
    weights = np.rint(prob.value * SCALE).astype(np.int64)
    m.add_decision_strategy(y, cp_model.CHOOSE_FIRST, cp_model.SELECT_MAX_VALUE)
    # phase 1: the least total shortfall (fairness), a small problem the solver closes fast
    fair = _solver(time_limit * 0.25, workers)
    unfairness = sum(short) + sum(penalty)
    m.minimize(unfairness)
    status = fair.solve(m)
    if status == cp_model.INFEASIBLE:  # holding nothing is always possible: only the locks can break a limit
        raise InvalidInput("the locked meetings break a limit; no schedule keeps them all", field="locked")
    value = sum(int(w) * v for w, v in zip(weights, y))
    phased = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if phased:
        m.add(unfairness <= (int(round(fair.objective_value)) if short else 0))
        for v in y:
            m.add_hint(v, bool(fair.value(v)))
        # phase 2: the most expected value at that fairness
        m.maximize(value)
    else:  # phase 1 ran out of time without a schedule (a busy machine): both aims in one objective,
        # fairness first (one unit of it outweighs all the value there is), for the time left
        m.maximize(value - (int(weights.sum()) + 1) * unfairness)
    best = _solver(max(1.0, time_limit - (clock.perf_counter() - started)), workers)
    best.parameters.relative_gap_limit = gap
    status = best.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InvalidInput(f"no schedule found within the time limit of {time_limit:g} s: allow more time",
                           field="time_limit")
    shortfall = int(sum(best.value(s) for s in short))
    chosen = np.array([k for k, v in enumerate(y) if best.value(v)], dtype=np.int64)
    # the value's bound: the solver's, else (one objective) only that of holding every candidate
    bound = best.best_objective_bound / SCALE if phased else float(weights.sum()) / SCALE
    return Selection(chosen, float(prob.value[chosen].sum()), bound, shortfall,
                     status == cp_model.OPTIMAL, clock.perf_counter() - started)
