"""Dependencies shared by routers: the service, and who is calling (`allow` declares who may)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import OAuth2PasswordBearer

from graph_service.auth.accounts import actor_of
from graph_service.auth.actor import ANONYMOUS, Actor
from graph_service.auth.permissions import require
from graph_service.auth.tokens import subject
from graph_service.errors import Unauthenticated
from graph_service.service import GraphService

TOKEN_URL = "/api/v1/auth/token"
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def get_service(request: Request) -> GraphService:
    """The service, caught up with every change committed to the store by any process: each answer is
    fresh. async: with nothing new the check is one small read (microseconds on SQLite), cheaper than a
    sync dependency's thread-pool hop; a replay would hold this process's requests anyway."""
    service: GraphService = request.app.state.service
    service.catch_up()
    return service


ServiceDep = Annotated[GraphService, Depends(get_service)]


def current_actor(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Actor:
    """The signed-in account, read from the store at each request (a disabled one is refused at once), or
    the anonymous visitor when no token is sent. A token that is sent but not valid is an error, not
    anonymity: a client should learn its sign-in expired."""
    actor = ANONYMOUS if token is None else token_actor(request, token)
    request.state.actor = actor  # for the audit trail and the rate limits
    return actor


def token_actor(request: Request, token: str) -> Actor:
    """The account a sign-in token names (a bearer token, or a page's session cookie); Unauthenticated when
    it is not valid, expired, older than the password, or its account is gone or disabled."""
    found = subject(token, request.app.state.secret, request.app.state.settings.token_minutes)
    account = request.app.state.service.store.get_account(found[0]) if found else None
    if found is None or account is None or account.disabled or _older(found[1], account.password_changed):
        raise Unauthenticated("登录已失效，请重新登录")
    return actor_of(account)


def allow(action: str) -> DependsParam:
    """The dependency every route declares: who may call it (graph_service.auth.permissions.RULES)."""

    def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        require(actor, action)
        return actor

    check.action = action  # type: ignore[attr-defined]  # read by the role-matrix test and the docs
    return Depends(check)


def _older(issued: float, password_changed: str) -> bool:
    """Issued before the password last changed: a password reset ends the sessions of whoever knew the old one."""
    return bool(password_changed) and issued < datetime.fromisoformat(password_changed).timestamp()
