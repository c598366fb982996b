"""Shared fixtures: generated tiny market, and a store fixture run against every backend."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.stores.base import GraphStore
from graph_service.stores.sqlite_store import SqliteStore
from loaders.generator import generate
from loaders.importer import load_directory

NEO4J_IMAGE = "neo4j:5.26.0-community"  # the same image as docker-compose.yml


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


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[tuple[str, str, str]]:
    """Connection to a Neo4j 5 server: NEO4J_URI if set, else a testcontainers one, else skip."""
    env = _neo4j_from_env()
    if env:
        yield env
        return
    try:
        import docker

        docker.from_env().ping()
    except Exception as e:  # no engine: docker client answers, the daemon does not
        pytest.skip("Neo4j contract tests need NEO4J_URI or a Docker engine for testcontainers "
                    f"({e.__class__.__name__})")
    from testcontainers.neo4j import Neo4jContainer

    with Neo4jContainer(NEO4J_IMAGE, password="techmatch-dev") as container:
        yield container.get_connection_url(), "neo4j", "techmatch-dev"


def _open_neo4j(server: tuple[str, str, str]) -> GraphStore:
    from graph_service.stores.cypher import statement
    from graph_service.stores.neo4j_store import Neo4jStore

    store = Neo4jStore(*server)
    store.ensure_schema()
    store._driver.execute_query(statement("clear_all"), database_="neo4j")
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
