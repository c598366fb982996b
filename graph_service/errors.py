"""TechMatch's own exceptions. Stores wrap driver errors in these; only the API maps them to HTTP."""

from __future__ import annotations

from functools import partial


class TechMatchError(Exception):
    """Base of every error TechMatch raises on purpose."""


class StoreUnavailable(TechMatchError):
    """The system of record cannot be reached (HTTP 503)."""


class NotFound(TechMatchError):
    """An entity or relationship named by id does not exist (HTTP 404)."""


class Conflict(TechMatchError):
    """A write would break an invariant: duplicate id, id reused with another label (HTTP 409)."""


class InvalidInput(TechMatchError):
    """Input that fails validation, with where it came from (HTTP 422 / CLI exit 2).

    `location` is the part of an HTTP request `field` is in (body, query, path, header); left out, the API
    finds it among the route's parameters, so raise sites need not know how they were called."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None, location: str | None = None, others: tuple[InvalidInput, ...] = ()) -> None:
        self.file, self.line, self.field, self.location, self.reason = file, line, field, location, message
        self.others = others  # the same input's further problems (every bad line of a file, not just the first)
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{'field ' + repr(field) + ': ' if field else ''}{message}")

    def __reduce__(self):  # keep file, line, field and location when sent from a reader process
        return (partial(InvalidInput, file=self.file, line=self.line, field=self.field, location=self.location,
                        others=self.others), (self.reason,))

    @classmethod
    def together(cls, problems: list[InvalidInput]) -> InvalidInput:
        """One error carrying several problems: the first, and the others behind it."""
        first, *others = problems
        return cls(first.reason, file=first.file, line=first.line, field=first.field, location=first.location,
                   others=tuple(others))

    @property
    def every(self) -> tuple[InvalidInput, ...]:
        """This problem and the others, in the order they were found."""
        return (self, *self.others)


class Unauthenticated(TechMatchError):
    """No valid sign-in where one is needed (HTTP 401)."""


class Forbidden(TechMatchError):
    """Signed in, but this account may not do this (HTTP 403)."""
