"""Health and statistics."""

from fastapi import APIRouter

from graph_service.api.deps import ServiceDep, allow
from graph_service.api.schemas import Health, Stats

router = APIRouter(tags=["health"])
PUBLIC = [allow("catalogue.read")]


@router.get("/health", response_model=Health, dependencies=PUBLIC,
            summary="Store kind and reachability")
def health(service: ServiceDep) -> Health:
    reachable = service.store.ping()
    return Health(status="ok" if reachable else "degraded", store=service.store.kind, reachable=reachable,
                  projection_nodes=service.projection.node_count,
                  projection_overlay=service.projection.overlay_size())


@router.get("/api/v1/stats", response_model=Stats, dependencies=PUBLIC,
            summary="Counts of nodes by label and relationships by type")
def stats(service: ServiceDep) -> Stats:
    counts = service.stats()
    return Stats(nodes=counts.nodes, relationships=counts.rels, total_nodes=sum(counts.nodes.values()),
                 total_relationships=sum(counts.rels.values()))
