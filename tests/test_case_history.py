"""The grown case history on each store, from the tiny market: every move allowed by the stage rules, signed
cases exactly the needs a deal fulfils, times in order and never after `today`, every case held by a staff
member with a profile (the best fitting one, by graph_service.cases.assign), verdicts that follow the hidden
preferences the way the graph says, one history per store and per seed.

Facts are read back through the store's public interface and the graph, not from the generator's own
structures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from graph_service.auth.accounts import add_user
from graph_service.cases.assign import fit, patch_of
from graph_service.cases.partners import DECLINE_REASONS, VERDICTS
from graph_service.cases.stages import CLOSE_REASONS, Stage, check_move, rank
from graph_service.errors import InvalidInput
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseRecord
from graph_service.stores.sqlite_store import SqliteStore
from loaders.generator.cases import grow_case_history
from loaders.importer import load_directory

TODAY = date(2026, 11, 30)
PATH_KINDS = {"past_deal", "partner_coauthor", "peer_deal", "shared_field", "same_city", "same_circle"}
SENIOR = {"教授", "研究员", "正高级工程师"}


def all_cases(store: GraphStore) -> list[CaseRecord]:
    out: list[CaseRecord] = []
    while page := store.list_cases(limit=500, after=out[-1].id if out else ""):
        out += page
    return out


def history(store: GraphStore) -> dict[str, tuple[CaseRecord, list[tuple]]]:
    """Every case with its log (without the store's sequence numbers), comparable across stores."""
    return {c.id: (c, [(e.kind, e.actor, e.text, e.detail, e.at) for e in store.events(c.id)])
            for c in all_cases(store)}


def needs_with_poster(store: GraphStore) -> dict[str, str]:
    """need -> its enterprise (the first by id), read from the graph."""
    needs = [row[1] for batch in store.scan_nodes(Label.NEED, ()) for row in batch]
    out = {}
    for need in needs:
        posters = [r.src for r in store.relationships(need, [RelType.POSTED], "in")]
        firms = sorted(p for p, label in store.labels_of(posters).items() if label == Label.ENTERPRISE)
        if firms:
            out[need] = firms[0]
    return out


def replay(case: CaseRecord, events: list[CaseEvent]) -> dict[str, str]:
    """Every stage event through the stage rules; the time each stage was first reached."""
    moves = [e for e in events if e.kind == "stage"]
    assert moves[0].detail == {"to": "new", "assignee": case.assignee} and moves[0].at == case.opened
    current, reached = Stage.NEW, {"new": moves[0].at}
    for e in moves[1:]:
        assert e.detail["from"] == current.value, (case.id, e)
        target = Stage(e.detail["to"])
        check_move(current, target, e.detail.get("reason", ""), e.detail.get("close_reason"))
        reached.setdefault(target.value, e.at)
        current = target
    assert current.value == case.stage
    if current == Stage.CLOSED:
        assert moves[-1].detail["close_reason"] == case.close_reason and case.close_reason in CLOSE_REASONS
    else:
        assert case.close_reason is None
    return reached


@pytest.fixture
def grown(tiny_backend: GraphStore) -> tuple[GraphStore, dict]:
    return tiny_backend, grow_case_history(tiny_backend, seed=7, today=TODAY)


def test_history_obeys_the_stage_rules_and_the_clock(grown) -> None:
    store, summary = grown
    cases = all_cases(store)
    posters = needs_with_poster(store)
    assert {c.need for c in cases} == set(posters) and len(cases) == summary["cases"] == len(posters)
    posted = {i: n.props.get("posted") for i, n in store.get_nodes(list(posters)).items()}
    events_total = 0
    for case in cases:
        assert case.id == f"case-{case.need}" and case.enterprise == posters[case.need]
        events = store.events(case.id)
        events_total += len(events)
        assert replay(case, events) == case.reached
        times = [e.at for e in events]
        assert times == sorted(set(times)), f"{case.id}: times not strictly increasing"
        assert case.posted == str(posted[case.need])[:10] == case.opened[:10] <= times[-1][:10] <= TODAY.isoformat()
        assert case.active == case.updated == times[-1]
        assert {e.actor for e in events} == {case.assignee}
        if case.stage in (Stage.SIGNED, Stage.CLOSED):
            assert case.next_action is None and case.due is None
        elif case.due is not None:
            assert events[-1].kind == "action" and case.next_action in events[-1].text and case.due in events[-1].text
    assert summary["events"] == events_total
    counts = store.case_counts()
    assert {s: n for s, n in summary["stages"].items() if n} == counts
    assert counts.get("closed", 0) > counts.get("signed", 0) / 2 > 0  # most unsigned old cases are closed


def test_signed_cases_are_exactly_the_needs_a_deal_fulfils(grown) -> None:
    store, _ = grown
    for case in all_cases(store):
        deals = sorted(r.src for r in store.relationships(case.need, [RelType.FULFILS], "in"))
        assert (case.stage == Stage.SIGNED) == bool(deals), case.id
        if not deals:
            assert "deal" not in case.detail
            continue
        dates = {d: str(n.props["date"])[:10] for d, n in store.get_nodes(deals).items()}
        first = min(deals, key=lambda d: (dates[d], d))
        assert case.detail["deal"] == first and case.reached["signed"][:10] == dates[first]
        assert [e.detail.get("deals") for e in store.events(case.id) if e.detail.get("to") == "signed"] == [deals]
        parties = [r.src for d in deals for r in store.relationships(d, [RelType.PARTY_TO], "in")]
        researchers = [p for p, label in store.labels_of(parties).items() if label == Label.RESEARCHER]
        for r in researchers:
            assert case.detail["feedback"][r]["verdict"] == "accept"
            assert case.detail["introductions"][r]["answer"] == "agree" and r in case.introduced


def test_every_case_is_held_by_the_best_fitting_staff_member(grown) -> None:
    store, summary = grown
    profiles = {p.username: p for p in store.staff_profiles()}
    assert len(profiles) == summary["staff"] >= 2
    for p in profiles.values():
        assert store.get_account(p.username).role == "staff" and p.capacity >= 1
        assert set(store.labels_of(list(p.regions)).values()) == {Label.REGION}
        fields = store.get_nodes(list(p.fields))
        assert fields and {n.label for n in fields.values()} == {Label.FIELD}
        assert {n.props["level"] for n in fields.values()} == {1}
        assert p.lead is None or p.lead in profiles
    assert sum(p.lead is None for p in profiles.values()) == 1  # one chief; every other member has a lead
    for case in all_cases(store):
        regions, fields = patch_of(store, case.need, case.enterprise)
        best = max(fit(p, regions, fields) for p in profiles.values())
        assert fit(profiles[case.assignee], regions, fields) == best, case.id


def test_shortlists_and_verdicts_follow_the_graph(grown) -> None:
    store, summary = grown
    city, circles = _geography(store)
    declined: dict[str, int] = defaultdict(int)
    verdicts = {v: 0 for v in VERDICTS}
    far_declined, far_accepted = set(), set()
    for case in all_cases(store):
        d = case.detail
        if rank(Stage(case.stage)) >= rank(Stage.SHORTLISTED) and case.stage != Stage.CLOSED:
            assert 3 <= len(d["shortlist"]) and d.get("clarified", {}).get("problem")
        entries = {e["id"]: e for e in d.get("shortlist", [])}
        assert set(store.labels_of(list(entries)).values()) <= {Label.RESEARCHER}
        for e in entries.values():
            assert set(e["reasons"]) <= PATH_KINDS and e["by_staff"] == (e["score"] is None)
        feedback = d.get("feedback", {})
        assert set(feedback) <= set(entries)
        titles = {i: n.props.get("title") for i, n in store.get_nodes(list(feedback)).items()}
        budget = store.get_node(case.need).props.get("budget")
        for r, answer in feedback.items():
            verdicts[answer["verdict"]] += 1
            assert answer["verdict"] in VERDICTS and answer["by"] == case.assignee
            assert case.reached["shortlisted"] < answer["at"] <= case.active
            far = not (city[r] == city[case.enterprise] or circles[city[r]] & circles[city[case.enterprise]])
            if answer["verdict"] == "accept":
                assert answer["reason"] is None
                if far:
                    far_accepted.add(case.enterprise)
                continue
            assert answer["reason"] in DECLINE_REASONS
            declined[answer["reason"]] += 1
            if answer["reason"] == "too_far":
                assert far
                far_declined.add(case.enterprise)
            elif answer["reason"] == "too_expensive":
                assert titles[r] in SENIOR and budget < 50
            elif answer["reason"] == "already_in_contact":
                assert r in _contacts(store, case.enterprise, answer["at"][:10]), (case.id, r)
        asked = d.get("introductions", {})
        assert tuple(asked) == case.introduced
        assert all(feedback[r]["verdict"] == "accept" for r in asked)
        if rank(Stage(case.stage)) >= rank(Stage.INTRODUCED) and case.stage != Stage.CLOSED:
            assert any(a["answer"] == "agree" for a in asked.values())
    assert verdicts == summary["feedback"] and verdicts["accept"] and verdicts["decline"]
    assert {k: v for k, v in declined.items()} == {k: v for k, v in summary["decline_reasons"].items() if v}
    assert not far_declined & far_accepted  # an enterprise that declines for distance always does


def test_a_second_history_is_refused_and_a_seed_gives_one_history(grown, tiny_dir: Path, tmp_path: Path) -> None:
    store, summary = grown
    with pytest.raises(InvalidInput, match="已有案件"):
        grow_case_history(store, seed=7, today=TODAY)
    assert store.case_counts() == {s: n for s, n in summary["stages"].items() if n}
    twins = []
    for seed in (7, 8):  # the same market on a fresh embedded store, the same seed and another
        other = SqliteStore(tmp_path / f"seed{seed}.sqlite")
        other.ensure_schema()
        load_directory(other, tiny_dir, progress=False)
        grow_case_history(other, seed=seed, today=TODAY)
        twins.append(history(other))
        other.close()
    assert history(store) == twins[0]
    assert history(store) != twins[1]


def test_demo_staff_team_size_and_an_earlier_today(tiny_backend: GraphStore) -> None:
    add_user(tiny_backend, "demo-staff", "staff", None, "a-demo-password")
    today = date(2019, 12, 31)
    summary = grow_case_history(tiny_backend, seed=3, today=today, staff_per_city=3)
    profiles = {p.username: p for p in tiny_backend.staff_profiles()}
    assert sorted(n for n in profiles if n.startswith("staff-cd-")) == ["staff-cd-01", "staff-cd-02", "staff-cd-03"]
    assert profiles["demo-staff"].lead is None and any(p.lead == "demo-staff" for p in profiles.values())
    assert summary["accounts_created"] == len(profiles) - 1
    cases = all_cases(tiny_backend)
    assert any(c.assignee == "demo-staff" for c in cases)
    posted = {i: str(n.props["posted"]) for i, n in tiny_backend.get_nodes([c.need for c in cases]).items()}
    assert max(posted.values()) <= today.isoformat() and summary["not_yet_posted"] > 0
    open_ = [c for c in cases if c.stage not in (Stage.SIGNED, Stage.CLOSED)]
    assert len({c.stage for c in open_}) >= 3 and summary["open"] == len(open_)
    for case in cases:
        assert case.active[:10] <= today.isoformat()
        deals = [r.src for r in tiny_backend.relationships(case.need, [RelType.FULFILS], "in")]
        dates = [str(n.props["date"]) for n in tiny_backend.get_nodes(deals).values()]
        assert (case.stage == Stage.SIGNED) == any(d <= today.isoformat() for d in dates)
    stalled = [c for c in open_ if c.active[:10] < "2019-12-17"]
    assert summary["stalled"] == len(stalled)


def _geography(store: GraphStore) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Every researcher's and enterprise's city (the level-2 region above its place), and each city's circles."""
    regions = [row[1] for batch in store.scan_nodes(Label.REGION, ()) for row in batch]
    nodes = store.get_nodes(regions)
    parent = {r: [x.dst for x in store.relationships(r, [RelType.PART_OF], "out")] for r in regions}

    def up(r: str) -> str:
        while nodes[r].props["level"] > 2 and parent[r]:
            r = parent[r][0]
        return r

    circles = {up(r): set() for r in regions}
    for r in regions:
        circles[up(r)] |= {x.dst for x in store.relationships(r, [RelType.MEMBER_OF], "out")}
    city = {}
    for label in (Label.RESEARCHER, Label.ENTERPRISE):
        for batch in store.scan_nodes(label, ()):
            for row in batch:
                located = sorted(x.dst for x in store.relationships(row[1], [RelType.LOCATED_IN], "out"))
                city[row[1]] = up(located[0])
    return city, circles


def _contacts(store: GraphStore, enterprise: str, before: str) -> set[str]:
    """The enterprise's deal partners (researchers) before a day, and their co-authors."""
    deals = [r.dst for r in store.relationships(enterprise, [RelType.PARTY_TO], "out")]
    dated = {d: str(n.props["date"]) for d, n in store.get_nodes(deals).items()}
    parties = [r.src for d in deals if dated[d] < before for r in store.relationships(d, [RelType.PARTY_TO], "in")]
    partners = {p for p, label in store.labels_of(parties).items() if label == Label.RESEARCHER}
    return partners | {x.dst if x.src == p else x.src for p in partners
                       for x in store.relationships(p, [RelType.CO_AUTHOR], "both", limit=10_000)}
