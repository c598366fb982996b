"""Recommendations. Each suggestion carries its reasons as typed entities."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query

from graph_service.api.deps import ServiceDep, allow
from graph_service.api.ratelimit import rate_limit
from graph_service.api.schemas import (
    CollaboratorOut,
    EntityRef,
    ExplanationPath,
    ExposureOut,
    FairnessIn,
    InstitutionOut,
    NeedOut,
    NeedStatusOut,
    PartnerOut,
    PartnersOut,
    PathRel,
    TeamMemberOut,
    TeamOut,
    TeamsOut,
    TieOut,
)
from graph_service.auth.actor import Actor
from graph_service.auth.ownership import owners_in
from graph_service.auth.permissions import Resource, require
from graph_service.recommend.needs import needs_for
from graph_service.recommend.partner_service import Filters, Path_
from graph_service.recommend.teams import teams_for
from graph_service.service import GraphService

router = APIRouter(prefix="/api/v1/recommendations", tags=["recommendations"])
# Recommendations for a need or an enterprise are its members' and staff's; for a researcher, theirs and staff's.
# Ownership is read from the projection the recommendation itself reads.
ForEnterprise = Annotated[Actor, allow("recommend.enterprise")]
LIMITED = [rate_limit("recommend")]
ForResearcher = Annotated[Actor, allow("recommend.researcher")]


def _own(actor: Actor, action: str, service: GraphService, *node_ids: str | None) -> None:
    p = service.projection
    for node_id in filter(None, node_ids):
        i = p.index.get(node_id)
        require(actor, action, owners_in(p, node_id, p.label_of(i)) if i is not None else Resource())


@router.get("/collaborators/{researcher_id}", response_model=list[CollaboratorOut], dependencies=LIMITED,
            summary="Researchers likely to collaborate next with this one (co-authorship link prediction)")
def collaborators(researcher_id: str, service: ServiceDep, actor: ForResearcher,
                  top_k: Annotated[int, Query(ge=1, le=100)] = 10) -> list[CollaboratorOut]:
    _own(actor, "recommend.researcher", service, researcher_id)
    found = service.collaborators(researcher_id, top_k)
    ref = EntityRef.namer(service.projection)
    return [CollaboratorOut(researcher=ref(s.id), score=s.score, common_coauthors=[ref(i) for i in s.common_coauthors],
                            shared_fields=[ref(i) for i in s.shared_fields], same_institution=s.same_institution)
            for s in found]


@router.get("/partners", response_model=PartnersOut, dependencies=LIMITED,
            summary="Researchers and institutions to partner with, for an enterprise or one of its needs",
            description="Each researcher comes with the graph paths behind the suggestion (typed nodes and "
                        "relationships) and the words of the need that matched their expertise. A brand-new "
                        "need with no links is matched by its text.")
async def partners(service: ServiceDep, actor: ForEnterprise, enterprise: str | None = None, need: str | None = None,
             text: Annotated[str, Query(max_length=2000, description="extra words to match")] = "",
             top_k: Annotated[int, Query(ge=1, le=100)] = 10,
             region: Annotated[str | None, Query(description="only candidates located in this region or below it: "
                                                 "id or name (成都市, 成都); GET /api/v1/catalogue/regions")] = None,
             circle: Annotated[str | None, Query(description="only candidates in this economic circle: id or name "
                                                 "(成渝, 成渝地区双城经济圈); GET /api/v1/catalogue/circles")] = None,
             institution_kind: Annotated[str | None, Query(description="code or name (university, 大学); "
                                                           "GET /api/v1/catalogue/institution-kinds")] = None,
             min_evidence: Annotated[int, Query(ge=0, le=7)] = 0,
             exclude_partners: bool = False) -> PartnersOut:
    _own(actor, "recommend.enterprise", service, enterprise, need)
    filters = Filters(region, circle, institution_kind, min_evidence, exclude_partners)
    result, exposure = service.partners(enterprise, need, top_k, filters, text)
    p = service.projection
    q = result.query
    ref = EntityRef.namer(service.projection)
    return PartnersOut(
        enterprise=ref(p.ids[q.enterprise]), need=ref(p.ids[q.need]) if q.need >= 0 else None,
        fields=[ref(p.ids[f]) for f in q.fields.tolist()], considered=result.considered,
        partners=[PartnerOut(researcher=ref(s.id), score=s.score, evidence=s.evidence, matched_words=s.matched_words,
                             paths=_paths(s.paths, ref))
                  for s in result.suggestions],
        institutions=[InstitutionOut(institution=ref(i.id), score=i.score, researchers=[ref(r) for r in i.researchers])
                      for i in result.institutions],
        exposure=None if exposure is None else ExposureOut(requests=service.exposure.requests, **vars(exposure)),
        need_status=NeedStatusOut.of_node(service.store.get_node(p.ids[q.need])) if q.need >= 0 else None)


@router.get("/needs/{researcher_id}", response_model=list[NeedOut], dependencies=LIMITED,
            summary="Open needs and 揭榜挂帅 challenges that fit a researcher, with the reasons")
def needs(researcher_id: str, service: ServiceDep, actor: ForResearcher,
          top_k: Annotated[int, Query(ge=1, le=100)] = 10, challenges_only: bool = False) -> list[NeedOut]:
    _own(actor, "recommend.researcher", service, researcher_id)
    found = needs_for(service.partner_recommender(), researcher_id, top_k, challenges_only)
    ref = EntityRef.namer(service.projection)
    return [NeedOut(need=ref(s.id), kind=s.kind, enterprise=ref(s.enterprise), score=s.score,
                    paths=_paths(s.paths, ref), matched_words=s.matched_words, status=NeedStatusOut.of(s.state))
            for s in found]


@router.get("/teams/{need_id}", response_model=TeamsOut, dependencies=LIMITED,
            summary="Small teams (2-4) whose expertise together covers a challenge's fields (CP-SAT)")
def teams(need_id: str, service: ServiceDep, actor: ForEnterprise, count: Annotated[int, Query(ge=1, le=10)] = 3,
          min_size: Annotated[int, Query(ge=1, le=6)] = 2, max_size: Annotated[int, Query(ge=1, le=6)] = 4) -> TeamsOut:
    _own(actor, "recommend.enterprise", service, need_id)
    answer = teams_for(service.partner_recommender(), need_id, count, min_size, max_size)
    ref = EntityRef.namer(service.projection)
    return TeamsOut(need=ref(need_id), fields=[ref(f) for f in answer.fields],
                    single_cover=[ref(i) for i in answer.single_cover],
                    teams=[TeamOut(members=[TeamMemberOut(researcher=ref(m.id), score=m.score,
                                                         fields=[ref(f) for f in m.fields]) for m in t.members],
                                   covered=[ref(f) for f in t.covered], uncovered=[ref(f) for f in t.uncovered],
                                   ties=[TieOut(a=x.a, b=x.b, kind=x.kind) for x in t.ties],
                                   objective=t.objective, optimal=t.optimal) for t in answer.teams],
                    need_status=NeedStatusOut.of_node(service.store.get_node(need_id)))


def _paths(paths: list[Path_], ref: Callable[[str], EntityRef]) -> list[ExplanationPath]:
    return [ExplanationPath(kind=path.kind, nodes=[ref(i) for i in path.nodes],
                            relationships=[PathRel(type=t, src=a, dst=b) for t, a, b in path.rels]) for path in paths]


@router.put("/fairness", response_model=FairnessIn, dependencies=[allow("fairness.manage")],
            summary="Turn exposure fairness on (strength > 0) or off; "
            "resets the exposure counted so far")
def set_fairness(body: FairnessIn, service: ServiceDep) -> FairnessIn:
    service.set_fairness(body.strength)
    return body


@router.get("/fairness", response_model=ExposureOut, dependencies=[allow("fairness.manage")],
            summary="How exposure has spread since fairness was turned on")
def fairness(service: ServiceDep) -> ExposureOut:
    return ExposureOut(requests=service.exposure.requests, **vars(service.exposure.report()))
