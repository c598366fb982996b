"""Entities: read, search by name, create / replace / delete. Write routes are generated per kind so
each has its own typed, documented body and FastAPI's 422 errors carry field paths. Who may do what,
and what each caller sees, is graph_service.entities'."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from graph_service import entities as acts
from graph_service.api.audit import note
from graph_service.api.deps import ServiceDep, allow
from graph_service.api.schemas import Entity, RelationshipOut
from graph_service.auth.actor import Actor
from graph_service.errors import InvalidInput
from graph_service.models import NODE_MODELS, Node
from graph_service.postings import DealIn, NeedIn, OfferIn
from graph_service.schema import PLURALS, Label, RelType

router = APIRouter(prefix="/api/v1/entities", tags=["entities"])
Reader = Annotated[Actor, allow("catalogue.read")]
_CREATE_BODY: dict[Label, type] = {Label.NEED: NeedIn, Label.OFFER: OfferIn, Label.DEAL: DealIn}


@router.get("", response_model=list[Entity], summary="Search entities by name (substring)")
def search(service: ServiceDep, actor: Reader, q: Annotated[str, Query(min_length=1, max_length=100)],
           label: Label | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[Entity]:
    return [Entity.of(n) for n in acts.search(service, actor, q, label, limit)]


@router.get("/{node_id}", response_model=Entity, summary="Read one entity by id (private parts for their owners)")
def read(node_id: str, service: ServiceDep, actor: Reader) -> Entity:
    return Entity.of(acts.read(service, actor, node_id))


@router.get("/{node_id}/relationships", response_model=list[RelationshipOut],
            summary="Relationships of an entity with their properties (from the system of record)",
            dependencies=[allow("catalogue.read")])
def relationships(node_id: str, service: ServiceDep, types: Annotated[list[RelType] | None, Query()] = None,
                  direction: Literal["out", "in", "both"] = "both",
                  limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[RelationshipOut]:
    service.get(node_id)  # 404 for an unknown id rather than an empty list
    rels = service.store.relationships(node_id, types, direction, limit)
    return [RelationshipOut(type=r.type, src=r.src, dst=r.dst, properties=r.props) for r in rels]


@router.delete("/{node_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an entity and its relationships (refused while deals name it)")
def delete(node_id: str, service: ServiceDep, actor: Annotated[Actor, allow("entity.write")]) -> None:
    acts.delete(service, actor, node_id)


def _write_routes(plural: str, label: Label, model: type[Node]) -> None:
    guard = allow(acts.write_action(label))
    body_model = _CREATE_BODY.get(label, model)

    def create(body: body_model, service: ServiceDep, actor: Annotated[Actor, guard],  # type: ignore
               request: Request) -> Entity:
        created = acts.create(service, actor, label, body)
        note(request, target=f"/api/v1/entities/{created.id}")  # the id the server may have chosen
        return Entity.of(created)

    def replace(node_id: str, body: model, service: ServiceDep,  # type: ignore[valid-type]
                actor: Annotated[Actor, guard]) -> Entity:
        node: Node = body
        if node.id != node_id:
            raise InvalidInput(f"body id {node.id!r} differs from the id in the path {node_id!r}", field="id")
        return Entity.of(acts.replace(service, actor, label, node))

    router.add_api_route(f"/{plural}", create, methods=["POST"], response_model=Entity,
                         status_code=status.HTTP_201_CREATED, summary=f"Create a {label}",
                         operation_id=f"create_{plural}")
    router.add_api_route(f"/{plural}/{{node_id}}", replace, methods=["PUT"], response_model=Entity,
                         summary=f"Create or replace a {label}" if label not in _CREATE_BODY else f"Replace a {label}",
                         operation_id=f"replace_{plural}")


for _plural, _label in PLURALS.items():
    _write_routes(_plural, _label, NODE_MODELS[_label])
