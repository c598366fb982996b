"""Sign-in (OAuth2 password flow), one's own account, accounts for admins, and the audit trail."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from graph_service.api.audit import note
from graph_service.api.deps import TOKEN_URL, ServiceDep, allow
from graph_service.api.ratelimit import rate_limit
from graph_service.auth import accounts
from graph_service.auth.actor import Actor
from graph_service.auth.tokens import issue
from graph_service.errors import NotFound, Unauthenticated
from graph_service.stores.records import Account

router = APIRouter(tags=["accounts"])


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")


class AccountOut(BaseModel):
    username: str
    role: str
    entity: str | None
    disabled: bool
    created: str

    @classmethod
    def of(cls, a: Account) -> "AccountOut":
        return cls(username=a.username, role=a.role, entity=a.entity, disabled=a.disabled, created=a.created)


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(max_length=64)]
    role: Annotated[str, Field(max_length=32)]
    entity: Annotated[str, Field(max_length=64)] | None = None
    password: Annotated[str, Field(max_length=256)]


class AccountChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disabled: bool | None = None
    password: Annotated[str, Field(max_length=256)] | None = None


class AuditOut(BaseModel):
    at: str
    actor: str
    role: str
    action: str
    target: str
    detail: dict


@router.post(TOKEN_URL, response_model=TokenOut, summary="Sign in: user name and password for a bearer token",
             dependencies=[allow("sign_in"), rate_limit("sign_in")])
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], service: ServiceDep) -> TokenOut:
    account = accounts.authenticate(service.store, form.username[:64], form.password)
    if account is None:
        raise Unauthenticated("用户名或密码错误，或账号已停用")
    minutes = request.app.state.settings.token_minutes
    return TokenOut(access_token=issue(account.username, request.app.state.secret, minutes), expires_in=minutes * 60)


@router.get("/api/v1/auth/me", response_model=AccountOut, summary="The signed-in account")
def me(actor: Annotated[Actor, allow("account.read")], service: ServiceDep) -> AccountOut:
    account = service.store.get_account(actor.username or "")
    assert account is not None  # current_actor read it a moment ago
    return AccountOut.of(account)


@router.get("/api/v1/users", response_model=list[AccountOut], summary="Every account (admins)",
            dependencies=[allow("users.manage")])
def list_users(service: ServiceDep) -> list[AccountOut]:
    return [AccountOut.of(a) for a in service.store.list_accounts()]


@router.post("/api/v1/users", response_model=AccountOut, status_code=status.HTTP_201_CREATED,
             summary="Create an account (admins)", dependencies=[allow("users.manage")])
def add_user(body: AccountIn, service: ServiceDep, request: Request) -> AccountOut:
    note(request, target=f"/api/v1/users/{body.username}", role=body.role, entity=body.entity)
    return AccountOut.of(accounts.add_user(service.store, body.username, body.role, body.entity, body.password))


@router.patch("/api/v1/users/{username}", response_model=AccountOut,
              summary="Disable or enable an account, or set its password (admins)",
              dependencies=[allow("users.manage")])
def change_user(username: str, body: AccountChange, service: ServiceDep, request: Request) -> AccountOut:
    note(request, disabled=body.disabled, password_set=body.password is not None)
    if body.password is not None:
        accounts.set_password(service.store, username, body.password)
    if body.disabled is not None:
        accounts.set_disabled(service.store, username, body.disabled)
    account = service.store.get_account(username)
    if account is None:
        raise NotFound(f"没有用户 {username!r}")
    return AccountOut.of(account)


@router.get("/api/v1/audit", response_model=list[AuditOut], summary="The audit trail, newest first (staff, admins)",
            dependencies=[allow("audit.read")])
def audit(service: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          before: Annotated[str | None, Query(max_length=40, description="`at` of the last entry seen")] = None
          ) -> list[AuditOut]:
    return [AuditOut(**vars(e)) for e in service.store.read_audit(limit, before)]
