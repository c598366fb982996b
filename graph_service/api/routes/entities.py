"""Entities: read, search by name, create / replace / delete. Write routes are generated per kind so
each has its own typed, documented body and FastAPI's 422 errors carry field paths."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from graph_service.api.deps import ServiceDep
from graph_service.api.schemas import Entity, RelationshipOut
from graph_service.errors import InvalidInput
from graph_service.models import NODE_MODELS, Node
from graph_service.schema import PLURALS, Label, RelType

router = APIRouter(prefix="/api/v1/entities", tags=["entities"])


@router.get("", response_model=list[Entity], summary="Search entities by name (substring)")
def search(service: ServiceDep, q: Annotated[str, Query(min_length=1, max_length=100)],
           label: Label | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[Entity]:
    return [Entity.of(n) for n in service.search(q, label, limit)]


@router.get("/{node_id}", response_model=Entity, summary="Read one entity by id")
def read(node_id: str, service: ServiceDep) -> Entity:
    return Entity.of(service.get(node_id))


@router.get("/{node_id}/relationships", response_model=list[RelationshipOut],
            summary="Relationships of an entity with their properties (from the system of record)")
def relationships(node_id: str, service: ServiceDep, types: Annotated[list[RelType] | None, Query()] = None,
                  direction: Literal["out", "in", "both"] = "both",
                  limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[RelationshipOut]:
    service.get(node_id)  # 404 for an unknown id rather than an empty list
    rels = service.store.relationships(node_id, types, direction, limit)
    return [RelationshipOut(type=r.type, src=r.src, dst=r.dst, properties=r.props) for r in rels]


@router.delete("/{node_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an entity and its relationships")
def delete(node_id: str, service: ServiceDep) -> None:
    service.delete_node(node_id)


def _write_routes(plural: str, label: Label, model: type[Node]) -> None:
    def create(body: model, service: ServiceDep) -> Entity:  # type: ignore[valid-type]
        return Entity.of(service.put_node(label, body, create_only=True))

    def replace(node_id: str, body: model, service: ServiceDep) -> Entity:  # type: ignore[valid-type]
        node: Node = body
        if node.id != node_id:
            raise InvalidInput(f"body id {node.id!r} differs from the id in the path {node_id!r}", field="id")
        return Entity.of(service.put_node(label, node, create_only=False))

    router.add_api_route(f"/{plural}", create, methods=["POST"], response_model=Entity,
                         status_code=status.HTTP_201_CREATED, summary=f"Create a {label}",
                         operation_id=f"create_{plural}")
    router.add_api_route(f"/{plural}/{{node_id}}", replace, methods=["PUT"], response_model=Entity,
                         summary=f"Create or replace a {label}", operation_id=f"replace_{plural}")


for _plural, _label in PLURALS.items():
    _write_routes(_plural, _label, NODE_MODELS[_label])
