"""The administrator's page: every account, and forms to add one, stop or restore one, or set a new
password (the same functions as /api/v1/users)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from graph_service.api.audit import note
from graph_service.api.deps import ServiceDep
from graph_service.auth import accounts
from graph_service.auth.actor import Actor, Role
from graph_service.errors import InvalidInput, NotFound
from graph_service.web.render import ROLE_NAMES, render
from graph_service.web.session import page, posted_form

router = APIRouter(include_in_schema=False)
Admin = Annotated[Actor, page("users.manage")]
_DONE = {"added": "已添加账号", "changed": "已保存"}


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, service: ServiceDep, actor: Admin) -> HTMLResponse:
    return _page(request, service, actor)


@router.post("/admin/users", response_class=HTMLResponse)
async def add(request: Request, service: ServiceDep, actor: Admin) -> HTMLResponse:
    form = await posted_form(request)
    username = str(form.get("username", ""))[:64]
    try:
        accounts.add_user(service.store, username, str(form.get("role", "")), str(form.get("entity", "")) or None,
                          str(form.get("password", ""))[:256])
    except InvalidInput as e:
        return _page(request, service, actor, error=e.reason, status=422)
    note(request, username)
    return RedirectResponse("/admin/users?done=added", status_code=303)  # type: ignore[return-value]


@router.post("/admin/users/{username}", response_class=HTMLResponse)
async def change(request: Request, username: str, service: ServiceDep, actor: Admin) -> HTMLResponse:
    form = await posted_form(request)
    try:
        if form.get("password"):
            accounts.set_password(service.store, username, str(form.get("password"))[:256])
        if form.get("disabled") in ("true", "false"):
            if username == actor.username:
                raise InvalidInput("不能停用自己的账号", field="disabled")
            accounts.set_disabled(service.store, username, form.get("disabled") == "true")
    except (InvalidInput, NotFound) as e:
        return _page(request, service, actor, error=str(getattr(e, "reason", e)), status=422)
    note(request, username)
    return RedirectResponse("/admin/users?done=changed", status_code=303)  # type: ignore[return-value]


def _page(request: Request, service: ServiceDep, actor: Actor, error: str | None = None,
          status: int = 200) -> HTMLResponse:
    roles = [(r.value, ROLE_NAMES[r]) for r in Role if r != Role.ANONYMOUS]
    rows = [{"username": a.username, "role": ROLE_NAMES.get(Role(a.role), a.role), "entity": a.entity or "",
             "disabled": a.disabled, "created": a.created[:10]} for a in service.store.list_accounts()]
    return render(request, "admin_users.html", actor, status=status, title="用户与角色", accounts=rows, roles=roles,
                  error=error, notice=_DONE.get(request.query_params.get("done", "")))
