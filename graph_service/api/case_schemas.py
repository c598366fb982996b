"""Request bodies of the case routes. `expected` is the case's `updated` as the caller last read it: a
change made by someone else since is refused (409), never overwritten."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from graph_service.cases.partners import DECLINE_REASONS
from graph_service.cases.pipeline import ACTIVITIES
from graph_service.cases.signing import DEAL_KINDS
from graph_service.cases.stages import CLOSE_REASONS, Stage
from graph_service.models import EntityId

Words = Annotated[str, Field(max_length=2000)]
Expected = Annotated[str, Field(min_length=1, max_length=64, description="the case's `updated` as last read")]
UserName = Annotated[str, Field(min_length=2, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenCaseIn(_Body):
    need: EntityId
    assignee: UserName | None = Field(None, description="default: the staff member whose patch and load fit best")


class MoveIn(_Body):
    expected: Expected
    stage: Stage = Field(description="signing has its own route (/sign): it writes the contract")
    reason: Words = Field("", description="needed to move back or to reopen")
    close_reason: Literal[tuple(CLOSE_REASONS)] | None = None  # type: ignore[valid-type]


class AssignIn(_Body):
    expected: Expected
    assignee: UserName
    reason: Words = ""


class ClarifyIn(_Body):
    expected: Expected
    problem: Words
    constraints: Words = ""
    budget: Annotated[float, Field(ge=0, le=1e9, description="万元; private to the enterprise and staff")] | None = None
    confidential: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=20)] = []


class ShortlistIn(_Body):
    expected: Expected
    researchers: Annotated[list[EntityId], Field(min_length=1, max_length=20)]


class FeedbackIn(_Body):
    researcher: EntityId
    verdict: Literal["accept", "decline"]
    reason: Literal[tuple(DECLINE_REASONS)] | None = None  # type: ignore[valid-type]
    note: Words = ""


class IntroduceIn(_Body):
    expected: Expected
    researcher: EntityId


class AnswerIn(_Body):
    agree: bool
    reason: Words = ""


class LogIn(_Body):
    kind: Literal[ACTIVITIES]  # type: ignore[valid-type]
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class NextIn(_Body):
    expected: Expected
    action: Annotated[str, Field(min_length=1, max_length=500)]
    due: date


class SignIn(_Body):
    expected: Expected
    partners: Annotated[list[EntityId], Field(min_length=1, max_length=20)] | None = Field(
        None, description="researchers or institutions; default: those who agreed to the introduction")
    kind: Literal[tuple(DEAL_KINDS)] = "development"  # type: ignore[valid-type]
    amount: Annotated[float, Field(ge=0, le=1e9, description="万元; private to the parties")] | None = None
    signed_on: date | None = Field(None, description="default: today")
    name: Annotated[str, Field(max_length=200)] | None = None


class PromoteIn(_Body):
    fair: Annotated[str, Field(min_length=1, max_length=64)]


class StaffProfileIn(_Body):
    regions: Annotated[list[EntityId], Field(max_length=50)] = []
    fields: Annotated[list[EntityId], Field(max_length=50)] = []
    capacity: Annotated[int, Field(ge=1, le=10_000)] = 40
    lead: UserName | None = None
