"""`tools/neo4j/serve`: a real Neo4j 5.26 from Maven Central, as documented: Bolt on loopback only, with
authentication, data kept across restarts, a clean stop on SIGTERM."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import neo4j
import psutil
import pytest
from neo4j.exceptions import AuthError

from graph_service.stores import neo4j_local
from tests.conftest import skip_without_neo4j

ROOT = Path(__file__).resolve().parents[1]


def test_the_launcher_pins_the_version_docker_compose_runs() -> None:
    pom = (ROOT / "tools" / "neo4j" / "pom.xml").read_text(encoding="utf-8")
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    [version] = re.findall(r"<neo4j.version>(5\.26\.\d+)</neo4j.version>", pom)
    assert f"image: neo4j:{version}-community" in compose


def _launcher_or_skip() -> None:
    reason = neo4j_local.unavailable()
    if reason:
        skip_without_neo4j(reason)


def test_serve_refuses_missing_arguments_with_its_usage() -> None:
    _launcher_or_skip()
    run = subprocess.run([str(neo4j_local.SERVE), "--port", "7999"], capture_output=True, text=True, timeout=900)
    assert run.returncode == 2 and "missing --data" in run.stderr and "usage: serve" in run.stderr


@pytest.mark.neo4j
@pytest.mark.slow
def test_serve_keeps_data_across_restarts_with_auth_and_only_bolt_on_loopback(tmp_path: Path) -> None:
    _launcher_or_skip()
    with neo4j_local.start(tmp_path / "db", password="first-password") as server:
        port = int(server.uri.rsplit(":", 1)[1])
        java = psutil.Process(server.process.pid)
        listening = {c.laddr for c in java.net_connections("inet") if c.status == psutil.CONN_LISTEN}
        # no HTTP connector, loopback only (Java reports an IPv4 address mapped into IPv6)
        assert {(a.ip.removeprefix("::ffff:"), a.port) for a in listening} == {("127.0.0.1", port)}
        with neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", "wrong-password")) as driver:
            with pytest.raises(AuthError):
                driver.verify_connectivity()
        with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
            driver.execute_query("CREATE (:Kept {name: $name})", name="重启后仍在")
    assert server.process.returncode is not None
    assert "stopped" in server.log.read_text()  # the shutdown hook ran: Neo4j closed its stores cleanly
    with neo4j_local.start(tmp_path / "db", password="second-password") as server:
        with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, "second-password")) as driver:
            records = driver.execute_query("MATCH (k:Kept) RETURN k.name AS name").records
    assert [r["name"] for r in records] == ["重启后仍在"]
