"""The partners of a case on each store: clarifying, the shortlist with the model's reasons, the enterprise's
answers (a declined partner never again), introductions and the researcher's reply, and answers given at
the same moment by different people that both land."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from graph_service.cases.partners import (
    agreed,
    answer_introduction,
    clarify,
    declined,
    declined_for_need,
    feedback,
    introduce,
    shortlist,
)
from graph_service.cases.pipeline import move, open_case
from graph_service.cases.stages import Stage
from graph_service.errors import Conflict, InvalidInput
from graph_service.recommend.partner_service import Filters
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore


def _case_and_candidates(service: GraphService, n: int = 6) -> tuple[str, list[str]]:
    """A case of a need with at least n suggested researchers, and those researchers."""
    store = service.store
    for batch in store.scan_nodes(Label.NEED, ()):
        for row in batch:
            if store.relationships(row[1], [RelType.FULFILS], "in"):
                continue
            try:
                found = service.partners(None, row[1], n)[0].suggestions
            except InvalidInput:
                continue
            if len(found) == n:
                return open_case(store, row[1], "staff-a").id, [s.id for s in found]
    raise AssertionError("no need with enough suggestions")


@pytest.fixture
def service(tiny_backend: GraphStore, tiny_models: Path) -> GraphService:
    return GraphService.open(tiny_backend, tiny_models)


def test_shortlist_answers_and_introductions(service: GraphService) -> None:
    store = service.store
    case_id, ids = _case_and_candidates(service)
    case = clarify(store, case_id, "staff-a", store.get_case(case_id).updated, "降低能耗", budget=30,
                   confidential=["budget", "budget"])
    assert case.stage == "clarified" and case.detail["clarified"]["confidential"] == ["budget"]
    outsider = next(row[1] for b in store.scan_nodes(Label.RESEARCHER, ()) for row in b
                    if row[1] not in service.partners(None, case.need, 50)[0].candidates)
    case = shortlist(store, service.partner_recommender(), case_id, [ids[0], ids[1], outsider], "staff-a",
                     case.updated)
    entries = {e["id"]: e for e in case.detail["shortlist"]}
    assert case.stage == "shortlisted" and entries[ids[0]]["by_staff"] is False and entries[ids[0]]["score"] > 0
    assert entries[outsider]["by_staff"] is True and entries[outsider]["score"] is None
    with pytest.raises(InvalidInput, match="不是图谱中的科研人员"):
        shortlist(store, service.partner_recommender(), case_id, [case.need], "staff-a", case.updated)

    for bad, says in [(("maybe", None, ""), "accept"), (("decline", None, ""), "须选择原因"),
                      (("decline", "other", ""), "须写明说明"), (("accept", "too_far", ""), "不需要填写原因")]:
        with pytest.raises(InvalidInput, match=says):
            feedback(store, case_id, ids[0], bad[0], "firm", bad[1], bad[2])
    with pytest.raises(InvalidInput, match="不是图谱中的科研人员"):
        feedback(store, case_id, case.need, "accept", "firm")
    feedback(store, case_id, ids[0], "decline", "firm", "too_far")
    feedback(store, case_id, ids[1], "accept", "firm")
    assert declined_for_need(store, case.need) == {ids[0]}
    shown = [s.id for s in service.partners(None, case.need, 50)[0].suggestions]
    assert ids[0] not in shown and ids[1] in shown
    with pytest.raises(InvalidInput, match="已被谢绝"):
        shortlist(store, service.partner_recommender(), case_id, [ids[0]], "staff-a", store.get_case(case_id).updated)

    with pytest.raises(InvalidInput, match="尚未接受"):
        introduce(store, case_id, ids[2], "staff-a", store.get_case(case_id).updated)
    introduce(store, case_id, ids[1], "staff-a", store.get_case(case_id).updated)
    with pytest.raises(InvalidInput, match="已向"):
        introduce(store, case_id, ids[1], "staff-a", store.get_case(case_id).updated)
    assert [c.id for c in store.list_cases(introduced=ids[1])] == [case_id]
    with pytest.raises(InvalidInput, match="没有向您发出引荐"):
        answer_introduction(store, case_id, ids[2], True, ids[2])
    case = answer_introduction(store, case_id, ids[1], True, ids[1])
    assert case.stage == "introduced" and agreed(case) == [ids[1]] and "introduced" in case.reached
    with pytest.raises(InvalidInput, match="已答复"):
        answer_introduction(store, case_id, ids[1], False, ids[1])
    # a researcher who declines the introduction is not suggested again either
    feedback(store, case_id, ids[3], "accept", "firm")
    introduce(store, case_id, ids[3], "staff-a", store.get_case(case_id).updated)
    answer_introduction(store, case_id, ids[3], False, ids[3], "时间冲突")
    assert declined(store.get_case(case_id)) == {ids[0], ids[3]}
    assert ids[3] not in [s.id for s in service.partners(None, case.need, 50)[0].suggestions]
    assert Filters().exclude == frozenset()  # only a need's own case excludes anyone


def test_answers_at_the_same_moment_all_land(service: GraphService) -> None:
    store = service.store
    case_id, ids = _case_and_candidates(service)
    errors: list[BaseException] = []

    def answer(researcher: str) -> None:
        try:
            feedback(store, case_id, researcher, "decline", f"firm-{researcher}", "not_relevant")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=answer, args=(r,)) for r in ids[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and declined(store.get_case(case_id)) == set(ids[:4])
    assert sum(e.kind == "feedback" for e in store.events(case_id)) == 4


def test_a_finished_case_takes_no_more_answers(service: GraphService) -> None:
    store = service.store
    case_id, ids = _case_and_candidates(service)
    case = store.get_case(case_id)
    move(store, case_id, Stage.CLOSED, "staff-a", case.updated, close_reason="withdrawn")
    with pytest.raises(InvalidInput, match="不再收集意见"):
        feedback(store, case_id, ids[0], "accept", "firm")
    with pytest.raises(InvalidInput, match="不能再选定候选"):
        shortlist(store, service.partner_recommender(), case_id, [ids[0]], "staff-a", store.get_case(case_id).updated)
    with pytest.raises(Conflict):
        clarify(store, case_id, "staff-a", case.updated, "x")  # a stale token
