"""A case history grown over a loaded market, so that the demo shows a living pipeline and the dashboard
has something true to say.

One case per need with a posting enterprise, opened on the day it was posted and held by the staff
member the assignment rule picks (case_staff.py). A need that a Deal fulfils is a signed case, signed on
the deal's date with its researchers accepted and introduced. Any other case moves as far as chance and
its staff member's hidden responsiveness take it; old ones mostly end closed with a reason, recent ones
are open at every stage, some idle for weeks, some with a next action (some late). Shortlists and the
enterprise's verdicts follow case_partners.py. Every move is a "stage" event the stage rules allow.

Times run on a clock of working minutes (09:00-18:00 Beijing, one day = WORK minutes), so that events of
one case are strictly increasing by construction and all fall on or before `today`.

    >>> summary = grow_case_history(store, seed=7)   # doctest: +SKIP
    >>> summary["stages"]["signed"], summary["events"]   # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import numpy as np

from graph_service.cases.partners import DECLINE_REASONS, VERDICTS
from graph_service.cases.stages import CLOSE_REASONS, ORDER, Stage
from graph_service.errors import InvalidInput
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord
from loaders.generator.case_events import WORK, Life, Writer, day_of, minute_of
from loaders.generator.case_market import Market, NeedInfo, read_market
from loaders.generator.case_partners import averse_to_distance, shortlist, verdicts
from loaders.generator.case_staff import Assigner, Member, plan_team, save_team

__all__ = ["grow_case_history"]

BATCH = 500  # cases per import_cases call (one transaction each)
MIN_GAP = 90  # working minutes at least between two stage moves: room for the events in between
# typical days from new, clarified, ... negotiating to the next stage: a failing case takes months, as the
# generator's deals do (median half a year from posting to signature)
WAITS = (14, 25, 35, 40, 50, 60)
GO_ON = (0.9, 0.85, 1.0, 0.75, 0.6)  # chance to move on from each stage (shortlisted: someone must agree)
LINGER = 90  # typical days before a case that stopped moving is closed
ASK_AGREES = 0.65  # chance an asked researcher agrees (a deal's own always do)
CLOSING = {  # close reasons (with weights) by the stage a case stopped at
    0: {"no_response": 5, "withdrawn": 2.5, "duplicate": 1.5, "other": 1},
    1: {"no_response": 3.5, "withdrawn": 2, "budget": 2, "solved_elsewhere": 1.5, "duplicate": 0.5, "other": 0.5},
    2: {"no_partner": 7.5, "solved_elsewhere": 1.5, "budget": 1},
    3: {"no_partner": 3.5, "solved_elsewhere": 3, "budget": 2, "no_response": 1, "other": 0.5},
    5: {"budget": 4.5, "solved_elsewhere": 3, "withdrawn": 1.5, "other": 1},
}


def _wait(rng: np.random.Generator, days: float, member: Member) -> int:
    return max(MIN_GAP, int(days * member.speed * rng.lognormal(0.0, 0.5) * WORK))


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    x = rng.random() * sum(weights.values())
    for key, w in weights.items():
        x -= w
        if x < 0:
            return key
    return key


class _Grower:
    def __init__(self, market: Market, rng: np.random.Generator, today: date) -> None:
        self.market, self.rng, self.today = market, rng, today
        self.limit = minute_of(today, WORK - 1)
        self.averse = averse_to_distance(market, rng)

    def partners(self, life: Life, deal_researchers: list[int]) -> None:
        """Shortlist, verdicts, and introductions asked and answered, as of reaching `shortlisted`."""
        rng, need = self.rng, life.need
        contacts = self.market.contacts(need.enterprise, day_of(life.times[2]))  # deals before the shortlist
        life.picks = shortlist(self.market, rng, need, deal_researchers, contacts)
        verdicts(self.market, rng, need, life.picks, deal_researchers, self.averse, contacts)
        accepted = [p.researcher for p in life.picks if p.verdict == "accept"]
        others = [r for r in accepted if r not in deal_researchers]
        extra = int(rng.integers(0, 3)) if deal_researchers else int(rng.integers(1, 4))
        life.asked = [*deal_researchers, *others[:extra]]
        life.agrees = {r: r in deal_researchers or rng.random() < ASK_AGREES for r in life.asked}

    def live(self, need: NeedInfo, member: Member) -> Life:
        rng = self.rng
        t0 = minute_of(need.posted, int(rng.integers(0, 120)))
        life = Life(need, member, [t0])
        if need.signed_on is not None and need.signed_on <= self.today:
            self._signed(life)
            return life
        stage = 0
        while stage < len(GO_ON):
            go = any(life.agrees.values()) if stage == 2 else rng.random() < GO_ON[stage] * member.convert
            if not go or need.status == "closed" and rng.random() < 0.4:  # a need closed in the graph stops early
                break
            t = life.times[-1] + _wait(rng, WAITS[stage], member)
            if t > self.limit:
                return self._open(life)
            life.times.append(t)
            stage += 1
            if stage == 2:
                self.partners(life, [])
        if stage == 2:  # it stops short of an introduction: nobody asked agreed (or ever will)
            life.agrees = dict.fromkeys(life.agrees, False)
        reason = _pick(rng, CLOSING[min(stage, 3) if stage < 5 else 5])
        close = life.times[-1] + _wait(rng, LINGER, member)
        if need.status == "closed" and close > self.limit and self.limit - life.times[-1] > MIN_GAP:
            close = int(rng.integers(life.times[-1] + MIN_GAP // 2, self.limit))  # its need is closed: so is it
        elif close > self.limit:  # it will close, but not yet
            return self._open(life)
        elif rng.random() < member.stall * 0.02:  # forgotten by its holder: open, idle since it stopped
            return self._open(life, idle_since=close)
        life.closed = (close, reason)
        return life

    def _signed(self, life: Life) -> None:
        """Stage times spread from opening to the deal's date, in proportion to the usual waits."""
        rng, need, t0 = self.rng, life.need, life.times[0]
        # on the deal's day; room for every stage, should a deal be dated before its need was posted
        sign = max(minute_of(need.signed_on, int(rng.integers(240, 480))), t0 + 6 * MIN_GAP)  # type: ignore[arg-type]
        share = np.cumsum(np.array(WAITS) * rng.gamma(2.0, size=6))
        times = [t0, *(t0 + int(f * (sign - t0)) for f in share[:5] / share[-1]), sign]
        for k in range(1, 6):
            times[k] = max(times[k], times[k - 1] + MIN_GAP)
        for k in range(5, 0, -1):
            times[k] = min(times[k], times[k + 1] - MIN_GAP)
        life.times = times
        researchers = sorted({r for d in need.deals for r in self.market.researchers_of(d)})
        self.partners(life, researchers)
        if not any(life.agrees.values()):  # a deal with organisations only: the best accepted expert joins it
            best = next((p for p in life.picks if p.verdict == "accept"), life.picks[0] if life.picks else None)
            if best is not None:
                best.verdict, best.reason = "accept", None
                life.asked = list(dict.fromkeys([*life.asked, best.researcher]))
                life.agrees[best.researcher] = True

    def _open(self, life: Life, idle_since: int | None = None) -> Life:
        """Still open today: last active a few days ago, or weeks ago when its holder lets it lie."""
        rng = self.rng
        last = self.limit - int(rng.integers(0, 10 * WORK))
        if idle_since is not None or rng.random() < life.member.stall:
            last = min(idle_since or self.limit, self.limit - int(rng.integers(15, 120)) * WORK)
        life.last = max(last, life.times[-1])
        return life


def grow_case_history(store: GraphStore, *, seed: int = 7, today: date = date(2026, 11, 30),
                      staff_per_city: int | None = None) -> dict:
    """Grow staff and a case for every need into a store that holds a market and no case yet (InvalidInput
    otherwise: a history is grown once). Staff accounts are made with add_user (random passwords, an audit
    entry each), their profiles with put_staff; cases go in with import_cases, BATCH per transaction.

    `staff_per_city`: how many members the busiest city gets (others in proportion to their needs); None
    sizes the team by volume, about one member per 30 needs a year. Returns a summary: staff, accounts
    created, leads, cases, cases per stage, events, verdicts, decline and close reasons, introductions,
    open, stalled (idle 14 days), overdue, needs not yet posted by `today`, seconds.
    """
    start = time.perf_counter()
    if store.case_counts():
        raise InvalidInput("库中已有案件，不能再次生成案件历史（请在空的案件库上运行）", field="cases")
    rng = np.random.default_rng(seed)
    market = read_market(store, today)
    team = plan_team(store, market, rng, staff_per_city)
    if not team and market.needs:
        raise InvalidInput("图谱中没有可分配的服务人员覆盖区域，无法生成案件历史", field="staff")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the accounts' Argon2 hashes (a fifth of a second each) are worked out beside the cases: they
        # release the GIL, and no case needs its holder's account to exist
        saving = pool.submit(save_team, store, team)
        stats = _grow(store, market, rng, today, team)
        accounts = saving.result()
    return {"staff": len(team), "accounts_created": accounts,
            "leads": len({m.profile.lead for m in team if m.profile.lead}), "cases": stats.pop("cases", 0),
            "stages": {s: stats.pop(f"stage:{s}", 0) for s in [*ORDER, Stage.CLOSED]},
            "events": stats.pop("events_written", 0),
            "feedback": {v: stats.pop(f"verdict:{v}", 0) for v in VERDICTS},
            "decline_reasons": {r: stats.pop(f"decline:{r}", 0) for r in DECLINE_REASONS},
            "close_reasons": {r: stats.pop(f"close:{r}", 0) for r in CLOSE_REASONS},
            **stats,
            "seconds": round(time.perf_counter() - start, 2)}


def _grow(store: GraphStore, market: Market, rng: np.random.Generator, today: date, team: list[Member]) -> Counter:
    """Every need's case, in posting order (loads move with time), written BATCH cases per transaction."""
    grower, assigner = _Grower(market, rng, today), Assigner(team)
    batch: list[tuple[CaseRecord, list[CaseEvent]]] = []
    stats: Counter = Counter()
    for need in market.needs:
        if need.posted > today:
            stats["not_yet_posted"] += 1
            continue
        regions = market.regions_up[need.enterprise]
        fields = frozenset().union(*(market.fields_up.get(f, frozenset()) for f in need.fields))
        member = assigner.choose(regions, fields, minute_of(need.posted, 0))
        life = grower.live(need, member)
        assigner.hold(member, life.end if life.closed or life.signed else None)
        record, events = Writer(life, market, rng).write()
        _count(stats, record, events, today)
        batch.append((record, events))
        if len(batch) >= BATCH:
            store.import_cases(batch)
            batch = []
    if batch:
        store.import_cases(batch)
    return stats


def _count(stats: Counter, record: CaseRecord, events: list[CaseEvent], today: date) -> None:
    stats["cases"] += 1
    stats[f"stage:{record.stage}"] += 1
    stats["events_written"] += len(events)
    for answer in record.detail.get("feedback", {}).values():
        stats[f"verdict:{answer['verdict']}"] += 1
        if answer["reason"]:
            stats[f"decline:{answer['reason']}"] += 1
    stats["introductions"] += len(record.introduced)
    if record.close_reason:
        stats[f"close:{record.close_reason}"] += 1
    if record.stage not in (Stage.SIGNED, Stage.CLOSED):
        stats["open"] += 1
        stats["stalled"] += record.active[:10] < (today - timedelta(days=14)).isoformat()
        stats["overdue"] += bool(record.due and record.due < today.isoformat())
