"""New cases go to the staff member whose patch they are in, with room, on each store: the enterprise's
region first, then room, then the need's field, then the lightest load; staff hand cases on by hand."""

from __future__ import annotations

import pytest

from graph_service.auth.accounts import add_user
from graph_service.cases.assign import assign, patch_of, set_profile
from graph_service.cases.pipeline import open_case
from graph_service.errors import Conflict, InvalidInput
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import StaffProfile
from tests.conftest import TEST_PASSWORD


def _needs_of_one_city(store: GraphStore, n: int) -> tuple[list[str], str, str]:
    """n needs whose enterprises share a city and a field; that city and field."""
    by_place: dict[tuple[str, str], list[str]] = {}
    for batch in store.scan_nodes(Label.NEED, ()):
        for row in batch:
            firm = [r.src for r in store.relationships(row[1], [RelType.POSTED], "in")]
            if not firm:
                continue
            regions, fields = patch_of(store, row[1], firm[0])
            city = sorted(r for r in regions if store.get_node(r).props.get("level") == 2)  # type: ignore[union-attr]
            for f in fields:
                if city:
                    by_place.setdefault((city[0], f), []).append(row[1])
    (city, field), needs = max(by_place.items(), key=lambda kv: len(kv[1]))
    assert len(needs) >= n
    return needs[:n], city, field


def test_cases_go_to_the_region_then_room_then_field_then_load(tiny_backend: GraphStore) -> None:
    store = tiny_backend
    needs, city, field = _needs_of_one_city(store, 5)
    for name in ("an", "bo", "cy", "lead"):
        add_user(store, name, "staff", None, TEST_PASSWORD)
    other_city = next(row[1] for b in store.scan_nodes(Label.REGION, ()) for row in b
                      if row[1] != city and store.get_node(row[1]).props.get("level") == 2)  # type: ignore[union-attr]
    set_profile(store, StaffProfile("an", (city,), (field,), capacity=2, lead="lead"))
    set_profile(store, StaffProfile("bo", (city,), (), capacity=2, lead="lead"))
    set_profile(store, StaffProfile("cy", (other_city,), (field,), capacity=50))
    got = [open_case(store, need, "system").assignee for need in needs]
    # an fits region and field until full; then bo (same region, room) before cy (field only);
    # with both in the region full, the lighter of them for their capacity
    assert got[:4] == ["an", "an", "bo", "bo"] and got[4] in ("an", "bo")
    assert store.open_loads() == {"an": got.count("an"), "bo": got.count("bo")}


def test_profiles_are_checked_and_cases_handed_on_by_hand(tiny_backend: GraphStore) -> None:
    store = tiny_backend
    needs, city, field = _needs_of_one_city(store, 1)
    add_user(store, "an", "staff", None, TEST_PASSWORD)
    add_user(store, "bo", "staff", None, TEST_PASSWORD)
    add_user(store, "org", "organiser", None, TEST_PASSWORD)
    for bad, says in [(StaffProfile("nobody"), "不是服务人员账号"), (StaffProfile("org"), "不是服务人员账号"),
                      (StaffProfile("an", (field,)), "不是图谱中的地区"), (StaffProfile("an", (), (city,)), "领域"),
                      (StaffProfile("an", capacity=0), "至少为 1"), (StaffProfile("an", lead="an"), "本人"),
                      (StaffProfile("an", lead="org"), "不是服务人员账号")]:
        with pytest.raises(InvalidInput, match=says):
            set_profile(store, bad)
    assert store.staff_profiles() == []
    case = open_case(store, needs[0], "system")
    assert case.assignee is None  # no profiles yet: a lead assigns by hand
    with pytest.raises(InvalidInput, match="不是在岗的服务人员"):
        assign(store, case.id, "org", "lead", case.updated)
    moved = assign(store, case.id, "an", "lead", case.updated, "熟悉该企业")
    assert moved.assignee == "an" and store.events(case.id)[-1].text == "转交给 an：熟悉该企业"
    with pytest.raises(Conflict):
        assign(store, case.id, "bo", "lead", case.updated)  # a stale token
