"""The graph's fixed vocabulary: node labels, relationship types and which endpoints each type joins.

Every label or type that reaches a query comes from here (a whitelist), never from user input.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    RESEARCHER = "Researcher"
    INSTITUTION = "Institution"
    ENTERPRISE = "Enterprise"
    FIELD = "Field"
    REGION = "Region"
    CIRCLE = "Circle"
    NEED = "Need"
    OFFER = "Offer"
    DEAL = "Deal"


class RelType(StrEnum):
    AFFILIATED_WITH = "AFFILIATED_WITH"  # researcher -> institution
    EXPERT_IN = "EXPERT_IN"  # researcher -> field (weight = strength of expertise)
    ACTIVE_IN = "ACTIVE_IN"  # enterprise / institution -> field
    LOCATED_IN = "LOCATED_IN"  # researcher / institution / enterprise -> region
    PART_OF = "PART_OF"  # region -> parent region
    SUBFIELD_OF = "SUBFIELD_OF"  # field -> parent field
    MEMBER_OF = "MEMBER_OF"  # region -> circle (economic circle or corridor)
    POSTED = "POSTED"  # enterprise -> need; researcher / institution -> offer
    ABOUT = "ABOUT"  # need / offer -> field
    PARTY_TO = "PARTY_TO"  # researcher / institution / enterprise -> deal (role)
    FULFILS = "FULFILS"  # deal -> need it answered
    CO_AUTHOR = "CO_AUTHOR"  # researcher -- researcher (undirected; weight = joint works)


# Labels every relationship type may join, as (allowed sources, allowed targets).
_ORGS_AND_PEOPLE = frozenset({Label.RESEARCHER, Label.INSTITUTION, Label.ENTERPRISE})
ENDPOINTS: dict[RelType, tuple[frozenset[Label], frozenset[Label]]] = {
    RelType.AFFILIATED_WITH: (frozenset({Label.RESEARCHER}), frozenset({Label.INSTITUTION})),
    RelType.EXPERT_IN: (frozenset({Label.RESEARCHER}), frozenset({Label.FIELD})),
    RelType.ACTIVE_IN: (frozenset({Label.ENTERPRISE, Label.INSTITUTION}), frozenset({Label.FIELD})),
    RelType.LOCATED_IN: (_ORGS_AND_PEOPLE, frozenset({Label.REGION})),
    RelType.PART_OF: (frozenset({Label.REGION}), frozenset({Label.REGION})),
    RelType.SUBFIELD_OF: (frozenset({Label.FIELD}), frozenset({Label.FIELD})),
    RelType.MEMBER_OF: (frozenset({Label.REGION}), frozenset({Label.CIRCLE})),
    RelType.POSTED: (_ORGS_AND_PEOPLE, frozenset({Label.NEED, Label.OFFER})),
    RelType.ABOUT: (frozenset({Label.NEED, Label.OFFER}), frozenset({Label.FIELD})),
    RelType.PARTY_TO: (_ORGS_AND_PEOPLE, frozenset({Label.DEAL})),
    RelType.FULFILS: (frozenset({Label.DEAL}), frozenset({Label.NEED})),
    RelType.CO_AUTHOR: (frozenset({Label.RESEARCHER}), frozenset({Label.RESEARCHER})),
}

# Plural names used in file names and URLs, in load order (a node's dependencies come first).
PLURALS: dict[str, Label] = {
    "fields": Label.FIELD, "regions": Label.REGION, "circles": Label.CIRCLE,
    "institutions": Label.INSTITUTION, "enterprises": Label.ENTERPRISE, "researchers": Label.RESEARCHER,
    "needs": Label.NEED, "offers": Label.OFFER, "deals": Label.DEAL,
}

# Stored once per pair (src < dst); the projection reads them in both directions.
UNDIRECTED: frozenset[RelType] = frozenset({RelType.CO_AUTHOR})

# Node properties the projection keeps as arrays (categorical codes or numbers), per label.
PROJECTED_ATTRS: dict[Label, tuple[str, ...]] = {
    Label.INSTITUTION: ("kind",),
    Label.ENTERPRISE: ("tier", "size"),
    Label.REGION: ("level",),
    Label.FIELD: ("level",),
    # a need's state and age, so that lists of needs are made without reading the store
    Label.NEED: ("kind", "status", "deadline", "posted"),
    Label.OFFER: ("kind",),
    Label.DEAL: ("kind", "year"),
}
NUMERIC_ATTRS: frozenset[str] = frozenset({"year", "level"})

# Institution kinds: code -> names a person uses, the first one shown (filters accept the code or any name).
INSTITUTION_KINDS: dict[str, tuple[str, ...]] = {
    "university": ("大学", "高校", "高等院校", "学院"),
    "research_institute": ("科研院所", "研究院", "研究所"),
    "laboratory": ("实验室", "重点实验室"),
    "society": ("学会", "协会"),
    "platform": ("技术转移平台", "平台", "技术转移中心"),
}

# Properties only the owner's members and staff may read: a need's confidential part (its enterprise's),
# a deal's amount (its parties'). Everyone else gets the entity without them, on every path.
PRIVATE: dict[Label, frozenset[str]] = {
    Label.NEED: frozenset({"budget", "contact", "detail"}),
    Label.DEAL: frozenset({"amount"}),
}


def check_endpoints(rel_type: RelType, src_label: str, dst_label: str) -> tuple[str, str] | None:
    """(offending field, reason) when (src_label)-[rel_type]->(dst_label) is not allowed, else None."""
    sources, targets = ENDPOINTS[rel_type]
    if src_label not in sources:
        return "src", f"{rel_type} cannot start at a {src_label} (allowed: {', '.join(sorted(sources))})"
    if dst_label not in targets:
        return "dst", f"{rel_type} cannot end at a {dst_label} (allowed: {', '.join(sorted(targets))})"
    return None
