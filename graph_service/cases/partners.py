"""The partners of a case: the clarified need, the shortlist (each partner with the model's reasons), the
enterprise's accept or decline of each suggestion, and introductions, which the researcher answers.

All of it lives in the case's `detail` (and the researchers introduced in `introduced`, which they may
read). A partner declined for a need is never suggested again for it (`declined`). Answers from
enterprise members and researchers do not carry the token a staff member's edit does: they are merged
into whatever the case holds now, retried if someone else wrote in between.
"""

from __future__ import annotations

from graph_service.cases.pipeline import get_case, merged_update, stage_changes
from graph_service.cases.stages import LABELS, Stage, rank
from graph_service.errors import InvalidInput
from graph_service.recommend.partner_service import Filters, PartnerRecommender
from graph_service.schema import Label
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord
from graph_service.stores.records import now

DECLINE_REASONS: dict[str, str] = {
    "not_relevant": "研究方向与需求不相关",
    "already_in_contact": "已有联系，无需引荐",
    "too_far": "距离太远",
    "too_expensive": "费用超出预算",
    "no_capacity": "对方无暇承接",
    "other": "其他（见说明）",
}
VERDICTS = {"accept": "接受", "decline": "不考虑"}
SHORTLIST_POOL = 50  # recommendations a shortlist is drawn from (staff may add others, marked as theirs)
MAX_SHORTLIST = 20


def clarify(store: GraphStore, case_id: str, actor: str, expected: str, problem: str, constraints: str = "",
            budget: float | None = None, confidential: list[str] | None = None) -> CaseRecord:
    """The need as staff understood it with the enterprise; a new case moves to `clarified`."""
    if not problem.strip():
        raise InvalidInput("请写明需要解决的问题", field="problem")
    if budget is not None and not 0 <= budget <= 1e9:
        raise InvalidInput("预算须在 0 到 10 亿万元之间", field="budget")
    case = get_case(store, case_id)
    clarified = {"problem": problem.strip(), "constraints": constraints.strip(), "budget": budget,
                 "confidential": sorted(set(confidential or []))}
    event = CaseEvent(case_id, "clarify", actor, "需求已澄清", {"confidential": clarified["confidential"]})
    changes: dict = {"detail": {**case.detail, "clarified": clarified}}
    if case.stage == Stage.NEW:
        changes |= stage_changes(case, Stage.CLARIFIED, event.at)
    return store.update_case(case_id, expected, changes, event)


def shortlist(store: GraphStore, rec: PartnerRecommender, case_id: str, researchers: list[str], actor: str,
              expected: str) -> CaseRecord:
    """The partners staff chose, each with the model's score and reasons as they stand now; a case before
    `shortlisted` moves there."""
    case = get_case(store, case_id)
    chosen = list(dict.fromkeys(r.strip() for r in researchers if r.strip()))
    if not chosen or len(chosen) > MAX_SHORTLIST:
        raise InvalidInput(f"请选择 1–{MAX_SHORTLIST} 位候选合作者", field="researchers")
    if Stage(case.stage) in (Stage.SIGNED, Stage.CLOSED):
        raise InvalidInput(f"案件已{LABELS[Stage(case.stage)]}，不能再选定候选", field="stage")
    p = rec.projection
    not_researchers = [r for r in chosen if r not in p.index or p.label_of(p.index[r]) != Label.RESEARCHER]
    if not_researchers:
        raise InvalidInput(f"{'、'.join(not_researchers)} 不是图谱中的科研人员", field="researchers")
    refused = sorted(set(chosen) & declined(case))
    if refused:
        raise InvalidInput(f"{'、'.join(refused)} 已被谢绝，不能再选定", field="researchers")
    result = rec.recommend(need_id=case.need, top_k=SHORTLIST_POOL, filters=_without(case))
    suggested = {s.id: s for s in result.suggestions}
    entries = []
    for rid in chosen:
        s = suggested.get(rid) or rec.explain(result.query, p.index[rid], 0.0)
        entries.append({"id": rid, "score": round(s.score, 6) if rid in suggested else None,
                        "reasons": sorted({path.kind for path in s.paths}), "words": s.matched_words,
                        "by_staff": rid not in suggested})
    event = CaseEvent(case_id, "shortlist", actor, f"选定 {len(entries)} 位候选合作者", {"researchers": chosen})
    changes: dict = {"detail": {**case.detail, "shortlist": entries}}
    if rank(Stage(case.stage)) < rank(Stage.SHORTLISTED):
        changes |= stage_changes(case, Stage.SHORTLISTED, event.at)
    return store.update_case(case_id, expected, changes, event)


def feedback(store: GraphStore, case_id: str, researcher: str, verdict: str, actor: str, reason: str | None = None,
             note: str = "") -> CaseRecord:
    """The enterprise's (or staff's on its behalf) answer to one suggested partner."""
    if verdict not in VERDICTS:
        raise InvalidInput("意见须为 accept（接受）或 decline（不考虑）", field="verdict")
    if verdict == "decline" and reason not in DECLINE_REASONS:
        choices = "、".join(f"{k}（{v}）" for k, v in DECLINE_REASONS.items())
        raise InvalidInput(f"不考虑某位候选时须选择原因：{choices}", field="reason")
    if verdict == "decline" and reason == "other" and not note.strip():
        raise InvalidInput("原因为“其他”时须写明说明", field="note")
    if verdict == "accept" and reason is not None:
        raise InvalidInput("接受候选时不需要填写原因", field="reason")
    if store.labels_of([researcher]).get(researcher) != Label.RESEARCHER:
        raise InvalidInput(f"{researcher!r} 不是图谱中的科研人员", field="researcher")

    def change(case: CaseRecord) -> tuple[dict, CaseEvent]:
        if Stage(case.stage) in (Stage.SIGNED, Stage.CLOSED):
            raise InvalidInput(f"案件已{LABELS[Stage(case.stage)]}，不再收集意见", field="stage")
        stamp = now()
        answer = {"verdict": verdict, "reason": reason, "note": note.strip(), "by": actor, "at": stamp}
        answers = {**case.detail.get("feedback", {}), researcher: answer}
        text = f"{VERDICTS[verdict]}候选 {researcher}" + (f"：{DECLINE_REASONS[reason]}" if reason else "")
        event = CaseEvent(case_id, "feedback", actor, text, {"researcher": researcher, **answer}, at=stamp)
        return {"detail": {**case.detail, "feedback": answers}}, event

    return merged_update(store, case_id, change)


def introduce(store: GraphStore, case_id: str, researcher: str, actor: str, expected: str) -> CaseRecord:
    """Ask a researcher the enterprise accepted whether they agree to be put in touch."""
    case = get_case(store, case_id)
    answer = case.detail.get("feedback", {}).get(researcher, {})
    if answer.get("verdict") != "accept":
        raise InvalidInput(f"企业尚未接受候选 {researcher}，不能引荐", field="researcher")
    if researcher in case.introduced:
        raise InvalidInput(f"已向 {researcher} 发出引荐", field="researcher")
    event = CaseEvent(case_id, "introduce", actor, f"向 {researcher} 发出引荐邀请", {"researcher": researcher})
    asked = {**case.detail.get("introductions", {}), researcher: {"asked": event.at, "answer": None}}
    return store.update_case(case_id, expected, {"introduced": (*case.introduced, researcher),
                                                 "detail": {**case.detail, "introductions": asked}}, event)


def answer_introduction(store: GraphStore, case_id: str, researcher: str, agree: bool, actor: str,
                        reason: str = "") -> CaseRecord:
    """The researcher's answer; with both sides agreed the case reaches `introduced`."""

    def change(case: CaseRecord) -> tuple[dict, CaseEvent]:
        asked = case.detail.get("introductions", {})
        if researcher not in asked:
            raise InvalidInput("该案件没有向您发出引荐", field="researcher")
        if asked[researcher]["answer"] is not None:
            raise InvalidInput("您已答复过该引荐", field="agree")
        stamp = now()
        entry = {**asked[researcher], "answer": "agree" if agree else "decline", "reason": reason.strip(),
                 "at": stamp}
        event = CaseEvent(case_id, "introduction", actor, f"{researcher} {'同意' if agree else '谢绝'}对接",
                          {"researcher": researcher, "agree": agree, "reason": reason.strip()}, at=stamp)
        changes: dict = {"detail": {**case.detail, "introductions": {**asked, researcher: entry}}}
        if agree and rank(Stage(case.stage)) < rank(Stage.INTRODUCED):
            changes |= stage_changes(case, Stage.INTRODUCED, stamp)
        return changes, event

    return merged_update(store, case_id, change)


def declined(case: CaseRecord | None) -> set[str]:
    """Researchers never to suggest again for the case's need: declined by the enterprise or staff, or
    who declined the introduction themselves."""
    if case is None:
        return set()
    out = {r for r, a in case.detail.get("feedback", {}).items() if a.get("verdict") == "decline"}
    return out | {r for r, a in case.detail.get("introductions", {}).items() if a.get("answer") == "decline"}


def agreed(case: CaseRecord) -> list[str]:
    """Researchers who agreed to be introduced: who meets at a fair, who signs unless told otherwise."""
    return sorted(r for r, a in case.detail.get("introductions", {}).items() if a.get("answer") == "agree")


def declined_for_need(store: GraphStore, need: str) -> frozenset[str]:
    return frozenset(declined(store.case_for_need(need)))


def _without(case: CaseRecord) -> Filters:
    return Filters(exclude=frozenset(declined(case)))
