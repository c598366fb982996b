"""The fair routes' rows of the role matrix (filled when the fair routes declare their roles)."""

from __future__ import annotations

from collections.abc import Iterator


def FAIR_ROUTES(w) -> Iterator:  # noqa: N802 - a table
    return iter(())
