"""What the recommendation filters accept: circles, regions and fields (as trees), institution kinds.

Each is public catalogue data; a filter takes an item's id or its name (full or short)."""

from fastapi import APIRouter

from graph_service import catalogue
from graph_service.api.deps import ServiceDep, allow
from graph_service.api.schemas import BranchOut, CircleOut, InstitutionKindOut, NamedRef

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])
PUBLIC = [allow("catalogue.read")]


@router.get("/circles", response_model=list[CircleOut], dependencies=PUBLIC,
            summary="Economic circles and corridors with their member cities (the `circle` filter)")
def circles(service: ServiceDep) -> list[CircleOut]:
    return [CircleOut(id=c.id, name=c.name, members=[NamedRef(id=i, name=n) for i, n in c.members])
            for c in catalogue.circles(service.projection)]


@router.get("/regions", response_model=list[BranchOut], dependencies=PUBLIC,
            summary="Regions as a tree: provinces, cities, districts, zones (the `region` filter)")
def regions(service: ServiceDep) -> list[BranchOut]:
    return [_branch(b) for b in catalogue.regions(service.projection)]


@router.get("/fields", response_model=list[BranchOut], dependencies=PUBLIC,
            summary="Technology fields as a tree: industries and their fields")
def fields(service: ServiceDep) -> list[BranchOut]:
    return [_branch(b) for b in catalogue.fields(service.projection)]


@router.get("/institution-kinds", response_model=list[InstitutionKindOut], dependencies=PUBLIC,
            summary="Institution kinds with their Chinese names (the `institution_kind` filter)")
def institution_kinds() -> list[InstitutionKindOut]:
    return [InstitutionKindOut(code=code, label=label, aliases=aliases)
            for code, label, aliases in catalogue.institution_kinds()]


def _branch(b: catalogue.Branch) -> BranchOut:
    return BranchOut(id=b.id, name=b.name, level=b.level, children=[_branch(c) for c in b.children])
