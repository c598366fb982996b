"""Graph exploration on the in-memory projection."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from graph_service.api.deps import ServiceDep, allow
from graph_service.api.ratelimit import rate_limit
from graph_service.api.schemas import (
    CommunityOut,
    ConnectionOut,
    EntityRef,
    Neighbourhood,
    ProjectionInfo,
    Relationship,
)
from graph_service.explore import Step, community_of, connect, explain
from graph_service.projection import Hop
from graph_service.schema import Label, RelType

router = APIRouter(prefix="/api/v1/graph", tags=["graph"])
PUBLIC = [allow("catalogue.read")]
DirectionQ = Literal["out", "in", "both"]


@router.get("/neighbourhood/{node_id}", response_model=Neighbourhood, dependencies=PUBLIC,
            summary="Nodes and relationships one or two typed hops from a node")
def neighbourhood(
    node_id: str,
    service: ServiceDep,
    types: Annotated[list[RelType] | None, Query(description="first hop types (default: all)")] = None,
    direction: DirectionQ = "both",
    hops: Annotated[int, Query(ge=1, le=2)] = 1,
    types2: Annotated[list[RelType] | None, Query(description="second hop types (default: as first)")] = None,
    direction2: DirectionQ | None = None,
    labels: Annotated[list[Label] | None, Query(description="keep only these labels at the last hop")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> Neighbourhood:
    plan = [Hop(types, direction)]
    if hops == 2:
        plan.append(Hop(types2 or types, direction2 or direction))
    result = service.neighbourhood(node_id, plan, labels, limit)
    return Neighbourhood(
        center=EntityRef.of(result.center), nodes=[EntityRef.of(n) for n in result.nodes],
        relationships=[Relationship(type=e.type, src=e.src, dst=e.dst, weight=e.weight) for e in result.edges],
        truncated=result.truncated)


@router.post("/projection/rebuild", response_model=ProjectionInfo,
             dependencies=[allow("graph.write"), rate_limit("expensive")],
             summary="Rebuild the in-memory projection from the store (after out-of-band loads)")
def rebuild(service: ServiceDep) -> ProjectionInfo:
    p = service.rebuild_projection()
    return ProjectionInfo(nodes=p.node_count, relationships=sum(p.edge_count(t) for t in RelType),
                          built_at=p.built_at)


@router.get("/paths", response_model=ConnectionOut, dependencies=PUBLIC,
            summary="How two entities are connected: shortest (fewest hops) and strongest path",
            description="Searches every relationship type unless `types` narrows it. When nothing is found, "
                        "`stopped`, `reason` and the counts say what was explored and why the search stopped.")
def paths(
    service: ServiceDep,
    a: Annotated[str, Query(description="id of one entity")],
    b: Annotated[str, Query(description="id of the other")],
    types: Annotated[list[RelType] | None, Query(description="relationship types to walk (default: all)")] = None,
    max_hops: Annotated[int, Query(ge=1, le=10)] = 6,
) -> ConnectionOut:
    p = service.projection
    c = connect(p, a, b, types, max_hops)
    ref = EntityRef.namer(p)

    def refs(ids: list[str]) -> list[EntityRef]:
        return [ref(i) for i in ids]

    def rels(steps: list[Step]) -> list[Relationship]:
        return [Relationship(type=st.type, src=st.src, dst=st.dst, weight=st.weight) for st in steps]

    return ConnectionOut(connected=bool(c.shortest), shortest=refs(c.shortest),
                         shortest_relationships=rels(c.shortest_steps), strongest=refs(c.strongest),
                         strongest_relationships=rels(c.strongest_steps), explored=c.explored,
                         types=list(c.types), max_hops=c.max_hops, hops_searched=c.hops, examined=c.examined,
                         stopped=c.stopped, isolated=refs(c.isolated), hubs=refs(c.hubs), reason=explain(p, c))


@router.get("/community/{node_id}", response_model=CommunityOut, dependencies=PUBLIC,
            summary="The node's community (Louvain) in its typed neighbourhood")
def community(
    node_id: str,
    service: ServiceDep,
    types: Annotated[list[RelType] | None, Query(description="default: CO_AUTHOR")] = None,
    radius: Annotated[int, Query(ge=1, le=3)] = 2,
    max_nodes: Annotated[int, Query(ge=10, le=20000)] = 5000,
) -> CommunityOut:
    chosen = tuple(types) if types else (RelType.CO_AUTHOR,)
    c = community_of(service.projection, node_id, chosen, radius, max_nodes)
    ref = EntityRef.namer(service.projection)
    return CommunityOut(members=[ref(i) for i in c.members],
                        neighbourhood=c.neighbourhood, communities=c.communities)
