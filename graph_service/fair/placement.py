"""The 1:1 meeting schedule, second part: which slot and table each selected meeting takes (placement with
repair, then compaction of each agenda, then tables), and the first-come-first-served baseline. Which
meetings to hold is fair.schedule."""

from __future__ import annotations

import time as clock
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from graph_service.fair.schedule import Problem, limit_with, targets


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
        return all(self.with_kind[x, prob.kind[o]] < limit_with(prob.instance.event, prob.kind[o])
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
