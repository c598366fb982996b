"""Cases of the 保姆式 service, in the system of record beside accounts and the audit trail.

A case follows one need (or 揭榜挂帅 challenge) from posting to a signed deal: its stage, the staff member
who holds it, the next action, and an append-only log of what happened. Like accounts they are not graph
entities (no label of the whitelist, never in the projection); both stores keep them behind `CaseStore`,
which `GraphStore` extends. Every write is one transaction; `updated` changes at each one and is the token
of optimistic concurrency: an update names the `updated` it read and is refused if the case moved since.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.stores.records import now

__all__ = ["UPDATABLE", "CaseEvent", "CaseFacts", "CaseRecord", "CaseStore", "StaffProfile"]


@dataclass(frozen=True)
class CaseRecord:
    id: str  # e.g. "case-<need id>"
    need: str  # the Need (or 揭榜挂帅 challenge) id: at most one case per need
    enterprise: str  # the posting enterprise's id
    stage: str  # new | clarified | shortlisted | introduced | meeting | negotiating | signed | closed
    assignee: str | None  # staff user name
    opened: str  # ISO time, UTC
    updated: str  # ISO time, UTC, changed by every update: the optimistic concurrency token
    next_action: str | None = None
    due: str | None = None  # ISO date
    close_reason: str | None = None
    detail: dict = field(default_factory=dict)  # clarified need, shortlist, feedback, introductions (pipeline.py)
    posted: str | None = None  # ISO date the need was posted (the dashboard's clock starts there)
    reached: dict = field(default_factory=dict)  # stage -> ISO time it was first reached
    introduced: tuple[str, ...] = ()  # researchers introduced to the enterprise (they may read the case)
    active: str = ""  # ISO time of the last event in the log: the store sets it with every event


@dataclass(frozen=True)
class CaseEvent:
    case: str
    kind: str  # stage | note | call | meeting | document | assign | feedback | action
    actor: str  # user name (or cli:<user>)
    text: str = ""
    detail: dict = field(default_factory=dict)
    at: str = field(default_factory=now)
    seq: int = 0  # given by the store, increasing across the store


@dataclass(frozen=True)
class CaseFacts:
    """What the dashboard counts of a case: no detail, no log (a year of cases is read at once)."""
    id: str
    need: str
    enterprise: str
    stage: str
    assignee: str | None
    posted: str | None
    reached: dict  # stage -> ISO time first reached
    active: str
    due: str | None
    close_reason: str | None
    next_action: str | None = None


# What update_case may change (`updated` is the store's to set; id, need, enterprise and opened never change)
UPDATABLE = frozenset({"stage", "assignee", "next_action", "due", "close_reason", "detail", "reached", "introduced"})


@dataclass(frozen=True)
class StaffProfile:
    """A staff member's patch: the regions and fields whose cases they take, how many open cases they can
    hold, and their lead (who sees their stalled cases)."""
    username: str
    regions: tuple[str, ...] = ()  # Region ids: a case whose enterprise lies in one of them (or below) fits
    fields: tuple[str, ...] = ()  # Field ids
    capacity: int = 40  # open cases they are meant to hold
    lead: str | None = None


class CaseStore(ABC):
    @abstractmethod
    def create_case(self, case: CaseRecord, event: CaseEvent) -> None:
        """The case and its first event in one transaction. Conflict when the id or the need has a case."""

    @abstractmethod
    def get_case(self, case_id: str) -> CaseRecord | None: ...

    @abstractmethod
    def case_for_need(self, need: str) -> CaseRecord | None: ...

    @abstractmethod
    def list_cases(self, *, stage: str | None = None, assignee: str | None = None, enterprise: str | None = None,
                   introduced: str | None = None, limit: int = 100, after: str = "") -> list[CaseRecord]:
        """The cases that match every filter given, by id; only ids after `after` (paging). `introduced`:
        the cases that introduced this researcher."""

    @abstractmethod
    def import_cases(self, items: list[tuple[CaseRecord, list[CaseEvent]]]) -> int:
        """Many cases with their logs (a history: times as given) in one transaction; Conflict, writing
        nothing, when one has a case already. The number of events written."""

    @abstractmethod
    def update_case(self, case_id: str, expected_updated: str, changes: dict, event: CaseEvent) -> CaseRecord:
        """In one transaction: refuse (Conflict) if the case's `updated` is not `expected_updated`, apply
        `changes` (fields of UPDATABLE), give it a new `updated` and append `event`. NotFound if no such case."""

    @abstractmethod
    def add_event(self, event: CaseEvent) -> CaseEvent:
        """Append only (no interface changes or removes an event); the event with its seq. NotFound if no case."""

    @abstractmethod
    def events(self, case_id: str, limit: int = 1000) -> list[CaseEvent]:
        """The case's events, oldest first."""

    @abstractmethod
    def case_counts(self) -> dict[str, int]:
        """How many cases are at each stage (stages with none left out)."""

    def case_facts(self) -> list[CaseFacts]:
        """Every case's facts, by id. This store object keeps them between calls and brings them up to date
        from the case log: only the cases with an event since its last call are read again."""
        with _FACTS_LOCK:
            if not isinstance(getattr(self, "_facts_cache", None), _FactsCache):
                self._facts_cache = _FactsCache()
        return self._facts_cache.read(self)

    @abstractmethod
    def case_log_mark(self) -> tuple[str, int]:
        """Which case log this is and the number of its last event (0 before any): the number grows with
        every change to a case; the name changes should the log be wiped and begun again."""

    @abstractmethod
    def read_case_facts(self, since: int = 0) -> list[CaseFacts]:
        """The facts of the cases with an event numbered after `since` (every case for 0), by id."""

    @abstractmethod
    def changed_cases(self, since: int = 0) -> list[CaseRecord]:
        """The cases with an event numbered after `since` (every case for 0), by id, whole."""

    @abstractmethod
    def open_loads(self) -> dict[str, int]:
        """How many open cases (neither signed nor closed) each assignee holds."""

    @abstractmethod
    def put_staff(self, profile: StaffProfile) -> None:
        """Create or replace a staff member's profile."""

    @abstractmethod
    def staff_profiles(self) -> list[StaffProfile]:
        """Every staff profile, by user name."""


class _FactsCache:
    """A year of cases read whole once, then only what changed. Every change to a case writes an event and
    events are numbered in commit order (one counter, one writer at a time on both stores), so the cases
    with an event after the last number seen are exactly the ones that may differ. The number is read
    before the facts: a change that lands in between is read now and again next time, never missed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mark: tuple[str, int] | None = None
        self._facts: dict[str, CaseFacts] = {}
        self._ordered: list[CaseFacts] = []

    def read(self, store: CaseStore) -> list[CaseFacts]:
        with self._lock:
            mark = store.case_log_mark()
            since = to_read(self._mark, mark)
            if since is not None:
                if since == 0:
                    self._facts = {}
                self._facts.update((f.id, f) for f in store.read_case_facts(since))
                self._ordered = sorted(self._facts.values(), key=lambda f: f.id)
                self._mark = mark
            return list(self._ordered)


def to_read(last: tuple[str, int] | None, mark: tuple[str, int]) -> int | None:
    """What a reader kept up to date from the case log reads again, given the log's mark at its last read
    and now: None nothing, 0 everything (a first read, or a log begun again), else the number after which
    the cases with an event changed."""
    if mark == last:
        return None
    if last is None or mark[0] != last[0] or mark[1] < last[1]:
        return 0
    return last[1]


_FACTS_LOCK = threading.Lock()  # guards creating a store's cache, once

OPEN_EXCLUDES = ("signed", "closed")  # stages that end a case: not part of anyone's load


def check_event(case_id: str, event: CaseEvent) -> None:
    if event.case != case_id:
        raise InvalidInput(f"an event of case {event.case!r} cannot be written to case {case_id!r}", field="case")


def check_changes(changes: dict) -> None:
    for name in changes:
        if name not in UPDATABLE:
            raise InvalidInput(f"a case's {name!r} cannot be changed (only {', '.join(sorted(UPDATABLE))})",
                               field=name)


def next_updated(previous: str) -> str:
    """A new token: the time now, or just after `previous` should the clock not have moved past it."""
    stamp = now()
    if stamp > previous:
        return stamp
    try:
        after = datetime.fromisoformat(previous) + timedelta(microseconds=1)
    except (ValueError, OverflowError):
        return stamp  # not a token we issued: it matches no case, so the update is refused as stale
    return after.isoformat(timespec="microseconds")


def stale(case_id: str) -> Conflict:
    return Conflict(f"案件 {case_id} 已被他人修改，请刷新后重试")


def duplicate(case: CaseRecord, by_need: bool) -> Conflict:
    if by_need:
        return Conflict(f"需求 {case.need} 已有案件")
    return Conflict(f"案件 {case.id} 已存在")


def missing(case_id: str) -> NotFound:
    return NotFound(f"没有案件 {case_id}")
