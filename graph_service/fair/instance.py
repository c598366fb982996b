"""A fair's instance: the event (days, session blocks, rooms, 1:1 slots and tables), projects,
participants and meeting requests, with the files they are kept in.

Files of an instance directory: `event.json`, `projects.csv`, `participants.csv`, `requests.csv` and,
optionally, `locked.csv` (meetings the organiser fixed: a,b,slot,table). Every bad value is refused
with the file, line and field it came from; nothing is half read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator

from graph_service.errors import InvalidInput
from graph_service.fair.event import MAX_SLOTS, Event
from graph_service.fair.spreadsheet import neutralise_formula, restore_formula
from graph_service.fair.values import FrozenModel, Id, Kind, Meetings, Tables, Text, Title, Word

Preference = Literal["must", "meet", "no"]
Status = Literal["accepted", "pending", "declined"]
PREFERENCE_WEIGHT: dict[str, float] = {"must": 3.0, "meet": 1.0, "no": 0.0}
RECOMMENDED_WEIGHT = 0.5  # a suggested mutual-fit pair is worth less than one somebody asked for


MAX_PROBLEMS = 200  # bad values named per file: enough to mend a file, not a page of thousands


def _split(value: object) -> object:
    """A CSV cell "a;b" as a list; JSON lists and anything else go to validation as they are."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return value


class Project(FrozenModel):
    id: Id
    title: Title
    kind: Literal["need", "challenge", "offer", "achievement"]
    fields: Annotated[list[Word], Field(max_length=100)]
    text: Text = ""
    presenter: Id  # the participant who presents it
    node: Id | None = None  # the need or offer in the graph it was promoted from

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: object) -> object:
        if not isinstance(data, dict):  # e.g. [null, null]: validation says what is wrong
            return data
        return {**data, "fields": _split(data.get("fields"))}


class Participant(FrozenModel):
    id: Id
    name: Title
    kind: Kind
    region: Word = ""
    circles: Annotated[list[Word], Field(max_length=100)] = []
    small: bool = False  # small or micro enterprise
    specialised: bool = False  # 专精特新
    fields: Annotated[list[Word], Field(max_length=100)] = []
    available: Annotated[list[Id], Field(max_length=MAX_SLOTS)] = []  # slot ids or days; empty: the whole event
    max_meetings: Meetings | None = None  # overrides the event's limit for its kind
    node: Id | None = None  # the researcher, enterprise or institution in the graph

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: object) -> object:
        if not isinstance(data, dict):  # e.g. [null, null]: validation says what is wrong
            return data
        out = {**data}
        for key in ("circles", "fields", "available"):
            out[key] = _split(data.get(key))
        for key in ("max_meetings", "node"):
            if out.get(key) == "":
                out[key] = None
        return out


Fit = Annotated[float, Field(ge=0, le=1)]  # the chance of a deal
FitFrom = Literal["given", "model", "fields"]  # see graph_service.fair.fits


class _Asking(FrozenModel):
    a: Id  # who asked
    b: Id  # whom
    preference: Preference = "meet"
    status: Status = "accepted"
    seq: Annotated[int, Field(ge=0, le=10**9)] = 0  # arrival order (first come, first served uses it)
    recommended: bool = False  # suggested by the planner's matching, not asked for
    fit_from: FitFrom = "given"

    @field_validator("b")
    @classmethod
    def _two_people(cls, b: str, info: ValidationInfo) -> str:
        return other_than_a(b, info)


class NewRequest(_Asking):
    """A request as it arrives (an upload's row, a request body): without a fit, `fits.with_fits` gives
    it the matching model's, the same on every path."""

    fit: Fit | None = None


class Request(_Asking):
    """A request of the instance: its fit is always there (no default: nothing is silently 0.5)."""

    fit: Fit

    @property
    def value(self) -> float:
        weight = RECOMMENDED_WEIGHT if self.recommended else PREFERENCE_WEIGHT[self.preference]
        return weight * self.fit


def other_than_a(b: str, info: ValidationInfo) -> str:
    """A meeting needs two people: `b` differs from `a` (an error on `b`, so it names the field)."""
    if b == info.data.get("a"):
        raise ValueError(f"a meeting needs two different participants: a and b are both {b!r}")
    return b


class Locked(FrozenModel):
    a: Id
    b: Id
    slot: Id
    table: Tables

    @field_validator("b")
    @classmethod
    def _two_people(cls, b: str, info: ValidationInfo) -> str:
        return other_than_a(b, info)


class Instance(BaseModel):
    """Everything the planner reads. Cross-references (presenters, request ends, availability, locks)
    are checked here, so the planner can trust them."""

    event: Event
    projects: list[Project]
    participants: list[Participant]
    requests: list[Request]
    locked: list[Locked] = []

    def check(self, where: dict[str, str] | None = None) -> Instance:
        """Every reference between the parts resolves; InvalidInput names every problem found (file, line,
        field), not just the first."""
        where = where or {}
        found: list[InvalidInput] = []

        def bad(message: str, part: str, line: int, field: str) -> None:
            found.append(InvalidInput(message, file=where.get(part, part), line=line, field=field))

        people = {p.id for p in self.participants}
        slots = {s.id for s in self.event.slots}
        days = {d.isoformat() for d in self.event.days}
        found += _check_unique(self.participants, where.get("participants", "participants"))
        found += _check_unique(self.projects, where.get("projects", "projects"))
        for line, p in enumerate(self.projects, 2):
            if p.presenter not in people:
                bad(f"unknown participant {p.presenter!r}", "projects", line, "presenter")
        for line, person in enumerate(self.participants, 2):
            for token in person.available:
                if token not in slots and token not in days:
                    bad(f"{token!r} is neither a slot id nor a day of the event", "participants", line, "available")
        for name, rows in (("requests", self.requests), ("locked", self.locked)):
            for line, r in enumerate(rows, 2):
                for end in ("a", "b"):
                    if getattr(r, end) not in people:
                        bad(f"unknown participant {getattr(r, end)!r}", name, line, end)
        taken: dict[tuple[str, int], int] = {}
        busy: dict[tuple[str, str], int] = {}
        for line, m in enumerate(self.locked, 2):
            if m.slot not in slots:
                bad(f"unknown slot {m.slot!r}", "locked", line, "slot")
            if m.table > self.event.tables:
                bad(f"table {m.table} > the event's {self.event.tables} tables", "locked", line, "table")
            if (m.slot, m.table) in taken:
                bad(f"table {m.table} in {m.slot} is already locked on line {taken[m.slot, m.table]}", "locked", line,
                    "table")
            taken.setdefault((m.slot, m.table), line)
            for who in (m.a, m.b):
                if (who, m.slot) in busy:
                    bad(f"{who} already has a locked meeting in {m.slot} (line {busy[who, m.slot]})", "locked", line,
                        "slot")
                busy.setdefault((who, m.slot), line)
        if found:
            raise InvalidInput.together(found[:MAX_PROBLEMS])
        return self

    def merged(self, *, projects: Sequence[Project] = (), participants: Sequence[Participant] = (),
               requests: Sequence[Request] = (), locked: Sequence[Locked] = (),
               where: dict[str, str] | None = None) -> Instance:
        """This instance with rows added or replaced (projects and participants by id, requests and locks
        by their pair), checked: errors name the line of the new rows' file (`where`: part -> file)."""
        Instance(event=self.event, projects=[], participants=list(participants), requests=[]).check(where)
        people = _upsert(self.participants, participants, lambda x: x.id)
        Instance(event=self.event, projects=list(projects), participants=people, requests=list(requests),
                 locked=list(locked)).check(where)
        return Instance(event=self.event, projects=_upsert(self.projects, projects, lambda x: x.id),
                        participants=people, requests=_upsert(self.requests, requests, lambda r: (r.a, r.b)),
                        locked=_upsert(self.locked, locked, lambda m: (m.a, m.b))).check()


def _upsert(old: list, new: Iterable, key: Callable) -> list:
    """`old` with rows of the same key replaced in place and the others appended, in order."""
    fresh = {key(r): r for r in new}
    out = [fresh.pop(key(r), r) for r in old]
    return out + list(fresh.values())


def _check_unique(rows: Iterable[Project | Participant], file: str) -> list[InvalidInput]:
    seen: dict[str, int] = {}
    found = []
    for line, row in enumerate(rows, 2):
        if row.id in seen:
            found.append(InvalidInput(f"id {row.id!r} already used on line {seen[row.id]}", file=file, line=line,
                                      field="id"))
        seen.setdefault(row.id, line)
    return found


# what imported rows are read as (requests may lack a fit), and what an instance directory holds
FILES: dict[str, type[BaseModel]] = {
    "projects": Project, "participants": Participant, "requests": NewRequest, "locked": Locked}
KEPT: dict[str, type[BaseModel]] = {**FILES, "requests": Request}
COLUMNS = {
    "projects": ["id", "title", "kind", "fields", "text", "presenter", "node"],
    "participants": ["id", "name", "kind", "region", "circles", "small", "specialised", "fields", "available",
                     "max_meetings", "node"],
    "requests": ["a", "b", "preference", "status", "fit", "seq", "recommended", "fit_from"],
    "locked": ["a", "b", "slot", "table"],
}


def _rows(f: IO[str], model: type[BaseModel], file: str) -> Iterator:
    """The file's rows as `model`; a bad value does not stop the reading, so that every bad line (up to
    MAX_PROBLEMS) is named at once, raised after the last row. An unreadable record ends it."""
    reader = csv.DictReader(f)
    rows = enumerate(reader, 2)
    line = 1
    problems: list[InvalidInput] = []
    while len(problems) < MAX_PROBLEMS:
        try:
            line, row = next(rows)
        except StopIteration:
            break
        except csv.Error as e:  # the record after the last good one: line + 1 (1: the header)
            problems.append(InvalidInput(_csv_problem(e), file=file, line=line + 1))
            break
        except UnicodeDecodeError:
            problems.append(InvalidInput("not UTF-8 text: save the file as UTF-8 (in Excel: CSV UTF-8)", file=file))
            break
        if None in row:
            problems.append(InvalidInput("more values than columns", file=file, line=line))
            continue
        clean = {k: restore_formula(v) for k, v in row.items() if k and v is not None and v != ""}
        try:
            yield model.model_validate(clean)
        except ValidationError as e:
            problems += [InvalidInput(err["msg"], file=file, line=line, field=".".join(str(p) for p in err["loc"])
                                      or None) for err in e.errors()]
    if problems:
        first, *others = problems[:MAX_PROBLEMS]
        raise InvalidInput(first.reason, file=file, line=first.line, field=first.field, others=tuple(others))


def _csv_problem(e: csv.Error) -> str:
    if "field limit" in str(e):
        return f"a value longer than {csv.field_size_limit():,} characters"
    return f"not a readable CSV record ({e})"


def read_rows(path: Path, model: type[BaseModel]) -> list:
    """Every row of one CSV file as `model`; InvalidInput names the line and field of a bad value."""
    if not path.is_file():
        raise InvalidInput("missing", file=str(path))
    with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: Excel's "CSV UTF-8" starts with a BOM
        return list(_rows(f, model, path.name))


def upload_rows(upload: IO[bytes], model: type[BaseModel], file: str) -> list:
    """Rows of an uploaded CSV file (UTF-8, with or without Excel's byte-order mark) as `model`, errors named
    after `file`; the upload stays open for its owner to close."""
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
    try:
        return list(_rows(text, model, file))
    finally:
        text.detach()


def read_event(path: Path) -> Event:
    try:
        return Event.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as e:
        raise InvalidInput(e.msg, file=path.name, line=e.lineno) from None
    except ValidationError as e:
        err = e.errors()[0]
        raise InvalidInput(err["msg"], file=path.name, field=".".join(str(p) for p in err["loc"]) or None) from None


def read_instance(directory: Path) -> Instance:
    """The instance in `directory`; InvalidInput names the file, line and field of the first bad value."""
    if not (directory / "event.json").is_file():
        raise InvalidInput("no event.json here", file=str(directory))
    event = read_event(directory / "event.json")
    parts: dict[str, list] = {}
    for name, model in KEPT.items():
        path = directory / f"{name}.csv"
        if not path.is_file():
            if name == "locked":
                parts[name] = []
                continue
            raise InvalidInput("missing", file=f"{name}.csv")
        parts[name] = read_rows(path, model)
    where = {name: f"{name}.csv" for name in FILES}
    return Instance(event=event, **parts).check(where)


def _cell(value: object) -> str:
    if isinstance(value, list):
        return neutralise_formula(";".join(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else neutralise_formula(str(value))


def write_rows(path: Path, columns: list[str], rows: Iterable[dict]) -> None:
    """A CSV file every fair reader reads back unchanged (see graph_service.fair.spreadsheet)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row.get(c)) for c in columns])


def write_instance(instance: Instance, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "event.json").write_text(instance.event.model_dump_json(indent=2), encoding="utf-8")
    for name in FILES:
        rows = getattr(instance, name)
        if name == "locked" and not rows:
            continue
        write_rows(directory / f"{name}.csv", COLUMNS[name], (r.model_dump() for r in rows))
