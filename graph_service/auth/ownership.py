"""Who owns an entity, and what of it an actor may see.

An enterprise or researcher owns itself; a need or offer belongs to whoever POSTED it; a deal to its parties
(PARTY_TO). Writes ask the store (the system of record); reads of many nodes ask the projection, kept in
step with writes, where an unknown owner only hides more (never shows a private field to a stranger).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graph_service.auth.actor import Actor
from graph_service.auth.permissions import Resource, allowed
from graph_service.projection import Hop, Projection
from graph_service.schema import PRIVATE, Label, RelType
from graph_service.stores.base import GraphReader, StoredNode

OWNED_THROUGH: dict[Label, RelType] = {Label.NEED: RelType.POSTED, Label.OFFER: RelType.POSTED,
                                       Label.DEAL: RelType.PARTY_TO}
SELF_OWNED = frozenset({Label.ENTERPRISE, Label.RESEARCHER})


def owners(store: GraphReader, node_id: str, label: str) -> Resource:
    """The owners of a node as the store holds them now."""
    if label in SELF_OWNED:
        return Resource(frozenset({node_id}))
    through = OWNED_THROUGH.get(label)  # type: ignore[call-overload]  # a StrEnum key matches its text
    if through is None:
        return Resource()
    return Resource(frozenset(r.src for r in store.relationships(node_id, [through], "in")))


def owners_in(p: Projection, node_id: str, label: str) -> Resource:
    """The owners of a node as the projection holds them."""
    if label in SELF_OWNED:
        return Resource(frozenset({node_id}))
    through = OWNED_THROUGH.get(label)  # type: ignore[call-overload]
    i = p.index.get(node_id)
    if through is None or i is None or not p.alive[i]:
        return Resource()
    return Resource(frozenset(p.ids[j] for j in p.neighbours(node_id, Hop([through], "in")).nodes.tolist()))


def may_see_private(actor: Actor, owners_of: Callable[[], Resource]) -> bool:
    """Asks for the owners only when the role's answer depends on them (not for staff, nor for strangers)."""
    if allowed(actor, "private.read", Resource()):
        return True  # allowed without owning anything
    return allowed(actor, "private.read") and allowed(actor, "private.read", owners_of())


def visible(actor: Actor, node: StoredNode, owners_of: Callable[[], Resource]) -> StoredNode:
    """The node as `actor` may see it: without its private properties unless they are the actor's to see.
    Its owners are looked up only when that decides something (a node with private properties present)."""
    hidden = PRIVATE.get(node.label)  # type: ignore[call-overload]
    if not hidden or not hidden & node.props.keys() or may_see_private(actor, owners_of):
        return node
    return StoredNode(node.id, node.label, {k: v for k, v in node.props.items() if k not in hidden})


def visible_all(actor: Actor, nodes: Iterable[StoredNode], p: Projection) -> list[StoredNode]:
    return [visible(actor, n, lambda n=n: owners_in(p, n.id, n.label)) for n in nodes]
