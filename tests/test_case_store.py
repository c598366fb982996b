"""The cases of the 保姆式 service in the system of record, on every backend (see the `store` fixture)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from graph_service.errors import Conflict, InvalidInput, NotFound
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord, StaffProfile
from graph_service.stores.records import now
from tests.conftest import Backend


def _case(need: str, stage: str = "new", assignee: str | None = "an", enterprise: str = "E1") -> CaseRecord:
    stamp = now()
    return CaseRecord(id=f"case-{need}", need=need, enterprise=enterprise, stage=stage, assignee=assignee,
                      opened=stamp, updated=stamp, detail={"问题": "电池热管理", "confidential": ["budget"]})


def _opened(case: CaseRecord) -> CaseEvent:
    return CaseEvent(case=case.id, kind="stage", actor="an", text="opened", detail={"stage": case.stage})


def _open(store: GraphStore, need: str, **kw: object) -> CaseRecord:
    case = _case(need, **kw)  # type: ignore[arg-type]
    store.create_case(case, _opened(case))
    return store.get_case(case.id)  # type: ignore[return-value]  # with the time of its first event


def test_a_case_is_created_with_its_first_event_and_read_back(store: GraphStore) -> None:
    case = _open(store, "N1")
    [first] = store.events("case-N1")
    case = replace(case, active=first.at)  # the store keeps the time of the last event
    assert store.get_case("case-N1") == case
    assert store.case_for_need("N1") == case
    assert store.get_case("case-N2") is None and store.case_for_need("N2") is None
    assert (first.case, first.kind, first.text, first.detail) == ("case-N1", "stage", "opened", {"stage": "new"})
    assert first.seq > 0
    assert store.counts().nodes == {}  # not graph entities


def test_a_second_case_of_an_id_or_a_need_is_refused_and_writes_nothing(store: GraphStore) -> None:
    case = _open(store, "N1")
    same_need = CaseRecord(id="case-other", need="N1", enterprise="E2", stage="new", assignee=None,
                           opened=now(), updated=now())
    same_id = CaseRecord(id="case-N1", need="N9", enterprise="E2", stage="new", assignee=None,
                         opened=now(), updated=now())
    with pytest.raises(Conflict, match="需求 N1 已有案件"):
        store.create_case(same_need, _opened(same_need))
    with pytest.raises(Conflict, match="案件 case-N1 已存在"):
        store.create_case(same_id, _opened(same_id))
    assert store.get_case("case-other") is None and store.case_for_need("N9") is None
    assert store.get_case("case-N1") == case
    assert len(store.events("case-N1")) == 1 and store.events("case-other") == []


def test_an_update_with_the_current_token_applies_and_logs_in_one_go(store: GraphStore) -> None:
    case = _open(store, "N1")
    event = CaseEvent(case="case-N1", kind="stage", actor="an", text="需求已澄清", detail={"from": "new"})
    new = store.update_case("case-N1", case.updated, {"stage": "clarified", "next_action": "约访", "due": "2026-03-01",
                                                      "detail": {"budget": 500000}}, event)
    assert (new.stage, new.next_action, new.due, new.detail) == ("clarified", "约访", "2026-03-01", {"budget": 500000})
    assert new.updated > case.updated and (new.id, new.need, new.opened) == (case.id, case.need, case.opened)
    assert store.get_case("case-N1") == new
    assert [e.text for e in store.events("case-N1")] == ["opened", "需求已澄清"]
    # a value set to None is cleared
    cleared = store.update_case("case-N1", new.updated, {"assignee": None, "next_action": None},
                                CaseEvent(case="case-N1", kind="assign", actor="an"))
    assert (cleared.assignee, cleared.next_action, cleared.due) == (None, None, "2026-03-01")
    assert store.get_case("case-N1") == cleared


def test_a_stale_token_is_refused_and_changes_nothing(store: GraphStore) -> None:
    case = _open(store, "N1")
    moved = store.update_case("case-N1", case.updated, {"assignee": "bo"},
                              CaseEvent(case="case-N1", kind="assign", actor="an"))
    with pytest.raises(Conflict, match="已被他人修改"):
        store.update_case("case-N1", case.updated, {"stage": "closed", "close_reason": "no_partner"},
                          CaseEvent(case="case-N1", kind="stage", actor="cy"))
    assert store.get_case("case-N1") == moved
    assert [e.kind for e in store.events("case-N1")] == ["stage", "assign"]


@pytest.mark.parametrize("token", ["a\U000bc57d", "9999-99-99", "\x00", "zzzz"])
def test_a_token_we_never_issued_is_stale_not_a_crash(store: GraphStore, token: str) -> None:
    case = _open(store, "N1")
    with pytest.raises(Conflict, match="已被他人修改"):
        store.update_case("case-N1", token, {"assignee": "bo"}, CaseEvent(case="case-N1", kind="assign", actor="an"))
    assert store.get_case("case-N1") == case


def test_updates_refuse_fixed_fields_missing_cases_and_foreign_events(store: GraphStore) -> None:
    case = _open(store, "N1")
    for field in ("need", "enterprise", "opened", "id", "updated"):
        with pytest.raises(InvalidInput):
            store.update_case("case-N1", case.updated, {field: "x"}, CaseEvent(case="case-N1", kind="note", actor="an"))
    with pytest.raises(InvalidInput):
        store.update_case("case-N1", case.updated, {"stage": "clarified"},
                          CaseEvent(case="case-N2", kind="note", actor="an"))
    with pytest.raises(NotFound):
        store.update_case("case-N2", case.updated, {"stage": "clarified"},
                          CaseEvent(case="case-N2", kind="note", actor="an"))
    assert store.get_case("case-N1") == case and len(store.events("case-N1")) == 1


def test_events_are_appended_oldest_first_with_increasing_numbers(store: GraphStore) -> None:
    _open(store, "N1")
    _open(store, "N2")
    added = [store.add_event(CaseEvent(case=f"case-N{1 + n % 2}", kind="note", actor="an", text=f"note {n}",
                                       detail={"n": n})) for n in range(6)]
    seqs = [e.seq for e in added]
    assert seqs == sorted(seqs) and len(set(seqs)) == 6
    events = store.events("case-N1")
    assert [e.text for e in events] == ["opened", "note 0", "note 2", "note 4"]
    assert [e.seq for e in events] == sorted(e.seq for e in events) and events[1:] == added[0::2]
    assert [e.text for e in store.events("case-N2", limit=2)] == ["opened", "note 1"]
    with pytest.raises(NotFound):
        store.add_event(CaseEvent(case="case-N9", kind="note", actor="an"))
    assert store.events("case-N9") == []
    assert not hasattr(store, "delete_event") and not hasattr(store, "update_event")


def test_cases_listed_by_filter_and_paged_by_id(store: GraphStore) -> None:
    for n, (stage, assignee, enterprise) in enumerate([("new", "an", "E1"), ("clarified", "an", "E2"),
                                                       ("new", "bo", "E1"), ("new", None, "E2"),
                                                       ("signed", "bo", "E1")]):
        _open(store, f"N{n}", stage=stage, assignee=assignee, enterprise=enterprise)
    ids = lambda cases: [c.id.removeprefix("case-") for c in cases]  # noqa: E731
    assert ids(store.list_cases()) == ["N0", "N1", "N2", "N3", "N4"]
    assert ids(store.list_cases(stage="new")) == ["N0", "N2", "N3"]
    assert ids(store.list_cases(assignee="bo")) == ["N2", "N4"]
    assert ids(store.list_cases(enterprise="E1", stage="new")) == ["N0", "N2"]
    assert ids(store.list_cases(stage="new", assignee="an", enterprise="E2")) == []
    first = store.list_cases(limit=2)
    assert ids(first) == ["N0", "N1"]
    assert ids(store.list_cases(limit=2, after=first[-1].id)) == ["N2", "N3"]
    assert ids(store.list_cases(stage="new", limit=2, after="case-N0")) == ["N2", "N3"]
    assert store.case_counts() == {"new": 3, "clarified": 1, "signed": 1}


def test_case_counts_of_an_empty_store(store: GraphStore) -> None:
    assert store.case_counts() == {} and store.list_cases() == []


def test_of_two_updates_with_the_same_token_exactly_one_wins(store: GraphStore) -> None:
    case = _open(store, "N1")
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def update(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = store.update_case("case-N1", case.updated, {"assignee": f"staff-{n}"},
                                            CaseEvent(case="case-N1", kind="assign", actor=f"staff-{n}"))
        except Conflict as e:
            outcomes[n] = e

    threads = [threading.Thread(target=update, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [o for o in outcomes if isinstance(o, CaseRecord)]
    assert len(won) == 1 and sum(isinstance(o, Conflict) for o in outcomes) == 1, outcomes
    assert store.get_case("case-N1") == won[0]
    assert [e.actor for e in store.events("case-N1")] == ["an", won[0].assignee]


def test_the_last_activity_follows_every_event_and_maps_round_trip(store: GraphStore) -> None:
    case = _open(store, "N1")
    note = store.add_event(CaseEvent(case="case-N1", kind="call", actor="an", text="电话", at="2099-01-01T00:00:00"))
    assert store.get_case("case-N1").active == note.at  # type: ignore[union-attr]
    store.add_event(CaseEvent(case="case-N1", kind="note", actor="an", at="2000-01-01T00:00:00"))  # late entry
    assert store.get_case("case-N1").active == note.at  # type: ignore[union-attr]  # never moves back
    new = store.update_case("case-N1", case.updated, {"reached": {"new": "a", "clarified": "b"},
                                                      "introduced": ("R1", "R2")},
                            CaseEvent(case="case-N1", kind="stage", actor="an", at="2099-02-01T00:00:00"))
    assert store.get_case("case-N1") == new and new.introduced == ("R1", "R2") and new.active == "2099-02-01T00:00:00"
    assert [c.id for c in store.list_cases(introduced="R2")] == ["case-N1"] and store.list_cases(introduced="R3") == []


def test_a_history_is_imported_in_one_go_or_not_at_all(store: GraphStore) -> None:
    first = _case("N1", stage="signed")
    second = replace(_case("N2", assignee="bo"), posted="2015-03-01", reached={"new": "2015-03-01T09:00:00"})
    events = [CaseEvent(case=first.id, kind="stage", actor="gen", text=f"e{n}", at=f"2015-0{n + 1}-01T00:00:00")
              for n in range(3)]
    assert store.import_cases([(first, events), (second, [])]) == 3
    assert [e.text for e in store.events(first.id)] == ["e0", "e1", "e2"]
    assert store.get_case(first.id).active == "2015-03-01T00:00:00"  # type: ignore[union-attr]
    assert store.get_case(second.id) == replace(second, active=second.opened)
    facts = {f.id: f for f in store.case_facts()}
    assert list(facts) == [first.id, second.id]
    assert (facts[second.id].posted, facts[second.id].reached, facts[second.id].assignee) == \
        ("2015-03-01", {"new": "2015-03-01T09:00:00"}, "bo")
    assert (facts[first.id].stage, facts[first.id].active) == ("signed", "2015-03-01T00:00:00")
    later = store.add_event(CaseEvent(case=first.id, kind="note", actor="an"))
    assert later.seq > max(e.seq for e in store.events(first.id)[:3])  # numbers go on after the history
    with pytest.raises(Conflict):
        store.import_cases([(_case("N3"), []), (_case("N1"), [])])
    assert store.get_case("case-N3") is None and store.case_counts() == {"signed": 1, "new": 1}
    assert store.open_loads() == {"bo": 1}


def test_staff_profiles_are_kept_and_replaced(store: GraphStore) -> None:
    assert store.staff_profiles() == []
    store.put_staff(StaffProfile("wang", ("RG1",), ("F1", "F2"), capacity=30, lead="li"))
    store.put_staff(StaffProfile("li", capacity=10))
    store.put_staff(StaffProfile("wang", ("RG2",), (), capacity=5))
    assert store.staff_profiles() == [StaffProfile("li", (), (), 10, None), StaffProfile("wang", ("RG2",), (), 5, None)]


def test_a_store_made_before_the_newer_case_columns_gains_them(tmp_path) -> None:
    import sqlite3

    from graph_service.stores.sqlite_store import SqliteStore

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # the table as first released
        conn.execute("CREATE TABLE cases (id TEXT PRIMARY KEY, need TEXT NOT NULL, enterprise TEXT NOT NULL, "
                     "stage TEXT NOT NULL, assignee TEXT, opened TEXT NOT NULL, updated TEXT NOT NULL, "
                     "next_action TEXT, due TEXT, close_reason TEXT, detail TEXT NOT NULL)")
        conn.execute("INSERT INTO cases VALUES ('case-N1', 'N1', 'E1', 'new', NULL, 't', 't', NULL, NULL, NULL, '{}')")
    store = SqliteStore(path)
    try:
        store.ensure_schema()  # as open_store does
        assert store.get_case("case-N1") == CaseRecord("case-N1", "N1", "E1", "new", None, "t", "t")
    finally:
        store.close()


def test_facts_kept_by_one_worker_follow_every_change_made_by_another(backend: Backend) -> None:
    """Two store objects on one system of record, as two workers: the one that keeps the facts between
    reads sees each change the other makes (the next read brings only the changed case)."""
    with backend.open() as reader, backend.open() as writer:
        first = _open(writer, "N1")
        assert [f.id for f in reader.case_facts()] == ["case-N1"]
        mark = reader.case_log_mark()
        _open(writer, "N0", assignee=None)
        writer.update_case(first.id, first.updated, {"stage": "clarified", "reached": {"clarified": "2026-01-02"}},
                           CaseEvent(case=first.id, kind="stage", actor="an"))
        assert reader.case_log_mark()[1] == mark[1] + 2
        assert [f.id for f in reader.read_case_facts(mark[1])] == ["case-N0", "case-N1"]
        assert reader.read_case_facts(reader.case_log_mark()[1]) == []
        facts = reader.case_facts()
        assert [(f.id, f.stage, f.assignee) for f in facts] == [("case-N0", "new", None), ("case-N1", "clarified", "an")]
        writer.add_event(CaseEvent(case="case-N0", kind="note", actor="an", at="2099-01-01T00:00:00"))
        assert {f.id: f.active for f in reader.case_facts()}["case-N0"] == "2099-01-01T00:00:00"
        assert reader.case_facts() == writer.case_facts() == reader.read_case_facts()
        assert [c.id for c in reader.changed_cases(mark[1])] == ["case-N0", "case-N1"]
        assert reader.changed_cases() == [reader.get_case("case-N0"), reader.get_case("case-N1")]
