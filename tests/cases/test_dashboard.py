"""The case dashboard on each store: a handful of cases with known stage times give known funnels,
conversions, medians and stalled lists (figures worked out by hand below, not by the code under test);
the breakdowns by region, field and tier on the real tiny market, with a few entities of known place."""

from __future__ import annotations

import json
from datetime import date

import pytest

from graph_service.cases.dashboard import UNASSIGNED, UNKNOWN, Row, dashboard
from graph_service.cases.reminders import reminders
from graph_service.errors import InvalidInput
from graph_service.models import Enterprise, Need, PlainRel
from graph_service.projection import build_projection
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord

TODAY = date(2026, 3, 31)
STAGES = ("new", "clarified", "shortlisted", "introduced", "meeting", "negotiating", "signed")


def case(need: str, stage: str, posted: str | None, reached: dict[str, str], active: str,
         assignee: str | None = None, enterprise: str = "E-x", due: str | None = None,
         close_reason: str | None = None, action: str | None = None) -> tuple[CaseRecord, list[CaseEvent]]:
    """A case as a history import writes it; its last event (so its last activity) at `active`."""
    cid = f"case-{need}"
    opened = f"{reached['new']}T09:00:00+00:00"
    record = CaseRecord(cid, need, enterprise, stage, assignee, opened, opened, action, due,
                        close_reason, {}, posted, {k: f"{v}T10:00:00+00:00" for k, v in reached.items()})
    events = [CaseEvent(cid, "stage", "staff", "案件已建立", at=opened),
              CaseEvent(cid, "note", "staff", "跟进", at=f"{active}T11:00:00+00:00")]
    return record, events


# Seven cases; today is 2026-03-31, stalled after 14 idle days.
SEVEN = [
    # signed: introduced 10 days after posting, signed 60 days after (Jan 31 + Feb 28 + 1)
    case("N1", "signed", "2026-01-01", {"new": "2026-01-02", "clarified": "2026-01-05", "shortlisted": "2026-01-10",
         "introduced": "2026-01-11", "meeting": "2026-01-20", "negotiating": "2026-02-01", "signed": "2026-03-02"},
         active="2026-03-02", assignee="wang", due="2026-03-01"),  # overdue, but signed: no reminder
    # at a meeting from a fair, never introduced; idle 30 days: stalled
    case("N2", "meeting", "2026-01-10", {"new": "2026-01-10", "clarified": "2026-01-12", "shortlisted": "2026-01-20",
         "meeting": "2026-02-10"}, active="2026-03-01", assignee="wang", due="2026-03-31"),  # due today: not late
    # introduced 4 days after posting; its next action 3 days late
    case("N3", "introduced", "2026-02-01", {"new": "2026-02-01", "clarified": "2026-02-02",
         "shortlisted": "2026-02-03", "introduced": "2026-02-05"}, active="2026-03-30", assignee="li",
         due="2026-03-28", action="发送合同草稿"),
    # closed from the shortlist, long idle but closed: not stalled
    case("N4", "closed", "2026-01-15", {"new": "2026-01-15", "clarified": "2026-01-16", "shortlisted": "2026-01-18",
         "closed": "2026-01-20"}, active="2026-01-20", assignee="li", close_reason="no_partner"),
    # new, nobody holds it, idle 31 days
    case("N5", "new", "2026-02-28", {"new": "2026-02-28"}, active="2026-02-28"),
    # introduced 9 days after posting, then sent back to clarified; idle 11 days
    case("N6", "clarified", "2026-02-01", {"new": "2026-02-01", "clarified": "2026-02-03", "shortlisted": "2026-02-05",
         "introduced": "2026-02-10"}, active="2026-03-20", assignee="zhao", due="2026-04-05"),
    # signed: introduced after 2 days, signed after 89 (Dec 31 + Jan 31 + 27)
    case("N7", "signed", "2025-12-01", {"new": "2025-12-01", "clarified": "2025-12-02", "shortlisted": "2025-12-02",
         "introduced": "2025-12-03", "meeting": "2025-12-20", "negotiating": "2026-01-10", "signed": "2026-02-28"},
         active="2026-02-28", assignee="zhao"),
]


def test_funnel_times_and_stalled_cases(store: GraphStore) -> None:
    store.import_cases(SEVEN)
    d = dashboard(store, build_projection(store), TODAY)
    assert (d.cases, d.open) == (7, 4)
    assert [(s.stage, s.reached, s.now) for s in d.funnel] == [
        ("new", 7, 1), ("clarified", 6, 1), ("shortlisted", 6, 0), ("introduced", 5, 1), ("meeting", 3, 1),
        ("negotiating", 2, 0), ("signed", 2, 2)]
    assert [s.conversion for s in d.funnel] == pytest.approx([None, 6 / 7, 1.0, 5 / 6, 3 / 5, 2 / 3, 1.0])
    assert d.funnel[3].label == "已引荐"
    assert d.closed == (("no_partner", 1),)
    intro, sign = d.to_introduction, d.to_signature  # 2, 4, 9, 10 days; 60 and 89 days
    assert (intro.count, intro.median, intro.p75, intro.mean) == (4, 6.5, pytest.approx(9.25), 6.25)
    assert (sign.count, sign.median, sign.p75, sign.mean) == (2, 74.5, pytest.approx(81.75), 74.5)
    assert d.stalled == 2
    assert [(c.case, c.idle_days, c.assignee, c.stage) for c in d.longest_stalled] == [
        ("case-N5", 31, None, "new"), ("case-N2", 30, "wang", "meeting")]
    stalled = {r.case for r in reminders(store, TODAY) if r.kind == "stalled"}
    assert stalled == {c.case for c in d.longest_stalled}  # the dashboard and the reminders agree
    assert dashboard(store, build_projection(store), TODAY, stalled_days=30).stalled == 1  # 30 is not > 30


def test_per_staff_member(store: GraphStore) -> None:
    store.import_cases(SEVEN)
    d = dashboard(store, build_projection(store), TODAY)
    rows = {r.name: r for r in d.by_staff}
    assert [r.name for r in d.by_staff] == ["li", "wang", "zhao", UNASSIGNED]  # most cases first, by name
    wang, li, zhao, nobody = rows["wang"], rows["li"], rows["zhao"], rows[UNASSIGNED]
    assert (wang.cases, wang.reached, wang.signed, wang.conversion, wang.open, wang.stalled) == (
        2, (2, 2, 2, 2, 2, 1, 1), 1, 0.5, 1, 1)
    assert (wang.to_introduction.count, wang.to_introduction.median, wang.to_signature.median) == (1, 10.0, 60.0)
    assert (li.cases, li.reached, li.conversion, li.open, li.stalled) == (2, (2, 2, 2, 1, 0, 0, 0), 0.0, 1, 0)
    assert (li.to_introduction.median, li.to_signature.count, li.to_signature.median) == (4.0, 0, None)
    assert (zhao.reached, zhao.to_introduction.median, zhao.to_signature.median) == ((2, 2, 2, 2, 1, 1, 1), 5.5, 89.0)
    assert (nobody.id, nobody.cases, nobody.reached, nobody.stalled) == (None, 1, (1, 0, 0, 0, 0, 0, 0), 1)
    # nothing of the graph is known for these cases: every one counts under 未知
    for rows_of in (d.by_region, d.by_field, d.by_tier):
        assert [(r.id, r.name, r.cases, r.signed) for r in rows_of] == [(None, UNKNOWN, 7, 2)]


def test_empty_and_bad_input(store: GraphStore) -> None:
    d = dashboard(store, build_projection(store), TODAY)
    assert (d.cases, d.stalled, d.by_staff, d.to_signature.median) == (0, 0, (), None)
    assert [s.conversion for s in d.funnel] == [None] * 7
    for bad in (0, -3):
        with pytest.raises(InvalidInput, match="停滞天数"):
            dashboard(store, build_projection(store), TODAY, stalled_days=bad)
    # without a (readable) posting date a case counts in the funnel but not in the times
    reached = {"new": "2026-01-02", "introduced": "2026-01-11", "negotiating": "2026-02-01", "signed": "2026-03-02"}
    store.import_cases([case("N1", "signed", None, reached, active="2026-03-02"),
                        case("N2", "signed", "2026-13-45", reached, active="2026-03-02"),
                        case("N3", "signed", "2026-01-01", reached, active="2026-03-02")])
    d = dashboard(store, build_projection(store), TODAY)
    assert (d.funnel[-1].reached, d.to_signature.count, d.to_signature.median) == (3, 1, 60.0)


def test_as_dict_is_json(store: GraphStore) -> None:
    store.import_cases(SEVEN)
    out = dashboard(store, build_projection(store), TODAY).as_dict()
    text = json.dumps(out, ensure_ascii=False)
    assert json.loads(text) == out
    assert out["funnel"][1] == {"stage": "clarified", "label": "需求已澄清", "reached": 6, "conversion": 0.8571,
                                "now": 1}
    assert out["closed"] == [{"reason": "no_partner", "label": "未找到合适的合作方", "count": 1}]
    assert out["to_signature"] == {"count": 2, "median": 74.5, "p75": 81.8, "mean": 74.5}
    assert out["by_staff"][0]["reached"] == dict(zip(STAGES, (2, 2, 2, 1, 0, 0, 0)))
    assert out["longest_stalled"][0]["stage_label"] == "新建"


def _firm(store: GraphStore, ent: str, tier: str, region: str, need: str, fields: list[str]) -> None:
    """An enterprise in `region` posting a need about `fields`, written into the graph."""
    firm = Enterprise(id=ent, name=f"测试企业{ent}", tier=tier, industry="装备制造", size="small")
    post = Need(id=need, name=f"测试需求{need}", kind="need", text="寻求技术团队合作研发")
    store.write(lambda w: (
        w.upsert_nodes(Label.ENTERPRISE, [firm.row()]), w.upsert_nodes(Label.NEED, [post.row()]),
        w.upsert_rels(RelType.LOCATED_IN, [PlainRel(src=ent, dst=region).row()]),
        w.upsert_rels(RelType.POSTED, [PlainRel(src=ent, dst=need).row()]),
        w.upsert_rels(RelType.ABOUT, [PlainRel(src=need, dst=f).row() for f in fields])))


def _names(rows: tuple[Row, ...]) -> list[tuple]:
    return [(r.id, r.name, r.cases, r.signed, r.stalled) for r in rows]


def test_by_region_field_and_tier_on_the_tiny_market(tiny_backend: GraphStore) -> None:
    store = tiny_backend
    # The world's backbone (the same in every tier): 武侯区 RG0003 and the high-tech zone RG0158 lie in
    # 成都市 RG0002, 涪城区 RG0020 in 绵阳市 RG0019; 集成电路 F0101 and 新型显示 F0102 are of 电子信息 F01,
    # 航空航天 F0201 of 装备制造 F02.
    _firm(store, "E9900001", "专精特新", "RG0003", "N9900001", ["F0101"])
    _firm(store, "E9900002", "领军企业", "RG0158", "N9900002", ["F0101", "F0102", "F0201"])
    _firm(store, "E9900003", "科技型中小企业", "RG0020", "N9900003", ["F02"])
    store.import_cases([
        case("N9900001", "signed", "2026-01-01", {"new": "2026-01-01", "introduced": "2026-01-11",
             "negotiating": "2026-02-01", "signed": "2026-03-02"}, "2026-03-02", "wang", "E9900001"),
        case("N9900002", "introduced", "2026-01-01", {"new": "2026-01-01", "introduced": "2026-01-05"},
             "2026-03-25", "wang", "E9900002"),
        case("N9900003", "new", "2026-01-01", {"new": "2026-01-01"}, "2026-01-01", "li", "E9900003"),
        case("N-gone", "closed", "2026-01-01", {"new": "2026-01-01", "closed": "2026-01-02"}, "2026-01-02", "li",
             "E-gone", close_reason="withdrawn"),
    ])
    d = dashboard(store, build_projection(store), TODAY)
    assert _names(d.by_region) == [("RG0002", "成都市", 2, 1, 0), ("RG0019", "绵阳市", 1, 0, 1),
                                   (None, UNKNOWN, 1, 0, 0)]
    chengdu = d.by_region[0]
    assert (chengdu.conversion, chengdu.to_introduction.median, chengdu.to_signature.median) == (0.5, 7.0, 60.0)
    # a case counts once in each top-level field of its need (N9900002: twice in 电子信息, once in 装备制造)
    assert _names(d.by_field) == [("F01", "电子信息", 2, 1, 0), ("F02", "装备制造", 2, 0, 1),
                                  (None, UNKNOWN, 1, 0, 0)]
    assert _names(d.by_tier) == [("科技型中小企业", "科技型中小企业", 1, 0, 1), ("专精特新", "专精特新", 1, 1, 0),
                                 ("领军企业", "领军企业", 1, 0, 0), (None, UNKNOWN, 1, 0, 0)]
    assert [(s.stage, s.reached) for s in d.funnel][3:] == [("introduced", 2), ("meeting", 1), ("negotiating", 1),
                                                            ("signed", 1)]
