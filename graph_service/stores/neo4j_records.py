"""Accounts and the audit trail in Neo4j (:Account and :AuditEntry nodes, outside the graph's :Entity)."""

from __future__ import annotations

import json

from graph_service.errors import Conflict
from graph_service.stores.cypher import statement
from graph_service.stores.records import Account, AuditEntry, RecordStore

_LAST = "\uffff"  # after every ISO time: the first page of the audit trail


class Neo4jRecords(RecordStore):
    """Mixed into Neo4jStore, whose `_read` and `_write_query` it uses."""


    def ensure_record_schema(self) -> None:
        for name in ("constraint_account_username", "index_audit_at"):
            self._write_query(statement(name))

    def get_account(self, username: str) -> Account | None:
        found = self._read(statement("get_account"), username=username)
        return _account(found[0]["account"]) if found else None

    def list_accounts(self) -> list[Account]:
        return [_account(r["account"]) for r in self._read(statement("list_accounts"))]

    def add_account(self, account: Account) -> None:
        try:  # the unique constraint refuses a taken name
            self._write_query(statement("add_account"),
                              account={k: v for k, v in vars(account).items() if v is not None})
        except Conflict:
            raise Conflict(f"user name {account.username!r} is taken") from None

    def update_account(self, username: str, *, password_hash: str | None = None, password_changed: str | None = None,
                       disabled: bool | None = None) -> bool:
        changes = {k: v for k, v in (("password_hash", password_hash), ("password_changed", password_changed),
                                     ("disabled", disabled)) if v is not None}
        return self._write_query(statement("update_account"), username=username, changes=changes)[0]["updated"] > 0

    def append_audit(self, entry: AuditEntry) -> None:
        self._write_query(statement("append_audit"), entry={**vars(entry), "detail": json.dumps(entry.detail,
                                                                                                ensure_ascii=False)})

    def read_audit(self, limit: int = 100, before: str | None = None) -> list[AuditEntry]:
        records = self._read(statement("read_audit"), before=before or _LAST, limit=limit)
        return [AuditEntry(**{**r["entry"], "detail": json.loads(r["entry"].get("detail") or "{}")}) for r in records]


def _account(props: dict) -> Account:
    return Account(username=props["username"], role=props["role"], entity=props.get("entity"),
                   password_hash=props["password_hash"], disabled=bool(props.get("disabled", False)),
                   created=props.get("created", ""), password_changed=props.get("password_changed", ""))
