"""Random graph writes on the tiny market for property tests: create, replace, delete, re-create with the
same id, and relationships of every type, each applied in process or over HTTP (as a staff member)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.models import NODE_MODELS, REL_MODELS
from graph_service.schema import ENDPOINTS, PLURALS, Label, RelType
from graph_service.service import GraphService

# A few ids of the tiny market per label, and a few new ones: writes hit existing and new nodes alike.
POOLS: dict[Label, list[str]] = {
    Label.RESEARCHER: ["R0000001", "R0000002", "R0000211", "R9000001", "R9000002"],
    Label.ENTERPRISE: ["E000001", "E000002", "E9000001"],
    Label.NEED: ["N0000001", "N0000002", "N9000001"],
    Label.OFFER: ["O9000001"],
    Label.DEAL: ["D0000001", "D9000001"],
    Label.FIELD: ["F0203", "F0101"],
    Label.REGION: ["RG0017", "RG0022"],
    Label.CIRCLE: ["C01"],
    Label.INSTITUTION: ["I000027"],
}
WRITABLE = (Label.RESEARCHER, Label.ENTERPRISE, Label.NEED, Label.OFFER, Label.DEAL)
WORDS = ["储氢材料", "燃料电池", "加氢站", "锂电池", "人工智能", "集成电路", "白酒酿造", "稀土", "新材料", "机器人"]
_PLURAL = {label: plural for plural, label in PLURALS.items()}


@dataclass(frozen=True)
class Write:
    op: str  # node | delete_node | rel | delete_rel
    label: Label | None = None
    id: str = ""
    body: tuple = ()  # (key, value) pairs of a node's properties or a relationship's
    rel_type: RelType | None = None
    src: str = ""
    dst: str = ""


def _node_body(label: Label, node_id: str, words: list[str], n: int) -> dict:
    text = "、".join(words) or "技术合作"
    return {
        Label.RESEARCHER: {"name": f"研究者{n}", "expertise": text},
        Label.ENTERPRISE: {"name": f"企业{n}", "tier": "专精特新", "industry": "新能源", "size": "small"},
        Label.NEED: {"name": f"需求{n}", "kind": "need", "text": text, "status": "open"},
        Label.OFFER: {"name": f"成果{n}", "kind": "capability", "text": text},
        Label.DEAL: {"name": f"合同{n}", "kind": "development", "date": f"{2014 + n % 12}-05-01"},
    }[label] | {"id": node_id}


def _rel_body(rel_type: RelType, n: int) -> dict:
    fields = REL_MODELS[rel_type].model_fields
    body: dict = {}
    if "weight" in fields:
        body["weight"] = 1.0 + n if rel_type == RelType.CO_AUTHOR else round(0.1 + (n % 9) / 10, 1)
    if "role" in fields:
        body["role"] = "client" if n % 2 else "provider"
    return body


@st.composite
def writes(draw) -> Write:
    op = draw(st.sampled_from(["node", "node", "delete_node", "rel", "rel", "rel", "delete_rel"]))
    n = draw(st.integers(0, 99))
    if op in ("node", "delete_node"):
        label = draw(st.sampled_from(WRITABLE))
        node_id = draw(st.sampled_from(POOLS[label]))
        words = draw(st.lists(st.sampled_from(WORDS), max_size=3))
        return Write(op, label, node_id, tuple(_node_body(label, node_id, words, n).items()))
    rel_type = draw(st.sampled_from(list(RelType)))
    sources, targets = ENDPOINTS[rel_type]
    src = draw(st.sampled_from([i for label in sorted(sources) for i in POOLS[label]]))
    dst = draw(st.sampled_from([i for label in sorted(targets) for i in POOLS[label] if i != src]))
    return Write(op, rel_type=rel_type, src=src, dst=dst, body=tuple(_rel_body(rel_type, n).items()))


def apply_write(service: GraphService, w: Write) -> None:
    """In process, straight to the service (no permission or integrity rules: the feed must follow any write)."""
    try:
        if w.op == "node":
            assert w.label is not None
            service.put_node(w.label, NODE_MODELS[w.label](**dict(w.body)), create_only=False)
        elif w.op == "delete_node":
            service.delete_node(w.id)
        elif w.op == "rel":
            assert w.rel_type is not None
            service.put_rel(w.rel_type, REL_MODELS[w.rel_type](src=w.src, dst=w.dst, **dict(w.body)))
        else:
            assert w.rel_type is not None
            service.delete_rel(w.rel_type, w.src, w.dst)
    except (NotFound, Conflict, InvalidInput):
        pass  # an endpoint deleted before, a label an id does not have: refused, nothing written


def send_write(client, w: Write) -> int:
    """Over HTTP through the public routes; the status code (refusals are part of the sequence)."""
    if w.op == "node":
        assert w.label is not None
        plural, body = _PLURAL[w.label], dict(w.body)
        r = client.put(f"/api/v1/entities/{plural}/{w.id}", json=body)
        if r.status_code == 404:  # needs, offers and deals are created with their links
            links = {Label.NEED: {"poster": "E000001"}, Label.OFFER: {"poster": "R0000002"},
                     Label.DEAL: {"parties": [{"id": "E000002", "role": "client"},
                                              {"id": "R0000002", "role": "provider"}]}}
            r = client.post(f"/api/v1/entities/{plural}", json=body | links.get(w.label, {}))
        return r.status_code
    if w.op == "delete_node":
        return client.delete(f"/api/v1/entities/{w.id}").status_code
    assert w.rel_type is not None
    url = f"/api/v1/relationships/{w.rel_type.value}"
    if w.op == "rel":
        return client.put(url, json={"src": w.src, "dst": w.dst, **dict(w.body)}).status_code
    return client.delete(url, params={"src": w.src, "dst": w.dst}).status_code
