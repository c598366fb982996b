"""One case of the 保姆式 service: read it (as each role may), and everything staff do to it; the
enterprise's answers to suggested partners and the researcher's answer to an introduction. The rules are
graph_service.cases'; these routes only say who calls them."""

from typing import Annotated

from fastapi import APIRouter, status

from graph_service.api.case_schemas import (
    AnswerIn,
    AssignIn,
    ClarifyIn,
    FeedbackIn,
    IntroduceIn,
    LogIn,
    MoveIn,
    NextIn,
    OpenCaseIn,
    PromoteIn,
    ShortlistIn,
    SignIn,
)
from graph_service.api.deps import ServiceDep, allow
from graph_service.api.routes.fairs import FairsDep
from graph_service.auth.actor import Actor
from graph_service.auth.permissions import Resource, require
from graph_service.cases import partners as answers
from graph_service.cases.assign import assign
from graph_service.cases.pipeline import log, move, open_case, plan_next
from graph_service.cases.signing import sign
from graph_service.cases.to_fair import promote_case
from graph_service.cases.views import case_view, readable
from graph_service.service import GraphService
from graph_service.stores.cases import CaseRecord

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
Staff = Annotated[Actor, allow("case.work")]


def _view(service: GraphService, actor: Actor, case: CaseRecord) -> dict:
    return case_view(service.store, actor, case, service.store.events(case.id))


def _done(service: GraphService, actor: Actor, case: CaseRecord) -> dict:
    service.catch_up()  # a signature wrote the graph; the projection follows before anyone reads it
    return _view(service, actor, case)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Open the case of a need (one per need)")
def open_(body: OpenCaseIn, service: ServiceDep, actor: Staff) -> dict:
    return _view(service, actor, open_case(service.store, body.need, str(actor.username), body.assignee))


@router.get("/{case_id}", summary="A case with its log: all of it for staff, its own view for the enterprise, "
            "the introduction for a researcher introduced")
def read(case_id: str, service: ServiceDep, actor: Annotated[Actor, allow("case.read")]) -> dict:
    return _view(service, actor, readable(service.store, actor, case_id))


@router.post("/{case_id}/stage", summary="Move the case forward, back (with a reason) or close it (with a reason)")
def stage(case_id: str, body: MoveIn, service: ServiceDep, actor: Staff) -> dict:
    case = move(service.store, case_id, body.stage, str(actor.username), body.expected, body.reason,
                body.close_reason)
    return _view(service, actor, case)


@router.post("/{case_id}/assign", summary="Hand the case to another staff member")
def assign_(case_id: str, body: AssignIn, service: ServiceDep, actor: Staff) -> dict:
    case = assign(service.store, case_id, body.assignee, str(actor.username), body.expected, body.reason)
    return _view(service, actor, case)


@router.post("/{case_id}/clarify", summary="The need as clarified with the enterprise (problem, constraints, "
             "budget, what is confidential)")
def clarify(case_id: str, body: ClarifyIn, service: ServiceDep, actor: Staff) -> dict:
    case = answers.clarify(service.store, case_id, str(actor.username), body.expected, body.problem,
                           body.constraints, body.budget, body.confidential)
    return _view(service, actor, case)


@router.post("/{case_id}/shortlist", summary="Partners chosen from the recommendations, each kept with the "
             "model's reasons")
def shortlist(case_id: str, body: ShortlistIn, service: ServiceDep, actor: Staff) -> dict:
    case = answers.shortlist(service.store, service.partner_recommender(), case_id, body.researchers,
                             str(actor.username), body.expected)
    return _view(service, actor, case)


@router.post("/{case_id}/feedback", summary="Accept or decline a suggested partner, with a reason (a declined "
             "partner is never suggested again for this need)")
def feedback(case_id: str, body: FeedbackIn, service: ServiceDep,
             actor: Annotated[Actor, allow("case.answer")]) -> dict:
    case = readable(service.store, actor, case_id)
    require(actor, "case.answer", Resource(frozenset({case.enterprise})))
    case = answers.feedback(service.store, case_id, body.researcher, body.verdict, str(actor.username),
                            body.reason, body.note)
    return _view(service, actor, case)


@router.post("/{case_id}/introductions", summary="Ask a partner the enterprise accepted whether they agree "
             "to meet")
def introduce(case_id: str, body: IntroduceIn, service: ServiceDep, actor: Staff) -> dict:
    case = answers.introduce(service.store, case_id, body.researcher, str(actor.username), body.expected)
    return _view(service, actor, case)


@router.post("/{case_id}/introductions/{researcher_id}/answer",
             summary="The researcher agrees to meet, or not (staff may record an answer given by phone)")
def answer(case_id: str, researcher_id: str, body: AnswerIn, service: ServiceDep,
           actor: Annotated[Actor, allow("case.reply")]) -> dict:
    readable(service.store, actor, case_id)
    require(actor, "case.reply", Resource(frozenset({researcher_id})))
    case = answers.answer_introduction(service.store, case_id, researcher_id, body.agree, str(actor.username),
                                       body.reason)
    return _view(service, actor, case)


@router.post("/{case_id}/log", status_code=status.HTTP_201_CREATED,
             summary="Log a call, a note, a meeting or a document exchanged (append-only)")
def log_(case_id: str, body: LogIn, service: ServiceDep, actor: Staff) -> dict:
    event = log(service.store, case_id, str(actor.username), body.kind, body.text)
    return {"seq": event.seq, "at": event.at, "kind": event.kind, "text": event.text}


@router.put("/{case_id}/next", summary="The next action and its due date (reminders read them)")
def next_action(case_id: str, body: NextIn, service: ServiceDep, actor: Staff) -> dict:
    case = plan_next(service.store, case_id, str(actor.username), body.expected, body.action, body.due)
    return _view(service, actor, case)


@router.post("/{case_id}/sign", summary="Sign: the deal goes into the graph (its parties, the need it fulfils) "
             "and the case is signed")
def sign_(case_id: str, body: SignIn, service: ServiceDep, actor: Staff) -> dict:
    case = sign(service, case_id, str(actor.username), body.expected, partners=body.partners, kind=body.kind,
                amount=body.amount, when=body.signed_on, name=body.name)
    return _done(service, actor, case)


@router.post("/{case_id}/promote", summary="Take the case to a fair: its need becomes a project, the "
             "researchers who agreed to meet become participants")
def promote(case_id: str, body: PromoteIn, service: ServiceDep, fairs: FairsDep, actor: Staff) -> dict:
    case, added = promote_case(service, fairs.get(body.fair), case_id, str(actor.username))
    return {**_view(service, actor, case), "fair": body.fair, **added}
