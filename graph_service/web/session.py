"""Who is looking at a page, and whether they may.

The session cookie holds the same signed token as the API's bearer token (auth/tokens.py), so signing out
everywhere, disabling an account or changing a password ends page sessions too. `page(action)` is the
pages' `allow`: a visitor who is not signed in is sent to sign in and brought back; a signed-in account
without the right sees a refusal. Forms are protected by a token bound to a random cookie by an HMAC with
the service's secret (OWASP's signed double-submit cookie): a page of another site can make a browser post,
but cannot read the cookie to compute the token. fastapi-csrf-protect does the same with one secret per
process kept in class attributes; ours is per app (a demo makes its own), hence these few lines.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from starlette.datastructures import FormData

from graph_service.api.deps import token_actor
from graph_service.auth.actor import ANONYMOUS, Actor
from graph_service.auth.permissions import allowed
from graph_service.errors import Forbidden, Unauthenticated

SESSION = "techmatch_session"
CSRF = "techmatch_csrf"
CSRF_FIELD = "csrf_token"


class SignInFirst(Exception):
    """A page that needs an account, asked for by a visitor: answered by sending them to sign in."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


def page_actor(request: Request) -> Actor:
    """The account of the session cookie; a visitor when there is none or it has expired (they sign in again)."""
    actor = ANONYMOUS
    token = request.cookies.get(SESSION)
    if token:
        try:
            actor = token_actor(request, token)
        except Unauthenticated:
            pass
    request.state.actor = actor  # for the audit trail and the rate limits
    return actor


def page(action: str) -> DependsParam:
    """The dependency every page declares: who may see it (graph_service.auth.permissions.RULES)."""

    def check(request: Request, actor: Annotated[Actor, Depends(page_actor)]) -> Actor:
        if not allowed(actor, action):
            if not actor.signed_in:
                query = f"?{request.url.query}" if request.url.query else ""
                raise SignInFirst(request.url.path + query)
            raise Forbidden("您的账号无权访问此页面")
        return actor

    check.action = action  # type: ignore[attr-defined]  # read by the page matrix test
    return Depends(check)


def csrf_token(request: Request) -> tuple[str, str | None]:
    """(the token a form carries, a new cookie value to set or None when the browser has one)."""
    value = request.cookies.get(CSRF, "")
    fresh = None
    if not (20 <= len(value) <= 100):
        value = fresh = secrets.token_urlsafe(32)
    return _sign(request, value), fresh


async def posted_form(request: Request) -> FormData:
    """The form posted, once its token matches the cookie's (else Forbidden: nothing is done)."""
    form = await request.form()
    sent, value = form.get(CSRF_FIELD), request.cookies.get(CSRF, "")
    if not value or not isinstance(sent, str) or not hmac.compare_digest(sent, _sign(request, value)):
        raise Forbidden("页面已过期或请求来自其他网站：请刷新页面后重试")
    return form


def _sign(request: Request, value: str) -> str:
    key = request.app.state.secret.encode()
    return hmac.new(key, b"csrf:" + value.encode(), hashlib.sha256).hexdigest()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never //other.site or a full address)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
