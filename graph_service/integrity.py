"""Rules that keep the graph meaningful, checked before a write through the API reaches the store:
hierarchies stay acyclic, a deal keeps at least two parties, a need or offer keeps its poster, an entity
that deals name is not deleted, a need is `signed` only when a deal fulfils it."""

from __future__ import annotations

from graph_service.errors import Conflict, InvalidInput
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphReader

HIERARCHIES = frozenset({RelType.PART_OF, RelType.SUBFIELD_OF})
MIN_PARTIES = 2


def check_acyclic(store: GraphReader, rel_type: RelType, src: str, dst: str) -> None:
    """(src)-[PART_OF]->(dst) must not close a loop: dst may not be src, nor lie below src."""
    if rel_type not in HIERARCHIES:
        return
    if src == dst:
        raise InvalidInput(f"{src!r} 不能是自身的上级", field="dst")
    seen, frontier = {dst}, [dst]
    while frontier:  # up from dst: hierarchies are a few levels deep
        above = [r.dst for node in frontier for r in store.relationships(node, [rel_type], "out")]
        if src in above:
            raise Conflict(f"{rel_type} {src!r} → {dst!r} 会形成环：{dst!r} 已经在 {src!r} 之下")
        frontier = [n for n in above if n not in seen]
        seen.update(frontier)


def check_delete_node(store: GraphReader, node_id: str, label: str) -> None:
    if label == Label.DEAL:  # deleting a deal removes its parties' links with it, explicitly...
        for r in store.relationships(node_id, [RelType.FULFILS], "out", limit=1000):
            _unsigned_first(store, r.dst)  # ...but a need it made `signed` must not stay so without it
        return
    posted = store.relationships(node_id, [RelType.POSTED], "out", limit=1000)
    if posted:
        raise Conflict(f"{node_id!r} 发布了 {len(posted)} 项需求或成果（{posted[0].dst} 等），不能删除；"
                       "请先删除这些需求或成果")
    named = store.relationships(node_id, [RelType.PARTY_TO], "out", limit=1000)
    fulfilled = store.relationships(node_id, [RelType.FULFILS], "in", limit=1000) if label == Label.NEED else []
    deals = sorted({r.dst for r in named} | {r.src for r in fulfilled})
    if deals:
        shown = "、".join(deals[:5]) + (" 等" if len(deals) > 5 else "")
        raise Conflict(f"{node_id!r} 被 {len(deals)} 项成交引用（{shown}），不能删除；请先删除或修改这些成交")


def check_delete_rel(store: GraphReader, rel_type: RelType, src: str, dst: str) -> None:
    if rel_type == RelType.PARTY_TO:
        parties = store.relationships(dst, [RelType.PARTY_TO], "in", limit=MIN_PARTIES + 1)
        if len(parties) <= MIN_PARTIES:
            raise Conflict(f"成交 {dst!r} 至少要有 {MIN_PARTIES} 个当事方，不能再移除 {src!r}")
    if rel_type == RelType.FULFILS:
        _unsigned_first(store, dst)
    if rel_type == RelType.POSTED:
        posters = store.relationships(dst, [RelType.POSTED], "in", limit=2)
        if len(posters) <= 1:
            raise Conflict(f"{dst!r} 必须保留发布者；要撤下它，请删除 {dst!r} 本身")


def check_status(store: GraphReader, need_id: str, status: str) -> None:
    if status == "signed" and not store.relationships(need_id, [RelType.FULFILS], "in", limit=1):
        raise InvalidInput("只有已有成交（FULFILS）对应的需求才能标记为 signed", field="status")


def _unsigned_first(store: GraphReader, need_id: str) -> None:
    need = store.get_node(need_id)
    if need is not None and need.props.get("status") == "signed":
        raise Conflict(f"需求 {need_id!r} 已标记为 signed，且由该成交对应；请先修改该需求的状态")
