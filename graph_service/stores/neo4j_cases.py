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
                     "index_case_event_case_seq", "index_case_event_seq", "constraint_case_staff_name"):
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
                   introduced: str | None = None, limit: int = 100, after: str = "") -> list[CaseRecord]:
        records = self._read(statement("list_cases"), stage=stage, assignee=assignee, enterprise=enterprise,
                             introduced=introduced, limit=limit, after=after)
        return [_case(r["found"]) for r in records]

    def import_cases(self, items: list[tuple[CaseRecord, list[CaseEvent]]]) -> int:
        for case, events in items:
            for event in events:
                check_event(case.id, event)
        cases = [_props(vars(replace(case, active=max((e.at for e in events), default=case.opened))))
                 for case, events in items]
        events = [{"case_id": e.case, "props": _event_props(e)} for _, events in items for e in events]
        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(statement("import_cases"), cases=cases).consume()
            if events:
                tx.run(statement("import_case_events"), log=LOG, events=events).consume()

        try:
            self._transaction(work)
        except Conflict as e:
            raise Conflict(f"导入的案件与已有案件重复：{e}") from None
        return len(events)

    def update_case(self, case_id: str, expected_updated: str, changes: dict, event: CaseEvent) -> CaseRecord:
        check_changes(changes)
        check_event(case_id, event)
        values = _encoded({**changes, "updated": next_updated(expected_updated)})

        def work(tx: neo4j.ManagedTransaction) -> CaseRecord:
            locked = tx.run(statement("lock_case"), id=case_id).single()
            if locked is None:
                raise missing(case_id)
            if locked["found"].get("updated") != expected_updated:
                raise stale(case_id)  # raised inside: the transaction rolls back, the lock is released
            found = tx.run(statement("set_case"), id=case_id, changes=values).single()
            _append(tx, event)
            return replace(_case(found["found"]), active=event.at)  # type: ignore[index]

        return self._transaction(work)

    def add_event(self, event: CaseEvent) -> CaseEvent:
        return replace(event, seq=self._transaction(lambda tx: _append(tx, event)))

    def events(self, case_id: str, limit: int = 1000) -> list[CaseEvent]:
        records = self._read(statement("case_events"), case_id=case_id, limit=limit)
        return [_event(r["event"]) for r in records]

    def case_counts(self) -> dict[str, int]:
        return {r["stage"]: r["n"] for r in self._read(statement("case_counts"))}

    def case_log_mark(self) -> tuple[str, int]:
        found = self._read(statement("case_log_mark"), log=LOG)
        return (str(found[0]["epoch"] or ""), int(found[0]["seq"] or 0)) if found else ("", 0)

    def read_case_facts(self, since: int = 0) -> list[CaseFacts]:
        found = self._read(statement("case_facts_since"), since=since) if since else self._read(statement("case_facts"))
        rows = found[0]["rows"] if found else []
        return [CaseFacts(i, n, e, s, a, p, json.loads(r or "{}"), act or "", d, c, x)
                for i, n, e, s, a, p, r, act, d, c, x in rows]

    def changed_cases(self, since: int = 0) -> list[CaseRecord]:
        found = (self._read(statement("changed_cases"), since=since) if since
                 else self._read(statement("all_cases")))
        return [_case(props) for props in found[0]["found"]] if found else []

    def open_loads(self) -> dict[str, int]:
        return {r["assignee"]: r["n"] for r in self._read(statement("open_loads"), ended=list(OPEN_EXCLUDES))}

    def put_staff(self, profile: StaffProfile) -> None:
        values = {"username": profile.username, "regions": list(profile.regions), "fields": list(profile.fields),
                  "capacity": profile.capacity, "lead": profile.lead}
        self._transaction(lambda tx: tx.run(statement("put_staff"),
                                            profile={k: v for k, v in values.items() if v is not None}).consume())

    def staff_profiles(self) -> list[StaffProfile]:
        return [StaffProfile(p["username"], tuple(p.get("regions", ())), tuple(p.get("fields", ())),
                             int(p["capacity"]), p.get("lead"))
                for p in (r["profile"] for r in self._read(statement("staff_profiles")))]


def _event_props(event: CaseEvent) -> dict:
    return {"kind": event.kind, "actor": event.actor, "text": event.text, "at": event.at,
            "detail": json.dumps(event.detail, ensure_ascii=False)}


def _append(tx: neo4j.ManagedTransaction, event: CaseEvent) -> int:
    """The event, numbered by the counter, and the case's last activity with it; NotFound (rolling the
    transaction back) if its case is missing."""
    found = tx.run(statement("append_case_event"), case_id=event.case, log=LOG, event=_event_props(event)).single()
    if found is None:
        raise missing(event.case)
    return int(found["seq"])


def _encoded(values: dict) -> dict:
    """Maps as JSON text (Neo4j properties hold no maps), the researcher tuple as a list."""
    out = dict(values)
    for name in ("detail", "reached"):
        if name in out:
            out[name] = json.dumps(out[name] or {}, ensure_ascii=False)
    if "introduced" in out:
        out["introduced"] = list(out["introduced"])
    return out


def _props(values: dict) -> dict:
    """Node properties: maps as JSON text, absent values left out (a null removes a property)."""
    return {k: v for k, v in _encoded({"detail": {}, "reached": {}, **values}).items() if v is not None}


def _case(props: dict) -> CaseRecord:
    return CaseRecord(id=props["id"], need=props["need"], enterprise=props["enterprise"], stage=props["stage"],
                      assignee=props.get("assignee"), opened=props["opened"], updated=props["updated"],
                      next_action=props.get("next_action"), due=props.get("due"),
                      close_reason=props.get("close_reason"), detail=json.loads(props.get("detail") or "{}"),
                      posted=props.get("posted"), reached=json.loads(props.get("reached") or "{}"),
                      introduced=tuple(props.get("introduced") or ()), active=props.get("active", ""))


def _event(props: dict) -> CaseEvent:
    return CaseEvent(case=props["case_id"], kind=props["kind"], actor=props["actor"], text=props.get("text", ""),
                     detail=json.loads(props.get("detail") or "{}"), at=props["at"], seq=int(props["seq"]))
