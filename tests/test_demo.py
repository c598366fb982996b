"""`techmatch demo` on each store, as a user runs it: generate, load, train, serve; then asked over HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from graph_service.stores.neo4j_local import free_port
from tests.conftest import Backend

pytestmark = pytest.mark.slow


def test_demo_generates_loads_trains_and_serves(backend: Backend) -> None:
    port = free_port()
    log = backend.settings.data_dir.parent / "demo.log"
    backend.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        env = {k: v for k, v in {**os.environ, **backend.env()}.items() if k != "TECHMATCH_SECRET_KEY"}
        proc = subprocess.Popen([sys.executable, "-m", "graph_service.cli", "demo", "--tier", "tiny", "--port",
                                 str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                health = httpx.get(f"{base}/health", timeout=2).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        assert health["store"] == backend.kind and health["reachable"] and health["projection_nodes"] > 1000
        text = log.read_text()
        assert "generating the tiny demo market" in text and "training them" in text
        # the demo printed an account per role; the enterprise member's sees its own recommendations
        printed = re.search(r"demo-enterprise\s+(\S+)\s+enterprise of (\S+)", text)
        assert printed, text
        for role in ("admin", "staff", "organiser", "researcher"):
            assert f"demo-{role} " in text
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "demo-enterprise", "password": printed[1]}).json()["access_token"]
        params = {"enterprise": printed[2], "top_k": 5}
        url = f"{base}/api/v1/recommendations/partners"
        assert httpx.get(url, params=params).status_code == 401
        partners = httpx.get(url, params=params, headers={"Authorization": f"Bearer {token}"}).json()
        assert len(partners["partners"]) == 5 and partners["partners"][0]["paths"]
        assert (backend.settings.model_dir / "partners.json").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
