"""The demo's accounts: one per role, the enterprise member and researcher linked to entities that have
needs and fit them. Fresh passwords at each `techmatch demo`, printed for the person trying it."""

from __future__ import annotations

import secrets

from graph_service.auth.accounts import add_user, set_disabled, set_password
from graph_service.auth.actor import Role
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from graph_service.stores.records import cli_audit


def _first(store: GraphStore, label: Label) -> str | None:
    for batch in store.scan_nodes(label, (), batch=100):
        for row in batch:
            return row[1]
    return None


def _an_enterprise_with_a_need(store: GraphStore) -> str | None:
    for batch in store.scan_nodes(Label.NEED, (), batch=100):
        for row in batch:
            posters = [r.src for r in store.relationships(row[1], [RelType.POSTED], "in")]
            found = store.labels_of(posters)
            for poster in posters:
                if found.get(poster) == Label.ENTERPRISE:
                    return poster
    return None


def ensure_demo_accounts(store: GraphStore) -> list[tuple[str, str, str | None, str]]:
    """(user name, role, entity, password) of each demo account, created or given a new password."""
    linked = {Role.ENTERPRISE: _an_enterprise_with_a_need(store), Role.RESEARCHER: _first(store, Label.RESEARCHER)}
    made = []
    for role in (Role.ADMIN, Role.STAFF, Role.ORGANISER, Role.ENTERPRISE, Role.RESEARCHER):
        entity = linked.get(role)
        if role in linked and entity is None:
            continue  # an empty market has no one to speak for
        username, password = f"demo-{role}", secrets.token_urlsafe(9)
        if store.get_account(username) is None:
            add_user(store, username, role, entity, password)
            store.append_audit(cli_audit("users add", username, role=str(role), entity=entity, demo=True))
        else:
            set_password(store, username, password)
            set_disabled(store, username, False)
            entity = store.get_account(username).entity  # type: ignore[union-attr]
            store.append_audit(cli_audit("users set-password", username, demo=True))
        made.append((username, str(role), entity, password))
    return made
