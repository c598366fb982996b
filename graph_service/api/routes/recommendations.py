"""Recommendations. Each suggestion carries its reasons as typed entities."""

from typing import Annotated

from fastapi import APIRouter, Query

from graph_service.api.deps import ServiceDep
from graph_service.api.schemas import CollaboratorOut, EntityRef, PartnerOut

router = APIRouter(prefix="/api/v1/recommendations", tags=["recommendations"])


@router.get("/collaborators/{researcher_id}", response_model=list[CollaboratorOut],
            summary="Researchers likely to collaborate next with this one (co-authorship link prediction)")
def collaborators(researcher_id: str, service: ServiceDep,
                  top_k: Annotated[int, Query(ge=1, le=100)] = 10) -> list[CollaboratorOut]:
    found = service.collaborators(researcher_id, top_k)
    ids = {i for s in found for i in (s.id, *s.common_coauthors, *s.shared_fields)}
    nodes = service.store.get_nodes(list(ids))

    def ref(i: str) -> EntityRef:
        return EntityRef.of(nodes[i])

    return [CollaboratorOut(researcher=ref(s.id), score=s.score, common_coauthors=[ref(i) for i in s.common_coauthors],
                            shared_fields=[ref(i) for i in s.shared_fields], same_institution=s.same_institution)
            for s in found if s.id in nodes]


@router.get("/partners", response_model=list[PartnerOut],
            summary="Researchers to partner with, for an enterprise or one of its needs, with the reasons")
def partners(service: ServiceDep, enterprise: str | None = None, need: str | None = None,
             top_k: Annotated[int, Query(ge=1, le=100)] = 10, exclude_known: bool = False) -> list[PartnerOut]:
    found = service.partners(enterprise, need, top_k, exclude_known)
    ids = {i for s in found for i in (s.id, *s.past_deals, *s.via_partners, *s.shared_fields)}
    nodes = service.store.get_nodes(list(ids))

    def refs(items: list[str]) -> list[EntityRef]:
        return [EntityRef.of(nodes[i]) for i in items if i in nodes]

    return [PartnerOut(researcher=EntityRef.of(nodes[s.id]), score=s.score, past_deals=refs(s.past_deals),
                       via_partners=refs(s.via_partners), shared_fields=refs(s.shared_fields),
                       same_city=s.same_city, same_circle=s.same_circle) for s in found if s.id in nodes]
