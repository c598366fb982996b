"""Rate limits per caller (account, else address) and per kind, with Retry-After; counts per app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.api.ratelimit import rate_limit
from graph_service.settings import Settings
from tests.conftest import sign_in


def _app(settings: Settings) -> FastAPI:
    """The real app with two test-only routes under the limits (the product routes are the lead's to limit)."""
    app = create_app(settings.model_copy(update={"rate_expensive": "2/minute", "rate_recommend": "3 per 5 minutes"}))

    def ok() -> dict:
        return {"ok": True}

    app.add_api_route("/test/expensive", ok, methods=["POST"], dependencies=[rate_limit("expensive")])
    app.add_api_route("/test/recommend", ok, dependencies=[rate_limit("recommend")])
    return app


def test_each_caller_gets_the_limit_then_429_with_retry_after(settings: Settings) -> None:
    with TestClient(_app(settings)) as client:
        alice, bob = sign_in(client, username="alice"), sign_in(client, username="bob")
        assert [client.post("/test/expensive", headers=alice).status_code for _ in range(2)] == [200, 200]
        refused = client.post("/test/expensive", headers=alice)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["detail"].startswith("请求过于频繁：每分钟最多 2 次，请 ")
        # another account, the anonymous caller (by address) and another kind count apart
        assert client.post("/test/expensive", headers=bob).status_code == 200
        assert [client.post("/test/expensive").status_code for _ in range(3)] == [200, 200, 429]
        assert [client.get("/test/recommend", headers=alice).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert "每 5 分钟最多 3 次" in client.get("/test/recommend", headers=alice).json()["detail"]
    with TestClient(_app(settings)) as fresh:  # counts belong to an app
        assert fresh.post("/test/expensive").status_code == 200


def test_the_product_routes_are_limited_per_account(settings: Settings) -> None:
    """Projection rebuilds (expensive) and recommendations, as the routes declare them."""
    from graph_service.api.declared import api_routes

    limited = {(r.path_format, getattr(d.call, "rate_limit", None)) for r in api_routes(create_app(settings))
               for d in r.dependant.dependencies if getattr(d.call, "rate_limit", None)}
    assert {p for p, _ in limited} >= {"/api/v1/graph/projection/rebuild", "/api/v1/fairs/{fair_id}/plan",
                                       "/api/v1/auth/token", "/api/v1/recommendations/partners",
                                       "/api/v1/recommendations/needs/{researcher_id}",
                                       "/api/v1/recommendations/teams/{need_id}",
                                       "/api/v1/recommendations/collaborators/{researcher_id}"}
    with TestClient(create_app(settings.model_copy(update={"rate_expensive": "2/minute"}))) as client:
        staff, admin = sign_in(client, "staff"), sign_in(client, "admin")
        codes = [client.post("/api/v1/graph/projection/rebuild", headers=staff).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert client.post("/api/v1/graph/projection/rebuild", headers=admin).status_code == 200
