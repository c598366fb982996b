"""Rules that span rows of one load, checked as rows are validated: each node id and each relationship
(type, src, dst) comes once, and the hierarchies (PART_OF, SUBFIELD_OF) stay free of cycles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from graph_service.errors import InvalidInput
from graph_service.schema import ENDPOINTS, Label, RelType
from graph_service.stores.base import GraphStore

HIERARCHIES = (RelType.PART_OF, RelType.SUBFIELD_OF)
_LINE_BITS = 40  # a place is one int, file index << 40 | line: a third of the memory of a tuple
_LINE_MASK = (1 << _LINE_BITS) - 1
RowCheck = Callable[[int, tuple], "InvalidInput | None"]


def stored_hierarchies(store: GraphStore, types: set) -> dict[RelType, list[tuple[str, str]]]:
    """(child id, parent id) of every stored relationship of the hierarchy types among `types`. They are
    small (thousands of rows): read whole, before the load."""
    out: dict[RelType, list[tuple[str, str]]] = {}
    for t in sorted(types & set(HIERARCHIES)):
        labels = ENDPOINTS[t][0] | ENDPOINTS[t][1]
        ids = {key: node_id for label in sorted(labels) for batch in store.scan_nodes(label, ())
               for key, node_id in batch}
        out[t] = [(ids[s], ids[d]) for src, dst, _ in store.scan_rels(t) for s, d in zip(src, dst)]
    return out


class LoadChecks:
    """What this load has seen so far: where each id and relationship came first, and the hierarchies.

    A relationship is keyed by the string "src dst" (ids hold no space): exact, and measured 3 times
    faster than numbering ids and packing two numbers into an int. Memory: about 125 bytes per node
    and per relationship of the largest type (see loaders/README.md)."""

    def __init__(self, files: list[str], stored: dict[RelType, list[tuple[str, str]]]) -> None:
        self._files = files
        self._nodes: dict[str, int] = {}  # id -> place
        self._rels: dict[RelType, dict[str, int]] = {}  # "src dst" -> place, for the current type
        self._parents: dict[RelType, dict[str, list[str]]] = {t: defaultdict(list) for t in HIERARCHIES}
        for t, edges in stored.items():
            for child, parent in edges:
                self._parents[t][child].append(parent)

    def for_file(self, file: int, kind: Label | RelType) -> RowCheck:
        """The check of each (line, store row) of files[file]: None, or why the row cannot be loaded.
        A closure over this file's dicts: per row it costs a few dict operations."""
        base = file << _LINE_BITS
        if isinstance(kind, Label):
            nodes = self._nodes

            def node(line: int, row: tuple) -> InvalidInput | None:
                here = base | line
                place = nodes.setdefault(row[0], here)
                return None if place == here else \
                    self._error(f"id {row[0]!r} is already in this load at {self._where(place)}", here, "id")
            return node

        if kind not in self._rels:  # a type's files come together (see formats.discover): the last one's are done
            self._rels.clear()
        seen, parents = self._rels.setdefault(kind, {}), self._parents.get(kind)

        def rel(line: int, row: tuple) -> InvalidInput | None:
            here = base | line
            key = f"{row[0]} {row[1]}"
            place = seen.setdefault(key, here)
            if place != here:
                return self._error(f"{kind} from {row[0]!r} to {row[1]!r} is already in this load at "
                                   f"{self._where(place)}", here, None)
            if parents is None:
                return None
            cycle = _cycle(parents, row[0], row[1])
            if cycle:
                del seen[key]  # refused: a later row may hold it without the cycle
                return self._error(f"{kind} from {row[0]!r} to {row[1]!r} would make a cycle: "
                                   f"{' -> '.join(cycle)}", here, "dst")
            parents[row[0]].append(row[1])
            return None
        return rel

    def _where(self, place: int) -> str:
        return f"{self._files[place >> _LINE_BITS]}:{place & _LINE_MASK}"

    def _error(self, reason: str, place: int, field: str | None) -> InvalidInput:
        return InvalidInput(reason, file=self._files[place >> _LINE_BITS], line=place & _LINE_MASK, field=field)


def _cycle(parents: dict[str, list[str]], child: str, parent: str) -> list[str] | None:
    """The path child -> parent -> ... -> child if `child` is `parent` or one of its ancestors."""
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
