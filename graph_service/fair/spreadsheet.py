"""CSV cells safe to open in a spreadsheet. Excel and LibreOffice run a cell that starts with = + - @,
a tab or a carriage return as a formula (OWASP "CSV injection"): `=HYPERLINK(...)` in a participant's
name would become a live link in the staff's table plan. Such a cell gets a leading apostrophe, which
spreadsheets show as nothing and keep as text.

Every CSV file of a fair is written through `neutralise_formula`, the ones the planner reads back
included (instance, plan and outcome files are also opened by people), and every CSV the fair code reads
goes through `restore_formula`, its exact inverse: values round-trip unchanged. A value that already
starts with apostrophes before such a character gets one more, so nothing is ambiguous."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

_FORMULA = re.compile(r"'*[=+\-@\t\r]")  # a formula start, behind any apostrophes


def neutralise_formula(value: str) -> str:
    """`value` as a cell a spreadsheet shows as text."""
    return "'" + value if _FORMULA.match(value) else value


def restore_formula(cell: str) -> str:
    """The value `neutralise_formula` wrote into `cell` (anything else unchanged)."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell) else cell


def csv_text(columns: list[str], rows: Iterable[dict]) -> str:
    """A CSV file for people (agendas, table plans, programmes) as text, every cell neutralised."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([neutralise_formula(_text(row.get(c))) for c in columns])
    return out.getvalue()


def _text(value: object) -> str:
    return "" if value is None else str(value)
