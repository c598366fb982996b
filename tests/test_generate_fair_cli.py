"""`techmatch generate-fair` on each store: a store without a market, or too small a one for what is asked,
is one clear error line and a non-zero exit, never a fair of 0 projects written with exit 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph_service.cli import main
from graph_service.settings import get_settings
from tests.conftest import Backend


@pytest.fixture
def runner(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    backend.use(monkeypatch)
    yield CliRunner()
    get_settings.cache_clear()


def _refused(runner: CliRunner, out: Path, *args: str) -> str:
    r = runner.invoke(main, ["generate-fair", "--out", str(out), *args])
    assert r.exit_code == 2, r.output
    [line] = r.output.strip().splitlines()  # one line, no traceback
    assert not out.exists()  # nothing written
    return line


def test_an_empty_store_is_an_error_saying_a_market_is_missing(runner: CliRunner, tmp_path: Path) -> None:
    line = _refused(runner, tmp_path / "fair")
    assert line == ("error: field 'projects': the store holds no needs or offers to make projects of: "
                    "load a market first (techmatch load DIR)")


def test_a_market_too_small_for_what_is_asked_is_an_error_saying_what_is_missing(
        runner: CliRunner, tiny_dir: Path, tmp_path: Path) -> None:
    assert runner.invoke(main, ["load", str(tiny_dir), "--quiet"]).exit_code == 0
    # the tiny market: 150 needs and 150 offers, each with a poster
    line = _refused(runner, tmp_path / "a")  # the default asks for 2,350 projects
    assert line.startswith("error: field 'projects': 2350 projects asked for, but only 300 could be made: "
                           "the store holds 150 needs and 150 offers")
    line = _refused(runner, tmp_path / "b", "--projects", "4", "--participants", "2", "--requests", "100")
    assert line.startswith("error: field 'requests': 100 requests asked for, but the ")
    assert "pairs sharing a field" in line
    r = runner.invoke(main, ["generate-fair", "--out", str(tmp_path / "c"), "--projects", "300", "--participants",
                             "400", "--requests", "1000", "--sessions", "5", "--days", "2"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("wrote 300 projects, 400 participants, ")
    assert (tmp_path / "c" / "projects.csv").exists()
