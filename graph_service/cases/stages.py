"""The stages a case moves through, and the one rule for moving: forward freely (a fair meeting may skip
the introduction), back only with a reason, and nothing after a signature or a closing except reopening,
which is a move back and so needs a reason too."""

from __future__ import annotations

from enum import StrEnum

from graph_service.errors import InvalidInput


class Stage(StrEnum):
    NEW = "new"
    CLARIFIED = "clarified"  # problem, constraints, budget and what is confidential are known
    SHORTLISTED = "shortlisted"  # partners chosen from the recommendations, each with its reasons
    INTRODUCED = "introduced"  # both sides agreed to be put in touch
    MEETING = "meeting"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"  # a Deal in the graph, with its parties and the need it fulfils
    CLOSED = "closed"  # with a reason from CLOSE_REASONS


LABELS: dict[Stage, str] = {
    Stage.NEW: "新建", Stage.CLARIFIED: "需求已澄清", Stage.SHORTLISTED: "已选定候选", Stage.INTRODUCED: "已引荐",
    Stage.MEETING: "对接洽谈", Stage.NEGOTIATING: "商务谈判", Stage.SIGNED: "已签约", Stage.CLOSED: "已关闭",
}
ORDER: tuple[Stage, ...] = (Stage.NEW, Stage.CLARIFIED, Stage.SHORTLISTED, Stage.INTRODUCED, Stage.MEETING,
                            Stage.NEGOTIATING, Stage.SIGNED)
CLOSE_REASONS: dict[str, str] = {
    "no_partner": "未找到合适的合作方",
    "withdrawn": "企业撤回需求",
    "solved_elsewhere": "已通过其他途径解决",
    "budget": "预算不足",
    "no_response": "企业长期无回应",
    "duplicate": "与其他需求重复",
    "other": "其他（见备注）",
}
TERMINAL = frozenset({Stage.SIGNED, Stage.CLOSED})


def rank(stage: Stage) -> int:
    """Position in the pipeline; a closed case ranks after every open stage."""
    return len(ORDER) if stage == Stage.CLOSED else ORDER.index(stage)


def check_move(current: Stage, target: Stage, reason: str = "", close_reason: str | None = None) -> None:
    """Refuse a move the rules forbid, saying why in Chinese; `reason` is a person's words, `close_reason`
    one of CLOSE_REASONS (needed to close, and only then)."""
    reason = reason.strip()
    if target == current:
        raise InvalidInput(f"案件已处于“{LABELS[current]}”阶段", field="stage")
    if target == Stage.CLOSED:
        if close_reason not in CLOSE_REASONS:
            choices = "、".join(f"{k}（{v}）" for k, v in CLOSE_REASONS.items())
            raise InvalidInput(f"关闭案件须选择关闭原因：{choices}", field="close_reason")
        if current == Stage.SIGNED:
            raise InvalidInput("已签约的案件不能关闭", field="stage")
        if close_reason == "other" and not reason:
            raise InvalidInput("关闭原因为“其他”时须写明说明", field="reason")
        return
    if close_reason is not None:
        raise InvalidInput("只有关闭案件时才填写关闭原因", field="close_reason")
    if current == Stage.SIGNED:
        raise InvalidInput("已签约的案件不能再改变阶段", field="stage")
    if target == Stage.SIGNED and current != Stage.NEGOTIATING:
        raise InvalidInput("须先进入“商务谈判”阶段才能签约", field="stage")
    backwards = rank(target) < rank(current)
    if backwards and not reason:
        what = "重新打开已关闭的案件" if current == Stage.CLOSED else f"从“{LABELS[current]}”退回“{LABELS[target]}”"
        raise InvalidInput(f"{what}须写明原因", field="reason")
