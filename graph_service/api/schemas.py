"""Request and response models of the API (kept apart from the domain models)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from graph_service.stores.base import StoredNode


class Health(BaseModel):
    status: str = Field(description="'ok' when the store answers, else 'degraded'")
    store: str = Field(description="kind of system of record: sqlite or neo4j")
    reachable: bool
    projection_nodes: int
    projection_overlay: int = Field(description="writes not yet folded into the CSR arrays")


class Stats(BaseModel):
    nodes: dict[str, int]
    relationships: dict[str, int]
    total_nodes: int
    total_relationships: int


class Entity(BaseModel):
    id: str
    label: str
    name: str
    properties: dict

    @classmethod
    def of(cls, node: StoredNode) -> Entity:
        props = dict(node.props)
        return cls(id=node.id, label=node.label, name=props.pop("name", ""), properties=props)


class EntityRef(BaseModel):
    id: str
    label: str
    name: str

    @classmethod
    def of(cls, node: StoredNode) -> EntityRef:
        return cls(id=node.id, label=node.label, name=node.props.get("name", ""))


class Relationship(BaseModel):
    type: str
    src: str
    dst: str
    weight: float


class RelationshipOut(BaseModel):
    type: str
    src: str
    dst: str
    properties: dict


class Neighbourhood(BaseModel):
    center: EntityRef
    nodes: list[EntityRef]
    relationships: list[Relationship]
    truncated: bool = Field(description="more nodes were reached than `limit`")


class ProjectionInfo(BaseModel):
    nodes: int
    relationships: int
    built_at: float = Field(description="Unix time of the build")


class ConnectionOut(BaseModel):
    connected: bool = Field(description="a path exists within max_hops over the chosen types")
    shortest: list[EntityRef] = Field(description="fewest hops, from a to b")
    shortest_relationships: list[Relationship]
    strongest: list[EntityRef] = Field(description="least total 1/weight among the explored paths")
    strongest_relationships: list[Relationship]
    explored: int = Field(description="nodes the search visited")


class CommunityOut(BaseModel):
    members: list[EntityRef] = Field(description="the node first, then its community")
    neighbourhood: int = Field(description="nodes of the neighbourhood searched")
    communities: int = Field(description="communities found in it")


class CollaboratorOut(BaseModel):
    researcher: EntityRef
    score: float = Field(description="log-odds of a collaboration from the link-prediction model")
    common_coauthors: list[EntityRef] = Field(description="co-authors both already work with")
    shared_fields: list[EntityRef]
    same_institution: bool


class PartnerOut(BaseModel):
    researcher: EntityRef
    score: float = Field(description="the partner model's probability that they sign")
    past_deals: list[EntityRef] = Field(description="deals the enterprise already signed with them")
    via_partners: list[EntityRef] = Field(description="the enterprise's past partners who co-authored with them")
    shared_fields: list[EntityRef] = Field(description="wanted fields they are expert in")
    same_city: bool
    same_circle: bool = Field(description="in a shared economic circle or corridor (成渝, 长三角 G60 ...)")
