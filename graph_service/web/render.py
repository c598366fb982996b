"""Pages are rendered here: the template, who is looking, the navigation of their role and the form token."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from graph_service.auth.actor import Actor, Role
from graph_service.web.session import CSRF, CSRF_FIELD, csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

ROLE_NAMES = {Role.ADMIN: "管理员", Role.STAFF: "科服专员", Role.ORGANISER: "活动组织方", Role.ENTERPRISE: "企业用户",
              Role.RESEARCHER: "科技工作者", Role.ANONYMOUS: "访客"}
# (path, label) of each role's menu
_NAV: dict[Role, list[tuple[str, str]]] = {
    Role.ENTERPRISE: [("/", "我的需求"), ("/needs/new", "发布需求")],
    Role.RESEARCHER: [("/", "我的主页"), ("/me/network", "合作网络"), ("/me/connect", "关系路径")],
    Role.STAFF: [("/", "我的案件"), ("/cases", "案件看板"), ("/cases/dashboard", "服务漏斗")],
    Role.ORGANISER: [("/", "我的科创会"), ("/fairs/new", "新建科创会")],
    Role.ADMIN: [("/admin/users", "用户与角色")],
}


def render(request: Request, name: str, actor: Actor, status: int = 200, **context: object) -> HTMLResponse:
    token, fresh = csrf_token(request)
    response = templates.TemplateResponse(
        request, name, {"actor": actor, "role_name": ROLE_NAMES[actor.role], "nav": _NAV.get(actor.role, []),
                        "csrf_field": CSRF_FIELD, "csrf_token": token, **context}, status_code=status)
    if fresh is not None:
        response.set_cookie(CSRF, fresh, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response
