"""Health and statistics."""

import os

from fastapi import APIRouter

from graph_service.api.deps import ServiceDep, allow
from graph_service.api.ratelimit import rate_limit
from graph_service.api.schemas import Health, ServedState, Stats

router = APIRouter(tags=["health"])
PUBLIC = [allow("catalogue.read")]


@router.get("/health", response_model=Health, dependencies=PUBLIC,
            summary="Store kind and reachability")
def health(service: ServiceDep) -> Health:
    reachable = service.store.ping()
    return Health(status="ok" if reachable else "degraded", store=service.store.kind, reachable=reachable,
                  projection_nodes=service.projection.node_count,
                  projection_overlay=service.projection.overlay_size(), changes_applied=service.seq)


@router.get("/api/v1/health/state", response_model=ServedState,
            dependencies=[allow("service.inspect"), rate_limit("expensive")],
            summary="What this process serves from: digests of its projection, deal history and text index")
def served_state(service: ServiceDep) -> ServedState:
    seq, found = service.state_digest()
    return ServedState(process=os.getpid(), changes_applied=seq, digests=found.parts(), nodes=found.nodes,
                       edges=found.edges, documents=found.documents)


@router.get("/api/v1/stats", response_model=Stats, dependencies=PUBLIC,
            summary="Counts of nodes by label and relationships by type")
def stats(service: ServiceDep) -> Stats:
    counts = service.stats()
    return Stats(nodes=counts.nodes, relationships=counts.rels, total_nodes=sum(counts.nodes.values()),
                 total_relationships=sum(counts.rels.values()))
