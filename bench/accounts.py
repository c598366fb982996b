"""Benchmarks ask as platform staff do: signed in, through the sign-in route, with the rate limits lifted
(they measure serving, not refusing)."""

from __future__ import annotations

import secrets

from graph_service.auth.accounts import add_user, set_password
from graph_service.stores.base import GraphStore

USER = "bench-staff"
SERVER_ENV = {"TECHMATCH_SECRET_KEY": secrets.token_urlsafe(32), "TECHMATCH_RATE_RECOMMEND": "10000000/minute",
              "TECHMATCH_RATE_EXPENSIVE": "10000000/minute"}


def bench_account(store: GraphStore) -> str:
    """The password of a staff account made (or reset) for this run."""
    password = secrets.token_urlsafe(12)
    if store.get_account(USER) is None:
        add_user(store, USER, "staff", None, password)
    else:
        set_password(store, USER, password)
    return password


def bearer(client, password: str) -> dict[str, str]:
    """Headers of a token got from `client` (an httpx.Client or a TestClient) for the bench account."""
    r = client.post("/api/v1/auth/token", data={"username": USER, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
