"""Relationships: create or replace, delete. One typed route per relationship type."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from graph_service.api.deps import ServiceDep
from graph_service.api.schemas import Relationship
from graph_service.models import REL_MODELS, Rel
from graph_service.schema import RelType

router = APIRouter(prefix="/api/v1/relationships", tags=["relationships"])


@router.delete("/{rel_type}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete one relationship")
def delete(rel_type: RelType, service: ServiceDep, src: Annotated[str, Query()], dst: Annotated[str, Query()]) -> None:
    service.delete_rel(rel_type, src, dst)


def _put_route(rel_type: RelType, model: type[Rel]) -> None:
    def put(body: model, service: ServiceDep) -> Relationship:  # type: ignore[valid-type]
        edge = service.put_rel(rel_type, body)
        return Relationship(type=edge.type, src=edge.src, dst=edge.dst, weight=edge.weight)

    router.add_api_route(f"/{rel_type.value}", put, methods=["PUT"], response_model=Relationship,
                         summary=f"Create or replace a {rel_type} relationship",
                         operation_id=f"put_{rel_type.value.lower()}")


for _type, _model in REL_MODELS.items():
    _put_route(_type, _model)
