"""What is created in one request with the links that give it meaning: a need or offer with its poster
and fields, a deal with its parties and the needs it answers. Ids are assigned by the server when not given."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field

from graph_service.models import STRICT, Deal, EntityId, Need, Node, Offer, PartyRole

Fields = Annotated[list[EntityId], Field(max_length=20, description="ids of Field nodes it is about (ABOUT)")]


class _Posted(BaseModel):
    poster: EntityId | None = Field(None, description="who posts it (POSTED); default: the signed-in member's "
                                                      "enterprise or researcher")
    fields: Fields = []


class NeedIn(Need, _Posted):
    model_config = STRICT
    id: EntityId | None = Field(None, description="assigned by the server when not given")


class OfferIn(Offer, _Posted):
    model_config = STRICT
    id: EntityId | None = Field(None, description="assigned by the server when not given")


class PartyIn(BaseModel):
    model_config = STRICT
    id: EntityId
    role: PartyRole


class DealIn(Deal):
    model_config = STRICT
    id: EntityId | None = Field(None, description="assigned by the server when not given")
    parties: Annotated[list[PartyIn], Field(min_length=2, max_length=50, description="at least two, distinct")]
    fulfils: Annotated[list[EntityId], Field(max_length=50, description="needs it answers (FULFILS)")] = []


Posting = NeedIn | OfferIn | DealIn
_PREFIX = {NeedIn: "need", OfferIn: "offer", DealIn: "deal"}
_DOMAIN: dict[type, type[Node]] = {NeedIn: Need, OfferIn: Offer, DealIn: Deal}
_LINKS = ("poster", "fields", "parties", "fulfils")


def node_of(body: Posting) -> Node:
    """The node itself, with its id given or a new one."""
    values = body.model_dump(exclude=set(_LINKS), exclude_none=True)
    values["id"] = body.id or f"{_PREFIX[type(body)]}-{uuid.uuid4().hex[:12]}"
    return _DOMAIN[type(body)](**values)
