"""A tiny market with one account per role, signed in through the real token route: what the role matrix
and the privacy tests act as. `own` is what the enterprise member and the researcher own; `other` is an
enterprise member of another enterprise."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from graph_service.models import Deal, Need, Offer, PartyRel, PlainRel, WeightedRel
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from tests.conftest import sign_in

ACTORS = ("anonymous", "admin", "staff", "organiser", "enterprise", "other", "researcher")
SECRET = {"budget": 880.0, "contact": "王经理 028-12345678", "detail": "保密：现有产线良率仅 61%"}


@dataclass
class World:
    client: TestClient
    headers: dict[str, dict[str, str]]  # actor -> bearer headers ({} for anonymous)
    enterprise: str  # the enterprise member's enterprise
    other_enterprise: str
    need: str  # a need its enterprise posted, with private parts
    researcher: str
    offer: str  # an offer the researcher posted
    deal: str  # a deal with the enterprise and the researcher as parties, with an amount
    field: str
    region: str
    institution: str

    def call(self, actor: str, method: str, url: str, headers: dict | None = None, **kwargs: object):
        return self.client.request(method, url, headers={**self.headers[actor], **(headers or {})}, **kwargs)


def _first(store: GraphStore, label: Label) -> str:
    return next(row[1] for batch in store.scan_nodes(label, ()) for row in batch)


def make_world(client: TestClient) -> World:
    store: GraphStore = client.app.state.service.store
    service = client.app.state.service
    enterprises = [row[1] for batch in store.scan_nodes(Label.ENTERPRISE, ()) for row in batch]
    enterprise, other = enterprises[0], enterprises[1]
    researcher = _first(store, Label.RESEARCHER)
    field, region = _first(store, Label.FIELD), _first(store, Label.REGION)
    institution = _first(store, Label.INSTITUTION)
    need = Need(id="N-private", name="高纯度晶圆清洗工艺", kind="need", text="寻求晶圆清洗工艺合作", **SECRET)
    offer_node = Offer(id="O-own", name="等离子体清洗技术", kind="capability", text="等离子体表面处理")
    deal = Deal(id="D-private", name="清洗工艺开发合同", kind="development", date="2025-03-01", amount=120.0)
    service.write_graph(
        [(Label.NEED, need), (Label.OFFER, offer_node), (Label.DEAL, deal)],
        [(RelType.POSTED, PlainRel(src=enterprise, dst=need.id)), (RelType.POSTED, PlainRel(src=researcher,
                                                                                             dst=offer_node.id)),
         (RelType.ABOUT, WeightedRel(src=need.id, dst=field)),
         (RelType.PARTY_TO, PartyRel(src=enterprise, dst=deal.id, role="client")),
         (RelType.PARTY_TO, PartyRel(src=researcher, dst=deal.id, role="provider"))])
    headers = {"anonymous": {}, "admin": sign_in(client, "admin"), "staff": sign_in(client, "staff"),
               "organiser": sign_in(client, "organiser"), "enterprise": sign_in(client, "enterprise", enterprise),
               "other": sign_in(client, "enterprise", other), "researcher": sign_in(client, "researcher", researcher)}
    return World(client, headers, enterprise, other, need.id, researcher, offer_node.id, deal.id, field, region,
                 institution)
