"""Reading and writing entities on behalf of someone: who may, what they see, and the graph's integrity.
The API's entity and relationship routes (and the pages) call these; GraphService does the writing."""

from __future__ import annotations

from graph_service.auth.actor import Actor
from graph_service.auth.ownership import owners, visible, visible_all
from graph_service.auth.permissions import Resource, require
from graph_service.cases.pipeline import open_case
from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.integrity import check_acyclic, check_delete_node, check_delete_rel, check_status
from graph_service.models import Need, Node, PartyRel, PlainRel, Rel, WeightedRel
from graph_service.need_status import OPEN
from graph_service.postings import DealIn, NeedIn, OfferIn, Posting, node_of
from graph_service.schema import UNDIRECTED, Label, RelType
from graph_service.service import GraphService, stored_node
from graph_service.stores.base import StoredNode

POSTINGS = frozenset({Label.NEED, Label.OFFER})  # what members post and own through POSTED
PROFILES = frozenset({Label.ENTERPRISE, Label.RESEARCHER})  # what members are
# Links a member may make from what they own; every other type is the platform staff's to write.
MEMBER_LINKS = frozenset({RelType.ABOUT, RelType.ACTIVE_IN, RelType.EXPERT_IN, RelType.AFFILIATED_WITH,
                          RelType.LOCATED_IN})


def write_action(label: Label) -> str:
    """What a route writing this kind of entity is guarded by (permissions.RULES)."""
    return "entity.write" if label in POSTINGS | PROFILES else "graph.write"


def link_action(rel_type: RelType) -> str:
    return "entity.write" if rel_type in MEMBER_LINKS else "graph.write"


def read(service: GraphService, actor: Actor, node_id: str) -> StoredNode:
    node = service.get(node_id)
    return visible(actor, node, lambda: owners(service.store, node.id, node.label))


def search(service: GraphService, actor: Actor, text: str, label: Label | None, limit: int) -> list[StoredNode]:
    return visible_all(actor, service.search(text, label, limit), service.projection)


def create(service: GraphService, actor: Actor, label: Label, body: Node | Posting) -> StoredNode:
    if not isinstance(body, NeedIn | OfferIn | DealIn):
        require(actor, "graph.write")
        return service.put_node(label, body, create_only=True)
    node = node_of(body)
    if service.store.labels_of([node.id]):
        raise Conflict(f"id {node.id!r} 已被占用")
    links: list[tuple[RelType, Rel]] = []
    if isinstance(body, DealIn):
        require(actor, "graph.write")
        ids = [p.id for p in body.parties]
        if len(set(ids)) != len(ids):
            raise InvalidInput("同一当事方重复出现", field="parties")
        links += [(RelType.PARTY_TO, PartyRel(src=p.id, dst=node.id, role=p.role)) for p in body.parties]
        links += [(RelType.FULFILS, PlainRel(src=node.id, dst=n)) for n in body.fulfils]
    else:
        poster = body.poster or actor.entity
        if poster is None:
            raise InvalidInput("请指明发布者（poster）", field="poster")
        require(actor, "entity.write", Resource(frozenset({poster})))
        if isinstance(body, NeedIn):
            if service.store.labels_of([poster]).get(poster, Label.ENTERPRISE) != Label.ENTERPRISE:
                raise InvalidInput("需求由企业发布：poster 须为企业", field="poster")
            check_status(service.store, node.id, body.status)
        links.append((RelType.POSTED, PlainRel(src=poster, dst=node.id)))
        links += [(RelType.ABOUT, WeightedRel(src=node.id, dst=f)) for f in dict.fromkeys(body.fields)]
    service.write_graph([(label, node)], links)
    if isinstance(body, NeedIn) and body.status in OPEN:
        open_case(service.store, node.id, actor.username or "system")  # the 保姆式 service takes it in hand
    return stored_node(label, node)


def replace(service: GraphService, actor: Actor, label: Label, node: Node) -> StoredNode:
    existing = service.store.get_node(node.id)
    if existing is None and label in POSTINGS | {Label.DEAL}:
        raise NotFound(f"没有 id 为 {node.id!r} 的{label}；新建请用 POST（同时指明发布者或当事方）")
    if existing is not None and label in POSTINGS | PROFILES:
        require(actor, "entity.write", owners(service.store, node.id, existing.label))
    else:
        require(actor, "graph.write")
    if isinstance(node, Need):
        check_status(service.store, node.id, node.status)
    return service.put_node(label, node, create_only=False)


def delete(service: GraphService, actor: Actor, node_id: str) -> None:
    node = service.get(node_id)
    if node.label in POSTINGS:
        require(actor, "entity.write", owners(service.store, node_id, node.label))
    else:
        require(actor, "graph.write")
    check_delete_node(service.store, node_id, node.label)
    service.delete_node(node_id)


def put_link(service: GraphService, actor: Actor, rel_type: RelType, rel: Rel):
    _require_link(service, actor, rel_type, rel.src)
    check_acyclic(service.store, rel_type, rel.src, rel.dst)
    return service.put_rel(rel_type, rel)


def delete_link(service: GraphService, actor: Actor, rel_type: RelType, src: str, dst: str) -> None:
    if rel_type in UNDIRECTED and src > dst:
        src, dst = dst, src
    _require_link(service, actor, rel_type, src)
    check_delete_rel(service.store, rel_type, src, dst)
    service.delete_rel(rel_type, src, dst)


def _require_link(service: GraphService, actor: Actor, rel_type: RelType, src: str) -> None:
    if rel_type not in MEMBER_LINKS:
        require(actor, "graph.write")
        return
    label = service.store.labels_of([src]).get(src)
    if label is None:
        raise NotFound(f"src: no node with id {src!r}")
    require(actor, "entity.write", owners(service.store, src, label))
