"""A signature: the case's Deal goes into the graph (its parties and the need it fulfils, the need marked
signed) and the case moves to `signed`, pointing at it.

Graph and case are two transactions of the same store, in that order. The deal's id comes from the case,
so a signature retried after a refusal (someone changed the case in between) writes the same deal again,
not a second one; a case never says signed without its deal in the graph.
"""

from __future__ import annotations

from datetime import date

from graph_service.cases.partners import agreed
from graph_service.cases.pipeline import get_case, stage_changes
from graph_service.cases.stages import LABELS, Stage, check_move
from graph_service.errors import InvalidInput
from graph_service.models import Deal, PartyRel, PlainRel
from graph_service.need_status import status_moves, today
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.cases import CaseEvent, CaseRecord

DEAL_KINDS = {"development": "技术开发", "transfer": "技术转让", "licensing": "技术许可", "consulting": "技术咨询",
              "joint_lab": "共建实验室", "framework": "框架协议"}
PROVIDERS = (Label.RESEARCHER, Label.INSTITUTION)


def deal_id_of(case_id: str) -> str:
    return f"DL-{case_id}"


def sign(service: GraphService, case_id: str, actor: str, expected: str, *, partners: list[str] | None = None,
         kind: str = "development", amount: float | None = None, when: date | None = None,
         name: str | None = None) -> CaseRecord:
    """Write the deal and sign the case; `partners` default to the researchers who agreed to meet."""
    store = service.store
    case = get_case(store, case_id)
    check_move(Stage(case.stage), Stage.SIGNED)
    parties = list(dict.fromkeys(partners if partners is not None else agreed(case)))
    if not parties:
        raise InvalidInput("请指明签约的合作方（科研人员或机构）", field="partners")
    labels = store.labels_of(parties)
    wrong = [p for p in parties if labels.get(p) not in PROVIDERS]
    if wrong:
        raise InvalidInput(f"{'、'.join(wrong)} 不是图谱中的科研人员或机构", field="partners")
    if kind not in DEAL_KINDS:
        raise InvalidInput(f"合同类型须为 {'、'.join(f'{k}（{v}）' for k, v in DEAL_KINDS.items())} 之一",
                           field="kind")
    need = store.get_node(case.need)
    title = name or f"{need.props.get('name', case.need) if need else case.need}（{DEAL_KINDS[kind]}）"
    try:
        deal = Deal(id=deal_id_of(case_id), name=" ".join(title.split())[:200], kind=kind, date=when or today(),
                    amount=amount)
    except ValueError as e:
        raise InvalidInput(f"合同信息有误：{e}", field="deal") from None
    rels = [(RelType.PARTY_TO, PartyRel(src=case.enterprise, dst=deal.id, role="client"))]
    rels += [(RelType.PARTY_TO, PartyRel(src=p, dst=deal.id, role="provider")) for p in parties]
    rels.append((RelType.FULFILS, PlainRel(src=deal.id, dst=case.need)))
    service.write_graph([(Label.DEAL, deal), *status_moves(store, {case.need: "signed"})], rels)
    event = CaseEvent(case_id, "stage", actor, f"{LABELS[Stage(case.stage)]} → {LABELS[Stage.SIGNED]}",
                      {"from": case.stage, "to": Stage.SIGNED.value, "deal": deal.id, "partners": parties})
    changes = {**stage_changes(case, Stage.SIGNED, event.at), "detail": {**case.detail, "deal": deal.id}}
    return store.update_case(case_id, expected, changes, event)
