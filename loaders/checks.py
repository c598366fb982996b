"""Rules that span rows of one load, checked as rows are validated: each node id and each relationship
(type, src, dst) comes once, and the hierarchies (PART_OF, SUBFIELD_OF) stay free of cycles."""

from __future__ import annotations

from collections import defaultdict

from graph_service.errors import InvalidInput
from graph_service.schema import ENDPOINTS, RelType
from graph_service.stores.base import GraphStore

HIERARCHIES = (RelType.PART_OF, RelType.SUBFIELD_OF)
_LINE_BITS = 40  # a place is one int, file index << 40 | line: a dict of ints costs a third of one of tuples
_TYPES = {t: n for n, t in enumerate(RelType, 1)}


def stored_hierarchies(store: GraphStore, types: set[RelType]) -> dict[RelType, list[tuple[str, str]]]:
    """(child id, parent id) of every stored relationship of these hierarchy types. They are small
    (thousands of rows): read whole, before the load."""
    out: dict[RelType, list[tuple[str, str]]] = {}
    for t in sorted(types & set(HIERARCHIES)):
        labels = ENDPOINTS[t][0] | ENDPOINTS[t][1]
        ids = {key: node_id for label in sorted(labels) for batch in store.scan_nodes(label, ())
               for key, node_id in batch}
        out[t] = [(ids[s], ids[d]) for src, dst, _ in store.scan_rels(t) for s, d in zip(src, dst)]
    return out


class LoadChecks:
    """What this load has seen so far. Memory: about 0.2 KB per distinct id and 0.1 KB per
    relationship (an int key and an int place in dicts), so millions of rows fit."""

    def __init__(self, files: list[str], stored: dict[RelType, list[tuple[str, str]]]) -> None:
        self._files = files
        self._ordinal: dict[str, int] = {}  # every id met, numbered, so that a relationship key is one int
        self._first: dict[int, int] = {}  # node ordinal, or relationship key (>= 2**64) -> place
        self._parents: dict[RelType, dict[str, list[str]]] = {t: defaultdict(list) for t in HIERARCHIES}
        for t, edges in stored.items():
            for child, parent in edges:
                self._parents[t][child].append(parent)

    def _where(self, place: int) -> str:
        return f"{self._files[place >> _LINE_BITS]}:{place & ((1 << _LINE_BITS) - 1)}"

    def node(self, file: int, line: int, node_id: str) -> InvalidInput | None:
        """None, or why this row cannot be loaded (the id came earlier in this load)."""
        here = file << _LINE_BITS | line
        place = self._first.setdefault(self._ordinal.setdefault(node_id, len(self._ordinal)), here)
        if place == here:
            return None
        return self._error(f"id {node_id!r} is already in this load at {self._where(place)}", file, line, "id")

    def rel(self, file: int, line: int, rel_type: RelType, src: str, dst: str) -> InvalidInput | None:
        """None, or why this row cannot be loaded (the same relationship came earlier; a cycle)."""
        ordinal = self._ordinal
        key = (_TYPES[rel_type] << 64 | ordinal.setdefault(src, len(ordinal)) << 32
               | ordinal.setdefault(dst, len(ordinal)))
        here = file << _LINE_BITS | line
        place = self._first.setdefault(key, here)
        if place != here:
            return self._error(f"{rel_type} from {src!r} to {dst!r} is already in this load at "
                               f"{self._where(place)}", file, line, None)
        if rel_type in self._parents:
            cycle = self._cycle(self._parents[rel_type], src, dst)
            if cycle:
                del self._first[key]  # refused: a later row may hold it without the cycle
                return self._error(f"{rel_type} from {src!r} to {dst!r} would make a cycle: {' -> '.join(cycle)}",
                                   file, line, "dst")
            self._parents[rel_type][src].append(dst)
        return None

    def _error(self, reason: str, file: int, line: int, field: str | None) -> InvalidInput:
        return InvalidInput(reason, file=self._files[file], line=line, field=field)

    @staticmethod
    def _cycle(parents: dict[str, list[str]], child: str, parent: str) -> list[str] | None:
        """The path child -> parent -> ... -> child if `child` is an ancestor of `parent` (or is it)."""
        came_from: dict[str, str | None] = {parent: None}
        todo = [parent]
        while todo:
            node = todo.pop()
            if node == child:
                path: list[str] = []
                step: str | None = node
                while step is not None:
                    path.append(step)
                    step = came_from[step]
                return [child, *reversed(path)]
            for up in parents.get(node, ()):
                if up not in came_from:
                    came_from[up] = node
                    todo.append(up)
        return None
