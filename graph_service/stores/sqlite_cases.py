"""Cases and their event log in the embedded store: two tables beside the graph's, in the same file."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from graph_service.errors import Conflict
from graph_service.stores.cases import (
    OPEN_EXCLUDES,
    CaseEvent,
    CaseFacts,
    CaseRecord,
    CaseStore,
    StaffProfile,
    check_changes,
    check_event,
    duplicate,
    missing,
    next_updated,
    stale,
)
from graph_service.stores.sqlite_records import append_only

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    id           TEXT PRIMARY KEY,
    need         TEXT NOT NULL,
    enterprise   TEXT NOT NULL,
    stage        TEXT NOT NULL,
    assignee     TEXT,
    opened       TEXT NOT NULL,
    updated      TEXT NOT NULL,
    next_action  TEXT,
    due          TEXT,
    close_reason TEXT,
    detail       TEXT NOT NULL,
    posted       TEXT,
    reached      TEXT NOT NULL DEFAULT '{}',
    introduced   TEXT NOT NULL DEFAULT '[]',
    active       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS cases_by_need ON cases(need);
CREATE INDEX IF NOT EXISTS cases_by_stage ON cases(stage, id);
CREATE INDEX IF NOT EXISTS cases_by_assignee ON cases(assignee, id);
CREATE INDEX IF NOT EXISTS cases_by_enterprise ON cases(enterprise, id);
CREATE TABLE IF NOT EXISTS case_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    text    TEXT NOT NULL,
    detail  TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_events_by_case ON case_events(case_id, seq);
CREATE TABLE IF NOT EXISTS case_staff (
    username TEXT PRIMARY KEY,
    regions  TEXT NOT NULL,
    fields   TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    lead     TEXT
);
""" + append_only("case_events", "the case log")
_CHANGED = " WHERE id IN (SELECT case_id FROM case_events WHERE seq > ?)"  # every change writes an event
_CASE = ("id, need, enterprise, stage, assignee, opened, updated, next_action, due, close_reason, detail, posted, "
         "reached, introduced, active")
_FILTERS = ("stage", "assignee", "enterprise")  # column names: list_cases's filters, never input
# Columns added after the first release of the table: a store made before them gains them on opening.
ADDED_COLUMNS = {"posted": "TEXT", "reached": "TEXT NOT NULL DEFAULT '{}'",
                 "introduced": "TEXT NOT NULL DEFAULT '[]'", "active": "TEXT NOT NULL DEFAULT ''"}


def upgrade(conn: sqlite3.Connection) -> None:
    have = {row[1] for row in conn.execute("PRAGMA table_info(cases)")}
    for column, kind in ADDED_COLUMNS.items():
        if column not in have:
            conn.execute(f"ALTER TABLE cases ADD COLUMN {column} {kind}")


class SqliteCases(CaseStore):
    """Mixed into SqliteStore, whose `_conn` and `_write_lock` it uses."""

    _conn: Callable[[], sqlite3.Connection]
    _write_lock: threading.Lock

    @contextmanager
    def _case_transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction, serialised with every other write of this store (see SqliteStore.write)."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def create_case(self, case: CaseRecord, event: CaseEvent) -> None:
        check_event(case.id, event)
        try:
            with self._case_transaction() as conn:
                conn.execute(f"INSERT INTO cases({_CASE}) VALUES ({_MARKS})", _row(case))
                _append(conn, event)
        except sqlite3.IntegrityError as e:
            raise duplicate(case, by_need="cases.need" in str(e)) from None

    def get_case(self, case_id: str) -> CaseRecord | None:
        row = self._conn().execute(f"SELECT {_CASE} FROM cases WHERE id = ?", (case_id,)).fetchone()
        return _case(row) if row else None

    def case_for_need(self, need: str) -> CaseRecord | None:
        row = self._conn().execute(f"SELECT {_CASE} FROM cases WHERE need = ?", (need,)).fetchone()
        return _case(row) if row else None

    def list_cases(self, *, stage: str | None = None, assignee: str | None = None, enterprise: str | None = None,
                   introduced: str | None = None, limit: int = 100, after: str = "") -> list[CaseRecord]:
        given = [(column, value) for column, value in zip(_FILTERS, (stage, assignee, enterprise), strict=True)
                 if value is not None]
        where = "".join(f" AND {column} = ?" for column, _ in given)
        values = [value for _, value in given]
        if introduced is not None:
            where += " AND EXISTS (SELECT 1 FROM json_each(cases.introduced) WHERE value = ?)"
            values.append(introduced)
        rows = self._conn().execute(
            f"SELECT {_CASE} FROM cases WHERE id > ?{where} ORDER BY id LIMIT ?", (after, *values, limit))
        return [_case(r) for r in rows]

    def import_cases(self, items: list[tuple[CaseRecord, list[CaseEvent]]]) -> int:
        for case, events in items:
            for event in events:
                check_event(case.id, event)
        try:
            with self._case_transaction() as conn:
                conn.executemany(f"INSERT INTO cases({_CASE}) VALUES ({_MARKS})",
                                 [_row(replace(case, active=max((e.at for e in events), default=case.opened)))
                                  for case, events in items])
                conn.executemany("INSERT INTO case_events(case_id, kind, actor, text, detail, at) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", [_event_row(e) for _, events in items for e in events])
        except sqlite3.IntegrityError as e:
            raise Conflict(f"导入的案件与已有案件重复：{e}") from None
        return sum(len(events) for _, events in items)

    def update_case(self, case_id: str, expected_updated: str, changes: dict, event: CaseEvent) -> CaseRecord:
        check_changes(changes)
        check_event(case_id, event)
        with self._case_transaction() as conn:
            row = conn.execute(f"SELECT {_CASE} FROM cases WHERE id = ?", (case_id,)).fetchone()
            if row is None:
                raise missing(case_id)
            current = _case(row)
            if current.updated != expected_updated:
                raise stale(case_id)
            new = replace(current, **changes, updated=next_updated(expected_updated))
            conn.execute("UPDATE cases SET stage = ?, assignee = ?, next_action = ?, due = ?, close_reason = ?, "
                         "detail = ?, reached = ?, introduced = ?, updated = ? WHERE id = ?",
                         (new.stage, new.assignee, new.next_action, new.due, new.close_reason, _json(new.detail),
                          _json(new.reached), _json(list(new.introduced)), new.updated, case_id))
            _append(conn, event)
        return replace(new, active=event.at)

    def add_event(self, event: CaseEvent) -> CaseEvent:
        with self._case_transaction() as conn:
            if conn.execute("SELECT 1 FROM cases WHERE id = ?", (event.case,)).fetchone() is None:
                raise missing(event.case)
            seq = _append(conn, event)
        return replace(event, seq=seq)

    def events(self, case_id: str, limit: int = 1000) -> list[CaseEvent]:
        rows = self._conn().execute(
            "SELECT case_id, kind, actor, text, detail, at, seq FROM case_events WHERE case_id = ? "
            "ORDER BY seq LIMIT ?", (case_id, limit))
        return [CaseEvent(c, kind, actor, text, json.loads(detail), at, seq)
                for c, kind, actor, text, detail, at, seq in rows]

    def case_counts(self) -> dict[str, int]:
        return dict(self._conn().execute("SELECT stage, count(*) FROM cases GROUP BY stage"))

    def case_log_mark(self) -> tuple[str, int]:
        # AUTOINCREMENT never hands a number out twice in a file: one log for the file's life
        (last,) = self._conn().execute("SELECT coalesce(max(seq), 0) FROM case_events").fetchone()
        return "", int(last)

    def read_case_facts(self, since: int = 0) -> list[CaseFacts]:
        where = _CHANGED if since else ""
        rows = self._conn().execute("SELECT id, need, enterprise, stage, assignee, posted, reached, active, due, "
                                    f"close_reason, next_action FROM cases{where} ORDER BY id",
                                    (since,) if since else ())
        return [CaseFacts(i, n, e, s, a, p, json.loads(r), act, d, c, x) for i, n, e, s, a, p, r, act, d, c, x in rows]

    def changed_cases(self, since: int = 0) -> list[CaseRecord]:
        where = _CHANGED if since else ""
        rows = self._conn().execute(f"SELECT {_CASE} FROM cases{where} ORDER BY id", (since,) if since else ())
        return [_case(r) for r in rows]

    def open_loads(self) -> dict[str, int]:
        return dict(self._conn().execute(
            "SELECT assignee, count(*) FROM cases WHERE assignee IS NOT NULL AND stage NOT IN (?, ?) "
            "GROUP BY assignee", OPEN_EXCLUDES))

    def put_staff(self, profile: StaffProfile) -> None:
        with self._case_transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO case_staff(username, regions, fields, capacity, lead) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (profile.username, json.dumps(list(profile.regions)), json.dumps(list(profile.fields)),
                          profile.capacity, profile.lead))

    def staff_profiles(self) -> list[StaffProfile]:
        rows = self._conn().execute(
            "SELECT username, regions, fields, capacity, lead FROM case_staff ORDER BY username")
        return [StaffProfile(u, tuple(json.loads(r)), tuple(json.loads(f)), c, lead) for u, r, f, c, lead in rows]


def _append(conn: sqlite3.Connection, event: CaseEvent) -> int:
    """The event, and the case's last activity with it."""
    cur = conn.execute("INSERT INTO case_events(case_id, kind, actor, text, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                       _event_row(event))
    conn.execute("UPDATE cases SET active = ? WHERE id = ? AND active < ?", (event.at, event.case, event.at))
    return int(cur.lastrowid or 0)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _event_row(event: CaseEvent) -> tuple:
    return event.case, event.kind, event.actor, event.text, _json(event.detail), event.at


_MARKS = ", ".join("?" * len(_CASE.split(", ")))


def _row(case: CaseRecord) -> tuple:
    return (case.id, case.need, case.enterprise, case.stage, case.assignee, case.opened, case.updated,
            case.next_action, case.due, case.close_reason, _json(case.detail), case.posted, _json(case.reached),
            _json(list(case.introduced)), case.active)


def _case(row: tuple) -> CaseRecord:
    (case_id, need, enterprise, stage, assignee, opened, updated, next_action, due, close_reason, detail, posted,
     reached, introduced, active) = row
    return CaseRecord(case_id, need, enterprise, stage, assignee, opened, updated, next_action, due, close_reason,
                      json.loads(detail), posted, json.loads(reached), tuple(json.loads(introduced)), active)
