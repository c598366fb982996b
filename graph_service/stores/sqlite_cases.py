"""Cases and their event log in the embedded store: two tables beside the graph's, in the same file."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from graph_service.stores.cases import (
    CaseEvent,
    CaseRecord,
    CaseStore,
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
    detail       TEXT NOT NULL
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
""" + append_only("case_events", "the case log")
_CASE = "id, need, enterprise, stage, assignee, opened, updated, next_action, due, close_reason, detail"
_FILTERS = ("stage", "assignee", "enterprise")  # column names: list_cases's filters, never input


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
                conn.execute(f"INSERT INTO cases({_CASE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(case))
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
                   limit: int = 100, after: str = "") -> list[CaseRecord]:
        given = [(column, value) for column, value in zip(_FILTERS, (stage, assignee, enterprise), strict=True)
                 if value is not None]
        where = "".join(f" AND {column} = ?" for column, _ in given)
        rows = self._conn().execute(
            f"SELECT {_CASE} FROM cases WHERE id > ?{where} ORDER BY id LIMIT ?",
            (after, *(value for _, value in given), limit))
        return [_case(r) for r in rows]

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
                         "detail = ?, updated = ? WHERE id = ?",
                         (new.stage, new.assignee, new.next_action, new.due, new.close_reason,
                          json.dumps(new.detail, ensure_ascii=False), new.updated, case_id))
            _append(conn, event)
        return new

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


def _append(conn: sqlite3.Connection, event: CaseEvent) -> int:
    cur = conn.execute("INSERT INTO case_events(case_id, kind, actor, text, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                       (event.case, event.kind, event.actor, event.text,
                        json.dumps(event.detail, ensure_ascii=False), event.at))
    return int(cur.lastrowid or 0)


def _row(case: CaseRecord) -> tuple:
    return (case.id, case.need, case.enterprise, case.stage, case.assignee, case.opened, case.updated,
            case.next_action, case.due, case.close_reason, json.dumps(case.detail, ensure_ascii=False))


def _case(row: tuple) -> CaseRecord:
    case_id, need, enterprise, stage, assignee, opened, updated, next_action, due, close_reason, detail = row
    return CaseRecord(case_id, need, enterprise, stage, assignee, opened, updated, next_action, due, close_reason,
                      json.loads(detail))
