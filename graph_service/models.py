"""Validated domain records (pydantic v2): one model per node label and per relationship type.

Names in code are English; values (names, texts, tiers) stay Chinese as users write them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from graph_service.schema import INSTITUTION_KINDS, Label, RelType

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL: invisible, break CSV cells, headers and logs
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # texts keep tabs and line breaks


def _no_control(pattern: re.Pattern) -> AfterValidator:
    def check(value: str) -> str:
        found = pattern.search(value)
        if found:
            raise ValueError(f"contains the control character U+{ord(found.group()):04X} at position {found.start()}")
        return value
    return AfterValidator(check)


EntityId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
                 _no_control(_CONTROL_IN_TEXT)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _no_control(_CONTROL)]
Year = Annotated[int, Field(ge=1950, le=2100)]

ENTERPRISE_TIERS = ("科技型中小企业", "高新技术企业", "专精特新", "专精特新小巨人", "领军企业")


def _plain(values: dict, skip: tuple[str, str]) -> dict:
    # model_dump(mode="json") is 3x slower; our fields are str, numbers, bools, lists of str and dates.
    # Absent values (None, []) are left out, so both stores hold the same properties.
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()
            if v is not None and v != [] and k not in skip}


# Every input model refuses NaN and infinities: one stored Infinity would stop JSON output and the projection.
STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Node(BaseModel):
    model_config = STRICT
    id: EntityId
    name: Name

    def row(self) -> tuple[str, str, dict]:
        """(id, name, other properties) as stores keep them (JSON-compatible)."""
        return self.id, self.name, _plain(self.__dict__, ("id", "name"))


class Researcher(Node):
    title: Name | None = None  # 职称, e.g. 教授 / 研究员 / 高级工程师
    expertise: Text | None = None
    keywords: list[Name] = []


class Institution(Node):
    kind: Literal[tuple(INSTITUTION_KINDS)]  # type: ignore[valid-type]


class Enterprise(Node):
    tier: Literal[ENTERPRISE_TIERS]  # type: ignore[valid-type]
    industry: Name
    size: Literal["micro", "small", "medium", "large"]
    founded: Year | None = None


class FieldNode(Node):
    level: Annotated[int, Field(ge=1, le=2)]  # 1 = industry / discipline, 2 = technology field
    code: Annotated[str, StringConstraints(max_length=32)] | None = None


class Region(Node):
    level: Annotated[int, Field(ge=1, le=4)]  # 1 province, 2 city, 3 district or county, 4 high-tech zone / 科创飞地
    kind: Literal["province", "municipality", "city", "district", "county", "hightech_zone", "enclave"]


class Circle(Node):
    kind: Literal["economic_circle", "corridor", "metro_area", "economic_zone"]


class Need(Node):
    """`name` and `text` are the public summary; budget, contact and detail are private (schema.PRIVATE)."""
    kind: Literal["need", "challenge"]  # challenge = 揭榜挂帅
    text: Text
    budget: Annotated[float, Field(ge=0, le=1e9)] | None = None  # 万元
    contact: Name | None = None
    detail: Text | None = None
    deadline: date | None = None
    posted: date | None = None
    status: Literal["open", "matching", "signed", "closed"] = "open"


class Offer(Node):
    kind: Literal["capability", "achievement", "service"]
    text: Text
    posted: date | None = None


class Deal(Node):
    kind: Literal["development", "transfer", "licensing", "consulting", "joint_lab", "framework"]
    date: date
    amount: Annotated[float, Field(ge=0, le=1e9)] | None = None  # 万元, private to the parties
    year: Year | None = None

    @model_validator(mode="after")
    def _year_from_date(self) -> Deal:
        # year is derived so that the projection can filter deals by time without parsing dates
        if not 1950 <= self.date.year <= 2100:
            raise ValueError(f"date {self.date} is outside 1950-2100")
        if self.year is None:
            object.__setattr__(self, "year", self.date.year)
        elif self.year != self.date.year:
            raise ValueError(f"year {self.year} does not match date {self.date}")
        return self


NODE_MODELS: dict[Label, type[Node]] = {
    Label.RESEARCHER: Researcher,
    Label.INSTITUTION: Institution,
    Label.ENTERPRISE: Enterprise,
    Label.FIELD: FieldNode,
    Label.REGION: Region,
    Label.CIRCLE: Circle,
    Label.NEED: Need,
    Label.OFFER: Offer,
    Label.DEAL: Deal,
}


class Rel(BaseModel):
    """A relationship row: endpoints by id plus the type's own properties."""

    model_config = STRICT
    src: EntityId
    dst: EntityId

    def row(self) -> tuple[str, str, dict]:
        """(src, dst, properties) as stores keep them."""
        return self.src, self.dst, _plain(self.__dict__, ("src", "dst"))


class PlainRel(Rel):
    pass


class WeightedRel(Rel):
    weight: Annotated[float, Field(gt=0, le=1)] = 1.0


class AffiliationRel(Rel):
    since: Year | None = None
    primary: bool = True


PartyRole = Literal["client", "provider", "partner", "investor", "intermediary"]


class PartyRel(Rel):
    role: PartyRole


class CoAuthorRel(Rel):
    weight: Annotated[float, Field(ge=1)] = 1.0  # number of joint works
    first_year: Year | None = None
    last_year: Year | None = None

    @model_validator(mode="before")
    @classmethod
    def _canonical_pair(cls, data: object) -> object:
        # undirected: stored once per pair with the smaller id first, whatever order it came in
        if isinstance(data, dict) and isinstance(data.get("src"), str) and isinstance(data.get("dst"), str) \
                and data["src"] > data["dst"]:
            data = {**data, "src": data["dst"], "dst": data["src"]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> CoAuthorRel:
        if self.src == self.dst:
            raise ValueError("a researcher cannot be their own co-author")
        if self.first_year and self.last_year and self.first_year > self.last_year:
            raise ValueError("first_year is after last_year")
        return self


REL_MODELS: dict[RelType, type[Rel]] = {
    RelType.AFFILIATED_WITH: AffiliationRel,
    RelType.EXPERT_IN: WeightedRel,
    RelType.ACTIVE_IN: WeightedRel,
    RelType.LOCATED_IN: PlainRel,
    RelType.PART_OF: PlainRel,
    RelType.SUBFIELD_OF: PlainRel,
    RelType.MEMBER_OF: PlainRel,
    RelType.POSTED: PlainRel,
    RelType.ABOUT: WeightedRel,
    RelType.PARTY_TO: PartyRel,
    RelType.FULFILS: PlainRel,
    RelType.CO_AUTHOR: CoAuthorRel,
}
