"""Production system of record: Neo4j 5 through the official driver (6.x idioms).

Every statement comes from `cypher/*.cypher`, with an explicit database. Point reads and bulk scans are
auto-commit read queries (scans stream chunks of thousands of rows, so the client never holds a whole
projection's rows); writes run in one managed transaction (`execute_write`), which the driver retries on
transient errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph_service.errors import Conflict, StoreUnavailable
from graph_service.schema import ENDPOINTS, Label, RelType
from graph_service.stores.base import (
    Counts,
    Direction,
    GraphStore,
    GraphWriter,
    NodeRow,
    RelColumns,
    RelRow,
    StoredNode,
    StoredRel,
    T,
    check_node_rows,
    check_rel_rows,
)
from graph_service.stores.changes import KEEP, PRUNE_EVERY, Change, ChangeSet, RelKey
from graph_service.stores.cypher import statement
from graph_service.stores.neo4j_cases import Neo4jCases
from graph_service.stores.neo4j_records import Neo4jRecords

_ALL_TYPES = [t.value for t in RelType]
_UNWIND_BATCH = 10000
_BULK_ROWS = 100_000  # a load this big into an empty database creates its relationships (see _Writer)
_BULK_LOCK = "#bulk-load"  # an id no entity can have (models.EntityId): its uniqueness lock serialises bulk loads
FEED = "graph"  # the one change feed's name (a parameter: statements quote only schema names)
_SCAN_FETCH = 4  # records per round trip; each holds thousands of rows


@contextmanager
def _our_errors() -> Iterator[None]:
    """Driver errors as TechMatch's own: the CLI prints one line, the API answers 409 or 503."""
    try:
        yield
    except ConstraintError as e:
        raise Conflict(str(e)) from e
    except AuthError as e:
        raise StoreUnavailable(f"Neo4j refused the user name or password: {e.message}") from e
    except (ServiceUnavailable, SessionExpired) as e:
        raise StoreUnavailable(f"Neo4j is unreachable: {e}") from e
    except Neo4jError as e:  # out of memory for a transaction, a timeout, a deadlock retried in vain
        raise StoreUnavailable(f"Neo4j could not complete it: {e.message}") from e
    except DriverError as e:
        raise StoreUnavailable(f"the Neo4j driver failed: {e}") from e


def _node(record: neo4j.Record) -> StoredNode:
    props = dict(record["props"])
    props.pop("id", None)
    return StoredNode(id=record["id"], label=record["label"], props=props)


class _Writer(GraphWriter):
    """Writes of one managed transaction. Remembers the label of every node it wrote or looked up, so a
    bulk load checks relationship endpoints from memory instead of querying per batch.

    A bulk load into an empty database CREATEs its relationships instead of MERGEing them (a third less
    server time), remembering each (type, src, dst) it created: a pair seen again is MERGEd, so the
    result is the same. Later loads MERGE everything. Two bulk loads wait for each other (a lock taken
    first), and before the commit a check for any pair held twice (a small write that committed during
    the load) refuses the load rather than keep a duplicate."""

    def __init__(self, tx: neo4j.ManagedTransaction) -> None:
        self._tx = tx
        self._labels: dict[str, str] = {}
        self._created: set[tuple[str, str, str]] | None = None  # None: MERGE every relationship
        self.changes = ChangeSet()

    def _run(self, query: str, **params: object) -> list[neo4j.Record]:
        return list(self._tx.run(query, params))

    def expect_rows(self, rows: int) -> None:
        self.changes.expect(rows)
        if rows < _BULK_ROWS:
            return
        self._run(statement("bulk_load_lock"), id=_BULK_LOCK)  # held until this transaction ends
        if not any(r["n"] for r in self._run(statement("count_nodes"))):
            self._created = set()

    def finish(self) -> None:
        self._log()
        if self._created is None:
            return
        for rel_type in sorted({key[0] for key in self._created}):
            if self._run(statement("twice_related", rel_type=rel_type))[0]["pairs"]:
                raise Conflict(f"another write added {rel_type} relationships while this load ran into an "
                               "empty database; nothing was loaded: run the load again")

    def labels_of(self, ids: Sequence[str]) -> dict[str, str]:
        missing = list({i for i in ids if i not in self._labels})
        for i in range(0, len(missing), _UNWIND_BATCH):
            found = self._run(statement("labels_of"), ids=missing[i:i + _UNWIND_BATCH])
            self._labels.update((r["id"], r["label"]) for r in found)
        return {i: self._labels[i] for i in ids if i in self._labels}

    def upsert_nodes(self, label: Label, rows: Sequence[NodeRow]) -> None:
        check_node_rows(label, rows, self.labels_of([r[0] for r in rows]))
        # rows travel as [id, name, props] lists: no map keys to pack and unpack for each of a million rows
        self._batches(statement("upsert_nodes", label=label), rows=rows)
        self._labels.update((r[0], str(label)) for r in rows)
        for r in rows:
            self.changes.node(r[0])

    def upsert_rels(self, rel_type: RelType, rows: Sequence[RelRow]) -> None:
        check_rel_rows(rel_type, rows, self.labels_of([i for r in rows for i in (r[0], r[1])]))
        self.changes.rels_of(rel_type.value, ((r[0], r[1]) for r in rows))
        created = self._created
        if created is None:
            self._batches(statement("upsert_rels", rel_type=rel_type), rows=rows)
            return
        new, again = [], []
        for row in rows:
            key = (rel_type, row[0], row[1])
            (again if key in created else new).append(row)
            created.add(key)
        self._batches(statement("create_rels", rel_type=rel_type), rows=new)
        self._batches(statement("upsert_rels", rel_type=rel_type), rows=again)  # after the CREATEs: last row wins

    def _batches(self, query: str, rows: Sequence[tuple]) -> None:
        for i in range(0, len(rows), _UNWIND_BATCH):
            self._run(query, rows=[list(r) for r in rows[i:i + _UNWIND_BATCH]])

    def delete_node(self, node_id: str) -> bool:
        self._labels.pop(node_id, None)
        if self._created is not None:  # its pairs are gone: forget them, a later row creates them again
            self._created = {key for key in self._created if node_id not in key[1:]}
        deleted = self._run(statement("delete_node"), id=node_id)[0]["deleted"] > 0
        if deleted:
            self.changes.node(node_id, deleted=True)
        return deleted

    def delete_rel(self, rel_type: RelType, src: str, dst: str) -> bool:
        if self._created is not None:
            self._created.discard((rel_type, src, dst))
        deleted = self._run(statement("delete_rel", rel_type=rel_type), src=src, dst=dst)[0]["deleted"] > 0
        if deleted:
            self.changes.rels_of(rel_type.value, [(src, dst)])
        return deleted

    def _log(self) -> None:
        """The transaction's entry in the change feed (see stores/changes.py), before its commit."""
        if not self.changes:
            return
        nodes, rels, reset = self.changes.encoded()
        seq = self._run(statement("log_change"), feed=FEED, nodes=nodes, rels=rels, reset=reset)[0]["seq"]
        if seq % PRUNE_EVERY == 0:
            self._run(statement("prune_changes"), upto=seq - KEEP)


class Neo4jStore(GraphStore, Neo4jRecords, Neo4jCases):
    kind = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        # "label does not exist" on an empty database is expected, not worth a warning in the log
        self._driver = GraphDatabase.driver(uri, auth=(user, password), notifications_disabled_classifications=[
            neo4j.NotificationDisabledClassification.UNRECOGNIZED])
        self._database = database
        self._polling = threading.local()  # one session per thread for the per-request head read

    def _read(self, query: str, **params: object) -> list[neo4j.Record]:
        with _our_errors():
            try:
                return self._auto_commit(query, params)
            except (ServiceUnavailable, SessionExpired):  # once more: a pooled connection a restart left stale
                return self._auto_commit(query, params)

    def _auto_commit(self, query: str, params: dict) -> list[neo4j.Record]:
        # An auto-commit read: one round trip, where execute_query's managed transaction needs a second
        # one for COMMIT (median 1.1 against 2.9 ms on our machines); the driver does not retry it.
        with self._driver.session(database=self._database, default_access_mode=neo4j.READ_ACCESS) as session:
            return list(session.run(query, params))

    def ensure_schema(self) -> None:
        with _our_errors():
            for name in ("constraint_entity_id", "index_entity_name", "constraint_feed_name", "constraint_change_seq"):
                self._driver.execute_query(statement(name), database_=self._database)
        self._write_query(statement("create_feed"), feed=FEED)
        self.ensure_record_schema()
        self.ensure_case_schema()

    def _write_query(self, query: str, **params: object) -> list[neo4j.Record]:
        """One small write in its own managed transaction (the driver retries transient errors)."""
        with _our_errors():
            return self._driver.execute_query(query, params, database_=self._database).records

    def ping(self) -> bool:
        try:
            self._driver.verify_connectivity()
            return True
        except (DriverError, Neo4jError):
            return False

    def close(self) -> None:
        self._driver.close()

    def write(self, work: Callable[[GraphWriter], T]) -> T:
        def attempt(tx: neo4j.ManagedTransaction) -> T:  # the driver may call it again: all state is inside
            writer = _Writer(tx)
            result = work(writer)
            writer.finish()
            return result

        with _our_errors(), self._driver.session(database=self._database) as session:
            return session.execute_write(attempt)

    # --- the change feed -----------------------------------------------------------------------
    def _head(self) -> tuple[int, str]:
        """Read on a session kept by the thread: the check every request makes costs half as much as
        opening a session for it (median 0.8 against 1.6 ms beside a busy local server)."""
        for attempt in (1, 2):
            session = getattr(self._polling, "session", None)
            if session is None:
                session = self._polling.session = self._driver.session(database=self._database,
                                                                       default_access_mode=neo4j.READ_ACCESS)
            try:
                with _our_errors():
                    found = session.run(statement("feed_head"), feed=FEED).single()
                return (int(found["seq"]), str(found["store_id"])) if found else (0, "")
            except StoreUnavailable:
                session.close()  # a connection a restart left stale: once more on a new session
                self._polling.session = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def store_id(self) -> str:
        return self._head()[1]

    def change_head(self) -> int:
        return self._head()[0]

    def changes_since(self, after: int, limit: int = 10_000) -> list[Change]:
        records = self._read(statement("changes_since"), after=after, limit=limit)
        return [Change.decoded(r["seq"], r["nodes"], r["rels"], r["reset"]) for r in records]

    def rel_weights(self, keys: Sequence[RelKey]) -> dict[RelKey, object]:
        by_type: dict[str, list[list[str]]] = {}
        for t, s, d in keys:
            by_type.setdefault(t, []).append([s, d])
        found: dict[RelKey, object] = {}
        for t, pairs in by_type.items():
            for r in self._read(statement("rel_weights", rel_type=RelType(t)), pairs=pairs):
                found[(t, r["src"], r["dst"])] = r["weight"]
        return found

    def get_nodes(self, ids: Sequence[str]) -> dict[str, StoredNode]:
        return {r["id"]: _node(r) for r in self._read(statement("get_nodes"), ids=list(set(ids)))}

    def labels_of(self, ids: Sequence[str]) -> dict[str, str]:
        return {r["id"]: r["label"] for r in self._read(statement("labels_of"), ids=list(set(ids)))}

    def search(self, text: str, label: Label | None = None, limit: int = 20) -> list[StoredNode]:
        records = self._read(statement("search"), text=text, label=label.value if label else None, limit=limit)
        return [_node(r) for r in records]

    def relationships(self, node_id: str, types: Sequence[RelType] | None = None,
                      direction: Direction = "both", limit: int = 1000) -> list[StoredRel]:
        records = self._read(statement("relationships"), id=node_id,
                             types=[t.value for t in types] if types else _ALL_TYPES,
                             outgoing=direction in ("out", "both"), incoming=direction in ("in", "both"),
                             limit=limit)
        return [StoredRel(r["type"], r["src"], r["dst"], dict(r["props"])) for r in records]

    def counts(self) -> Counts:
        nodes = {r["label"]: r["n"] for r in self._read(statement("count_nodes")) if r["n"]}
        rels = {r["type"]: r["n"] for r in self._read(statement("count_rels")) if r["n"]}
        return Counts(nodes=nodes, rels=rels)

    def _stream(self, query: str, **params: object) -> Iterator[neo4j.Record]:
        # An auto-commit query streams lazily; a managed transaction would have to buffer it all.
        with _our_errors(), self._driver.session(database=self._database, default_access_mode=neo4j.READ_ACCESS,
                                                 fetch_size=_SCAN_FETCH) as session:
            yield from session.run(query, params)

    def scan_nodes(self, label: Label, attrs: Sequence[str], batch: int = 100_000) -> Iterator[list[tuple]]:
        for record in self._stream(statement("scan_nodes", label=label), attrs=list(attrs), chunk=batch):
            ids = record["ids"]
            yield list(zip(ids, ids, *record["attrs"]))  # the id is the key: Neo4j has no stable integer one

    def scan_rels(self, rel_type: RelType, batch: int = 200_000) -> Iterator[RelColumns]:
        # by source label, so that each record holds the relationships of a chunk of nodes
        chunk = max(1, batch // 20)
        for label in sorted(ENDPOINTS[rel_type][0]):
            for record in self._stream(statement("scan_rels", label=label, rel_type=rel_type), chunk=chunk):
                yield record["src"], record["dst"], record["weight"]
