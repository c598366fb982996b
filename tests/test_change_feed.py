"""The change feed, in one process: two services on one store (each with its own connection, as two
workers have) stay equal to a fresh build from the store through any sequence of writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.models import Researcher
from graph_service.projection import Hop
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.state_digest import fresh_digest
from graph_service.stores.changes import FEED_ITEMS, ChangeSet, pending
from tests.conftest import Backend
from tests.writes import apply_write, writes


@pytest.fixture
def pair(backend: Backend, tiny_backend, tiny_models: Path) -> Iterator[tuple[GraphService, GraphService]]:
    with backend.open() as other:
        yield GraphService.open(tiny_backend, tiny_models), GraphService.open(other, tiny_models)


def _trained(service: GraphService) -> PartnerRecommender:
    rec = service.partner_recommender()
    assert rec.text.index is not None
    return rec


def assert_fresh(*services: GraphService) -> None:
    """Every service, caught up, serves what a process started now on the store would."""
    first = services[0]
    fresh = fresh_digest(first.store, PartnerRecommender.load(first.model_dir, first.projection, first.store))
    for service in services:
        service.catch_up()
        assert service.state_digest()[1] == fresh
        assert service.seq == first.store.change_head()


def test_each_write_is_one_change_naming_what_it_touched(tiny_backend) -> None:
    head = tiny_backend.change_head()
    tiny_backend.write(lambda w: w.upsert_nodes(Label.RESEARCHER, [("R9", "新人", {})]))
    tiny_backend.write(lambda w: w.upsert_rels(RelType.CO_AUTHOR, [("R0000001", "R9", {"weight": 2.0})]))
    tiny_backend.write(lambda w: w.delete_node("R9"))
    tiny_backend.write(lambda w: w.delete_node("nobody"))  # nothing changed: no change recorded
    changes = tiny_backend.changes_since(head)
    assert [c.seq for c in changes] == [head + 1, head + 2, head + 3]
    assert tiny_backend.change_head() == head + 3
    assert changes[0].nodes == {"R9": False} and changes[1].rels == {("CO_AUTHOR", "R0000001", "R9")}
    assert changes[2].nodes == {"R9": True}
    merged = pending(changes, head, head + 3)
    assert merged.nodes == {"R9": True} and not merged.reset


def test_a_rolled_back_write_leaves_no_change(tiny_backend) -> None:
    head = tiny_backend.change_head()

    def fails(w) -> None:
        w.upsert_nodes(Label.RESEARCHER, [("R9", "新人", {})])
        raise RuntimeError("on purpose")

    with pytest.raises(RuntimeError):
        tiny_backend.write(fails)
    assert tiny_backend.change_head() == head and tiny_backend.changes_since(head) == []


def test_a_big_write_is_a_reset_and_readers_rebuild(pair) -> None:
    a, b = pair
    rows = [(f"R9{i:05d}", f"批量{i}", {}) for i in range(FEED_ITEMS + 1)]
    a.store.write(lambda w: w.upsert_nodes(Label.RESEARCHER, rows))
    assert a.store.changes_since(a.store.change_head() - 1)[0].reset
    assert_fresh(a, b)
    assert b.projection.node_count == a.projection.node_count


def test_a_reader_behind_a_gap_or_on_another_store_rebuilds() -> None:
    assert pending([], 5, 4).reset  # the head went back: another store in the same place
    assert pending([], 5, 9).reset  # changes 6..9 pruned
    assert not pending([], 5, 5).reset
    big = ChangeSet()
    big.rels_of("CO_AUTHOR", ((f"R{i}", "R0") for i in range(FEED_ITEMS + 1)))
    assert big.reset and not big.rels  # too many to list: recorded as a reset


def test_delete_and_recreate_leaves_no_ghost_edges(pair) -> None:
    a, b = pair
    before = [r for r in a.store.relationships("R0000001")]
    assert before
    a.delete_node("R0000001")
    a.put_node(Label.RESEARCHER, Researcher(id="R0000001", name="新的同名", expertise="储氢材料"), create_only=True)
    b.catch_up()
    for service in (a, b):
        assert service.neighbourhood("R0000001", [Hop()], None, 100).edges == []
    assert_fresh(a, b)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.booleans(), writes()), min_size=1, max_size=8))
def test_random_writes_through_either_service_stay_equal_to_a_fresh_build(pair, steps) -> None:
    a, b = pair
    for through_a, write in steps:
        apply_write(a if through_a else b, write)
        assert_fresh(a, b)
