"""Accounts on each store: the `techmatch users` commands, sign-in, tokens, the secret key, the audit trail."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import SecretStr

from graph_service.api.app import create_app
from graph_service.cli import main
from graph_service.settings import get_settings
from graph_service.stores.base import GraphStore
from tests.conftest import TEST_PASSWORD, Backend, sign_in


@pytest.fixture
def runner(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    backend.use(monkeypatch)
    monkeypatch.delenv("TECHMATCH_NEW_PASSWORD", raising=False)
    yield CliRunner()
    get_settings.cache_clear()


def _token(client: TestClient, username: str, password: str):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_users_commands_manage_accounts_that_sign_in(runner: CliRunner, backend: Backend, tiny_dir) -> None:
    assert runner.invoke(main, ["load", str(tiny_dir), "--quiet"]).exit_code == 0
    r = runner.invoke(main, ["users", "add", "zhang", "--role", "staff"], input="first-password\n")
    assert r.exit_code == 0 and "created zhang (staff)" in r.output, r.output
    r = runner.invoke(main, ["users", "add", "li", "--role", "enterprise", "--entity", "E000001"],
                      env={"TECHMATCH_NEW_PASSWORD": "li-password-1"})
    assert r.exit_code == 0, r.output
    for args, wanted in ((["zhang", "--role", "staff"], "taken"),
                         (["wang", "--role", "enterprise"], "须关联一个 Enterprise"),
                         (["wang", "--role", "researcher", "--entity", "E000001"], "不是已有的 Researcher"),
                         (["wang", "--role", "organiser", "--entity", "E000001"], "不关联实体"),
                         (["x", "--role", "staff"], "用户名")):
        r = runner.invoke(main, ["users", "add", *args], input="long-password\n")
        assert r.exit_code != 0 and wanted in r.output, (args, r.output)
    r = runner.invoke(main, ["users", "add", "wang", "--role", "staff"], input="short\n")
    assert r.exit_code == 2 and "密码长度" in r.output
    listed = runner.invoke(main, ["users", "list"]).output
    assert "zhang" in listed and "E000001" in listed and "2 accounts" in listed
    with backend.open() as store:
        assert store.get_account("zhang").password_hash.startswith("$argon2id$")  # never the password itself
        with TestClient(create_app(backend.settings)) as client:
            assert _token(client, "zhang", "wrong-password").status_code == 401
            token = _token(client, "zhang", "first-password").json()["access_token"]
            me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
            assert me["username"] == "zhang" and me["role"] == "staff"
            assert runner.invoke(main, ["users", "disable", "zhang"]).exit_code == 0
            # a token already issued stops working at once, and so does signing in
            assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
            assert _token(client, "zhang", "first-password").status_code == 401
            assert runner.invoke(main, ["users", "enable", "zhang"]).exit_code == 0
            token = _token(client, "zhang", "first-password").json()["access_token"]
            r = runner.invoke(main, ["users", "set-password", "zhang"], input="second-password\n")
            assert r.exit_code == 0, r.output
            # a new password ends the sessions of whoever knew the old one
            assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
            assert _token(client, "zhang", "first-password").status_code == 401
            assert _token(client, "zhang", "second-password").status_code == 200
        assert runner.invoke(main, ["users", "disable", "nobody"]).exit_code == 1
        actions = [(e.action, e.target) for e in store.read_audit()]
        assert actions[:6] == [("users set-password", "zhang"), ("users enable", "zhang"), ("users disable", "zhang"),
                               ("users add", "li"), ("users add", "zhang"), ("load", str(tiny_dir.resolve()))]
        assert store.read_audit()[5].actor.startswith("cli:") and store.read_audit()[5].detail["rows"] > 1000


def test_tokens_are_signed_short_lived_and_checked(backend: Backend) -> None:
    with TestClient(create_app(backend.settings)) as client:
        sign_in(client, "staff")
        secret = backend.settings.secret_key.get_secret_value()
        now = datetime.now(UTC)
        forged = jwt.encode({"sub": "staff-x", "iat": now, "exp": now + timedelta(minutes=5)}, "another-key" * 4)
        expired = jwt.encode({"sub": "staff-x", "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
                             secret)
        endless = jwt.encode({"sub": "staff-x", "iat": now, "exp": now + timedelta(days=3650)}, secret)
        for bad in (forged, expired, endless, "not-a-token", jwt.encode({"sub": "ghost", "iat": now,
                                                                        "exp": now + timedelta(minutes=5)}, secret)):
            r = client.get("/api/v1/stats", headers={"Authorization": f"Bearer {bad}"})
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", bad
        good = _token(client, "staff-x", TEST_PASSWORD).json()
        assert good["token_type"] == "bearer" and good["expires_in"] == backend.settings.token_minutes * 60
        claims = jwt.decode(good["access_token"], secret, algorithms=["HS256"])
        assert claims["exp"] - claims["iat"] == pytest.approx(backend.settings.token_minutes * 60)
        assert set(claims) == {"sub", "iat", "exp"}


def test_the_service_refuses_to_start_without_a_secret_key(backend: Backend) -> None:
    for settings, wanted in ((backend.settings.model_copy(update={"secret_key": None}), "not set"),
                             (backend.settings.model_copy(update={"secret_key": SecretStr("short")}), "too short")):
        with pytest.raises(RuntimeError, match=wanted), TestClient(create_app(settings)):
            pass
    with TestClient(create_app(backend.settings.model_copy(update={"secret_key": None, "demo": True}))) as c:
        assert c.get("/health").status_code == 200  # the demo signs with a throw-away key


def test_every_api_write_lands_in_an_append_only_audit_trail(tiny_backend: GraphStore, backend: Backend) -> None:
    from graph_service.service import GraphService

    with TestClient(create_app(service=GraphService.open(tiny_backend))) as client:
        staff = sign_in(client, "staff")
        member = sign_in(client, "enterprise", "E000001")
        body = {"name": "新需求", "kind": "need", "text": "寻找合作", "budget": 12}
        created = client.post("/api/v1/entities/needs", json=body, headers=member)
        assert created.status_code == 201, created.text
        need = created.json()["id"]
        assert client.delete(f"/api/v1/entities/{need}", headers=staff).status_code == 204
        assert client.get("/api/v1/audit", headers=member).status_code == 403
        trail = client.get("/api/v1/audit", headers=staff, params={"limit": 2}).json()
        assert [(e["actor"], e["role"], e["action"], e["target"]) for e in trail] == [
            ("staff-x", "staff", "DELETE /api/v1/entities/{node_id}", f"/api/v1/entities/{need}"),
            ("enterprise-e000001", "enterprise", "POST /api/v1/entities/needs", f"/api/v1/entities/{need}")]
        assert trail[0]["at"] > trail[1]["at"]
        older = client.get("/api/v1/audit", headers=staff, params={"limit": 1, "before": trail[0]["at"]}).json()
        assert older == trail[1:]
        admin = sign_in(client, "admin")
        r = client.patch("/api/v1/users/staff-x", headers=admin, json={"password": "another-password-9"})
        assert r.status_code == 200
        last = client.get("/api/v1/audit", headers=admin, params={"limit": 1}).json()[0]
        assert (last["action"], last["detail"]["password_set"]) == ("PATCH /api/v1/users/{username}", True)
        assert "another-password-9" not in str(last)
    if backend.kind == "sqlite":  # the file itself refuses to rewrite history, whoever opens it
        conn = sqlite3.connect(backend.settings.sqlite_path)
        for sql in ("UPDATE audit SET actor = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
