"""Every Cypher statement: checked by the official Neo4j front end, and against its callers' parameters."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from graph_service.schema import Label, RelType
from graph_service.stores import neo4j_store
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
    tree = ast.parse(Path(neo4j_store.__file__).read_text(encoding="utf-8"))
    sites = []
    for call in ast.walk(tree):
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
    used = {name for name, _ in _call_sites()} | {"constraint_entity_id", "index_entity_name", "clear_all"}
    assert set(statements()) == used


def test_labels_and_types_come_only_from_the_whitelist() -> None:
    assert ":Researcher" in statement("upsert_nodes", label=Label.RESEARCHER)
    assert ":CO_AUTHOR" in statement("upsert_rels", rel_type=RelType.CO_AUTHOR)
    with pytest.raises(TypeError):
        statement("upsert_nodes", label="Researcher) DETACH DELETE (x")  # type: ignore[arg-type]
    for text in statements().values():
        assert "'" not in text.replace("'Entity'", "")  # values travel only as $parameters
