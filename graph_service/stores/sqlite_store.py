"""Embedded system of record: one SQLite file, WAL journal, every write in one real transaction.

Nodes carry an integer key; relationships reference keys, so the file stays compact and the
projection can read relationships as integer pairs in (type, src) order straight off the primary key.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pydantic_core import to_json

from graph_service.errors import StoreUnavailable
from graph_service.models import REL_MODELS
from graph_service.schema import Label, RelType
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
from graph_service.stores.sqlite_cases import SCHEMA as CASES_SCHEMA
from graph_service.stores.sqlite_cases import SqliteCases, upgrade
from graph_service.stores.sqlite_records import SCHEMA as RECORDS_SCHEMA
from graph_service.stores.sqlite_records import SqliteRecords

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
    k     INTEGER PRIMARY KEY,
    id    TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    name  TEXT NOT NULL,
    props TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS nodes_by_label ON nodes(label);
CREATE TABLE IF NOT EXISTS rels (
    type   TEXT NOT NULL,
    src    INTEGER NOT NULL,
    dst    INTEGER NOT NULL,
    weight REAL NOT NULL DEFAULT 1.0,
    props  TEXT,
    PRIMARY KEY (type, src, dst)
) WITHOUT ROWID;
"""
_FEED_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    nodes TEXT NOT NULL,
    rels  TEXT NOT NULL,
    reset INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO store_meta VALUES ('store_id', lower(hex(randomblob(16))));
"""
_REVERSE_INDEX = "CREATE INDEX IF NOT EXISTS rels_by_dst ON rels(type, dst, src)"
_BULK_ROWS = 200_000
_CACHE = -262144  # KiB: 256 MiB page cache
_BULK_CACHE = -2097152  # 2 GiB while a bulk load runs
_SCAN_CACHE = -8192  # 8 MiB for one-pass scans
_BYTES_PER_ROW = 100  # file bytes per loaded row, measured on the city and province tiers
_IN_CHUNK = 900  # ids per IN (...) list, under SQLite's oldest variable limit
_ALL_TYPES = tuple(RelType)
_WEIGHTED = frozenset(t for t, m in REL_MODELS.items() if "weight" in m.model_fields)


def _dumps(props: dict) -> str:
    # pydantic-core's encoder: UTF-8 kept, 7x faster than json.dumps; never a bare Infinity that SQLite's JSON
    # functions refuse (the models refuse non-finite numbers; this guards every other writer)
    return to_json(props, inf_nan_mode="null").decode()


def _rel_props(rel_type: str, weight: float, props: str | None) -> dict:
    out = json.loads(props) if props else {}
    if rel_type in _WEIGHTED:
        out["weight"] = weight
    return out


class _Writer(GraphWriter):
    """Writes of one transaction. Remembers the key and label of every node it saw, so a bulk load
    resolves relationship endpoints from memory instead of querying per batch."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._key: dict[str, int] = {}
        self._label: dict[str, str] = {}
        self._rebuild_index = False
        self.changes = ChangeSet()
        self._next_key = (conn.execute("SELECT max(k) FROM nodes").fetchone()[0] or 0) + 1

    def _resolve(self, ids: Sequence[str]) -> None:
        missing = [i for i in ids if i not in self._key]
        if not missing:
            return
        missing = list(dict.fromkeys(missing))
        for i in range(0, len(missing), _IN_CHUNK):
            chunk = missing[i:i + _IN_CHUNK]
            sql = f"SELECT id, k, label FROM nodes WHERE id IN ({','.join('?' * len(chunk))})"
            for node_id, key, label in self._conn.execute(sql, chunk):
                self._key[node_id] = key
                self._label[node_id] = label

    def expect_rows(self, rows: int) -> None:
        self.changes.expect(rows)
        # Maintaining the reverse index row by row halves insert speed; for a bulk load drop it and
        # rebuild it once at the end, inside the same transaction (DDL is transactional in SQLite).
        db_bytes = self._conn.execute("PRAGMA page_count").fetchone()[0] * \
            self._conn.execute("PRAGMA page_size").fetchone()[0]
        # ...unless the store is already much bigger than the load: rebuilding would cost more
        if rows >= _BULK_ROWS and rows * _BYTES_PER_ROW >= db_bytes // 2 and not self._rebuild_index:
            self._conn.execute("DROP INDEX IF EXISTS rels_by_dst")
            self._conn.execute(f"PRAGMA cache_size = {_BULK_CACHE}")  # fewer spills of hot pages to the WAL
            self._rebuild_index = True

    def finish(self) -> None:
        if self._rebuild_index:
            self._conn.execute(_REVERSE_INDEX)
            self._conn.execute(f"PRAGMA cache_size = {_CACHE}")
            self._rebuild_index = False

    def labels_of(self, ids: Sequence[str]) -> dict[str, str]:
        self._resolve(ids)
        return {i: self._label[i] for i in ids if i in self._label}

    def upsert_nodes(self, label: Label, rows: Sequence[NodeRow]) -> None:
        self._resolve([r[0] for r in rows])
        check_node_rows(label, rows, self._label)  # all checked before any is remembered
        params = []
        for node_id, name, props in rows:
            if node_id not in self._key:
                self._key[node_id], self._label[node_id] = self._next_key, str(label)
                self._next_key += 1
            params.append((self._key[node_id], node_id, str(label), name, _dumps(props)))
            self.changes.node(node_id)
        self._conn.executemany(
            "INSERT INTO nodes(k, id, label, name, props) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, props = excluded.props "
            "WHERE nodes.name IS NOT excluded.name OR nodes.props IS NOT excluded.props",
            params,
        )

    def upsert_rels(self, rel_type: RelType, rows: Sequence[RelRow]) -> None:
        self._resolve([i for r in rows for i in (r[0], r[1])])
        check_rel_rows(rel_type, rows, self._label)
        key, type_name = self._key, str(rel_type)
        params = []
        for src, dst, props in rows:
            rest = {k: v for k, v in props.items() if k != "weight"} if props else None
            params.append((type_name, key[src], key[dst], float(props.get("weight", 1.0)),
                           _dumps(rest) if rest else None))
        self._conn.executemany(
            "INSERT INTO rels(type, src, dst, weight, props) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(type, src, dst) DO UPDATE SET weight = excluded.weight, props = excluded.props "
            "WHERE rels.weight IS NOT excluded.weight OR rels.props IS NOT excluded.props",
            params,
        )
        self.changes.rels_of(type_name, ((s, d) for s, d, _ in rows))

    def delete_node(self, node_id: str) -> bool:
        row = self._conn.execute("SELECT k FROM nodes WHERE id = ?", (node_id,)).fetchone()
        if row is None:
            return False
        marks = ",".join("?" * len(_ALL_TYPES))
        by_dst = "" if self._rebuild_index else "INDEXED BY rels_by_dst"  # see SqliteStore.relationships
        self._conn.execute(f"DELETE FROM rels WHERE type IN ({marks}) AND src = ?", (*_ALL_TYPES, row[0]))
        self._conn.execute(f"DELETE FROM rels {by_dst} WHERE type IN ({marks}) AND dst = ?", (*_ALL_TYPES, row[0]))
        self._conn.execute("DELETE FROM nodes WHERE k = ?", (row[0],))
        self._key.pop(node_id, None)
        self._label.pop(node_id, None)
        self.changes.node(node_id, deleted=True)
        return True

    def delete_rel(self, rel_type: RelType, src: str, dst: str) -> bool:
        self._resolve([src, dst])
        if src not in self._key or dst not in self._key:
            return False
        cur = self._conn.execute("DELETE FROM rels WHERE type = ? AND src = ? AND dst = ?",
                                 (str(rel_type), self._key[src], self._key[dst]))
        if cur.rowcount > 0:
            self.changes.rels_of(str(rel_type), [(src, dst)])
        return cur.rowcount > 0


def _log(conn: sqlite3.Connection, changes: ChangeSet) -> None:
    """The transaction's entry in the change feed (see stores/changes.py), before its commit."""
    if not changes:
        return
    seq = conn.execute("INSERT INTO changes(nodes, rels, reset) VALUES (?, ?, ?)", changes.encoded()).lastrowid
    if seq and seq % PRUNE_EVERY == 0:
        conn.execute("DELETE FROM changes WHERE seq <= ?", (seq - KEEP,))


class SqliteStore(GraphStore, SqliteRecords, SqliteCases):
    kind = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            except (sqlite3.Error, OSError) as e:
                raise StoreUnavailable(f"cannot open SQLite store at {self.path}: {e}") from e
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # a commit survives power loss, not just a crash
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute(f"PRAGMA cache_size = {_CACHE}")
            self._local.conn = conn
        return conn

    def ensure_schema(self) -> None:
        conn = self._conn()
        conn.executescript(_SCHEMA)
        conn.executescript(RECORDS_SCHEMA)
        conn.executescript(CASES_SCHEMA)
        upgrade(conn)
        conn.executescript(_FEED_SCHEMA)
        conn.execute(_REVERSE_INDEX)

    def ping(self) -> bool:
        try:
            return self._conn().execute("SELECT 1").fetchone() == (1,)
        except (sqlite3.Error, StoreUnavailable):
            return False

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def write(self, work: Callable[[GraphWriter], T]) -> T:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                writer = _Writer(conn)
                result = work(writer)
                writer.finish()
                _log(conn, writer.changes)
            except BaseException:
                conn.execute("ROLLBACK")
                conn.execute(f"PRAGMA cache_size = {_CACHE}")  # a bulk load may have raised it
                raise
            conn.execute("COMMIT")
            self._local.counts = None
        return result

    # --- the change feed -----------------------------------------------------------------------
    def store_id(self) -> str:
        return self._conn().execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()[0]

    def change_head(self) -> int:
        row = self._conn().execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
        return int(row[0]) if row else 0

    def changes_since(self, after: int, limit: int = 10_000) -> list[Change]:
        rows = self._conn().execute("SELECT seq, nodes, rels, reset FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (after, limit))
        return [Change.decoded(*row) for row in rows]

    def rel_weights(self, keys: Sequence[RelKey]) -> dict[RelKey, object]:
        conn, found = self._conn(), {}
        for key in keys:
            row = conn.execute("SELECT r.weight FROM rels r JOIN nodes a ON a.k = r.src JOIN nodes b ON b.k = r.dst "
                               "WHERE r.type = ? AND a.id = ? AND b.id = ?", key).fetchone()
            if row is not None:
                found[key] = row[0]
        return found

    # --- reads ---------------------------------------------------------------------------------
    def get_nodes(self, ids: Sequence[str]) -> dict[str, StoredNode]:
        return {row[0]: _node(row) for row in self._by_ids("id, label, name, props", ids)}

    def _by_ids(self, columns: str, ids: Sequence[str]) -> Iterator[tuple]:
        unique = list(dict.fromkeys(ids))
        for i in range(0, len(unique), _IN_CHUNK):
            chunk = unique[i:i + _IN_CHUNK]
            yield from self._conn().execute(f"SELECT {columns} FROM nodes WHERE id IN ({','.join('?' * len(chunk))})",
                                            chunk)

    def labels_of(self, ids: Sequence[str]) -> dict[str, str]:
        return _Writer(self._conn()).labels_of(ids)

    def search(self, text: str, label: Label | None = None, limit: int = 20) -> list[StoredNode]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = "SELECT id, label, name, props FROM nodes WHERE name LIKE ? ESCAPE '\\'"
        args: list = [pattern]
        if label is not None:
            sql += " AND label = ?"
            args.append(str(label))
        sql += " ORDER BY length(name), id LIMIT ?"
        return [_node(r) for r in self._conn().execute(sql, (*args, limit))]

    def relationships(self, node_id: str, types: Sequence[RelType] | None = None,
                      direction: Direction = "both", limit: int = 1000) -> list[StoredRel]:
        conn = self._conn()
        row = conn.execute("SELECT k FROM nodes WHERE id = ?", (node_id,)).fetchone()
        if row is None:
            return []
        wanted = tuple(sorted(str(t) for t in (types or _ALL_TYPES)))
        marks = ",".join("?" * len(wanted))
        found: list[tuple] = []
        # One query per side, each on its own index, ordered as Neo4j orders them (type, then ids), so that
        # both stores list the same relationships first. Without statistics SQLite would answer `dst = ?` by
        # scanning the type's primary-key range: hence the explicit index.
        for side, index, sides in (("src", "", ("out", "both")), ("dst", "INDEXED BY rels_by_dst", ("in", "both"))):
            if direction in sides:
                found += conn.execute(
                    f"SELECT r.type, a.id, b.id, r.weight, r.props FROM rels r {index} JOIN nodes a ON a.k = r.src "
                    f"JOIN nodes b ON b.k = r.dst WHERE r.type IN ({marks}) AND r.{side} = ? "
                    "ORDER BY r.type, a.id, b.id LIMIT ?", (*wanted, row[0], limit)).fetchall()
        found = sorted(found, key=lambda r: (r[0], r[1], r[2]))[:limit]
        return [StoredRel(t, s, d, _rel_props(t, w, p)) for t, s, d, w, p in found]

    def counts(self) -> Counts:
        """Counting 20 M relationships takes a second, so the answer is kept until the data changes:
        `data_version` moves when another connection commits; this connection's writes clear it."""
        conn = self._conn()
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        cached = getattr(self._local, "counts", None)
        if cached is not None and cached[0] == version:
            return cached[1]
        nodes = dict(conn.execute("SELECT label, count(*) FROM nodes GROUP BY label").fetchall())
        rels = {}
        for t in _ALL_TYPES:  # one index range per type: faster than GROUP BY over the table
            n = conn.execute("SELECT count(*) FROM rels WHERE type = ?", (str(t),)).fetchone()[0]
            if n:
                rels[str(t)] = n
        self._local.counts = (version, Counts(nodes=nodes, rels=rels))
        return self._local.counts[1]

    # --- scans for the projection --------------------------------------------------------------
    def scan_nodes(self, label: Label, attrs: Sequence[str], batch: int = 100_000) -> Iterator[list[tuple]]:
        # attribute names come from a whitelist (schema.PROJECTED_ATTRS, the text fields); json paths are
        # parameters; the name is a column of its own
        cols = "".join(", name" if a == "name" else ", json_extract(props, ?)" for a in attrs)
        yield from self._scan(f"SELECT k, id{cols} FROM nodes WHERE label = ? ORDER BY k",
                              (*(f"$.{a}" for a in attrs if a != "name"), str(label)), batch)

    def scan_rels(self, rel_type: RelType, batch: int = 200_000) -> Iterator[RelColumns]:
        for rows in self._scan("SELECT src, dst, weight FROM rels WHERE type = ?", (str(rel_type),), batch):
            yield tuple(zip(*rows))  # type: ignore[misc]

    def _scan(self, sql: str, args: tuple, batch: int) -> Iterator[list[tuple]]:
        # A connection of its own with a small page cache: a full scan would otherwise leave the
        # shared connection's 256 MiB cache full of pages nobody reads again (a projection's peak).
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute(f"PRAGMA cache_size = {_SCAN_CACHE}")
            cur = conn.execute(sql, args)
            while rows := cur.fetchmany(batch):
                yield rows
        finally:
            conn.close()


def _node(row: tuple) -> StoredNode:
    node_id, label, name, props = row
    return StoredNode(id=node_id, label=label, props={"name": name, **json.loads(props)})
