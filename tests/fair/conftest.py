"""Fixtures of the fair tests: a store of the tiny market per module and backend, and the real app over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.cli import main
from graph_service.service import GraphService
from graph_service.settings import Settings
from graph_service.stores.base import GraphStore
from loaders.importer import load_directory
from tests.conftest import BACKENDS, Backend, as_staff, make_backend


@pytest.fixture(scope="module", params=BACKENDS)
def market_backend(request: pytest.FixtureRequest, tiny_dir: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """A store of its own (outcomes write deals into it), on each backend, shared by a module's tests."""
    backend = make_backend(request, request.param, tmp_path_factory.mktemp("fair-market"))
    with backend.open() as store:
        load_directory(store, tiny_dir, progress=False)
    return backend


@pytest.fixture(scope="module")
def market(market_backend: Backend) -> Iterator[GraphStore]:
    with market_backend.open() as store:
        yield store


@pytest.fixture(scope="module")
def api(market: GraphStore, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[TestClient, GraphService, Path]]:
    """The real app over the market, signed in as platform staff; (client, service, the first fair's directory)."""
    fairs = tmp_path_factory.mktemp("fairs")
    service = GraphService.open(market)
    with TestClient(create_app(Settings(fairs_dir=fairs), service=service)) as client:
        yield as_staff(client), service, fairs / "f1"


def cli_ok(*args: object) -> str:
    """`techmatch ARGS` in process; its output, after checking it succeeded."""
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output
