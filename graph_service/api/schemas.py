"""Request and response models of the API (kept apart from the domain models)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from graph_service.need_status import NeedState, need_state
from graph_service.projection import Projection
from graph_service.schema import Label
from graph_service.stores.base import StoredNode


class Health(BaseModel):
    status: str = Field(description="'ok' when the store answers, else 'degraded'")
    store: str = Field(description="kind of system of record: sqlite or neo4j")
    reachable: bool
    projection_nodes: int
    projection_overlay: int = Field(description="writes not yet folded into the CSR arrays")
    changes_applied: int = Field(description="the store's change feed, applied up to this change (every process "
                                             "of a service shows the same number once caught up)")


class ServedState(BaseModel):
    process: int = Field(description="the operating-system process that answered")
    changes_applied: int
    digests: dict[str, str] = Field(description="projection, deal history and text index, each reduced to a "
                                                "digest: processes that agree serve alike")
    nodes: int
    edges: int
    documents: int


class Stats(BaseModel):
    nodes: dict[str, int]
    relationships: dict[str, int]
    total_nodes: int
    total_relationships: int


class NeedStatusOut(BaseModel):
    status: str = Field(description="as stored: open, matching, signed or closed")
    effective_status: str = Field(description="open, matching, signed, closed, or expired: an open or matching "
                                              "need whose deadline has passed")
    label: str = Field(description="the effective status for people: 开放中, 对接中, 已签约, 已关闭 or 已过期")
    deadline: str | None = Field(description="ISO date, when the need has one")
    offered: bool = Field(description="still offered as open: open or matching, deadline not passed")

    @classmethod
    def of(cls, state: NeedState) -> NeedStatusOut:
        return cls(status=state.status, effective_status=state.effective, label=state.label,
                   deadline=state.deadline.isoformat() if state.deadline else None, offered=state.offered)

    @classmethod
    def of_node(cls, node: StoredNode | None) -> NeedStatusOut | None:
        return cls.of(need_state(node.props)) if node is not None and node.label == Label.NEED else None


class Entity(BaseModel):
    id: str
    label: str
    name: str
    properties: dict
    need_status: NeedStatusOut | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="needs only: the status as of today (a need past its deadline is expired)")

    @classmethod
    def of(cls, node: StoredNode) -> Entity:
        props = dict(node.props)
        name = props.pop("name", "")
        return cls(id=node.id, label=node.label, name=_text(name), properties=_plain_json(props),
                   need_status=NeedStatusOut.of_node(node))


class EntityRef(BaseModel):
    id: str
    label: str
    name: str

    @classmethod
    def of(cls, node: StoredNode) -> EntityRef:
        return cls(id=node.id, label=node.label, name=_text(node.props.get("name", "")))

    @classmethod
    def namer(cls, p: Projection) -> Callable[[str], EntityRef]:
        """One EntityRef per entity a response names, from the projection (no store round trip), made
        once each: a city or a field recurs in many paths, and building the objects was a sixth of a request."""
        refs: dict[str, EntityRef] = {}

        def ref(node_id: str) -> EntityRef:
            found = refs.get(node_id)
            if found is None:
                i = p.index[node_id]
                found = refs[node_id] = cls(id=node_id, label=p.label_of(i), name=p.names[i])
            return found

        return ref


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _plain_json(value: object) -> object:
    """Stored values as JSON can carry them: a non-finite number (stored before the models refused them) as
    null, anything not JSON (a Neo4j date, bytes) as its text; a response must not fail on one odd value."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_json(v) for v in value]
    return str(value)


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
    connected: bool = Field(description="a path exists within max_hops over the searched types")
    shortest: list[EntityRef] = Field(description="fewest hops, from a to b")
    shortest_relationships: list[Relationship]
    strongest: list[EntityRef] = Field(description="least total 1/weight among the explored paths")
    strongest_relationships: list[Relationship]
    explored: int = Field(description="nodes the search visited")
    types: list[str] = Field(description="relationship types searched: every type unless `types` narrowed them")
    max_hops: int = Field(description="the hop limit of the search")
    hops_searched: int = Field(description="levels the two-sided search grew, both sides together")
    examined: int = Field(description="relationship ends the search read")
    stopped: Literal["found", "hop_limit", "explore_limit", "exhausted", "no_relationships"] = Field(
        description="why the search ended: found a path; reached max_hops; reached the exploration limit "
                    "(hubs, see `hubs`); exhausted (a and b are in separate components over these types); "
                    "an endpoint has no relationship of these types (see `isolated`)")
    isolated: list[EntityRef] = Field(description="endpoints with no relationship of the searched types")
    hubs: list[EntityRef] = Field(description="when the exploration limit stopped it, the most connected nodes "
                                              "it could not afford to expand")
    reason: str | None = Field(description="why no path was found, for people (in Chinese); null when found")


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


class PathRel(BaseModel):
    type: str
    src: str
    dst: str


class ExplanationPath(BaseModel):
    kind: str = Field(description="past_deal | partner_coauthor | peer_deal | shared_field | same_city | same_circle")
    nodes: list[EntityRef] = Field(description="the walk, from the asking enterprise (or need) to the candidate")
    relationships: list[PathRel] = Field(description="between consecutive nodes, each as stored (src -> dst)")


class PartnerOut(BaseModel):
    researcher: EntityRef
    score: float = Field(description="the partner model's probability that they sign")
    evidence: int = Field(description="kinds of reasons found: path kinds, plus matching words")
    paths: list[ExplanationPath]
    matched_words: list[str] = Field(description="words of the need found in their expertise, strongest first")


class InstitutionOut(BaseModel):
    institution: EntityRef
    score: float = Field(description="its best suggested researcher's score")
    researchers: list[EntityRef]


class ExposureOut(BaseModel):
    requests: int = Field(description="requests answered since fairness was turned on")
    coverage: float = Field(description="share of everyone who could have been shown that was shown")
    gini: float = Field(description="inequality of exposure over them (0 = even)")
    top_decile_share: float = Field(description="share of all exposure taken by the most exposed 10%")


class PartnersOut(BaseModel):
    enterprise: EntityRef
    need: EntityRef | None
    fields: list[EntityRef] = Field(description="technology fields asked for")
    considered: int = Field(description="candidates the model scored after filters")
    partners: list[PartnerOut]
    institutions: list[InstitutionOut] = Field(description="institutions of the suggested researchers")
    exposure: ExposureOut | None = Field(description="spread of exposure so far, when fairness is on")
    need_status: NeedStatusOut | None = Field(default=None, description="the need's status today, when a need "
                                              "was asked for (partners may be asked for a closed or expired one)")


class FairnessIn(BaseModel):
    strength: float = Field(ge=0.0, le=10.0, description="0 turns fairness off; 0.5 to 2 damp the often shown")


class NeedOut(BaseModel):
    need: EntityRef
    kind: str = Field(description="need, or challenge (揭榜挂帅)")
    enterprise: EntityRef = Field(description="who posted it")
    score: float = Field(description="the partner model's probability that this researcher would sign it")
    paths: list[ExplanationPath]
    matched_words: list[str]
    status: NeedStatusOut = Field(description="the need's status today (only needs still offered are suggested)")


class TeamMemberOut(BaseModel):
    researcher: EntityRef
    score: float
    fields: list[EntityRef] = Field(description="the challenge's fields this member is expert in")


class TieOut(BaseModel):
    a: str
    b: str
    kind: str = Field(description="worked_together (co-authors or co-parties of a deal) or shared_partner")


class TeamOut(BaseModel):
    members: list[TeamMemberOut]
    covered: list[EntityRef]
    uncovered: list[EntityRef]
    ties: list[TieOut]
    objective: float = Field(description="fit plus tie bonuses minus member costs (covered fields count 10 each)")
    optimal: bool = Field(description="CP-SAT proved no better team exists among those not yet proposed")


class TeamsOut(BaseModel):
    need: EntityRef
    fields: list[EntityRef]
    single_cover: list[EntityRef] = Field(description="researchers who alone cover every field")
    teams: list[TeamOut]
    need_status: NeedStatusOut | None = Field(default=None, description="the need's status today")


class NamedRef(BaseModel):
    id: str
    name: str


class CircleOut(BaseModel):
    id: str
    name: str
    members: list[NamedRef] = Field(description="member cities and districts (MEMBER_OF), by id")


class BranchOut(BaseModel):
    """A region or field and everything below it."""

    id: str
    name: str
    level: int | None = Field(description="region: 1 province … 4 zone; field: 1 industry, 2 technology field")
    children: list[BranchOut] = Field(description="regions PART_OF it, or fields SUBFIELD_OF it, by id")


class InstitutionKindOut(BaseModel):
    code: str = Field(description="as stored, e.g. university")
    label: str = Field(description="中文名称, e.g. 大学")
    aliases: list[str] = Field(description="other names the institution_kind filter accepts")
