"""`techmatch users`: accounts from the command line (the first admin comes from here). Passwords are read
from standard input or TECHMATCH_NEW_PASSWORD, never from the command line (it shows in `ps`)."""

from __future__ import annotations

import getpass
import os
import sys

import click

from graph_service.auth import accounts
from graph_service.auth.actor import Role
from graph_service.settings import get_settings
from graph_service.stores import open_store
from graph_service.stores.base import GraphStore
from graph_service.stores.records import cli_audit

ROLE_CHOICE = click.Choice([r.value for r in Role if r != Role.ANONYMOUS])


def _password() -> str:
    given = os.environ.get("TECHMATCH_NEW_PASSWORD")
    if given:
        return given
    if sys.stdin.isatty():
        first = getpass.getpass("新密码: ")
        if getpass.getpass("再输入一次: ") != first:
            raise click.ClickException("两次输入的密码不一致")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _audit(store: GraphStore, action: str, username: str, **detail: object) -> None:
    store.append_audit(cli_audit(f"users {action}", username, **detail))


@click.group()
def users() -> None:
    """Accounts: add, list, disable, enable, set-password."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option("--entity", default=None, help="the Enterprise (role enterprise) or Researcher (role researcher) id")
def add(username: str, role: str, entity: str | None) -> None:
    """Create an account; the password comes from standard input or TECHMATCH_NEW_PASSWORD."""
    with open_store(get_settings()) as store:
        account = accounts.add_user(store, username, role, entity, _password())
        _audit(store, "add", username, role=role, entity=entity)
    click.echo(f"created {account.username} ({account.role}{', ' + account.entity if account.entity else ''})")


@users.command("list")
def list_() -> None:
    """Every account with its role, entity and state."""
    with open_store(get_settings()) as store:
        found = store.list_accounts()
    for a in found:
        click.echo(f"{a.username:<24} {a.role:<11} {a.entity or '-':<16} {'disabled' if a.disabled else 'active':<9}"
                   f" {a.created[:19]}")
    click.echo(f"{len(found)} accounts")


def _switch(username: str, disabled: bool) -> None:
    action = "disable" if disabled else "enable"
    with open_store(get_settings()) as store:
        accounts.set_disabled(store, username, disabled)
        _audit(store, action, username)
    click.echo(f"{action}d {username}")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Refuse the account's sign-ins and its tokens from now on."""
    _switch(username, True)


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Let the account sign in again."""
    _switch(username, False)


@users.command("set-password")
@click.argument("username")
def set_password(username: str) -> None:
    """Set a new password, from standard input or TECHMATCH_NEW_PASSWORD."""
    with open_store(get_settings()) as store:
        accounts.set_password(store, username, _password())
        _audit(store, "set-password", username)
    click.echo(f"password of {username} set")


COMMANDS = [users]
