"""The two modes feed each other: a fair's outcomes open or advance the cases of the needs they concern,
and a case can go to a fair as a project.

A meeting held moves a case to `meeting`, an intention to `negotiating`, a contract signed at the fair to
`signed` with the deal the fair wrote; never backwards (a later stage stays), and the researcher met joins
the case's introductions. A closed case is only noted, unless the fair signed it: the graph then holds a
contract for the need, and the case follows the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph_service.cases.pipeline import case_id_of, get_case, merged_update, open_case, stage_changes
from graph_service.cases.stages import LABELS, Stage, rank
from graph_service.errors import Conflict, InvalidInput
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord

TARGET = {"held": Stage.MEETING, "intention": Stage.NEGOTIATING, "signed": Stage.SIGNED}
SAID = {"held": "已洽谈", "intention": "达成合作意向", "signed": "现场签约", "not_held": "未能见面"}


@dataclass(frozen=True)
class FairResult:
    need: str
    outcome: str  # held | intention | signed | not_held
    partner: str | None  # the researcher or institution met (graph id), when the fair knows it
    partner_is_researcher: bool = False
    deal: str | None = None  # written by the fair for a signed outcome


def advance_from_fair(store: GraphStore, fair: str, results: list[FairResult], actor: str) -> dict:
    """Open or advance the case of each result's need; returns how many were opened, moved and noted."""
    summary = {"opened": 0, "moved": 0, "noted": 0}
    for r in results:
        case = store.case_for_need(r.need)
        if case is None:
            try:
                case = open_case(store, r.need, actor)
                summary["opened"] += 1
            except Conflict:  # opened by someone else just now
                case = get_case(store, case_id_of(r.need))
            except InvalidInput:
                continue  # a need without a posting enterprise has no case to follow
        moved = merged_update(store, case.id, lambda c, r=r: _change(c, fair, r, actor))
        summary["moved" if moved.stage != case.stage else "noted"] += 1
    return summary


def _change(case: CaseRecord, fair: str, r: FairResult, actor: str) -> tuple[dict, CaseEvent]:
    current = Stage(case.stage)
    target = TARGET.get(r.outcome)
    who = f"与 {r.partner} " if r.partner else ""
    event = CaseEvent(case.id, "fair", actor, f"科创会 {fair}：{who}{SAID[r.outcome]}",
                      {"fair": fair, "outcome": r.outcome, "partner": r.partner, "deal": r.deal})
    changes: dict = {}
    if r.partner and r.partner_is_researcher and r.partner not in case.introduced and r.outcome != "not_held":
        changes["introduced"] = (*case.introduced, r.partner)
    signed_here = target == Stage.SIGNED and current != Stage.SIGNED
    forward = target is not None and current != Stage.CLOSED and rank(target) > rank(current)
    if signed_here or forward:
        changes |= stage_changes(case, target, event.at)  # type: ignore[arg-type]
        event = CaseEvent(case.id, "fair", actor, f"{event.text}（{LABELS[current]} → {LABELS[target]}）",  # type: ignore[index]
                          {**event.detail, "from": current.value, "to": target.value}, at=event.at)  # type: ignore[union-attr]
    if signed_here and r.deal:
        changes["detail"] = {**case.detail, "deal": r.deal}
    return changes, event
