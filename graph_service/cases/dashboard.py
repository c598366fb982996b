"""The case dashboard: the funnel by stage (how many cases reached each, the conversion from the one before,
how many stand at each now, the closed ones by reason), the days from posting to the first introduction and
to the signature, the same broken down per staff member, region (the enterprise's city), field (the need's
top-level fields) and enterprise tier, and the stalled cases.

One read of every case's facts (`store.case_facts()`) and the in-memory projection for the graph side; the
counting is numpy over all cases at once (the city tier's 12,000 cases in tens of milliseconds).

A case counts as having reached a stage when it reached that stage or any later one (`reached` records the
stages a case was actually at; a fair meeting skips the introduction): the funnel never widens. Days are
whole calendar days between the need's posting date and the day the stage was first reached. Quantiles
interpolate linearly (numpy's default): the median of 2, 4 and 9 days is 4, the p75 6.5.

    >>> d = dashboard(store, projection, date(2026, 11, 30))   # the city tier's grown history  # doctest: +SKIP
    >>> [(s.stage, s.reached, s.conversion and round(s.conversion, 3)) for s in d.funnel[:2]]  # doctest: +SKIP
    [('new', 12000, None), ('clarified', 10065, 0.839)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import compress, repeat

import numpy as np

from graph_service.cases.reminders import check_stalled_days
from graph_service.cases.stages import CLOSE_REASONS, LABELS, ORDER, Stage, rank
from graph_service.models import ENTERPRISE_TIERS
from graph_service.projection import LABELS as NODE_LABELS
from graph_service.projection import Hop, Projection
from graph_service.schema import Label, RelType
from graph_service.stores.cases import CaseFacts, CaseStore

__all__ = ["Dashboard", "Durations", "Row", "StalledCase", "Step", "dashboard"]

UNKNOWN = "未知"  # a case whose enterprise or need the projection does not hold, or without region/field/tier
UNASSIGNED = "未分配"
LONGEST = 20  # stalled cases listed
CITY_LEVEL, TOP_FIELD_LEVEL = 2, 1  # Region `level`: 1 province, 2 city, 3 district, 4 zone; Field: 1 industry
MAX_CLIMB = 8
_RANK = {s.value: rank(s) for s in Stage}  # closed ranks after every open stage


@dataclass(frozen=True)
class Durations:
    """Days from posting to a stage, over the cases that reached it (and have a posting date)."""
    count: int
    median: float | None
    p75: float | None
    mean: float | None

    def as_dict(self) -> dict:
        return {"count": self.count, "median": _round(self.median, 1), "p75": _round(self.p75, 1),
                "mean": _round(self.mean, 1)}


@dataclass(frozen=True)
class Step:
    stage: str
    label: str
    reached: int  # cases that reached this stage or a later one
    conversion: float | None  # reached / reached at the stage before (None for the first, or after none)
    now: int  # cases at this stage now

    def as_dict(self) -> dict:
        return {"stage": self.stage, "label": self.label, "reached": self.reached,
                "conversion": _round(self.conversion, 4), "now": self.now}


@dataclass(frozen=True)
class Row:
    """One staff member, region, field or tier: its funnel, conversion to signed, times and stalled cases."""
    id: str | None  # None for the 未知 / 未分配 row
    name: str
    cases: int
    reached: tuple[int, ...]  # per stage of ORDER, as in the funnel
    conversion: float | None  # signed / cases
    open: int
    stalled: int
    to_introduction: Durations
    to_signature: Durations

    @property
    def signed(self) -> int:
        return self.reached[-1]

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "cases": self.cases,
                "reached": dict(zip((s.value for s in ORDER), self.reached)), "signed": self.signed,
                "conversion": _round(self.conversion, 4), "open": self.open, "stalled": self.stalled,
                "to_introduction": self.to_introduction.as_dict(), "to_signature": self.to_signature.as_dict()}


@dataclass(frozen=True)
class StalledCase:
    case: str
    need: str
    enterprise: str
    assignee: str | None
    stage: str
    idle_days: int
    active: str

    def as_dict(self) -> dict:
        return {**vars(self), "stage_label": LABELS[Stage(self.stage)]}


@dataclass(frozen=True)
class Dashboard:
    today: str
    stalled_days: int
    cases: int
    open: int
    funnel: tuple[Step, ...]
    closed: tuple[tuple[str | None, int], ...]  # (close reason, cases), most first
    to_introduction: Durations
    to_signature: Durations
    by_staff: tuple[Row, ...]
    by_region: tuple[Row, ...]
    by_field: tuple[Row, ...]
    by_tier: tuple[Row, ...]
    stalled: int
    longest_stalled: tuple[StalledCase, ...]

    def as_dict(self) -> dict:
        closed = [{"reason": r, "label": CLOSE_REASONS.get(r or "", UNKNOWN), "count": n} for r, n in self.closed]
        return {"today": self.today, "stalled_days": self.stalled_days, "cases": self.cases, "open": self.open,
                "funnel": [s.as_dict() for s in self.funnel], "closed": closed,
                "to_introduction": self.to_introduction.as_dict(), "to_signature": self.to_signature.as_dict(),
                **{name: [r.as_dict() for r in getattr(self, name)]
                   for name in ("by_staff", "by_region", "by_field", "by_tier")},
                "stalled": self.stalled, "longest_stalled": [c.as_dict() for c in self.longest_stalled]}


@dataclass
class _Cases:
    """The facts as columns and arrays, one entry per case."""
    facts: list[CaseFacts]
    assignees: list[str | None]
    enterprises: list[str]
    needs: list[str]
    furthest: np.ndarray  # rank in ORDER of the furthest stage reached
    now: np.ndarray  # rank of the current stage (closed: len(ORDER))
    open: np.ndarray
    stalled: np.ndarray
    idle: np.ndarray  # days since the last activity (-1 unknown)
    to_intro: np.ndarray  # days, NaN when not reached or not known
    to_sign: np.ndarray


def dashboard(store: CaseStore, projection: Projection, today: date, stalled_days: int = 14) -> Dashboard:
    """Every figure of the dashboard as of `today`; a case is stalled when open and idle > `stalled_days`."""
    check_stalled_days(stalled_days)
    c = _arrays(store.case_facts(), today, stalled_days)
    n = len(c.facts)
    (overall,) = _rows(c, np.arange(n), np.zeros(n, dtype=np.int64), [(None, "")])
    now = np.bincount(c.now, minlength=len(ORDER) + 1)
    funnel = tuple(Step(s.value, LABELS[s], overall.reached[k],
                        _ratio(overall.reached[k], overall.reached[k - 1]) if k else None, int(now[k]))
                   for k, s in enumerate(ORDER))
    closed = Counter(compress([f.close_reason for f in c.facts], (c.now == _RANK[Stage.CLOSED]).tolist()))
    stalled = np.flatnonzero(c.stalled)
    longest = stalled[np.argsort(-c.idle[stalled], kind="stable")[:LONGEST]]  # facts come by id: ties by id
    firms = _nodes(projection, c.enterprises, Label.ENTERPRISE)
    return Dashboard(
        today=today.isoformat(), stalled_days=stalled_days, cases=n, open=int(c.open.sum()), funnel=funnel,
        closed=tuple(sorted(closed.items(), key=lambda kv: (-kv[1], kv[0] or "~"))),
        to_introduction=overall.to_introduction, to_signature=overall.to_signature,
        by_staff=_by_staff(c), by_region=_by_region(c, projection, firms), by_field=_by_field(c, projection),
        by_tier=_by_tier(c, projection, firms), stalled=len(stalled),
        longest_stalled=tuple(_stalled_case(c.facts[i], int(c.idle[i])) for i in longest))


# --- the facts as arrays ---------------------------------------------------------------------------
# A year of cases is read in a few passes at C speed (comprehensions, map over dict methods): a Python
# function called per case would cost more than all the counting after it.
def _arrays(facts: list[CaseFacts], today: date, stalled_days: int) -> _Cases:
    stages, reached = [f.stage for f in facts], [f.reached for f in facts]
    now = _coded(stages, lambda s: _RANK.get(str(s), 0))
    # the furthest of the stages reached, by the set of their names (a few dozen distinct sets)
    furthest = _coded(list(map(" ".join, reached)), lambda names: max(
        (_RANK.get(s, 0) for s in str(names).split() if s != Stage.CLOSED), default=0))
    furthest = np.maximum(furthest, np.where(now < len(ORDER), now, 0))  # where it stands counts too
    is_open = now < _RANK[Stage.SIGNED]
    start = _dates([f.posted for f in facts])
    idle_td = np.datetime64(today, "D") - _dates([f.active for f in facts])
    idle = np.where(np.isnat(idle_td), -1, idle_td.astype(np.int64))
    intro = _dates(list(map(dict.get, reached, repeat(Stage.INTRODUCED.value))))
    sign = _dates(list(map(dict.get, reached, repeat(Stage.SIGNED.value))))
    return _Cases(facts, [f.assignee for f in facts], [f.enterprise for f in facts], [f.need for f in facts],
                  furthest, now, is_open, is_open & (idle > stalled_days), idle, _days(start, intro),
                  _days(start, sign))


def _coded(values: Sequence, code: Callable[[object], int]) -> np.ndarray:
    """`code` of each value, computed once per distinct value (stages, staff: a handful)."""
    table = {v: code(v) for v in set(values)}
    return np.fromiter(map(table.__getitem__, values), dtype=np.int64, count=len(values))


def _dates(values: Sequence[str | None]) -> np.ndarray:
    """ISO dates or times as datetime64[D]; missing or unreadable ones NaT (one bad row must not stop it)."""
    text = [(v or "NaT")[:10] for v in values]
    try:
        return np.array(text, dtype="datetime64[D]")
    except ValueError:
        return np.array([_date(t) for t in text], dtype="datetime64[D]")


def _date(text: str) -> np.datetime64:
    try:
        return np.datetime64(text, "D")
    except ValueError:
        return np.datetime64("NaT", "D")


def _days(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    delta = end - start
    out = delta.astype(np.float64)
    out[np.isnat(delta)] = np.nan
    return out


# --- grouping ---------------------------------------------------------------------------------------
def _rows(c: _Cases, cases: np.ndarray, groups: np.ndarray, keys: list[tuple[str | None, str]]) -> list[Row]:
    """One row per key; `cases`[j] belongs to group `groups`[j] (a case may be in several groups)."""
    g = len(keys)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(groups, weights=mask[cases], minlength=g).astype(np.int64)

    total = np.bincount(groups, minlength=g)
    reached = [count(c.furthest >= k) for k in range(len(ORDER))]
    open_, stalled = count(c.open), count(c.stalled)
    intro, sign = _durations(c.to_intro[cases], groups, g), _durations(c.to_sign[cases], groups, g)
    return [Row(key, name, int(total[i]), tuple(int(r[i]) for r in reached), _ratio(reached[-1][i], total[i]),
                int(open_[i]), int(stalled[i]), intro[i], sign[i]) for i, (key, name) in enumerate(keys)]


def _durations(values: np.ndarray, groups: np.ndarray, g: int) -> list[Durations]:
    """Count, median, p75 and mean of `values` (NaN left out) per group, for every group at once: sorted
    by (group, value), each group's quantiles are read at offsets from its start."""
    known = ~np.isnan(values)
    v, grp = values[known], groups[known]
    if not len(v):
        return [Durations(0, None, None, None)] * g
    order = np.lexsort((v, grp))
    v, grp = v[order], grp[order]
    counts = np.bincount(grp, minlength=g)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sums = np.bincount(grp, weights=v, minlength=g)
    last = len(v) - 1  # groups without values read a valid offset, then are left out below

    def quantile(q: float) -> np.ndarray:
        pos = q * np.maximum(counts - 1, 0)
        lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
        a, b = v[np.minimum(starts + lo, last)], v[np.minimum(starts + hi, last)]
        return a + (b - a) * (pos - lo)

    med, p75 = quantile(0.5), quantile(0.75)
    return [Durations(int(n), float(med[i]), float(p75[i]), float(sums[i] / n)) if n else
            Durations(0, None, None, None) for i, n in enumerate(counts)]


def _breakdown(c: _Cases, cases: np.ndarray, keys: np.ndarray, describe: Callable[[int], tuple[str | None, str]],
               unknown: str = UNKNOWN, order: Callable[[Row], tuple] | None = None) -> tuple[Row, ...]:
    """Rows for (case, key) pairs (a key >= 0: a node index or a code); a case with no pair counts under
    `unknown`. Most cases first (or by `order`), the unknown row last."""
    n = len(c.facts)
    alone = np.ones(n, dtype=bool)
    alone[cases] = False
    alone = np.flatnonzero(alone)
    cases = np.concatenate((cases, alone)).astype(np.int64)
    keys = np.concatenate((keys, np.full(len(alone), -1))).astype(np.int64)
    width = int(keys.max()) + 2 if len(keys) else 1
    pairs = np.unique(cases * width + keys + 1)  # a case counts once per group
    cases, keys = pairs // width, pairs % width - 1
    uniq, groups = np.unique(keys, return_inverse=True)
    names = [(None, unknown) if k < 0 else describe(int(k)) for k in uniq]
    rows = _rows(c, cases, groups.reshape(-1), names)
    known = sorted((r for r in rows if r.id is not None), key=order or (lambda r: (-r.cases, r.name, r.id)))
    return tuple(known + [r for r in rows if r.id is None])


def _by_staff(c: _Cases) -> tuple[Row, ...]:
    staff = sorted(a for a in set(c.assignees) if a is not None)
    place = {name: i for i, name in enumerate(staff)}
    keys = _coded(c.assignees, lambda a: place[a] if isinstance(a, str) else -1)
    has = np.flatnonzero(keys >= 0)
    return _breakdown(c, has, keys[has], lambda k: (staff[k], staff[k]), UNASSIGNED)


def _by_region(c: _Cases, p: Projection, firms: np.ndarray) -> tuple[Row, ...]:
    has = np.flatnonzero(firms >= 0)
    pos, nb = p.expand(firms[has], Hop([RelType.LOCATED_IN], "out"), labels=[Label.REGION])
    cities = _climb(p, nb.nodes, RelType.PART_OF, CITY_LEVEL)
    return _breakdown(c, has[pos], cities, lambda k: (p.ids[k], p.names[k]))


def _by_field(c: _Cases, p: Projection) -> tuple[Row, ...]:
    needs = _nodes(p, c.needs, Label.NEED)
    has = np.flatnonzero(needs >= 0)
    pos, nb = p.expand(needs[has], Hop([RelType.ABOUT], "out"), labels=[Label.FIELD])
    tops = _climb(p, nb.nodes, RelType.SUBFIELD_OF, TOP_FIELD_LEVEL)
    return _breakdown(c, has[pos], tops, lambda k: (p.ids[k], p.names[k]))


def _by_tier(c: _Cases, p: Projection, firms: np.ndarray) -> tuple[Row, ...]:
    has = np.flatnonzero(firms >= 0)
    codes = p.attrs["tier"][firms[has]].astype(np.int64)
    known = codes >= 0
    vocab = p.vocab.get("tier", [])
    place = {t: i for i, t in enumerate(ENTERPRISE_TIERS)}
    return _breakdown(c, has[known], codes[known], lambda k: (vocab[k], vocab[k]),
                      order=lambda r: (place.get(r.name, len(place)), r.name))


# --- the graph side ---------------------------------------------------------------------------------
def _nodes(p: Projection, ids: Sequence[str], label: Label) -> np.ndarray:
    """Projection index of each id, -1 when absent, deleted or of another label."""
    idx = np.fromiter(map(p.index.get, ids, repeat(-1)), dtype=np.int64, count=len(ids))
    found = np.flatnonzero(idx >= 0)
    wrong = ~p.alive[idx[found]] | (p.labels[idx[found]] != NODE_LABELS.index(label))
    idx[found[wrong]] = -1
    return idx


def _climb(p: Projection, nodes: np.ndarray, rel: RelType, top: int) -> np.ndarray:
    """For each node, the first of itself and its ancestors along `rel` whose `level` is at most `top` (a
    district's city, a field's industry); one without a parent there stays where the climb ended."""
    uniq, back = np.unique(nodes, return_inverse=True)
    cur = uniq.copy()
    level = p.attrs["level"]
    for _ in range(MAX_CLIMB):
        up = np.flatnonzero(level[cur] > top)
        if not len(up):
            break
        pos, nb = p.expand(cur[up], Hop([rel], "out"))
        if not len(pos):
            break
        parent = np.full(len(up), -1, dtype=np.int64)
        parent[pos[::-1]] = nb.nodes[::-1]  # the first parent when a node has several
        moved = parent >= 0
        cur[up[moved]] = parent[moved]
    return cur[back.reshape(-1)]


def _stalled_case(f: CaseFacts, idle: int) -> StalledCase:
    return StalledCase(f.id, f.need, f.enterprise, f.assignee, f.stage, idle, f.active)


def _ratio(a: float, b: float) -> float | None:
    return float(a) / float(b) if b else None


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)
