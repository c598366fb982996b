"""Relationships: create or replace, delete. One typed route per relationship type; who may write which
type, and the graph's integrity rules, are graph_service.entities'."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from graph_service import entities as acts
from graph_service.api.deps import ServiceDep, allow
from graph_service.api.schemas import Relationship
from graph_service.auth.actor import Actor
from graph_service.models import REL_MODELS, Rel
from graph_service.schema import RelType

router = APIRouter(prefix="/api/v1/relationships", tags=["relationships"])


def _routes(rel_type: RelType, model: type[Rel]) -> None:
    guard = allow(acts.link_action(rel_type))

    def put(body: model, service: ServiceDep, actor: Annotated[Actor, guard]) -> Relationship:  # type: ignore
        edge = acts.put_link(service, actor, rel_type, body)
        return Relationship(type=edge.type, src=edge.src, dst=edge.dst, weight=edge.weight)

    def delete(service: ServiceDep, actor: Annotated[Actor, guard], src: Annotated[str, Query(max_length=64)],
               dst: Annotated[str, Query(max_length=64)]) -> None:
        acts.delete_link(service, actor, rel_type, src, dst)

    router.add_api_route(f"/{rel_type.value}", put, methods=["PUT"], response_model=Relationship,
                         summary=f"Create or replace a {rel_type} relationship",
                         operation_id=f"put_{rel_type.value.lower()}")
    router.add_api_route(f"/{rel_type.value}", delete, methods=["DELETE"], status_code=status.HTTP_204_NO_CONTENT,
                         summary=f"Delete a {rel_type} relationship", operation_id=f"delete_{rel_type.value.lower()}")


for _type, _model in REL_MODELS.items():
    _routes(_type, _model)
