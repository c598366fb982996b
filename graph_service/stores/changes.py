"""The change feed: every graph write records, in its own transaction, which nodes and relationships it
touched; each service process replays the feed before it answers.

Why a log of keys, not of values: a reader re-reads the current state of each key from the store, so
replaying is idempotent and order-free (a change read twice, or state newer than the change, converges on
the store). Why in the same transaction: a change is in the feed exactly when its data is committed, and
sequence numbers follow commit order (SQLite has one writer; Neo4j writers take the feed's head node's
lock last, holding it to their commit), so a reader that has seen `seq` has seen every change before it.
The store is the only thing processes share, so this holds for workers, replicas and machines alike.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

RelKey = tuple[str, str, str]  # (type, src id, dst id) as stored
FEED_ITEMS = 5_000  # keys one change may list; a bigger write (a load) is recorded as a reset
KEEP = 100_000  # changes kept; a reader further behind than that rebuilds
PRUNE_EVERY = 1_000  # a write whose sequence number is a multiple of this prunes older changes


@dataclass
class ChangeSet:
    """What one transaction touched, collected by its writer as it writes."""

    nodes: dict[str, bool] = field(default_factory=dict)  # id -> deleted in this transaction
    rels: set[RelKey] = field(default_factory=set)
    reset: bool = False  # too many to list: readers rebuild from the store

    def node(self, node_id: str, deleted: bool = False) -> None:
        if not self.reset:
            self.nodes[node_id] = self.nodes.get(node_id, False) or deleted
            self._bound()

    def rels_of(self, rel_type: str, pairs: Iterable[tuple[str, str]]) -> None:
        if not self.reset:
            self.rels.update((rel_type, s, d) for s, d in pairs)
            self._bound()

    def expect(self, rows: int) -> None:
        if rows > FEED_ITEMS:
            self._overflow()

    def _bound(self) -> None:
        if len(self.nodes) + len(self.rels) > FEED_ITEMS:
            self._overflow()

    def _overflow(self) -> None:
        self.reset, self.nodes, self.rels = True, {}, set()

    def __bool__(self) -> bool:
        return self.reset or bool(self.nodes) or bool(self.rels)

    def encoded(self) -> tuple[str, str, bool]:
        """(nodes, rels, reset) as the stores keep them: JSON text, sorted so equal sets read equal."""
        nodes = json.dumps(sorted(self.nodes.items()), ensure_ascii=False)
        return nodes, json.dumps(sorted(self.rels), ensure_ascii=False), self.reset


@dataclass(frozen=True)
class Change:
    seq: int
    nodes: dict[str, bool]
    rels: frozenset[RelKey]
    reset: bool

    @classmethod
    def decoded(cls, seq: int, nodes: str, rels: str, reset: bool) -> Change:
        return cls(seq, dict(json.loads(nodes)), frozenset(tuple(r) for r in json.loads(rels)), bool(reset))


@dataclass
class Pending:
    """Changes a reader has yet to apply, merged: what to re-read, or that it must rebuild."""

    upto: int
    reset: bool = False
    nodes: dict[str, bool] = field(default_factory=dict)
    rels: set[RelKey] = field(default_factory=set)


def pending(changes: Sequence[Change], after: int, head: int) -> Pending:
    """Merge the changes after `after` up to `head`. A gap (pruned changes) or a head behind the reader
    (another store in the same place) means the reader cannot replay: it rebuilds."""
    out = Pending(head)
    if head < after or (changes and changes[0].seq != after + 1) or (not changes and head > after):
        out.reset = True
        return out
    for c in changes:
        if c.reset:
            out.reset = True
            return out
        for node_id, deleted in c.nodes.items():
            out.nodes[node_id] = out.nodes.get(node_id, False) or deleted
        out.rels.update(c.rels)
    return out


class ChangeFeed(ABC):
    """The feed's side of a store (mixed into GraphStore)."""

    @abstractmethod
    def store_id(self) -> str:
        """A random id made when the store was first set up: saved models name the store they fit."""

    @abstractmethod
    def change_head(self) -> int:
        """The sequence number of the last committed change (0 before any): the per-request check."""

    @abstractmethod
    def changes_since(self, after: int, limit: int = 10_000) -> list[Change]:
        """Changes with seq > after, oldest first, at most `limit`."""

    @abstractmethod
    def rel_weights(self, keys: Sequence[RelKey]) -> dict[RelKey, object]:
        """The stored weight (as stored, unchecked) of each key that exists now; keys absent are gone."""
