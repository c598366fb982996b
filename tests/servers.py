"""Real server processes for tests: `techmatch serve` on a backend's store, as production runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from graph_service.stores.neo4j_local import free_port
from tests.conftest import Backend

_LIFTED = {"TECHMATCH_RATE_RECOMMEND": "10000000/minute", "TECHMATCH_RATE_EXPENSIVE": "10000000/minute"}


@contextmanager
def serving(backend: Backend, models: Path, log: Path, workers: int = 1, env: dict[str, str] | None = None
            ) -> Iterator[str]:
    """`techmatch serve` on the backend's store, until the block ends; its base URL."""
    port = free_port()
    env = {**os.environ, **backend.env(), **_LIFTED, "TECHMATCH_MODEL_DIR": str(models), **(env or {})}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "graph_service.cli", "serve", "--port", str(port),
                                 "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
