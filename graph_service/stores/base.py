"""The `GraphStore` interface, split by concern: reads, writes inside a transaction, bulk scans.

Both backends (embedded SQLite and Neo4j) implement it; one contract suite tests both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from graph_service.errors import Conflict, InvalidInput
from graph_service.schema import ENDPOINTS, Label, RelType, check_endpoints
from graph_service.stores.cases import CaseStore
from graph_service.stores.changes import ChangeFeed
from graph_service.stores.records import RecordStore

T = TypeVar("T")
Direction = Literal["out", "in", "both"]
# (id, name, props without id and name)
NodeRow = tuple[str, str, dict]
# (src id, dst id, props)
RelRow = tuple[str, str, dict]
# Parallel columns of one scan batch: src keys, dst keys, weights
RelColumns = tuple[Sequence, Sequence, Sequence[float]]


@dataclass(frozen=True)
class StoredNode:
    id: str
    label: str
    props: dict = field(default_factory=dict)  # includes name


@dataclass(frozen=True)
class StoredRel:
    type: str
    src: str
    dst: str
    props: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Counts:
    nodes: dict[str, int]
    rels: dict[str, int]


class GraphWriter(ABC):
    """Writes that belong to one transaction: all of them commit, or none."""

    @abstractmethod
    def upsert_nodes(self, label: Label, rows: Sequence[NodeRow]) -> None:
        """Create or replace nodes by id. Raises Conflict if an id exists with another label."""

    @abstractmethod
    def upsert_rels(self, rel_type: RelType, rows: Sequence[RelRow]) -> None:
        """Create or replace relationships keyed by (type, src, dst). Endpoints must exist."""

    @abstractmethod
    def delete_node(self, node_id: str) -> bool:
        """Delete a node and its relationships; False when it did not exist."""

    @abstractmethod
    def delete_rel(self, rel_type: RelType, src: str, dst: str) -> bool:
        """Delete one relationship; False when it did not exist."""

    @abstractmethod
    def labels_of(self, ids: Sequence[str]) -> dict[str, str]:
        """Labels of those ids that exist, as seen inside this transaction."""

    def expect_rows(self, rows: int) -> None:  # noqa: B027 - optional hint, no-op by default
        """Hint that about `rows` rows will be written in this transaction (bulk load)."""

    def finish(self) -> None:  # noqa: B027 - optional, no-op by default
        """Called once the work returned, before the commit: a bulk load's last step (index, checks)."""


class GraphReader(ABC):
    @abstractmethod
    def get_nodes(self, ids: Sequence[str]) -> dict[str, StoredNode]:
        """The nodes among `ids` that exist, by id."""

    def get_node(self, node_id: str) -> StoredNode | None:
        return self.get_nodes([node_id]).get(node_id)

    @abstractmethod
    def labels_of(self, ids: Sequence[str]) -> dict[str, str]: ...

    @abstractmethod
    def search(self, text: str, label: Label | None = None, limit: int = 20) -> list[StoredNode]:
        """Nodes whose name contains `text`, shortest names first."""

    @abstractmethod
    def relationships(self, node_id: str, types: Sequence[RelType] | None = None,
                      direction: Direction = "both", limit: int = 1000) -> list[StoredRel]:
        """Relationships touching a node, ordered by type, then source id, then target id (every backend)."""

    @abstractmethod
    def counts(self) -> Counts: ...


class GraphScanner(ABC):
    """Bulk reads for building the in-memory projection. Keys are store-internal node handles."""

    @abstractmethod
    def scan_nodes(self, label: Label, attrs: Sequence[str], batch: int = 100_000) -> Iterator[list[tuple]]:
        """Batches of (key, id, *attrs) for every node with the label; "name" is an attribute like any other."""

    @abstractmethod
    def scan_rels(self, rel_type: RelType, batch: int = 200_000) -> Iterator[RelColumns]:
        """Batches of parallel columns (src keys, dst keys, weights) covering every relationship of the type."""


class GraphStore(GraphReader, GraphScanner, RecordStore, CaseStore, ChangeFeed):
    """The system of record: the graph, its change feed, and beside them the accounts, the audit trail and the
    cases of the 保姆式 service."""

    kind: str

    @abstractmethod
    def write(self, work: Callable[[GraphWriter], T]) -> T:
        """Run `work` in one transaction; commit if it returns, roll back if it raises.

        `work` may be called again after a transient failure, so it must not keep state outside.
        """

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create tables or constraints if missing, records' included (idempotent)."""

    @abstractmethod
    def ping(self) -> bool:
        """True when the store answers."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def at_row(err: Exception, row: int) -> Exception:
    """Tag an error with the index of the offending row in its batch (the loader maps it to a line)."""
    err.row = row  # type: ignore[attr-defined]
    return err


def check_node_rows(label: Label, rows: Sequence[NodeRow], labels: Mapping[str, str]) -> None:
    """Every backend's rules: the label is one of the whitelist's; an id keeps its label. `labels` holds the
    labels of existing ids."""
    if not isinstance(label, Label):
        raise TypeError(f"a Label is needed, not {label!r}")  # a caller's bug, never input
    for n, (node_id, _, _) in enumerate(rows):
        existing = labels.get(node_id, label)
        if existing != label:
            raise at_row(Conflict(f"id {node_id!r} already belongs to a {existing}, not a {label}"), n)


def check_rel_rows(rel_type: RelType, rows: Sequence[RelRow], labels: Mapping[str, str]) -> None:
    """Every backend's rules: the type is one of the whitelist's; both endpoints exist and have labels it allows."""
    if not isinstance(rel_type, RelType):
        raise TypeError(f"a RelType is needed, not {rel_type!r}")
    sources, targets = ENDPOINTS[rel_type]
    for n, (src, dst, _) in enumerate(rows):
        s, d = labels.get(src), labels.get(dst)
        if s is None or d is None:
            side, missing = ("src", src) if s is None else ("dst", dst)
            raise at_row(InvalidInput(f"no node with id {missing!r}", field=side), n)
        if s not in sources or d not in targets:
            side, reason = check_endpoints(rel_type, s, d) or ("src", "")
            raise at_row(InvalidInput(reason, field=side), n)
