"""Cases and their event log in Neo4j (:Case, :CaseEvent and the :CaseLog counter, outside the graph's :Entity).

Each write is one managed transaction (`execute_write`, retried by the driver on transient errors); an
update takes the case's write lock before it reads the token, so of two updates naming the same token
exactly one commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import neo4j

from graph_service.errors import Conflict
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
from graph_service.stores.cypher import statement

T = TypeVar("T")
LOG = "cases"  # the one :CaseLog counter's name (a parameter: statements quote only schema names)


class Neo4jCases(CaseStore):
    """Mixed into Neo4jStore, whose `_driver`, `_database`, `_read` and `_write_query` it uses."""

    _driver: neo4j.Driver
    _database: str
    _read: Callable[..., list[neo4j.Record]]
    _write_query: Callable[..., list[neo4j.Record]]

    def ensure_case_schema(self) -> None:
        for name in ("constraint_case_id", "constraint_case_need", "index_case_stage", "constraint_case_log_name",
                     "index_case_event_case_seq"):
            self._write_query(statement(name))

    def _transaction(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """`work` in one managed transaction: committed if it returns, rolled back if it raises."""
        from graph_service.stores.neo4j_store import _our_errors  # that module imports this one

        with _our_errors(), self._driver.session(database=self._database) as session:
            return session.execute_write(work)

    def create_case(self, case: CaseRecord, event: CaseEvent) -> None:
        check_event(case.id, event)

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(statement("create_case"), record=_props(vars(case))).consume()
            _append(tx, event)

        try:  # the unique constraints refuse a second case of an id or a need
            self._transaction(work)
        except Conflict as e:
            raise duplicate(case, by_need="`need`" in str(e)) from None

    def get_case(self, case_id: str) -> CaseRecord | None:
        found = self._read(statement("get_case"), id=case_id)
        return _case(found[0]["found"]) if found else None

    def case_for_need(self, need: str) -> CaseRecord | None:
        found = self._read(statement("case_for_need"), need=need)
        return _case(found[0]["found"]) if found else None

    def list_cases(self, *, stage: str | None = None, assignee: str | None = None, enterprise: str | None = None,
                   limit: int = 100, after: str = "") -> list[CaseRecord]:
        records = self._read(statement("list_cases"), stage=stage, assignee=assignee, enterprise=enterprise,
                             limit=limit, after=after)
        return [_case(r["found"]) for r in records]

    def update_case(self, case_id: str, expected_updated: str, changes: dict, event: CaseEvent) -> CaseRecord:
        check_changes(changes)
        check_event(case_id, event)
        values = {**changes, "updated": next_updated(expected_updated)}
        if "detail" in values:
            values["detail"] = json.dumps(values["detail"], ensure_ascii=False)

        def work(tx: neo4j.ManagedTransaction) -> CaseRecord:
            locked = tx.run(statement("lock_case"), id=case_id).single()
            if locked is None:
                raise missing(case_id)
            if locked["found"].get("updated") != expected_updated:
                raise stale(case_id)  # raised inside: the transaction rolls back, the lock is released
            found = tx.run(statement("set_case"), id=case_id, changes=values).single()
            _append(tx, event)
            return _case(found["found"])  # type: ignore[index]

        return self._transaction(work)

    def add_event(self, event: CaseEvent) -> CaseEvent:
        return replace(event, seq=self._transaction(lambda tx: _append(tx, event)))

    def events(self, case_id: str, limit: int = 1000) -> list[CaseEvent]:
        records = self._read(statement("case_events"), case_id=case_id, limit=limit)
        return [_event(r["event"]) for r in records]

    def case_counts(self) -> dict[str, int]:
        return {r["stage"]: r["n"] for r in self._read(statement("case_counts"))}


def _append(tx: neo4j.ManagedTransaction, event: CaseEvent) -> int:
    """The event, numbered by the counter; NotFound (rolling the transaction back) if its case is missing."""
    props = {"kind": event.kind, "actor": event.actor, "text": event.text, "at": event.at,
             "detail": json.dumps(event.detail, ensure_ascii=False)}
    found = tx.run(statement("append_case_event"), case_id=event.case, log=LOG, event=props).single()
    if found is None:
        raise missing(event.case)
    return int(found["seq"])


def _props(values: dict) -> dict:
    """Node properties: detail as JSON text, absent values left out (Neo4j stores no null)."""
    out = {k: v for k, v in values.items() if v is not None}
    out["detail"] = json.dumps(values.get("detail") or {}, ensure_ascii=False)
    return out


def _case(props: dict) -> CaseRecord:
    return CaseRecord(id=props["id"], need=props["need"], enterprise=props["enterprise"], stage=props["stage"],
                      assignee=props.get("assignee"), opened=props["opened"], updated=props["updated"],
                      next_action=props.get("next_action"), due=props.get("due"),
                      close_reason=props.get("close_reason"), detail=json.loads(props.get("detail") or "{}"))


def _event(props: dict) -> CaseEvent:
    return CaseEvent(case=props["case_id"], kind=props["kind"], actor=props["actor"], text=props.get("text", ""),
                     detail=json.loads(props.get("detail") or "{}"), at=props["at"], seq=int(props["seq"]))
