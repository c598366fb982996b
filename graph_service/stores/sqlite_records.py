"""Accounts and the audit trail in the embedded store: two tables beside the graph's, in the same file."""

from __future__ import annotations

import json
import sqlite3

from graph_service.errors import Conflict
from graph_service.stores.records import Account, AuditEntry, RecordStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username      TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    entity        TEXT,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created       TEXT NOT NULL,
    password_changed TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audit (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    role   TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_at ON audit(at);
"""


def append_only(table: str, what: str) -> str:
    """Triggers by which SQLite itself refuses to change or remove a row, whoever opens the file.
    (`table` and `what` are this package's constants, never input.)"""
    return "".join(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}\n"
                   f"BEGIN SELECT RAISE(ABORT, '{what} is append-only'); END;\n" for op in ("UPDATE", "DELETE"))


SCHEMA += append_only("audit", "the audit trail")
_ACCOUNT = "username, role, entity, password_hash, disabled, created, password_changed"


class SqliteRecords(RecordStore):
    """Mixed into SqliteStore, whose `_conn` and `_write_lock` it uses."""


    def get_account(self, username: str) -> Account | None:
        row = self._conn().execute(f"SELECT {_ACCOUNT} FROM accounts WHERE username = ?", (username,)).fetchone()
        return _account(row) if row else None

    def list_accounts(self) -> list[Account]:
        return [_account(r) for r in self._conn().execute(f"SELECT {_ACCOUNT} FROM accounts ORDER BY username")]

    def add_account(self, account: Account) -> None:
        try:
            with self._write_lock:  # type: ignore[attr-defined]
                self._conn().execute(f"INSERT INTO accounts({_ACCOUNT}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     (account.username, account.role, account.entity, account.password_hash,
                                      int(account.disabled), account.created, account.password_changed))
        except sqlite3.IntegrityError:
            raise Conflict(f"user name {account.username!r} is taken") from None

    def update_account(self, username: str, *, password_hash: str | None = None, password_changed: str | None = None,
                       disabled: bool | None = None) -> bool:
        changes = {k: v for k, v in (("password_hash", password_hash), ("password_changed", password_changed),
                                     ("disabled", disabled)) if v is not None}
        if not changes:
            return self.get_account(username) is not None
        # column names come from the fixed tuple above, values are parameters
        sets = ", ".join(f"{k} = ?" for k in changes)
        with self._write_lock:  # type: ignore[attr-defined]
            cur = self._conn().execute(f"UPDATE accounts SET {sets} WHERE username = ?",
                                       (*[int(v) if isinstance(v, bool) else v for v in changes.values()], username))
        return cur.rowcount > 0

    def append_audit(self, entry: AuditEntry) -> None:
        with self._write_lock:  # type: ignore[attr-defined]
            self._conn().execute("INSERT INTO audit(at, actor, role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
                                 (entry.at, entry.actor, entry.role, entry.action, entry.target,
                                  json.dumps(entry.detail, ensure_ascii=False)))

    def read_audit(self, limit: int = 100, before: str | None = None) -> list[AuditEntry]:
        rows = self._conn().execute(
            "SELECT at, actor, role, action, target, detail FROM audit WHERE at < ? ORDER BY at DESC, seq DESC LIMIT ?",
            (before or "\uffff", limit))
        return [AuditEntry(at=at, actor=a, role=r, action=act, target=t, detail=json.loads(d))
                for at, a, r, act, t, d in rows]


def _account(row: tuple) -> Account:
    username, role, entity, password_hash, disabled, created, password_changed = row
    return Account(username, role, entity, password_hash, bool(disabled), created, password_changed)
