"""The `techmatch` entry point, end to end on each real store (embedded, Neo4j)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.cli import main
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.settings import get_settings
from graph_service.stores import open_store
from tests.conftest import Backend, as_staff


@pytest.fixture
def runner(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command run against each store (empty), as a user's TECHMATCH_* variables would name it."""
    backend.use(monkeypatch)
    yield CliRunner()
    get_settings.cache_clear()


def test_generate_load_stats(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "gen"
    r = runner.invoke(main, ["generate", "--tier", "tiny", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = json.loads((out / "manifest.json").read_text())["rows"]
    r = runner.invoke(main, ["load", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith(f"loaded {sum(rows.values()):,} rows in ") and last.endswith("rows/s)")
    r = runner.invoke(main, ["stats"])
    assert r.exit_code == 0
    assert f"Researcher {rows['researchers']:>12,}".replace(" ", "") in r.output.replace(" ", "")
    assert "CO_AUTHOR" in r.output


def test_bad_input_exits_2_with_a_located_message(runner: CliRunner, tiny_copy: Path) -> None:
    with (tiny_copy / "needs.csv").open("a", encoding="utf-8") as f:
        f.write("N9999999,需求,wish,文本,10,,,open\n")
    r = runner.invoke(main, ["load", str(tiny_copy), "--quiet"])
    assert r.exit_code == 2
    assert "needs.csv:152: field 'kind': Input should be 'need' or 'challenge'" in r.output
    assert "0" in runner.invoke(main, ["stats"]).output  # nothing was loaded


def test_skip_invalid_writes_the_rejects_file(runner: CliRunner, tiny_copy: Path, tmp_path: Path) -> None:
    with (tiny_copy / "needs.csv").open("a", encoding="utf-8") as f:
        f.write("N9999999,需求,wish,文本,10,,,open\n")
    rejects = tmp_path / "rej.jsonl"
    r = runner.invoke(main, ["load", str(tiny_copy), "--quiet", "--skip-invalid", "--rejects", str(rejects)])
    assert r.exit_code == 0, r.output
    assert "rejected 1 rows" in r.output
    assert json.loads(rejects.read_text(encoding="utf-8"))["line"] == 152


def test_generator_is_deterministic_per_seed(tmp_path: Path) -> None:
    runner = CliRunner()  # no store involved
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        assert runner.invoke(main, ["generate", "--out", str(tmp_path / name), "--seed", seed]).exit_code == 0
    read = lambda d: (tmp_path / d / "co_author.csv").read_bytes()  # noqa: E731
    assert read("a") == read("b") != read("c")


def test_evaluate_partners_on_the_stored_deals(runner: CliRunner, tiny_dir: Path, tmp_path: Path) -> None:
    assert runner.invoke(main, ["load", str(tiny_dir), "--quiet"]).exit_code == 0
    r = runner.invoke(main, ["evaluate", "--json", "--test-from", "2024", "--report", str(tmp_path / "r")])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["test_from"] == 2024 and {"model", "random", "past_partner", "text only"} <= set(report["methods"])
    assert json.loads((tmp_path / "r" / "report.json").read_text()) == report
    for png in ("hits_at_k.png", "metrics.png"):
        assert (tmp_path / "r" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| model |" in (tmp_path / "r" / "report.md").read_text()
    table = runner.invoke(main, ["evaluate", "--test-from", "2024", "--report", str(tmp_path / "r")]).output
    assert "Hits@10" in table and "past_partner" in table and "best baseline" in table


def test_train_saves_models_the_service_loads(runner: CliRunner, tiny_dir: Path, tmp_path: Path) -> None:
    assert runner.invoke(main, ["load", str(tiny_dir), "--quiet"]).exit_code == 0
    r = runner.invoke(main, ["train"])
    assert r.exit_code == 0, r.output
    assert "partner model" in r.output and "saved in" in r.output
    meta = json.loads((get_settings().model_dir / "partners.json").read_text())
    assert meta["features"] and meta["train_years"] and meta["positives"] > 0
    with open_store(get_settings()) as store:
        service = GraphService.open(store, get_settings().model_dir)
        assert service._partners is not None and service._partners.model.meta == meta
        assert service._collaborators is not None
        p = service.projection
        need = next(p.ids[i] for i in range(p.base_nodes)
                    if p.label_of(i) == Label.NEED and len(p.inc[RelType.POSTED][i].indices))
        researchers = (p.ids[i] for i in range(p.base_nodes)
                       if p.label_of(i) == Label.RESEARCHER and len(p.out[RelType.CO_AUTHOR][i].indices) > 2)
        with TestClient(create_app(service=service)) as client:
            as_staff(client)
            # a researcher with co-authors for whom some open need fits, so every command has an answer
            researcher = next(r for r in researchers
                              if client.get(f"/api/v1/recommendations/needs/{r}").json())
            api = client.get("/api/v1/recommendations/partners", params={"need": need, "top_k": 5}).json()
            api_path = client.get("/api/v1/graph/paths", params={"a": researcher, "b": need}).json()
    # the CLI asks the same questions as the API and gets the same answers
    r = runner.invoke(main, ["partners", "--need", need, "--top-k", "5", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == api and api["partners"]
    r = runner.invoke(main, ["partners", "--need", need, "--top-k", "5"])
    top = api["partners"][0]
    assert r.exit_code == 0 and top["researcher"]["id"] in r.output.splitlines()[1]
    assert f"{top['paths'][0]['kind']}: " in r.output
    r = runner.invoke(main, ["path", researcher, need, "--json"])
    assert r.exit_code == 0 and json.loads(r.output) == api_path
    for args in (["needs", researcher], ["collaborators", researcher], ["community", researcher]):
        r = runner.invoke(main, [*args, "--json"])
        assert r.exit_code == 0 and json.loads(r.output), (args, r.output)
    r = runner.invoke(main, ["partners", "--need", "N_MISSING"])
    assert r.exit_code == 1 and "N_MISSING" in r.output


def test_evaluate_on_an_empty_store_says_why(runner: CliRunner) -> None:
    r = runner.invoke(main, ["evaluate"])
    assert r.exit_code == 2 and "no dated deals" in r.output
