"""The value types of a fair's records (ids, names, texts, days, bounded counts), shared by the instance,
outcomes and the API's input models. Each refuses what would break a file, a header, a calendar or the
planner's arrays: control characters, NaN and infinities, numbers no fair has."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from graph_service.models import _CONTROL, _CONTROL_IN_TEXT, _no_control

# every fair record: no unknown fields, no NaN or infinities (one would stop JSON output and the solver)
FAIR_MODEL = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

# no whitespace, ',' or ';' (list cells), '/' or '\' (agendas are written to files named after the id)
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s,;/\\]+$"), _no_control(_CONTROL)]
# one-line words: fields, circles, regions
Word = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _no_control(_CONTROL)]
# names and titles people read; a line break pasted from a form is kept (agendas escape it)
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                  _no_control(_CONTROL_IN_TEXT)]
Text = Annotated[str, StringConstraints(max_length=4000), _no_control(_CONTROL_IN_TEXT)]

# years a fair can take place in (calendar exports add a day; date.max + 1 day overflows)
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]

MAX_TABLES = 10_000
MAX_SESSIONS = 1000
MAX_PEOPLE = 100_000  # participants or projects of one fair
MAX_MEETINGS = 1000  # per participant
Tables = Annotated[int, Field(ge=1, le=MAX_TABLES)]
Meetings = Annotated[int, Field(ge=0, le=MAX_MEETINGS)]

Kind = Literal["enterprise", "researcher", "institution", "investor"]


class FrozenModel(BaseModel):
    """A fair record: immutable, no unknown fields, no NaN or infinities."""

    model_config = FAIR_MODEL
