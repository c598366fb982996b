"""Shared fixtures: generated tiny market, and a store fixture run against every backend."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from graph_service import need_status
from graph_service.settings import Settings, get_settings
from graph_service.stores import neo4j_local, open_store
from graph_service.stores.base import GraphStore
from graph_service.stores.sqlite_store import SqliteStore
from loaders.generator import generate
from loaders.importer import load_directory

# Tests sign tokens like production does; a fixed test key (never a default of the product itself).
os.environ.setdefault("TECHMATCH_SECRET_KEY", "test-secret-key-of-the-techmatch-suite-0123456789")
NEO4J_IMAGE = "neo4j:5.26.30-community"  # the same version as docker-compose.yml and tools/neo4j/pom.xml
# Generated deadlines fall in 2016-2027 while the wall clock moves on: the suite reads needs as of the
# generator's first day, when none has expired, so no answer depends on the date it runs. Tests of expiry
# set their own day (monkeypatch need_status.clock).
SUITE_TODAY = date(2016, 1, 1)


@pytest.fixture(autouse=True)
def _suite_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(need_status, "clock", lambda: SUITE_TODAY)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny synthetic market as import files (generated once per test session)."""
    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", out, seed=7)
    return out


@pytest.fixture(scope="session")
def tiny_store(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SqliteStore:
    """The tiny market loaded once into an embedded store, for tests that only read it."""
    store = SqliteStore(tmp_path_factory.mktemp("tiny-store") / "s.sqlite")
    store.ensure_schema()
    load_directory(store, tiny_dir, progress=False)
    return store


@pytest.fixture(scope="session")
def tiny_models(tiny_store: SqliteStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Models trained once on the tiny market; a service over any backend holding it serves with them."""
    from graph_service.service import GraphService

    directory = tmp_path_factory.mktemp("models")
    GraphService.open(tiny_store, directory).train()
    return directory


@pytest.fixture(params=["inline", "child process"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Big loads parse in a child process; run the loader's error paths through both readers."""
    import loaders.importer

    if request.param == "child process":
        monkeypatch.setattr(loaders.importer, "CHILD_READER_ROWS", 0)
    return request.param


@pytest.fixture
def tiny_copy(tiny_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny files that a test may break."""
    out = tmp_path / "data"
    shutil.copytree(tiny_dir, out)
    return out


def _neo4j_from_env() -> tuple[str, str, str] | None:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "techmatch-dev")


def _docker_engine() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:  # no engine: the docker client answers, the daemon does not
        return False


def skip_without_neo4j(reason: str) -> None:
    """Skip a Neo4j test with the reason; fail it where every Neo4j test must run (TECHMATCH_REQUIRE_NEO4J, CI)."""
    if os.environ.get("TECHMATCH_REQUIRE_NEO4J"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(uri, user, password) of a real Neo4j 5 server: NEO4J_URI if set; else testcontainers when a Docker
    engine runs; else `tools/neo4j/serve` when java and mvn are here; else skip with the reason (a failure
    when TECHMATCH_REQUIRE_NEO4J is set, as in CI)."""
    env = _neo4j_from_env()
    if env:
        yield env
        return
    if _docker_engine():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer(NEO4J_IMAGE, password="techmatch-dev") as container:
            yield container.get_connection_url(), "neo4j", "techmatch-dev"
        return
    reason = neo4j_local.unavailable()
    if reason:
        skip_without_neo4j(f"Neo4j tests need NEO4J_URI, a Docker engine or the local launcher: {reason}")
    with neo4j_local.start(tmp_path_factory.mktemp("neo4j"), heap="2g", pagecache="256m") as server:
        yield server.uri, server.user, server.password


def _open_neo4j(server: tuple[str, str, str]) -> GraphStore:
    """The Neo4j store, emptied: a community server holds one database, shared by every test."""
    from graph_service.stores.cypher import statement
    from graph_service.stores.neo4j_store import Neo4jStore

    store = Neo4jStore(*server)
    store.ensure_schema()
    for name in ("clear_all", "clear_records"):
        store._driver.execute_query(statement(name), database_="neo4j")
    return store


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """The same contract, every backend: the embedded store always, Neo4j when one is reachable."""
    if request.param == "sqlite":
        s: GraphStore = SqliteStore(tmp_path / "store.sqlite")
        s.ensure_schema()
    else:
        s = _open_neo4j(request.getfixturevalue("neo4j_server"))
    yield s
    s.close()


@dataclass(frozen=True)
class Backend:
    """An empty system of record for end-to-end tests, named by settings (and by TECHMATCH_* variables
    for the CLI and subprocesses), with its models and fairs in a directory of its own."""

    kind: str
    settings: Settings

    def open(self) -> GraphStore:
        return open_store(self.settings)

    def use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Name this store to code that reads the settings (the CLI), as a user's variables would."""
        for name, value in self.env().items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()  # callers clear it again when the test ends

    def env(self) -> dict[str, str]:
        s = self.settings
        return {"TECHMATCH_STORE": s.store, "TECHMATCH_SQLITE_PATH": str(s.sqlite_path),
                "TECHMATCH_NEO4J_URI": s.neo4j_uri, "TECHMATCH_NEO4J_USER": s.neo4j_user,
                "TECHMATCH_NEO4J_PASSWORD": s.neo4j_password.get_secret_value(),
                "TECHMATCH_MODEL_DIR": str(s.model_dir), "TECHMATCH_FAIRS_DIR": str(s.fairs_dir),
                "TECHMATCH_DATA_DIR": str(s.data_dir)}


def make_backend(request: pytest.FixtureRequest, kind: str, directory: Path) -> Backend:
    dirs = {"model_dir": directory / "models", "fairs_dir": directory / "fairs", "data_dir": directory / "data"}
    if kind == "sqlite":
        return Backend(kind, Settings(store="sqlite", sqlite_path=directory / "store.sqlite", **dirs))
    uri, user, password = request.getfixturevalue("neo4j_server")
    _open_neo4j((uri, user, password)).close()
    return Backend(kind, Settings(store="neo4j", neo4j_uri=uri, neo4j_user=user, neo4j_password=password, **dirs))


BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Every product test that takes this runs on the embedded store and on a real Neo4j 5."""
    return make_backend(request, request.param, tmp_path)


@pytest.fixture
def tiny_backend(backend: Backend, tiny_dir: Path) -> Iterator[GraphStore]:
    """The tiny market loaded into `backend`, open."""
    with backend.open() as s:
        load_directory(s, tiny_dir, progress=False)
        yield s


def dump(store: GraphStore) -> tuple[dict, dict]:
    """Everything a store holds, through the public interface only: {id: (label, props)} and
    {(type, src, dst): props}, comparable across backends."""
    from graph_service.schema import Label

    ids = [row[1] for label in Label for batch in store.scan_nodes(label, ()) for row in batch]
    nodes = {i: (n.label, n.props) for i, n in store.get_nodes(ids).items()}
    found = [((r.type, r.src, r.dst), r.props) for node_id in sorted(nodes)
             for r in store.relationships(node_id, direction="out", limit=1_000_000)]
    rels = dict(found)
    assert len(rels) == len(found), "a pair is joined twice by the same type"
    return nodes, rels


TEST_PASSWORD = "test-password-1"


def sign_in(client, role: str = "staff", entity: str | None = None, username: str | None = None) -> dict[str, str]:
    """Bearer headers of an account with `role` (made in the app's store on first use), got through the real
    sign-in route."""
    from graph_service.auth.accounts import add_user

    store = client.app.state.service.store
    username = username or f"{role}-{entity or 'x'}".lower().replace(":", "-")
    if store.get_account(username) is None:
        add_user(store, username, role, entity, TEST_PASSWORD)
    r = client.post("/api/v1/auth/token", data={"username": username, "password": TEST_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def as_staff(client):
    """The client, signed in as platform staff for every later request."""
    client.headers.update(sign_in(client, "staff"))
    return client
