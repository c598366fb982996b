"""Bring a projection up to the store for the keys a change feed names (see stores/changes.py).

Each key is re-read from the store, so applying is idempotent: what the projection holds for a key is
what the store holds when it was read, whichever changes led there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from graph_service.projection.build import attr_code
from graph_service.projection.graph import Projection
from graph_service.schema import PROJECTED_ATTRS, Label, RelType
from graph_service.stores.base import GraphStore, StoredNode
from graph_service.stores.changes import Pending


@dataclass
class Applied:
    """What a replay changed, for the state derived from the projection."""

    nodes: dict[str, StoredNode | None] = field(default_factory=dict)  # id -> as read from the store, None when gone
    types: set[RelType] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.nodes) or bool(self.types)


def replay(p: Projection, store: GraphStore, pending: Pending) -> Applied:
    out = Applied()
    found = store.get_nodes(list(pending.nodes)) if pending.nodes else {}
    for node_id, deleted in sorted(pending.nodes.items()):
        i = p.index.get(node_id)
        node = found.get(node_id)
        was_alive = i is not None and bool(p.alive[i])
        if was_alive and (deleted or node is None or p.label_of(i) != node.label):
            p.remove_node(node_id)  # that incarnation is gone, with its relationships
        if node is not None:
            label = Label(node.label)
            attrs = {a: attr_code(p.vocab, a, node.props.get(a)) for a in PROJECTED_ATTRS.get(label, ())}
            i = p.add_node(node_id, label, None, str(node.props.get("name", "")))
            for a, code in attrs.items():
                p.attrs[a][i] = code
        out.nodes[node_id] = node
    if pending.rels:
        weights = store.rel_weights(sorted(pending.rels))
        for key in sorted(pending.rels):
            t, src, dst = RelType(key[0]), key[1], key[2]
            if not (_alive(p, src) and _alive(p, dst)):
                continue  # a deleted endpoint took the relationship with it
            if key in weights:
                p.add_edge(t, src, dst, _weight(weights[key]))
            else:
                p.remove_edge(t, src, dst)
            out.types.add(t)
    return out


def _alive(p: Projection, node_id: str) -> bool:
    i = p.index.get(node_id)
    return i is not None and bool(p.alive[i])


def _weight(value: object) -> float:
    """As the build reads weights: a missing, non-numeric, non-finite or non-positive one counts as 1.0."""
    try:
        w = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0
    return w if math.isfinite(w) and w > 0 else 1.0
