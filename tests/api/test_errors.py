"""422 answers name the field without echoing large input, and never fail on input JSON cannot carry."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings
from tests.conftest import sign_in


def test_a_200_kb_name_gets_a_small_422_naming_the_field(settings: Settings) -> None:
    roomy = settings.model_copy(update={"max_body_bytes": 1 << 20})  # the default limit: the body gets through
    with TestClient(create_app(roomy)) as client:
        auth = sign_in(client)
        r = client.post("/api/v1/entities/researchers", json={"id": "R1", "name": "名" * 200_000}, headers=auth)
        assert r.status_code == 422 and len(r.content) < 2048, len(r.content)
        (error,) = r.json()["detail"]
        assert error["loc"] == ["body", "name"] and error["type"] == "string_too_long"
        assert len(error.get("input", "")) <= 101 and error["ctx"] == {"max_length": 200}
        # a key of 100 KB (extra fields are refused by name) is cut too
        r = client.post("/api/v1/entities/researchers", json={"id": "R1", "name": "x", "k" * 100_000: 1},
                        headers=auth)
        assert r.status_code == 422 and len(r.content) < 2048
        assert r.json()["detail"][0]["loc"][1].startswith("kkkk")
        # many errors: the first 50 and a count of the rest
        rows = [{"a": "x"} for _ in range(300)]
        client.post("/api/v1/fairs", json={"id": "f1", "start": "2026-12-01"}, headers=auth)
        r = client.post("/api/v1/fairs/f1/requests", json=rows, headers=auth)
        assert r.status_code == 422 and len(r.json()["detail"]) == 51, r.text[:300]
        assert r.json()["detail"][-1]["type"] == "too_many_errors"


def test_input_json_cannot_carry_gives_a_422_not_a_500(settings: Settings) -> None:
    """Python's JSON parser takes NaN; FastAPI's own 422 echoed it and then failed to write it (a 500)."""
    with TestClient(create_app(settings)) as client:
        auth = sign_in(client) | {"Content-Type": "application/json"}
        r = client.post("/api/v1/entities/fields", content=b'{"id": "F1", "name": "x", "level": NaN}', headers=auth)
        assert r.status_code == 422, r.text
        (error,) = r.json()["detail"]
        assert error["loc"] == ["body", "level"] and "input" not in error
        r = client.post("/api/v1/entities/fields", content=b'{"id": "F1", "name": "x", "level": 1e999}', headers=auth)
        assert r.status_code == 422 and json.loads(r.content)["detail"][0]["loc"] == ["body", "level"]
        r = client.post("/api/v1/entities/fields", content=b'{"id": "F1", "name": "x", "level": 7}', headers=auth)
        assert r.status_code == 422 and r.json()["detail"][0]["input"] == 7  # small values still help
        # a lone surrogate: JSON carries it, UTF-8 cannot; echoed escaped
        r = client.post("/api/v1/entities/fields", content=b'{"id": "F1", "name": "x", "level": "\\ud800"}',
                        headers=auth)
        assert r.status_code == 422 and r.json()["detail"][0]["input"] == "\\ud800"
