"""Signing in and out, and the home page, which fits the role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from graph_service.api.audit import note
from graph_service.api.deps import ServiceDep
from graph_service.api.ratelimit import rate_limit
from graph_service.auth import accounts
from graph_service.auth.actor import Actor, Role
from graph_service.auth.tokens import issue
from graph_service.web import homes, researcher, staff
from graph_service.web.render import render
from graph_service.web.session import SESSION, page, posted_form, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, actor: Annotated[Actor, page("sign_in")],
               next: Annotated[str, Query(max_length=500)] = "/") -> HTMLResponse:  # noqa: A002
    return render(request, "login.html", actor, title="登录", next=safe_next(next), username="", error=None)


@router.post("/login", response_class=HTMLResponse, dependencies=[rate_limit("sign_in")])
async def login(request: Request, service: ServiceDep, actor: Annotated[Actor, page("sign_in")]) -> HTMLResponse:
    form = await posted_form(request)
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:256]
    back = safe_next(str(form.get("next", "/")))
    account = accounts.authenticate(service.store, username, password)
    if account is None:
        return render(request, "login.html", actor, status=401, title="登录", next=back, username=username,
                      error="用户名或密码错误，或账号已停用")
    minutes = request.app.state.settings.token_minutes
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(SESSION, issue(account.username, request.app.state.secret, minutes), max_age=minutes * 60,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    note(request, account.username)
    return response


@router.post("/logout")
async def logout(request: Request, actor: Annotated[Actor, page("sign_in")]) -> RedirectResponse:
    await posted_form(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, service: ServiceDep, actor: Annotated[Actor, page("account.read")],
         page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> HTMLResponse:
    if actor.role == Role.ENTERPRISE:
        return homes.enterprise(request, service, actor, page_number)
    if actor.role == Role.STAFF:
        return staff.home(request, service, actor)
    if actor.role == Role.RESEARCHER:
        return researcher.home(request, service, actor)
    if actor.role == Role.ORGANISER:
        return homes.organiser(request, actor)
    return RedirectResponse("/admin/users", status_code=303)  # type: ignore[return-value]  # the admin
