"""The `GraphStore` contract, run against every backend (see the `store` fixture)."""

from __future__ import annotations

import pytest

from graph_service.errors import Conflict, InvalidInput, StoreUnavailable
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore, GraphWriter
from graph_service.stores.neo4j_local import free_port
from graph_service.stores.neo4j_store import Neo4jStore


def _seed(store: GraphStore) -> None:
    def work(w: GraphWriter) -> None:
        w.upsert_nodes(Label.INSTITUTION, [("I1", "四川大学", {"kind": "university"})])
        w.upsert_nodes(Label.FIELD, [("F1", "集成电路", {"level": 2})])
        w.upsert_nodes(Label.RESEARCHER, [
            ("R1", "王有治", {"title": "教授", "keywords": ["有机硅", "密封胶"]}),
            ("R2", "李娜", {"keywords": []}),
            ("R3", "张伟", {}),
        ])
        w.upsert_rels(RelType.AFFILIATED_WITH, [("R1", "I1", {"since": 2001}), ("R2", "I1", {})])
        w.upsert_rels(RelType.EXPERT_IN, [("R1", "F1", {"weight": 0.8})])
        w.upsert_rels(RelType.CO_AUTHOR, [("R1", "R2", {"weight": 3.0, "first_year": 2015})])

    store.write(work)


def test_nodes_round_trip_with_their_properties(store: GraphStore) -> None:
    _seed(store)
    node = store.get_node("R1")
    assert node is not None and node.label == "Researcher"
    assert node.props == {"name": "王有治", "title": "教授", "keywords": ["有机硅", "密封胶"]}
    assert store.get_node("missing") is None
    assert set(store.get_nodes(["R1", "I1", "nope"])) == {"R1", "I1"}
    assert store.labels_of(["R1", "I1", "nope"]) == {"R1": "Researcher", "I1": "Institution"}


def test_counts_by_label_and_type(store: GraphStore) -> None:
    _seed(store)
    counts = store.counts()
    assert counts.nodes == {"Institution": 1, "Field": 1, "Researcher": 3}
    assert counts.rels == {"AFFILIATED_WITH": 2, "EXPERT_IN": 1, "CO_AUTHOR": 1}


def test_upserts_are_idempotent_and_replace_properties(store: GraphStore) -> None:
    _seed(store)
    _seed(store)
    assert store.counts().rels["AFFILIATED_WITH"] == 2
    store.write(lambda w: w.upsert_nodes(Label.RESEARCHER, [("R3", "张伟", {"title": "研究员"})]))
    assert store.get_node("R3").props == {"name": "张伟", "title": "研究员"}
    store.write(lambda w: w.upsert_rels(RelType.EXPERT_IN, [("R1", "F1", {"weight": 0.5})]))
    [rel] = store.relationships("R1", [RelType.EXPERT_IN])
    assert rel.props["weight"] == pytest.approx(0.5)


def test_an_id_keeps_its_label(store: GraphStore) -> None:
    _seed(store)
    with pytest.raises(Conflict, match="R1"):
        store.write(lambda w: w.upsert_nodes(Label.ENTERPRISE, [("R1", "x", {})]))
    assert store.get_node("R1").label == "Researcher"
    with pytest.raises(TypeError):  # labels and types come from the whitelist's enums only
        store.write(lambda w: w.upsert_nodes("Planet", [("P1", "x", {})]))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.write(lambda w: w.upsert_rels("KNOWS", [("R1", "R2", {})]))  # type: ignore[arg-type]


def test_relationships_need_existing_endpoints_of_allowed_labels(store: GraphStore) -> None:
    _seed(store)
    with pytest.raises(InvalidInput, match="no node with id 'ghost'") as err:
        store.write(lambda w: w.upsert_rels(RelType.AFFILIATED_WITH, [("R3", "I1", {}), ("ghost", "I1", {})]))
    assert err.value.field == "src" and err.value.row == 1
    with pytest.raises(InvalidInput, match="cannot end at a Researcher") as err:
        store.write(lambda w: w.upsert_rels(RelType.AFFILIATED_WITH, [("R3", "R1", {})]))
    assert err.value.field == "dst"
    assert store.counts().rels["AFFILIATED_WITH"] == 2  # the failed writes left nothing


def test_a_failed_transaction_leaves_nothing(store: GraphStore) -> None:
    _seed(store)

    def work(w: GraphWriter) -> None:
        w.upsert_nodes(Label.RESEARCHER, [("R9", "新人", {})])
        w.upsert_rels(RelType.CO_AUTHOR, [("R9", "R1", {})])
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.write(work)
    assert store.get_node("R9") is None
    assert store.counts().rels["CO_AUTHOR"] == 1


def test_relationships_of_a_node_by_type_and_direction(store: GraphStore) -> None:
    _seed(store)
    out = store.relationships("R1", direction="out")
    assert [(r.type, r.dst) for r in out] == [("AFFILIATED_WITH", "I1"), ("CO_AUTHOR", "R2"), ("EXPERT_IN", "F1")]
    inc = store.relationships("I1", [RelType.AFFILIATED_WITH], direction="in")
    assert [r.src for r in inc] == ["R1", "R2"]
    assert store.relationships("I1", direction="out") == []
    assert store.relationships("R1", limit=1)[0].type == "AFFILIATED_WITH"
    # ordered by type, then ids, not by when they were written: every backend lists the same first
    store.write(lambda w: w.upsert_nodes(Label.RESEARCHER, [("R0", "后来者", {})]))
    store.write(lambda w: w.upsert_rels(RelType.AFFILIATED_WITH, [("R0", "I1", {})]))
    assert [r.src for r in store.relationships("I1", direction="in", limit=2)] == ["R0", "R1"]


def test_delete_node_removes_its_relationships(store: GraphStore) -> None:
    _seed(store)
    assert store.write(lambda w: w.delete_node("R1")) is True
    assert store.write(lambda w: w.delete_node("R1")) is False
    assert store.get_node("R1") is None
    assert store.counts().rels == {"AFFILIATED_WITH": 1}
    assert [r.src for r in store.relationships("I1")] == ["R2"]


def test_delete_relationship(store: GraphStore) -> None:
    _seed(store)
    assert store.write(lambda w: w.delete_rel(RelType.AFFILIATED_WITH, "R2", "I1")) is True
    assert store.write(lambda w: w.delete_rel(RelType.AFFILIATED_WITH, "R2", "I1")) is False
    assert store.counts().rels["AFFILIATED_WITH"] == 1


def test_search_by_name_substring(store: GraphStore) -> None:
    _seed(store)
    assert [n.id for n in store.search("四川")] == ["I1"]
    assert [n.id for n in store.search("张", label=Label.RESEARCHER)] == ["R3"]
    assert store.search("张", label=Label.INSTITUTION) == []
    assert store.search("%") == []  # wildcards are literal


def test_scans_cover_every_node_and_relationship(store: GraphStore) -> None:
    _seed(store)
    rows = [r for batch in store.scan_nodes(Label.INSTITUTION, ["kind"]) for r in batch]
    assert [(r[1], r[2]) for r in rows] == [("I1", "university")]
    institution = rows[0][0]
    named = [r for batch in store.scan_nodes(Label.RESEARCHER, ["name", "title"], batch=2) for r in batch]
    assert sorted(r[1:] for r in named) == [("R1", "王有治", "教授"), ("R2", "李娜", None), ("R3", "张伟", None)]
    researchers = {r[1]: r[0] for r in named}
    rels = [r for src, dst, weight in store.scan_rels(RelType.CO_AUTHOR) for r in zip(src, dst, weight)]
    assert rels == [(researchers["R1"], researchers["R2"], 3.0)]
    affiliated = [r for src, dst, _ in store.scan_rels(RelType.AFFILIATED_WITH, batch=20) for r in zip(src, dst)]
    assert sorted(affiliated) == sorted([(researchers["R1"], institution), (researchers["R2"], institution)])
    assert [r for batch in store.scan_rels(RelType.PARTY_TO) for r in zip(*batch)] == []


def test_ping(store: GraphStore) -> None:
    assert store.ping() is True


@pytest.mark.neo4j
def test_neo4j_driver_errors_become_ours(neo4j_server: tuple[str, str, str]) -> None:
    """A wrong password or a server that is down: one clear error (the API answers 503, the CLI exits 3)."""
    uri, user, _ = neo4j_server
    with Neo4jStore(uri, user, "wrong-password") as wrong, pytest.raises(StoreUnavailable,
                                                                         match="refused the user name or password"):
        wrong.counts()
    with Neo4jStore(f"bolt://127.0.0.1:{free_port()}", user, "x") as down:
        with pytest.raises(StoreUnavailable, match="unreachable"):
            down.get_node("R1")
        assert down.ping() is False


def test_accounts_and_the_audit_trail_live_beside_the_graph(store: GraphStore) -> None:
    from graph_service.errors import Conflict as Taken
    from graph_service.stores.records import Account, AuditEntry

    store.add_account(Account("li", "enterprise", "E1", "$argon2id$x", created="2026-01-01T00:00:00+00:00"))
    store.add_account(Account("an", "staff", None, "$argon2id$y"))
    with pytest.raises(Taken):
        store.add_account(Account("li", "staff", None, "h"))
    assert [a.username for a in store.list_accounts()] == ["an", "li"]
    assert store.update_account("li", disabled=True, password_hash="h2", password_changed="2026-02-01")
    assert not store.update_account("ghost", disabled=True)
    li = store.get_account("li")
    assert (li.disabled, li.password_hash, li.entity, li.password_changed) == (True, "h2", "E1", "2026-02-01")
    assert store.get_account("ghost") is None and store.counts().nodes == {}  # not graph entities
    for n in range(5):
        store.append_audit(AuditEntry(actor="an", role="staff", action=f"write {n}", detail={"n": n, "名": "值"}))
    newest = store.read_audit(limit=2)
    assert [e.action for e in newest] == ["write 4", "write 3"] and newest[0].detail == {"n": 4, "名": "值"}
    assert [e.action for e in store.read_audit(limit=10, before=newest[1].at)] == ["write 2", "write 1", "write 0"]
