"""Accounts: create, list, disable, change passwords, sign in. The CLI and the API both call these."""

from __future__ import annotations

import re

from graph_service.auth.actor import Actor, Role
from graph_service.auth.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, verify_password
from graph_service.errors import InvalidInput, NotFound
from graph_service.schema import Label
from graph_service.stores.base import GraphStore
from graph_service.stores.records import Account, now

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
# The entity each role speaks for: enterprise members for an Enterprise, researchers for a Researcher.
LINKED: dict[Role, Label] = {Role.ENTERPRISE: Label.ENTERPRISE, Role.RESEARCHER: Label.RESEARCHER}


def check_password(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(f"密码长度须为 {MIN_LENGTH}–{MAX_LENGTH} 个字符", field="password")
    return password


def add_user(store: GraphStore, username: str, role: str, entity: str | None, password: str) -> Account:
    if not USERNAME.match(username):
        raise InvalidInput("用户名须为 2–64 个字母、数字或 _ . @ -，以字母或数字开头", field="username")
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInput(f"未知角色 {role!r}；可选：{', '.join(r for r in Role if r != Role.ANONYMOUS)}",
                           field="role") from None
    if chosen == Role.ANONYMOUS:
        raise InvalidInput("匿名访客不需要账号", field="role")
    wanted = LINKED.get(chosen)
    if wanted is None and entity:
        raise InvalidInput(f"{chosen} 角色不关联实体", field="entity")
    if wanted is not None:
        if not entity:
            raise InvalidInput(f"{chosen} 角色须关联一个 {wanted}（--entity ID）", field="entity")
        found = store.labels_of([entity]).get(entity)
        if found != wanted:
            raise InvalidInput(f"{entity!r} 不是已有的 {wanted}" + (f"（而是 {found}）" if found else ""),
                               field="entity")
    account = Account(username, str(chosen), entity or None, hash_password(check_password(password)),
                      created=now())
    store.add_account(account)
    return account


def set_password(store: GraphStore, username: str, password: str) -> None:
    if not store.update_account(username, password_hash=hash_password(check_password(password)),
                                password_changed=now()):
        raise NotFound(f"没有用户 {username!r}")


def set_disabled(store: GraphStore, username: str, disabled: bool) -> None:
    if not store.update_account(username, disabled=disabled):
        raise NotFound(f"没有用户 {username!r}")


def authenticate(store: GraphStore, username: str, password: str) -> Account | None:
    """The account when the name and password match and it is enabled; None otherwise (same work either way)."""
    account = store.get_account(username) if USERNAME.match(username) else None
    ok = verify_password(password, account.password_hash if account else None)
    return account if ok and account is not None and not account.disabled else None


def actor_of(account: Account) -> Actor:
    return Actor(account.username, Role(account.role), account.entity)
