"""The two modes feed each other, on each store: a fair's outcomes open or advance cases (never backwards,
a closed case only noted unless the fair signed it), and a case goes to a fair as a project."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from graph_service.cases.fair_link import FairResult, advance_from_fair
from graph_service.cases.partners import answer_introduction, feedback, introduce
from graph_service.cases.pipeline import case_id_of, move, open_case
from graph_service.cases.stages import Stage
from graph_service.cases.to_fair import promote_case
from graph_service.fair.layout import standard_event
from graph_service.fair.workspace import Fairs
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore


def _needs(store: GraphStore, n: int) -> list[str]:
    """Needs of the tiny market with a posting enterprise and no deal yet."""
    found = []
    for batch in store.scan_nodes(Label.NEED, ()):
        for row in batch:
            if store.relationships(row[1], [RelType.POSTED], "in") and \
                    not store.relationships(row[1], [RelType.FULFILS], "in"):
                found.append(row[1])
                if len(found) == n:
                    return found
    raise AssertionError("not enough open needs in the tiny market")


def _researcher(store: GraphStore) -> str:
    return next(row[1] for batch in store.scan_nodes(Label.RESEARCHER, ()) for row in batch)


def test_fair_outcomes_open_and_advance_cases_forward_only(tiny_backend: GraphStore) -> None:
    store = tiny_backend
    fresh, ahead, closed, signed = _needs(store, 4)
    r = _researcher(store)
    case = open_case(store, ahead, "staff-a")
    case = move(store, case.id, Stage.NEGOTIATING, "staff-a", case.updated)
    shut = open_case(store, closed, "staff-a")
    move(store, shut.id, Stage.CLOSED, "staff-a", shut.updated, close_reason="no_response")
    open_case(store, signed, "staff-a")
    results = [FairResult(fresh, "held", r, True), FairResult(ahead, "held", r, True),
               FairResult(closed, "intention", None), FairResult(signed, "signed", r, True, "DL-x")]
    summary = advance_from_fair(store, "f1", results, "organiser-a")
    assert summary == {"opened": 1, "moved": 2, "noted": 2}
    opened = store.get_case(case_id_of(fresh))
    assert (opened.stage, opened.introduced) == ("meeting", (r,)) and set(opened.reached) == {"new", "meeting"}
    assert store.get_case(case_id_of(ahead)).stage == "negotiating"  # a meeting does not move it back
    assert store.get_case(case_id_of(closed)).stage == "closed"
    assert "科创会 f1" in store.events(case_id_of(closed))[-1].text
    done = store.get_case(case_id_of(signed))
    assert (done.stage, done.detail["deal"]) == ("signed", "DL-x")
    assert store.events(done.id)[-1].detail["outcome"] == "signed"


def test_a_case_goes_to_a_fair_as_a_project(tiny_backend: GraphStore, tmp_path: Path) -> None:
    store = tiny_backend
    [need] = _needs(store, 1)
    service = GraphService.open(store)
    case = open_case(store, need, "staff-a")
    r = _researcher(store)
    feedback(store, case.id, r, "accept", "staff-a")
    introduce(store, case.id, r, "staff-a", store.get_case(case.id).updated)
    answer_introduction(store, case.id, r, True, r)
    fairs = Fairs(tmp_path)
    fair = fairs.create("f2", standard_event(1, 4, 40, 20, date(2026, 12, 20), "测试科创会"), owner="organiser-a")
    case, added = promote_case(service, fair, case.id, "staff-a")
    assert added["projects_added"] == [need] and r in added["participants_added"]
    instance = fair.instance()
    assert need in {p.id for p in instance.projects} and r in {p.id for p in instance.participants}
    last = store.events(case.id)[-1]
    assert (last.kind, last.detail["fair"]) == ("promote", "f2") and "科创会 f2" in last.text
