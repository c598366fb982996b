"""Filter values by id, full name or short name, and the trees the list routes show, on a projection of the
tiny market (checked against the store, not against the projection's own arrays)."""

from __future__ import annotations

import pytest

from graph_service import catalogue
from graph_service.catalogue import institution_kind, resolve
from graph_service.errors import InvalidInput
from graph_service.projection import Projection, build_projection
from graph_service.schema import INSTITUTION_KINDS, Label, RelType
from graph_service.stores.sqlite_store import SqliteStore


@pytest.fixture
def p(tiny_store: SqliteStore) -> Projection:
    return build_projection(tiny_store)  # a fresh one: some tests write to it


def _id(p: Projection, value: str, label: Label) -> str:
    return p.ids[resolve(p, value, label, "f")]


def test_a_value_is_an_id_a_full_name_or_a_short_name_only_one_node_has(p: Projection) -> None:
    for value in ("C01", "c01", "成渝地区双城经济圈", "成渝", " 成渝 ", "双城"):
        assert _id(p, value, Label.CIRCLE) == "C01", value
    assert _id(p, "Ｇ６０", Label.CIRCLE) == _id(p, "长三角G60科创走廊", Label.CIRCLE)  # full-width, any case
    chengdu = _id(p, "成都市", Label.REGION)
    assert p.names[p.idx(chengdu)] == "成都市"
    assert _id(p, "成都", Label.REGION) == chengdu  # not 成都高新技术产业开发区: the suffix-free name decides first
    assert p.names[resolve(p, "成都高新", Label.REGION, "f")] == "成都高新技术产业开发区"
    assert p.names[resolve(p, "内江（成都）", Label.REGION, "f")] == "内江(成都)科创飞地"
    assert p.names[resolve(p, "集成电路", Label.FIELD, "f")] == "集成电路"


def test_ambiguous_unknown_and_wrong_label_values_are_refused_in_chinese(p: Projection) -> None:
    with pytest.raises(InvalidInput) as e:
        resolve(p, "市中区", Label.REGION, "region")
    assert e.value.field == "region" and "可指多个地区" in e.value.reason
    assert "乐山市" in e.value.reason and "内江市" in e.value.reason  # each with its city, to tell them apart
    with pytest.raises(InvalidInput) as e:
        resolve(p, "成都平原", Label.CIRCLE, "circle")
    assert "找不到经济圈“成都平原”" in e.value.reason and "成都都市圈（C02）" in e.value.reason
    with pytest.raises(InvalidInput) as e:
        resolve(p, "东", Label.REGION, "region")  # 东区, 东兴区, 东坡区: a few named, not every region
    assert e.value.reason.count("RG") <= 5
    with pytest.raises(InvalidInput, match="是经济圈的编号，不是地区"):
        resolve(p, "C01", Label.REGION, "region")
    with pytest.raises(InvalidInput, match="为空"):
        resolve(p, "  ", Label.CIRCLE, "circle")
    with pytest.raises(InvalidInput) as e:
        resolve(p, "区" * 10_000, Label.REGION, "region")
    assert len(e.value.reason) < 200


def test_institution_kinds_by_code_or_chinese_name() -> None:
    assert {institution_kind(v) for v in ("university", "University", "大学", "高校")} == {"university"}
    assert institution_kind("科研院所") == institution_kind("研究") == "research_institute"
    with pytest.raises(InvalidInput) as e:
        institution_kind("城堡")
    assert e.value.field == "institution_kind" and "大学（university）" in e.value.reason
    assert [k[0] for k in catalogue.institution_kinds()] == list(INSTITUTION_KINDS)


def _flat(branches: list[catalogue.Branch], parent: str | None = None) -> dict[str, tuple[str | None, int | None]]:
    out: dict[str, tuple[str | None, int | None]] = {}
    for b in branches:
        assert b.id not in out
        out[b.id] = (parent, b.level)
        out.update(_flat(b.children, b.id))
    return out


def _parent_in_store(store: SqliteStore, node_id: str, up: RelType) -> str | None:
    found = [r.dst for r in store.relationships(node_id, [up], "out")]
    return min(found) if found else None


@pytest.mark.parametrize(("label", "up", "tree"), [(Label.REGION, RelType.PART_OF, catalogue.regions),
                                                   (Label.FIELD, RelType.SUBFIELD_OF, catalogue.fields)])
def test_trees_hold_every_node_once_under_its_parent(p: Projection, tiny_store: SqliteStore, label: Label,
                                                     up: RelType, tree) -> None:
    flat = _flat(tree(p))
    stored = [row[1:] for batch in tiny_store.scan_nodes(label, ("level",)) for row in batch]
    assert set(flat) == {node_id for node_id, _ in stored}
    for node_id, level in stored:
        assert flat[node_id] == (_parent_in_store(tiny_store, node_id, up), level)


def test_circles_list_their_members(p: Projection, tiny_store: SqliteStore) -> None:
    found = catalogue.circles(p)
    assert [c.id for c in found] == sorted(row[1] for b in tiny_store.scan_nodes(Label.CIRCLE, ()) for row in b)
    for c in found:
        stored = sorted(r.src for r in tiny_store.relationships(c.id, [RelType.MEMBER_OF], "in"))
        assert [m for m, _ in c.members] == stored and stored
    assert "成都市" in [name for _, name in found[0].members]


def test_nodes_written_since_the_build_count_and_deleted_ones_do_not(p: Projection) -> None:
    chengdu = _id(p, "成都市", Label.REGION)
    p.add_node("C90", Label.CIRCLE, name="测试科创走廊")
    p.add_edge(RelType.MEMBER_OF, chengdu, "C90")
    assert _id(p, "测试科创", Label.CIRCLE) == "C90"
    assert ("C90", "测试科创走廊", [(chengdu, "成都市")]) in [(c.id, c.name, c.members) for c in catalogue.circles(p)]
    p.add_node("RG9001", Label.REGION, {"level": 3}, name="新设区")
    p.add_edge(RelType.PART_OF, "RG9001", chengdu)
    assert _flat(catalogue.regions(p))["RG9001"] == (chengdu, 3)
    p.remove_node("C90")
    with pytest.raises(InvalidInput):
        resolve(p, "C90", Label.CIRCLE, "circle")
    assert "C90" not in [c.id for c in catalogue.circles(p)]
    p.remove_node(chengdu)  # its districts come up to the top rather than vanish
    flat = _flat(catalogue.regions(p))
    assert chengdu not in flat and flat["RG9001"] == (None, 3)


def test_a_part_of_cycle_still_shows_each_region_once(p: Projection) -> None:
    p.add_node("RG9101", Label.REGION, {"level": 3}, name="甲区")
    p.add_node("RG9102", Label.REGION, {"level": 3}, name="乙区")
    p.add_edge(RelType.PART_OF, "RG9101", "RG9102")
    p.add_edge(RelType.PART_OF, "RG9102", "RG9101")
    flat = _flat(catalogue.regions(p))
    assert {flat["RG9101"][0], flat["RG9102"][0]} == {None, "RG9101"}
