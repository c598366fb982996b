"""Moving a case along: open it for a need, change its stage by the rules, log what staff did. Every
change is one transaction of the store (the case and its log entry together); a change made by someone
else in between is refused, not overwritten (the caller passes the `updated` it last read)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from graph_service.cases.stages import CLOSE_REASONS, LABELS, Stage, check_move
from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore, StoredNode
from graph_service.stores.cases import CaseEvent, CaseRecord
from graph_service.stores.records import now

ACTIVITIES = ("note", "call", "meeting", "document")  # what staff log by hand
RETRIES = 5


def case_id_of(need: str) -> str:
    return f"case-{need}"


def need_and_enterprise(store: GraphStore, need: str) -> tuple[StoredNode, str]:
    """The need's node and the enterprise that posted it; NotFound or InvalidInput saying which is missing."""
    node = store.get_node(need)
    if node is None or node.label != Label.NEED:
        raise NotFound(f"没有编号为 {need!r} 的需求")
    posters = [r.src for r in store.relationships(need, [RelType.POSTED], "in")]
    firms = [i for i, label in store.labels_of(posters).items() if label == Label.ENTERPRISE]
    if not firms:
        raise InvalidInput(f"需求 {need!r} 没有发布企业，无法建立案件", field="need")
    return node, sorted(firms)[0]


def open_case(store: GraphStore, need: str, actor: str, assignee: str | None = None) -> CaseRecord:
    """A case for a need or 揭榜挂帅 challenge (one per need), at stage `new`, held by `assignee` or, when
    none is named, by the staff member whose patch and load fit it best (assign.py)."""
    from graph_service.cases.assign import choose_assignee  # it reads the case store and the graph

    node, enterprise = need_and_enterprise(store, need)
    stamp = now()
    posted = node.props.get("posted")
    case = CaseRecord(id=case_id_of(need), need=need, enterprise=enterprise, stage=Stage.NEW.value,
                      assignee=assignee or choose_assignee(store, need, enterprise), opened=stamp, updated=stamp,
                      posted=str(posted) if posted else stamp[:10], reached={Stage.NEW.value: stamp})
    store.create_case(case, CaseEvent(case.id, "stage", actor, "案件已建立",
                                      {"to": Stage.NEW.value, "assignee": case.assignee}, at=stamp))
    return store.get_case(case.id) or case


def stage_changes(case: CaseRecord, target: Stage, at: str, close_reason: str | None = None) -> dict:
    """The fields a move to `target` changes, the time each stage was first reached among them."""
    reached = case.reached if target.value in case.reached else {**case.reached, target.value: at}
    return {"stage": target.value, "close_reason": close_reason if target == Stage.CLOSED else None,
            "reached": reached}


def get_case(store: GraphStore, case_id: str) -> CaseRecord:
    """The case, or NotFound in words a person reads."""
    case = store.get_case(case_id)
    if case is None:
        raise NotFound(f"没有编号为 {case_id!r} 的案件")
    return case


def merged_update(store: GraphStore, case_id: str,
                  change: Callable[[CaseRecord], tuple[dict, CaseEvent]]) -> CaseRecord:
    """Apply `change` to the case as it is now, for answers that do not depend on what the asker last read
    (an enterprise's feedback, a researcher's reply, a fair's outcome); if someone wrote in between, read
    again and retry."""
    for _ in range(RETRIES):
        case = get_case(store, case_id)
        changes, event = change(case)
        try:
            return store.update_case(case_id, case.updated, changes, event)
        except Conflict:
            continue
    raise Conflict(f"案件 {case_id} 正被频繁修改，请稍后重试")


def move(store: GraphStore, case_id: str, target: Stage, actor: str, expected: str, reason: str = "",
         close_reason: str | None = None) -> CaseRecord:
    """The case at `target`, by the stage rules. Signing is not a move: it writes the contract too
    (signing.sign)."""
    if target == Stage.SIGNED:
        raise InvalidInput("签约请使用“签约”操作：登记合同及其合作方后案件即为已签约", field="stage")
    case = get_case(store, case_id)
    current = Stage(case.stage)
    check_move(current, target, reason, close_reason)
    detail: dict = {"from": current.value, "to": target.value}
    if reason.strip():
        detail["reason"] = reason.strip()
    text = f"{LABELS[current]} → {LABELS[target]}"
    if close_reason:
        detail["close_reason"] = close_reason
        text += f"（{CLOSE_REASONS[close_reason]}）"
    event = CaseEvent(case_id, "stage", actor, text, detail)
    return store.update_case(case_id, expected, stage_changes(case, target, event.at, close_reason), event)


def log(store: GraphStore, case_id: str, actor: str, kind: str, text: str) -> CaseEvent:
    """A call, a note, a meeting or a document exchanged, appended to the case's log."""
    if kind not in ACTIVITIES:
        raise InvalidInput(f"活动类型须为 {'、'.join(ACTIVITIES)} 之一", field="kind")
    if not text.strip():
        raise InvalidInput("请写明活动内容", field="text")
    get_case(store, case_id)
    return store.add_event(CaseEvent(case_id, kind, actor, text.strip()))


def plan_next(store: GraphStore, case_id: str, actor: str, expected: str, action: str, due: date) -> CaseRecord:
    """The next action and its due date (reminders read them)."""
    if not action.strip():
        raise InvalidInput("请写明下一步行动", field="next_action")
    changes = {"next_action": action.strip(), "due": due.isoformat()}
    return store.update_case(case_id, expected, changes,
                             CaseEvent(case_id, "action", actor, f"下一步：{action.strip()}（{due.isoformat()} 前）"))
