"""Map TechMatch's own exceptions to HTTP; the only place that knows status codes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from graph_service.errors import Conflict, InvalidInput, NotFound, StoreUnavailable

_STATUS: dict[type[Exception], int] = {NotFound: 404, Conflict: 409, StoreUnavailable: 503}


def install_error_handlers(app: FastAPI) -> None:
    async def known(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=_STATUS[type(exc)])

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvalidInput)
        loc = ["body", exc.field] if exc.field else ["body"]
        msg = str(exc) if exc.file or exc.line else exc.reason  # an upload's errors name its file and line
        return JSONResponse({"detail": [{"loc": loc, "msg": msg, "type": "value_error"}]}, status_code=422)

    for exc_type in _STATUS:
        app.add_exception_handler(exc_type, known)
    app.add_exception_handler(InvalidInput, invalid)
