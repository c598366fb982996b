"""Moving a case along: open it for a need, change its stage by the rules, log what staff did. Every
change is one transaction of the store (the case and its log entry together); a change made by someone
else in between is refused, not overwritten (the caller passes the `updated` it last read)."""

from __future__ import annotations

from datetime import date

from graph_service.cases.stages import CLOSE_REASONS, LABELS, Stage, check_move
from graph_service.errors import InvalidInput, NotFound
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord
from graph_service.stores.records import now

ACTIVITIES = ("note", "call", "meeting", "document")  # what staff log by hand


def case_id_of(need: str) -> str:
    return f"case-{need}"


def open_case(store: GraphStore, need: str, actor: str, assignee: str | None = None) -> CaseRecord:
    """A case for a need or 揭榜挂帅 challenge (one per need), at stage `new`."""
    node = store.get_node(need)
    if node is None or node.label != Label.NEED:
        raise NotFound(f"没有编号为 {need!r} 的需求")
    posters = [r.src for r in store.relationships(need, [RelType.POSTED], "in")]
    firms = [i for i, label in store.labels_of(posters).items() if label == Label.ENTERPRISE]
    if not firms:
        raise InvalidInput(f"需求 {need!r} 没有发布企业，无法建立案件", field="need")
    stamp = now()
    case = CaseRecord(id=case_id_of(need), need=need, enterprise=sorted(firms)[0], stage=Stage.NEW.value,
                      assignee=assignee, opened=stamp, updated=stamp)
    store.create_case(case, CaseEvent(case.id, "stage", actor, "案件已建立", {"to": Stage.NEW.value}))
    return case


def _case(store: GraphStore, case_id: str) -> CaseRecord:
    case = store.get_case(case_id)
    if case is None:
        raise NotFound(f"没有编号为 {case_id!r} 的案件")
    return case


def move(store: GraphStore, case_id: str, target: Stage, actor: str, expected: str, reason: str = "",
         close_reason: str | None = None) -> CaseRecord:
    """The case at `target`, by the stage rules. Signing needs the deal in the graph first (a Deal that
    FULFILS the need): the case records a signature, the graph holds the contract."""
    case = _case(store, case_id)
    current = Stage(case.stage)
    check_move(current, target, reason, close_reason)
    detail: dict = {"from": current.value, "to": target.value}
    if target == Stage.SIGNED:
        deals = sorted(r.src for r in store.relationships(case.need, [RelType.FULFILS], "in"))
        if not deals:
            raise InvalidInput("签约前须先在图谱中登记合同（满足该需求的 Deal）", field="stage")
        detail["deals"] = deals
    if reason.strip():
        detail["reason"] = reason.strip()
    text = f"{LABELS[current]} → {LABELS[target]}"
    if close_reason:
        detail["close_reason"] = close_reason
        text += f"（{CLOSE_REASONS[close_reason]}）"
    changes = {"stage": target.value, "close_reason": close_reason if target == Stage.CLOSED else None}
    return store.update_case(case_id, expected, changes, CaseEvent(case_id, "stage", actor, text, detail))


def log(store: GraphStore, case_id: str, actor: str, kind: str, text: str) -> CaseEvent:
    """A call, a note, a meeting or a document exchanged, appended to the case's log."""
    if kind not in ACTIVITIES:
        raise InvalidInput(f"活动类型须为 {'、'.join(ACTIVITIES)} 之一", field="kind")
    if not text.strip():
        raise InvalidInput("请写明活动内容", field="text")
    _case(store, case_id)
    return store.add_event(CaseEvent(case_id, kind, actor, text.strip()))


def plan_next(store: GraphStore, case_id: str, actor: str, expected: str, action: str, due: date) -> CaseRecord:
    """The next action and its due date (reminders read them)."""
    if not action.strip():
        raise InvalidInput("请写明下一步行动", field="next_action")
    changes = {"next_action": action.strip(), "due": due.isoformat()}
    return store.update_case(case_id, expected, changes,
                             CaseEvent(case_id, "action", actor, f"下一步：{action.strip()}（{due.isoformat()} 前）"))
