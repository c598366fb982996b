"""Records beside the graph in the same system of record: accounts and the audit trail.

They are not graph entities (no label of the whitelist, never in the projection); both stores keep them
behind this one interface, which `GraphStore` extends.
"""

from __future__ import annotations

import getpass
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    entity: str | None  # the Enterprise or Researcher an enterprise member or researcher speaks for
    password_hash: str
    disabled: bool = False
    created: str = ""  # ISO time, UTC
    password_changed: str = ""  # ISO time, UTC: tokens issued before it are refused


@dataclass(frozen=True)
class AuditEntry:
    """One write: who (account, role), when (ISO time, UTC, microseconds) and what (action, target, detail)."""
    actor: str
    role: str
    action: str
    target: str = ""
    detail: dict = field(default_factory=dict)
    at: str = field(default_factory=lambda: now())


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def cli_audit(action: str, target: str, **detail: object) -> AuditEntry:
    """An entry for a write made from the command line, by the operating-system user who ran it."""
    return AuditEntry(actor=f"cli:{getpass.getuser()}", role="cli", action=action, target=target, detail=detail)


class RecordStore(ABC):
    @abstractmethod
    def get_account(self, username: str) -> Account | None: ...

    @abstractmethod
    def list_accounts(self) -> list[Account]:
        """Every account, by user name."""

    @abstractmethod
    def add_account(self, account: Account) -> None:
        """Raises Conflict when the user name is taken."""

    @abstractmethod
    def update_account(self, username: str, *, password_hash: str | None = None, password_changed: str | None = None,
                       disabled: bool | None = None) -> bool:
        """Change the given fields; False when there is no such account."""

    @abstractmethod
    def append_audit(self, entry: AuditEntry) -> None:
        """Append only: no interface changes or removes an entry."""

    @abstractmethod
    def read_audit(self, limit: int = 100, before: str | None = None) -> list[AuditEntry]:
        """Newest first; `before` (an entry's `at`) pages back."""
