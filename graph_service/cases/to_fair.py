"""A case goes to a fair: its need becomes one of the fair's projects (its enterprise registered as the
presenter) and the researchers who agreed to meet become participants, so the organiser can plan the
meeting; the case's log says which fair."""

from __future__ import annotations

from graph_service.cases.partners import agreed
from graph_service.cases.pipeline import get_case
from graph_service.cases.stages import TERMINAL, Stage
from graph_service.errors import InvalidInput
from graph_service.fair.promote import promote
from graph_service.fair.workspace import Fair
from graph_service.service import GraphService
from graph_service.stores.cases import CaseEvent, CaseRecord


def promote_case(service: GraphService, fair: Fair, case_id: str, actor: str) -> tuple[CaseRecord, dict]:
    store = service.store
    case = get_case(store, case_id)
    if Stage(case.stage) in TERMINAL:
        raise InvalidInput("已签约或已关闭的案件不能推荐到科创会", field="stage")
    nodes = [case.need, *agreed(case)]
    added = fair.edit(lambda instance: promote(instance, service.projection, store, nodes))
    event = CaseEvent(case_id, "promote", actor, f"作为项目推荐至科创会 {fair.id}", {"fair": fair.id, **added})
    store.add_event(event)
    return get_case(store, case_id), added
