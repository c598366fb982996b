"""The audit trail of the API: every write that succeeded, with who made it, when and what it was.

A pure ASGI middleware, so it sees the final status of every route (streamed imports included) without
buffering bodies; the entry is appended after the response, in a worker thread.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from graph_service.api.deps import TOKEN_URL
from graph_service.api.guards import WRITES, HttpMiddleware, ResponseWatch
from graph_service.auth.actor import ANONYMOUS
from graph_service.stores.records import AuditEntry

_QUERY_KEPT = 500  # characters of the query string kept: it says what, without storing a flood
_NOTED = "audit"


def note(request: Request, target: str | None = None, **detail: object) -> None:
    """What a route adds to its audit entry: the id it created (`target`), what it changed (never secrets)."""
    noted = request.scope.setdefault("state", {}).setdefault(_NOTED, {})
    if target is not None:
        noted["target"] = target
    noted.update(detail)


class AuditTrail(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in WRITES or scope["path"] == TOKEN_URL:
            await self.app(scope, receive, send)
            return
        watch = ResponseWatch(send)
        await self.app(scope, receive, watch)
        if 200 <= watch.status < 400:
            actor = scope.get("state", {}).get("actor", ANONYMOUS)
            route = scope.get("route")
            noted = scope.get("state", {}).get(_NOTED, {})
            entry = AuditEntry(actor=actor.username or "anonymous", role=str(actor.role),
                               action=f"{scope['method']} {getattr(route, 'path', scope['path'])}",
                               target=noted.pop("target", scope["path"]),
                               detail={"status": watch.status,
                                       "query": scope.get("query_string", b"").decode("latin-1")[:_QUERY_KEPT],
                                       **noted})
            await run_in_threadpool(scope["app"].state.service.store.append_audit, entry)
