"""The pages' part of the app: their routes, their static files, /docs and /redoc served offline, and
errors on a page answered as a page (the API keeps its JSON)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from graph_service.auth.actor import ANONYMOUS
from graph_service.web import account, admin, fairs, needs, post_need, researcher, staff
from graph_service.web.render import render
from graph_service.web.session import SignInFirst

DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI and ReDoc, as the package ships them
API_PREFIX = "/api/"


def install_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.mount("/static-docs", StaticFiles(directory=DOCS_ASSETS), name="static-docs")
    for module in (account, admin, post_need, needs, researcher, fairs, staff):
        app.include_router(module.router)
    _install_docs(app)

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInFirst)
        return RedirectResponse(f"/login?next={exc.back_to}" if exc.back_to != "/" else "/login", status_code=303)

    app.add_exception_handler(SignInFirst, sign_in_first)
    # a bug on a page is said on a page too (the catch-all answers it: graph_service.api.guards)
    app.state.failure_page = lambda request, message: error_page(request, 500, message) if is_page(request) else None


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIX) and request.url.path not in ("/openapi.json",)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A refusal or failure on a page, said to a person."""
    titles = {401: "请先登录", 403: "无权访问", 404: "页面不存在", 409: "操作冲突", 422: "填写有误",
              429: "操作过于频繁"}
    actor = getattr(request.state, "actor", ANONYMOUS)
    return render(request, "error.html", actor, status=status, title=titles.get(status, "出错了"), message=message)


def _install_docs(app: FastAPI) -> None:
    title = f"{app.title} · API"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=title,
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url="/static-docs/swagger-ui-bundle.js",
                                   swagger_css_url="/static-docs/swagger-ui.css",
                                   swagger_favicon_url="/static-docs/favicon.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=title, redoc_js_url="/static-docs/redoc.standalone.js",
                              redoc_favicon_url="/static-docs/favicon.png", with_google_fonts=False)
