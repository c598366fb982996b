"""The `GraphStore` interface, split by concern: reads, writes inside a transaction, bulk scans.

Both backends (embedded SQLite and Neo4j) implement it; one contract suite tests both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from graph_service.schema import Label, RelType

T = TypeVar("T")
Direction = Literal["out", "in", "both"]
# (id, name, props without id and name)
NodeRow = tuple[str, str, dict]
# (src id, dst id, props)
RelRow = tuple[str, str, dict]


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


class GraphReader(ABC):
    @abstractmethod
    def get_node(self, node_id: str) -> StoredNode | None: ...

    @abstractmethod
    def labels_of(self, ids: Sequence[str]) -> dict[str, str]: ...

    @abstractmethod
    def search(self, text: str, label: Label | None = None, limit: int = 20) -> list[StoredNode]:
        """Nodes whose name contains `text`, shortest names first."""

    @abstractmethod
    def relationships(self, node_id: str, types: Sequence[RelType] | None = None,
                      direction: Direction = "both", limit: int = 1000) -> list[StoredRel]:
        """Relationships touching a node, in a stable order."""

    @abstractmethod
    def counts(self) -> Counts: ...


class GraphScanner(ABC):
    """Bulk reads for building the in-memory projection. Keys are store-internal node handles."""

    @abstractmethod
    def scan_nodes(self, label: Label, attrs: Sequence[str], batch: int = 100_000) -> Iterator[list[tuple]]:
        """Batches of (key, id, *attrs) for every node with the label."""

    @abstractmethod
    def scan_rels(self, rel_type: RelType, batch: int = 200_000) -> Iterator[list[tuple]]:
        """Batches of (src key, dst key, weight) for every relationship of the type."""


class GraphStore(GraphReader, GraphScanner):
    kind: str

    @abstractmethod
    def write(self, work: Callable[[GraphWriter], T]) -> T:
        """Run `work` in one transaction; commit if it returns, roll back if it raises.

        `work` may be called again after a transient failure, so it must not keep state outside.
        """

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create tables or constraints if missing (idempotent)."""

    @abstractmethod
    def ping(self) -> bool:
        """True when the store answers."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
