"""The fair routes' rows of the role matrix: a fair created by the organiser's account is managed by it and
by platform staff; a participant may also read their own agenda."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from graph_service.api.declared import api_routes

MANAGERS = frozenset({"admin", "staff", "organiser"})
_LISTS = ("projects", "participants", "requests", "answers", "outcomes")
_serial = itertools.count()


def _fair(w) -> str:
    if not hasattr(w, "fair"):
        r = w.call("organiser", "POST", "/api/v1/fairs", json={"id": "fair-m", "start": "2026-12-20",
                                                                 "sessions": 4, "expected_participants": 40,
                                                                 "expected_projects": 20})
        assert r.status_code == 201 and r.json()["owner"] == "organiser-x", r.text
        w.fair = "fair-m"
    return w.fair


def _request(method: str, path: str):
    def example(w, actor: str) -> tuple[str, dict]:
        url = path.format(fair_id=_fair(w), part="projects", participant_id=w.researcher)
        if path.endswith("/import/{part}"):
            return url, {"content": b"id,title,kind,presenter\n", "headers": {"Content-Type": "text/csv"}}
        if method in ("POST", "PUT"):
            return url, {"json": [] if path.rsplit("/", 1)[-1] in _LISTS else {}}
        return url, {}
    return example


def FAIR_ROUTES(w) -> Iterator:  # noqa: N802 - a table
    yield "POST", "/api/v1/fairs", lambda w, a: ("/api/v1/fairs", {"json": {"id": f"f{next(_serial)}",
                                                                            "start": "2026-12-20"}}), MANAGERS
    yield "GET", "/api/v1/fairs", lambda w, a: ("/api/v1/fairs", {}), MANAGERS
    for route in api_routes(w.client.app):
        path = route.path_format
        if not path.startswith("/api/v1/fairs/{fair_id}"):
            continue
        allowed = MANAGERS | {"researcher"} if "/agendas/" in path else MANAGERS
        if path.endswith("/outcomes"):  # outcomes write deals into the graph: the platform staff's
            allowed = frozenset({"admin", "staff"})
        for method in route.methods:
            yield method, path, _request(method, path), allowed
