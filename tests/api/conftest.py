"""The real app on each store, signed in as a real account, in-process (TestClient) or served by uvicorn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from graph_service.settings import Settings
from tests.conftest import Backend

JSON_LIMIT = 4096
UPLOAD_LIMIT = 16384


@pytest.fixture
def settings(backend: Backend) -> Settings:
    """The backend's settings with small body limits, so that tests need no megabytes."""
    return backend.settings.model_copy(update={"secret_key": SecretStr("k" * 40), "max_body_bytes": JSON_LIMIT,
                                               "max_upload_bytes": UPLOAD_LIMIT})




@contextmanager
def served(app: FastAPI) -> Iterator[int]:
    """The app served by uvicorn on a free loopback port (real sockets, keep-alive), for the port."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
