"""Settings from TECHMATCH_* variables or a .env file, and the one factory that picks the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from graph_service.settings import Settings
from graph_service.stores import open_store
from graph_service.stores.sqlite_store import SqliteStore


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TECHMATCH_SQLITE_PATH", str(tmp_path / "x.sqlite"))
    monkeypatch.setenv("TECHMATCH_NEO4J_URI", "neo4j://db.internal:7687")
    s = Settings()
    assert s.store == "sqlite" and s.sqlite_path == tmp_path / "x.sqlite"
    assert s.neo4j_uri == "neo4j://db.internal:7687"
    assert "techmatch-dev" not in repr(s)  # the password is a secret


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TECHMATCH_STORE=neo4j\nTECHMATCH_PORT=9001\n")
    s = Settings()
    assert (s.store, s.port) == ("neo4j", 9001)


@pytest.mark.parametrize(("name", "value"), [("TECHMATCH_STORE", "mysql"), ("TECHMATCH_NEO4J_URI", "http://x"),
                                             ("TECHMATCH_PORT", "0")])
def test_bad_settings_are_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("TECHMATCH_").lower()):
        Settings()


def test_factory_opens_the_embedded_store_ready_to_use(tmp_path: Path) -> None:
    with open_store(Settings(store="sqlite", sqlite_path=tmp_path / "deep" / "s.sqlite")) as store:
        assert isinstance(store, SqliteStore) and store.ping()
        assert store.counts().nodes == {}
