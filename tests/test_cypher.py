"""Every Cypher statement: checked by the official Neo4j front end, and against its callers' parameters."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from graph_service.schema import Label, RelType
from graph_service.stores import neo4j_cases, neo4j_records, neo4j_store
from graph_service.stores.cypher import CYPHER_DIR, parameters, statement, statements

ROOT = Path(__file__).resolve().parents[1]
LINT = ROOT / "tools" / "cypher-lint"


def test_official_cypher5_front_end_reports_zero_errors() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js and npm are needed for the Cypher lint (@neo4j-cypher/language-support)")
    if not (LINT / "node_modules" / "@neo4j-cypher" / "language-support").exists():
        install = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=LINT, capture_output=True, text=True,
                                 timeout=300)
        assert install.returncode == 0, f"npm ci in {LINT} failed:\n{install.stderr[-2000:]}"
    run = subprocess.run([node, "lint.mjs", str(CYPHER_DIR)], cwd=LINT, capture_output=True, text=True, timeout=120)
    summary = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(statements())} statements, 0 errors" in summary


def _call_sites() -> list[tuple[str, set[str]]]:
    """(statement name, keyword arguments passed) for every statement("...") run by the Neo4j store."""
    sources = [Path(m.__file__).read_text(encoding="utf-8") for m in (neo4j_store, neo4j_records, neo4j_cases)]
    sites = []
    for call in (node for source in sources for node in ast.walk(ast.parse(source))):
        if not (isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Call)):
            continue
        inner = call.args[0]
        if getattr(inner.func, "id", None) == "statement" and isinstance(inner.args[0], ast.Constant):
            sites.append((inner.args[0].value, {k.arg for k in call.keywords if k.arg}))
    return sites


def test_each_statement_gets_exactly_the_parameters_it_declares() -> None:
    sites = _call_sites()
    assert len(sites) >= 10
    for name, passed in sites:
        assert parameters(statements()[name]) == passed, name


def test_every_statement_is_used_or_a_fixture() -> None:
    schema = {"constraint_entity_id", "index_entity_name", "constraint_account_username", "index_audit_at",
              "constraint_feed_name", "constraint_change_seq", "constraint_case_id", "constraint_case_need",
              "index_case_stage", "constraint_case_log_name", "index_case_event_case_seq", "index_case_event_seq",
              "constraint_case_staff_name"}
    used = {name for name, _ in _call_sites()} | schema | {"clear_all", "clear_records"}
    assert set(statements()) == used


def test_labels_and_types_come_only_from_the_whitelist() -> None:
    assert ":Researcher" in statement("upsert_nodes", label=Label.RESEARCHER)
    assert ":CO_AUTHOR" in statement("upsert_rels", rel_type=RelType.CO_AUTHOR)
    with pytest.raises(TypeError):
        statement("upsert_nodes", label="Researcher) DETACH DELETE (x")  # type: ignore[arg-type]
    names = {"Entity", *Label, *RelType}
    for text in statements().values():
        quoted = set(re.findall(r"'([^']*)'", text))
        assert quoted <= names, quoted - names  # values travel only as $parameters; quotes only name the schema


def test_the_counts_cover_every_label_and_type_of_the_whitelist() -> None:
    """count_nodes and count_rels name each label and type (the count store answers per name)."""
    for name, members in (("count_nodes", Label), ("count_rels", RelType)):
        text = statement(name)
        for m in members:
            assert f":{m}" in text and f"'{m}'" in text, (name, m)


# Parameters each statement is explained with, and operators its plan must (not) hold on a real server.
_SCANS = {"AllNodesScan", "NodeByLabelScan", "UndirectedAllRelationshipsScan", "DirectedAllRelationshipsScan"}
_PLANS: dict[str, tuple[dict, set[str]]] = {
    "labels_of": ({"ids": ["R1"]}, {"NodeUniqueIndexSeek"}),
    "get_nodes": ({"ids": ["R1"]}, {"NodeUniqueIndexSeek"}),
    "upsert_nodes": ({"rows": [["R1", "x", {}]]}, set()),
    "upsert_rels": ({"rows": [["R1", "R2", {}]]}, {"NodeUniqueIndexSeek"}),
    "create_rels": ({"rows": [["R1", "R2", {}]]}, {"NodeUniqueIndexSeek"}),
    "delete_node": ({"id": "R1"}, {"NodeUniqueIndexSeek"}),
    "delete_rel": ({"src": "R1", "dst": "R2"}, {"NodeUniqueIndexSeek"}),
    "relationships": ({"id": "R1", "types": ["CO_AUTHOR"], "outgoing": True, "incoming": True, "limit": 10},
                      {"NodeUniqueIndexSeek"}),
    "search": ({"text": "大学", "label": None, "limit": 5}, {"NodeIndexContainsScan"}),
    "count_nodes": ({}, {"NodeCountFromCountStore"}),
    "bulk_load_lock": ({"id": "#bulk-load"}, {"NodeUniqueIndexSeek"}),
    "count_rels": ({}, {"RelationshipCountFromCountStore"}),
    "get_account": ({"username": "a"}, {"NodeUniqueIndexSeek"}),
    "list_accounts": ({}, {"NodeIndexScan"}),
    "add_account": ({"account": {"username": "a"}}, set()),
    "update_account": ({"username": "a", "changes": {}}, {"NodeUniqueIndexSeek"}),
    "append_audit": ({"entry": {"at": "x"}}, set()),
    "read_audit": ({"before": "~", "limit": 5}, {"NodeIndexSeekByRange"}),
    "create_feed": ({"feed": "graph"}, {"NodeUniqueIndexSeek"}),
    "log_change": ({"feed": "graph", "nodes": "[]", "rels": "[]", "reset": False}, {"NodeUniqueIndexSeek"}),
    "prune_changes": ({"upto": 5}, {"NodeUniqueIndexSeekByRange"}),
    "feed_head": ({"feed": "graph"}, {"NodeUniqueIndexSeek"}),
    "changes_since": ({"after": 5, "limit": 5}, {"NodeUniqueIndexSeekByRange"}),
    "rel_weights": ({"pairs": [["R1", "R2"]]}, {"NodeUniqueIndexSeek"}),
    "create_case": ({"record": {"id": "case-N1", "need": "N1"}}, set()),
    "get_case": ({"id": "case-N1"}, {"NodeUniqueIndexSeek"}),
    "case_for_need": ({"need": "N1"}, {"NodeUniqueIndexSeek"}),
    "list_cases": ({"after": "", "stage": "new", "assignee": None, "enterprise": None, "introduced": "R1",
                    "limit": 5}, {"NodeUniqueIndexSeekByRange"}),
    "import_cases": ({"cases": [{"id": "case-N1"}]}, set()),
    "import_case_events": ({"log": "cases", "events": [{"case_id": "case-N1", "props": {}}]},
                           {"NodeUniqueIndexSeek"}),
    "case_facts": ({}, {"NodeIndexScan"}),
    "case_facts_since": ({"since": 5}, {"NodeIndexSeekByRange", "NodeUniqueIndexSeek"}),
    "case_log_mark": ({"log": "cases"}, {"NodeUniqueIndexSeek"}),
    "changed_cases": ({"since": 5}, {"NodeIndexSeekByRange", "NodeUniqueIndexSeek"}),
    "all_cases": ({}, {"NodeIndexScan"}),
    "open_loads": ({"ended": ["signed", "closed"]}, {"NodeIndexScan"}),
    "put_staff": ({"profile": {"username": "a"}}, {"NodeUniqueIndexSeek"}),
    "staff_profiles": ({}, {"NodeIndexScan"}),
    "lock_case": ({"id": "case-N1"}, {"NodeUniqueIndexSeek"}),
    "set_case": ({"id": "case-N1", "changes": {"stage": "clarified"}}, {"NodeUniqueIndexSeek"}),
    "append_case_event": ({"case_id": "case-N1", "log": "cases", "event": {"kind": "note"}}, {"NodeUniqueIndexSeek"}),
    "case_events": ({"case_id": "case-N1", "limit": 5}, {"NodeIndexSeek"}),
    "case_counts": ({}, {"NodeIndexScan"}),
}


def _operators(plan: dict) -> set[str]:
    """Operator names in a plan, without their variant ("NodeUniqueIndexSeek(Locking)@neo4j")."""
    children = plan.get("children", [])
    return {re.sub(r"\(.*\)|@.*", "", plan["operatorType"]), *(op for c in children for op in _operators(c))}


@pytest.mark.neo4j
def test_no_point_statement_scans_the_graph_on_a_real_server(neo4j_server: tuple[str, str, str],
                                                             tiny_dir: Path) -> None:
    """Scans are for the projection's bulk reads only; every other statement seeks an index or the count store."""
    import neo4j

    from loaders.importer import load_directory
    from tests.conftest import _open_neo4j

    with _open_neo4j(neo4j_server) as store:  # constraints, indexes and every label and type in place
        load_directory(store, tiny_dir, progress=False)
    with neo4j.GraphDatabase.driver(neo4j_server[0], auth=neo4j_server[1:]) as driver, driver.session() as session:
        for name, (params, wanted) in _PLANS.items():
            text = statement(name, label=Label.RESEARCHER, rel_type=RelType.CO_AUTHOR)
            operators = _operators(session.run("EXPLAIN " + text, params).consume().plan)
            assert not operators & _SCANS, (name, operators)
            assert wanted <= operators, (name, " ".join(sorted(operators)))
    scans = {"scan_nodes", "scan_rels", "twice_related"}  # the projection's reads; a bulk load's last check
    schema = {"constraint_entity_id", "index_entity_name", "constraint_account_username", "index_audit_at",
              "constraint_feed_name", "constraint_change_seq", "constraint_case_id", "constraint_case_need",
              "index_case_stage", "constraint_case_log_name", "index_case_event_case_seq", "index_case_event_seq",
              "constraint_case_staff_name"}
    assert set(_PLANS) | scans | schema | {"clear_all", "clear_records"} == set(statements())
