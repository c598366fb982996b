"""What every request passes before a route: unexpected errors answered as a JSON 500, writes from other
sites refused, request bodies capped.

Pure ASGI middlewares: a streamed body (a CSV import) is counted as it arrives, never buffered here, and
an answer can be sent before the body has been read at all.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph_service.api.deps import TOKEN_URL
from graph_service.settings import Settings, get_settings

log = logging.getLogger(__name__)

INTERNAL_ERROR = "服务器内部错误，已记录"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# what a page of another site may send without a CORS preflight (the Fetch standard's safelist)
_SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_UPLOAD_PATHS = (re.compile(r"^/api/v1/fairs/[^/]+/import/[^/]+$"),)  # CSV imports: text/csv, streamed to disk
# the same files uploaded from the fair pages, as forms (multipart)
_PAGE_UPLOADS = (re.compile(r"^/fairs/[^/]+/import/[^/]+$"), re.compile(r"^/fairs/[^/]+/outcomes$"))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def install_guards(app: FastAPI) -> None:
    """Each add_middleware wraps the ones added before it: the catch-all is the outermost of the three."""
    app.add_middleware(BodyLimit)
    app.add_middleware(SameSiteWrites)
    app.add_middleware(CatchAll)


def settings_of(app: object) -> Settings:
    """The app's settings (set in its lifespan), else the process's."""
    found = getattr(getattr(app, "state", None), "settings", None)
    return found if isinstance(found, Settings) else get_settings()


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, detail: str,
                  headers: dict[str, str] | None = None) -> None:
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)


class ResponseWatch:
    """A `send` that remembers the response's status once it has started (0 before)."""

    def __init__(self, send: Send) -> None:
        self.send, self.status = send, 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)


class HttpMiddleware:
    """A pure ASGI middleware acting on HTTP requests only; lifespan and websocket events pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class CatchAll(HttpMiddleware):
    """Any exception a route lets through becomes a logged JSON 500. Starlette's ServerErrorMiddleware
    answers too but then raises again, and the server closes the connection after the answer without
    saying so (no `Connection: close`): a client reusing it fails. Here the error ends with the answer."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = ResponseWatch(send)
        try:
            await self.app(scope, receive, watch)
        except Exception:
            if watch.status:
                raise  # half an answer is out: only closing the connection tells the client (the server logs it)
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            await _failure(scope)(scope, receive, send)


def _failure(scope: Scope) -> Response:
    """The 500 itself: a page for a person on a page (`app.state.failure_page`, set by the pages), else JSON;
    JSON too if that page fails in turn."""
    page = getattr(getattr(scope.get("app"), "state", None), "failure_page", None)
    if page is not None:
        try:
            found = page(Request(scope), INTERNAL_ERROR)
            if found is not None:
                return found
        except Exception:
            log.exception("the error page failed as well")
    return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)


class SameSiteWrites(HttpMiddleware):
    """No write through a request that a page of another site can make a browser send (a form post, a
    text/plain fetch: no preflight asks first, and the browser sends the user's credentials along).
    Refused: unsafe methods with a form or text/plain body (415; the OAuth2 token endpoint takes a form),
    `Sec-Fetch-Site: cross-site` (403), an `Origin` other than this host (403)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in WRITES:
            refused = _cross_site(scope, Headers(scope=scope))
            if refused is not None:
                await _answer(scope, receive, send, *refused)
                return
        await self.app(scope, receive, send)


def _cross_site(scope: Scope, headers: Headers) -> tuple[int, str] | None:
    """(status, message) when the write is refused, else None."""
    media = _media_type(headers)
    # forms: the OAuth2 token endpoint, and the pages' (each checks its form's token, web/session.py)
    form = scope["method"] == "POST" and media in _FORM_TYPES and \
        (scope["path"] == TOKEN_URL or not scope["path"].startswith("/api/"))
    if media in _SIMPLE_TYPES and not form:
        return 415, (f"写请求不接受内容类型 {media}：请以 application/json 发送（CSV 导入用 text/csv），"
                     "以防其他网站借用户浏览器代发")
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        return 403, "拒绝来自其他网站的写请求"
    origin = headers.get("origin")
    if origin is not None and not _same_origin(origin, scope, headers):
        return 403, "拒绝来自其他网站的写请求：Origin 与本站不符"
    return None


def _same_origin(origin: str, scope: Scope, headers: Headers) -> bool:
    """The Origin names this host. Behind a proxy that rewrites Host, X-Forwarded-Host counts too: a page
    of another site cannot set it without a preflight, which this service never grants."""
    try:
        parts = urlsplit(origin.strip())
        default = _DEFAULT_PORTS.get(parts.scheme)
        want = (parts.hostname, parts.port or default)
    except ValueError:  # a bad port
        return False
    if not parts.hostname:  # "null" (sandboxed pages, file:) or garbage
        return False
    for host in (headers.get("host"), headers.get("x-forwarded-host", "").split(",")[0]):
        if host:
            try:
                mine = urlsplit(f"//{host.strip()}")
                if (mine.hostname, mine.port or default) == want:
                    return True
            except ValueError:
                continue
    return False


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body parsing lets it through and its handler answers it as JSON."""

    def __init__(self, limit: int) -> None:
        # the rest of the body is not read: the connection cannot carry another request
        super().__init__(413, f"请求体过大：上限 {_size(limit)}", headers={"Connection": "close"})


def _size(n: int) -> str:
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} B"


class BodyLimit(HttpMiddleware):
    """Bodies over `max_body_bytes` (CSV imports, sent as text/csv or from the fair pages: `max_upload_bytes`)
    get a 413: at once when Content-Length says so, else as soon as the bytes received pass the limit
    (chunked bodies)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        settings = settings_of(scope.get("app"))
        media = _media_type(headers)
        upload = (media == "text/csv" and any(p.match(scope["path"]) for p in _UPLOAD_PATHS)) or \
            (media == "multipart/form-data" and any(p.match(scope["path"]) for p in _PAGE_UPLOADS))
        limit = settings.max_upload_bytes if upload else settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, BodyTooLarge(limit))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            if received > limit:  # asked again after the refusal
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        watch = ResponseWatch(send)
        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge as exc:  # raised where no exception handler answered it
            if watch.status:
                raise
            await self._refuse(scope, receive, send, exc)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, exc: BodyTooLarge) -> None:
        await _answer(scope, receive, send, exc.status_code, exc.detail, exc.headers)
