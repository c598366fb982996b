"""Schemathesis over the whole OpenAPI document, on each store, as the anonymous visitor and as each role:
no server error and no response that breaks its declared schema, media type or headers. Bounded for CI by
TECHMATCH_FUZZ_EXAMPLES examples per operation and role (default 6; the closing note gives a longer run)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)

from graph_service.api.app import create_app
from graph_service.service import GraphService
from loaders.importer import load_directory
from tests.auth.world import ACTORS, make_world
from tests.conftest import BACKENDS, make_backend

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("TECHMATCH_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, response_headers_conformance]


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed(request: pytest.FixtureRequest, tiny_dir: Path, tiny_models: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict]]:
    backend = make_backend(request, request.param, tmp_path_factory.mktemp("fuzz"))
    # generous limits: the fuzzer's requests are not what the rate limits guard against
    config = backend.settings.model_copy(update={"rate_expensive": "100000/minute", "rate_recommend": "100000/minute",
                                                   "rate_sign_in": "100000/minute"})
    with backend.open() as store:
        load_directory(store, tiny_dir, progress=False)
        with TestClient(create_app(config, GraphService.open(store, tiny_models))) as client:
            world = make_world(client)
            yield client.app, world.headers


def test_no_input_breaks_the_api(fuzzed: tuple[FastAPI, dict]) -> None:
    """Every operation, each generated request sent as every caller; failures are gathered per operation."""
    app, headers = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=st.one_of([operation.as_strategy(mode) for mode in schemathesis.GenerationMode]))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case: schemathesis.Case) -> None:
            nonlocal calls
            for actor in ACTORS:  # refusals must be as well-formed as answers
                calls += 1
                case.call_and_validate(headers=headers[actor], checks=CHECKS)

        try:
            run()
        except Exception as e:  # noqa: BLE001 - every operation's failure is reported, not only the first
            failures[operation.label] = str(e)[:3000]
    print(f"fuzzed {len(list(schema.get_all_operations()))} operations with {calls} requests")
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
