"""Recommendations. Each suggestion carries its reasons as typed entities."""

from typing import Annotated

from fastapi import APIRouter, Query

from graph_service.api.deps import ServiceDep
from graph_service.api.schemas import CollaboratorOut, EntityRef

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
