"""Map TechMatch's own exceptions to HTTP; the only place that knows status codes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from graph_service.errors import Conflict, Forbidden, InvalidInput, NotFound, StoreUnavailable, Unauthenticated

_STATUS: dict[type[Exception], int] = {NotFound: 404, Conflict: 409, StoreUnavailable: 503, Unauthenticated: 401,
                                       Forbidden: 403}


Pages = tuple[Callable[[Request], bool], Callable[[Request, int, str], Response]]


def install_error_handlers(app: FastAPI, pages: Pages | None = None) -> None:
    """`pages`: (whether a request is for a page, the page that says an error) — pages answer people."""

    async def known(request: Request, exc: Exception) -> Response:
        status = _STATUS[type(exc)]
        if pages is not None and pages[0](request):
            return pages[1](request, status, _short(str(exc)))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None  # RFC 6750: how to sign in
        return JSONResponse({"detail": _short(str(exc))}, status_code=status, headers=headers)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InvalidInput)
        if pages is not None and pages[0](request):
            return pages[1](request, 422, _short(str(exc)))
        detail = []
        for one in exc.every:  # a file's every bad line, not just the first
            where = one.location or _location(request, one.field)
            loc = [where, one.field] if one.field else [where]
            msg = str(one) if one.file or one.line else one.reason  # an upload's errors name its file and line
            detail.append({"loc": loc, "msg": _short(msg), "type": "value_error"})
        return JSONResponse({"detail": detail}, status_code=422)

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if pages is not None and pages[0](request):
            fields = "、".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors()[:5])
            return pages[1](request, 422, f"填写有误：{fields}")
        return JSONResponse({"detail": brief_errors(exc.errors())}, status_code=422)

    for exc_type in _STATUS:
        app.add_exception_handler(exc_type, known)
    app.add_exception_handler(InvalidInput, invalid)
    app.add_exception_handler(RequestValidationError, validation)


_PARTS = (("path", "path_params"), ("query", "query_params"), ("header", "header_params"), ("cookie", "cookie_params"))


def _location(request: Request, field: str | None) -> str:
    """Where `field` came from, as FastAPI's own errors say it: a path, query, header or cookie parameter of
    the route that answered (its dependencies' too), else the body."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    stack = [dependant] if field and dependant is not None else []
    while stack:
        d = stack.pop(0)  # the route's own parameters before its dependencies'
        for where, kind in _PARTS:
            if any(field in (p.name, p.alias) for p in getattr(d, kind)):
                return where
        stack.extend(d.dependencies)
    return "body"


# FastAPI's own 422 echoes each rejected value whole (a 200 KB name comes back whole) and fails as a 500 on
# one it cannot write as JSON (NaN, an exception in ctx). Ours keeps loc, msg and type, and only small values.
_KEPT = 100  # characters of a rejected value or a loc part sent back: enough to recognise it
_MSG_KEPT = 500
_ERRORS_KEPT = 50
_DROP = object()


def brief_errors(errors: list) -> list[dict]:
    detail = [_brief(e) for e in errors[:_ERRORS_KEPT]]
    if len(errors) > _ERRORS_KEPT:
        detail.append({"loc": [], "msg": f"另有 {len(errors) - _ERRORS_KEPT} 处错误未列出", "type": "too_many_errors"})
    return detail


def _brief(error: dict) -> dict:
    out = {"loc": [p if isinstance(p, int) else _short(str(p), _KEPT) for p in error.get("loc", ())],
           "msg": _short(str(error.get("msg", ""))), "type": str(error.get("type", ""))}
    value = _small(error.get("input"))
    if value is not _DROP:
        out["input"] = value
    ctx = {str(k): _small(v) for k, v in (error.get("ctx") or {}).items()}
    ctx = {k: v for k, v in ctx.items() if v is not _DROP}
    if ctx:
        out["ctx"] = ctx
    return out


def _small(value: object) -> object:
    """The value if it is plain JSON and small, a string cut to _KEPT characters, else _DROP."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else _DROP
    if isinstance(value, float):
        return value if math.isfinite(value) else _DROP
    if isinstance(value, bytes):
        value = value[:4 * _KEPT].decode("utf-8", "replace")
    if isinstance(value, str):
        return _short(value, _KEPT)
    if isinstance(value, (list, dict)) and len(value) <= 20:
        try:
            text = json.dumps(value, allow_nan=False, ensure_ascii=False)
            text.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
        except (TypeError, ValueError):
            return _DROP
        return value if len(text) <= _KEPT else _DROP
    return _DROP


def _short(text: str, kept: int = _MSG_KEPT) -> str:
    text = text if len(text) <= kept else text[:kept] + "…"
    # JSON's "\ud800" carries a lone surrogate, which UTF-8 cannot: sent back escaped rather than failing as a 500
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
