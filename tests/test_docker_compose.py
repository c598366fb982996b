"""docker-compose.yml publishes nothing beyond this machine and holds no secret: the Neo4j password and the
token signing key come from the environment, and compose refuses to start without them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def _required(name: str) -> str:
    """The pattern of ${NAME:?message}: required, no default."""
    return re.escape("${" + name + ":?") + r"[^}]+\}"


def _text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


def test_no_password_or_key_is_written_in_the_file() -> None:
    text = _text()
    assert "techmatch-dev" not in text
    for name in ("NEO4J_PASSWORD", "TECHMATCH_SECRET_KEY"):
        assert f"${{{name}:-" not in text and f"${{{name}-" not in text  # no fallback value
    # any password, auth or key setting takes its value from a required variable (or the container's own)
    for key, value in re.findall(r"^\s*([A-Z_]*(?:PASSWORD|AUTH|SECRET|KEY)[A-Z_]*):\s*(.*)$", text, re.M):
        assert re.fullmatch(r"(neo4j/)?\$\{[A-Z_]+:\?[^}]+\}", value.strip()), f"{key}: {value}"


def test_every_published_port_binds_the_loopback_address_only() -> None:
    """A text check that needs no YAML parser: every item of every `ports:` list."""
    lines = _text().splitlines()
    ports = []
    for n, line in enumerate(lines):
        if line.strip() == "ports:":
            indent = len(line) - len(line.lstrip())
            for item in lines[n + 1:]:
                if not item.strip() or len(item) - len(item.lstrip()) <= indent:
                    break
                ports.append(item.strip())
    assert len(ports) == 3
    for item in ports:
        assert re.fullmatch(r'- "127\.0\.0\.1:\d+:\d+"', item), item


def test_the_services_as_compose_reads_them() -> None:
    yaml = pytest.importorskip("yaml")  # PyYAML: the same file read as a structure
    services = yaml.safe_load(_text())["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            if isinstance(port, dict):  # the long syntax
                assert port.get("host_ip") == "127.0.0.1", (name, port)
            else:
                assert str(port).startswith("127.0.0.1:"), (name, port)
    neo4j, api = services["neo4j"]["environment"], services["api"]["environment"]
    assert re.fullmatch("neo4j/" + _required("NEO4J_PASSWORD"), neo4j["NEO4J_AUTH"])
    assert re.fullmatch(_required("NEO4J_PASSWORD"), api["TECHMATCH_NEO4J_PASSWORD"])
    assert re.fullmatch(_required("TECHMATCH_SECRET_KEY"), api["TECHMATCH_SECRET_KEY"])
    # the health check reads the password inside the container ($$ escapes compose's interpolation)
    check = " ".join(services["neo4j"]["healthcheck"]["test"])
    assert "$${NEO4J_AUTH" in check and "NEO4J_PASSWORD" not in check
