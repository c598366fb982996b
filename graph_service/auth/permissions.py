"""Who may do what: one function, `allowed(actor, action, resource)`, asked by every route, page and service.

Each action names the roles that may ever do it; for some of those roles it is limited to what they own
(an enterprise member: their enterprise, its needs and deals; a researcher: themselves, their offers and
deals; an organiser: the fairs they created). Without a resource the answer is whether the role may call
the route at all; the route then asks again with the resource it acts on.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph_service.auth.actor import Actor, Role
from graph_service.errors import Forbidden, Unauthenticated


@dataclass(frozen=True)
class Resource:
    entities: frozenset[str] = frozenset()  # the entities that own it: a need's enterprise, a deal's parties
    owner: str | None = None  # the account that owns it: a fair's organiser


_ALL = frozenset(Role)
_SIGNED_IN = _ALL - {Role.ANONYMOUS}
_STAFF = frozenset({Role.ADMIN, Role.STAFF})
_MEMBERS = frozenset({Role.ENTERPRISE, Role.RESEARCHER})
_NONE: frozenset[Role] = frozenset()

# action: (roles that may do it, the roles among them limited to what they own)
RULES: dict[str, tuple[frozenset[Role], frozenset[Role]]] = {
    "catalogue.read": (_ALL, _NONE),  # public entities, search, the graph, counts
    "sign_in": (_ALL, _NONE),
    "account.read": (_SIGNED_IN, _NONE),  # one's own account
    "private.read": (_STAFF | _MEMBERS, _MEMBERS),  # a need's confidential part, a deal's amount
    "entity.write": (_STAFF | _MEMBERS, _MEMBERS),  # profiles, needs, offers, their links
    "graph.write": (_STAFF, _NONE),  # the rest of the graph: hierarchies, deals, projection rebuilds
    "recommend.enterprise": (_STAFF | {Role.ENTERPRISE}, {Role.ENTERPRISE}),  # partners for a need
    "recommend.researcher": (_STAFF | {Role.RESEARCHER}, {Role.RESEARCHER}),  # needs and collaborators
    "fairness.manage": (_STAFF, _NONE),
    "fair.create": (_STAFF | {Role.ORGANISER}, _NONE),
    "fair.manage": (_STAFF | {Role.ORGANISER}, {Role.ORGANISER}),
    "fair.agenda": (_STAFF | {Role.ORGANISER} | _MEMBERS, {Role.ORGANISER} | _MEMBERS),  # also one's own agenda
    "case.work": (_STAFF, _NONE),  # open, move, assign, shortlist, introduce, sign; the board and the dashboard
    "case.read": (_STAFF | _MEMBERS, _MEMBERS),  # an enterprise its cases; a researcher introductions to them
    "case.answer": (_STAFF | {Role.ENTERPRISE}, {Role.ENTERPRISE}),  # accept or decline a suggested partner
    "case.reply": (_STAFF | {Role.RESEARCHER}, {Role.RESEARCHER}),  # agree to an introduction, or not
    "audit.read": (_STAFF, _NONE),
    "service.inspect": (_STAFF, _NONE),  # what a process serves from (are the workers in step?)
    "users.manage": (frozenset({Role.ADMIN}), _NONE),
}


def allowed(actor: Actor, action: str, resource: Resource | None = None) -> bool:
    roles, limited = RULES[action]
    if actor.role not in roles:
        return False
    if actor.role not in limited or resource is None:
        return True
    return (actor.entity is not None and actor.entity in resource.entities) or \
        (resource.owner is not None and resource.owner == actor.username)


def require(actor: Actor, action: str, resource: Resource | None = None) -> None:
    """`allowed`, or the error that says why not: sign in first (401), or not this account's to do (403)."""
    if not allowed(actor, action, resource):
        if not actor.signed_in:
            raise Unauthenticated("请先登录")
        raise Forbidden("无权执行此操作" if resource is None else "无权访问不属于本账号的内容")


def roles_for(action: str) -> list[str]:
    """The roles that may call a route guarded by `action` (for the API documentation)."""
    roles, limited = RULES[action]
    return [f"{r}（限本人/本单位）" if r in limited else str(r) for r in Role if r in roles]
