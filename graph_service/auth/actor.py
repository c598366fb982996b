"""Who is calling: an account's role and, for enterprise members and researchers, the entity they speak for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # accounts and roles
    STAFF = "staff"  # 科服保姆: read everything, act on any case
    ORGANISER = "organiser"  # the fairs they own
    ENTERPRISE = "enterprise"  # a member of one Enterprise
    RESEARCHER = "researcher"  # one Researcher
    ANONYMOUS = "anonymous"  # the public catalogue only


@dataclass(frozen=True)
class Actor:
    username: str | None  # None for anonymous visitors
    role: Role
    entity: str | None = None  # the Enterprise or Researcher id an enterprise member or researcher speaks for

    @property
    def signed_in(self) -> bool:
        return self.username is not None


ANONYMOUS = Actor(None, Role.ANONYMOUS)
# The command line: whoever runs it holds the store itself, so it acts as an administrator.
OPERATOR = Actor("cli", Role.ADMIN)
