"""The 1:1 meeting schedule: which requested meetings to hold (CP-SAT, with a proven bound), then
which slot and table each takes (placement with repair, then compaction of each agenda).

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


def _limit_with(event: Event, kind: str) -> int:
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


@dataclass
class Placement:
    """Slot (and table) of every placed candidate; `slot[k] == -1` when k is not held."""

    slot: np.ndarray
    table: np.ndarray

    @classmethod
    def empty(cls, prob: Problem) -> Placement:
        n = len(prob.pairs)
        return cls(np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64))

    @property
    def held(self) -> np.ndarray:
        return np.flatnonzero(self.slot >= 0)


class Board:
    """Who is busy when, how many tables each slot uses and how many meetings each participant has
    (in all, and with each kind), kept in step with a Placement."""

    def __init__(self, prob: Problem, placement: Placement) -> None:
        self.prob, self.p = prob, placement
        self.busy = np.full(prob.avail.shape, -1, dtype=np.int64)  # candidate meeting there, or -1
        self.used = np.zeros(prob.slots, dtype=np.int64)
        self.count = np.zeros(len(prob.people), dtype=np.int64)
        self.with_kind: dict[tuple[int, str], int] = defaultdict(int)
        self.day = prob.day_of()
        for k in placement.held:
            self._mark(int(k), int(placement.slot[k]))

    def _mark(self, k: int, t: int, step: int = 1) -> None:
        a, b = (int(x) for x in self.prob.pairs[k])
        for x, other in ((a, b), (b, a)):
            self.busy[x, t] = k if step > 0 else -1
            self.count[x] += step
            self.with_kind[x, self.prob.kind[other]] += step
        self.used[t] += step

    def allows(self, k: int) -> bool:
        """Whether holding candidate k keeps both ends within their limits (in all and per kind)."""
        prob = self.prob
        a, b = (int(x) for x in prob.pairs[k])
        if self.count[a] >= prob.cap[a] or self.count[b] >= prob.cap[b]:
            return False
        return all(self.with_kind[x, prob.kind[o]] < _limit_with(prob.instance.event, prob.kind[o])
                   for x, o in ((a, b), (b, a)))

    def put(self, k: int, t: int) -> None:
        self.p.slot[k] = t
        self._mark(k, t)

    def take(self, k: int) -> int:
        t = int(self.p.slot[k])
        self._mark(k, t, -1)
        self.p.slot[k] = -1
        return t

    def free(self, k: int) -> np.ndarray:
        """Slots where candidate k could go now: both available and free, and a table left."""
        a, b = self.prob.pairs[k]
        return np.flatnonzero(self.prob.avail[a] & self.prob.avail[b] & (self.busy[a] < 0) & (self.busy[b] < 0)
                              & (self.used < self.prob.instance.event.tables))

    def idle_total(self, x: int) -> int:
        """Idle slots between participant x's first and last meeting of each day, summed over days."""
        ts = np.flatnonzero(self.busy[x] >= 0)
        if len(ts) < 2:
            return 0
        days = self.day[ts]
        cut = np.flatnonzero(np.diff(days)) + 1
        firsts, lasts = ts[np.r_[0, cut]], ts[np.r_[cut - 1, len(ts) - 1]]
        return int((lasts - firsts + 1).sum() - len(ts))

    def best_slot(self, k: int, options: np.ndarray) -> int:
        """The option that keeps both agendas tightest: next to their meetings, on days they already have."""
        score = np.zeros(len(options))
        for x in self.prob.pairs[k]:
            row = self.busy[x] >= 0
            left = np.zeros_like(row)
            left[1:] = row[:-1] & (self.day[1:] == self.day[:-1])
            right = np.zeros_like(row)
            right[:-1] = row[1:] & (self.day[:-1] == self.day[1:])
            on_day = np.bincount(self.day[row], minlength=self.day.max() + 1) > 0
            score += 2.0 * (left[options] | right[options]) + 1.0 * on_day[self.day[options]]
        return int(options[np.argmax(score - 0.001 * options)])  # ties: earliest


def place(prob: Problem, chosen: np.ndarray, placement: Placement | None = None) -> tuple[Placement, list[int]]:
    """Slots for the chosen candidates (locked ones where the organiser put them), the most constrained
    first; a candidate with no free slot may take one by moving a meeting elsewhere. Returns the
    placement and the candidates that found no slot."""
    placement = placement or Placement.empty(prob)
    board = Board(prob, placement)
    for k, (t, _) in prob.locked.items():
        if placement.slot[k] < 0:
            board.put(k, t)
    todo = [int(k) for k in chosen if placement.slot[k] < 0]
    common = (prob.avail[prob.pairs[:, 0]] & prob.avail[prob.pairs[:, 1]]).sum(axis=1)
    todo.sort(key=lambda k: (common[k], -prob.value[k]))
    unplaced = []
    for k in todo:
        options = board.free(k)
        if len(options) == 0 and not _make_room(board, k):
            unplaced.append(k)
            continue
        board.put(k, board.best_slot(k, board.free(k)))
    fill(board)
    compact(board)
    return placement, [k for k in unplaced if placement.slot[k] < 0]


def fill(board: Board) -> int:
    """Add candidates that still fit (free slot, within every limit) to the board: first those that
    lift a participant towards the guaranteed minimum, then by value. Returns how many were added."""
    prob = board.prob
    want = targets(prob)
    order = sorted((int(k) for k in np.flatnonzero(board.p.slot < 0)), key=lambda k: -prob.value[k])
    added = 0
    for short_first in (True, False):
        for k in order:
            if board.p.slot[k] >= 0 or not board.allows(k):
                continue
            a, b = (int(x) for x in prob.pairs[k])
            if short_first and not (board.count[a] < want[a] or board.count[b] < want[b]):
                continue
            options = board.free(k)
            if len(options):
                board.put(k, board.best_slot(k, options))
                added += 1
    return added


def _make_room(board: Board, k: int) -> bool:
    """Free a slot for k by moving one meeting that blocks it (a full table row, or one end busy)."""
    prob = board.prob
    a, b = prob.pairs[k]
    for t in np.flatnonzero(prob.avail[a] & prob.avail[b]):
        blockers = {int(board.busy[a, t]), int(board.busy[b, t])} - {-1}
        if len(blockers) > 1:
            continue
        if not blockers:  # the slot is full: move any unlocked meeting in it
            blockers_in = np.flatnonzero(board.p.slot == t)
            candidates = [int(j) for j in blockers_in if int(j) not in prob.locked]
        else:
            candidates = [j for j in blockers if j not in prob.locked]
        for j in candidates:
            board.take(j)
            elsewhere = [s for s in board.free(j) if s != t]
            if elsewhere and t in set(board.free(k)):
                board.put(j, board.best_slot(j, np.array(elsewhere)))
                return True
            board.put(j, int(t))
    return False


def compact(board: Board, rounds: int = 2, seconds: float = 15.0) -> None:
    """Move meetings to slots that leave fewer idle slots in the two agendas they belong to; a local
    search that stops after `seconds` (compactness is a preference, not a constraint)."""
    prob = board.prob
    stop = clock.perf_counter() + seconds
    for _ in range(rounds):
        moved = 0
        for k in board.p.held:
            k = int(k)
            if k in prob.locked:
                continue
            if clock.perf_counter() > stop:
                return
            ends = prob.pairs[k]
            t0 = int(board.p.slot[k])
            best_t, best_cost = t0, sum(board.idle_total(x) for x in ends)
            board.take(k)
            for t in board.free(k):
                board.put(k, int(t))
                cost = sum(board.idle_total(x) for x in ends)
                board.take(k)
                if cost < best_cost:
                    best_t, best_cost = int(t), cost
            board.put(k, best_t)
            moved += best_t != t0
            if best_t == t0 and best_cost > 0:
                moved += _swap(board, k)
        if not moved:
            break


def _swap(board: Board, k: int, tries: int = 4) -> int:
    """When tables are full, trade slots with a meeting elsewhere if that leaves fewer idle slots in
    the four agendas concerned. Returns 1 when a trade was made."""
    prob = board.prob
    a, b = prob.pairs[k]
    t0 = int(board.p.slot[k])
    options = np.flatnonzero(prob.avail[a] & prob.avail[b] & (board.busy[a] < 0) & (board.busy[b] < 0))
    for t in (int(x) for x in options):
        if board.day[t] != board.day[t0]:
            continue
        others = [int(j) for j in np.flatnonzero(board.p.slot == t)[:tries] if int(j) not in prob.locked]
        for j in others:
            c, d = prob.pairs[j]
            if not (prob.avail[c, t0] and prob.avail[d, t0]) or {int(c), int(d)} & {int(a), int(b)}:
                continue
            if board.busy[c, t0] >= 0 or board.busy[d, t0] >= 0:
                continue
            people = (a, b, c, d)
            before = sum(board.idle_total(x) for x in people)
            board.take(k)
            board.take(j)
            board.put(k, t)
            board.put(j, t0)
            if sum(board.idle_total(x) for x in people) < before:
                return 1
            board.take(k)
            board.take(j)
            board.put(k, t0)
            board.put(j, t)
    return 0


def assign_tables(prob: Problem, placement: Placement) -> None:
    """Table numbers per slot: locked meetings keep theirs, the rest take the lowest free ones."""
    placement.table[:] = 0
    taken: dict[int, set[int]] = defaultdict(set)
    for k, (t, table) in prob.locked.items():
        if placement.slot[k] == t:
            placement.table[k] = table
            taken[t].add(table)
    for k in placement.held:
        if placement.table[k]:
            continue
        t = int(placement.slot[k])
        table = 1
        while table in taken[t]:
            table += 1
        placement.table[k] = table
        taken[t].add(table)


def first_come_first_served(prob: Problem) -> Placement:
    """What event tools commonly do: requests in arrival order, each in the earliest slot both are
    free in, while limits allow. The baseline the planner is measured against."""
    placement = Placement.empty(prob)
    board = Board(prob, placement)
    for k in sorted(range(len(prob.pairs)), key=lambda k: (k not in prob.locked, prob.seq[k])):
        if not board.allows(k):
            continue
        options = board.free(k) if k not in prob.locked else np.array([prob.locked[k][0]])
        if len(options):
            board.put(k, int(options[0]))
    assign_tables(prob, placement)
    return placement
