"""Reading import files: which file holds which kind, and rows from CSV or JSON Lines with line numbers."""

from __future__ import annotations

import csv
import json
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from pydantic import BaseModel

from graph_service.errors import InvalidInput
from graph_service.models import NODE_MODELS, REL_MODELS
from graph_service.schema import PLURALS, Label, RelType

# Node files are named by the label's plural; relationship files after the type in lower case.
NODE_FILES: dict[str, Label] = PLURALS
REL_FILES: dict[str, RelType] = {t.lower(): t for t in RelType}
LIST_SEPARATOR = "|"
_SUFFIXES = (".csv", ".jsonl")
# utf-8-sig: a leading byte order mark (Excel writes one) is dropped, not read as part of the first column
ENCODING = "utf-8-sig"
# No valid row comes near it (the longest field is 4,000 characters): it bounds what a bad line costs. CSV
# cells have the csv module's field_size_limit (131,072), left as it is: the setting is process-wide.
MAX_JSONL_LINE = 1 << 20  # characters


@dataclass(frozen=True)
class ImportFile:
    path: Path
    kind: Label | RelType

    @property
    def is_node_file(self) -> bool:
        return isinstance(self.kind, Label)


def discover(directory: Path) -> list[ImportFile]:
    """Import files in load order (nodes in dependency order, then relationships).

    Files with other suffixes (manifest.json, README) are ignored; a .csv or .jsonl whose name is
    not a known kind is an error, so a misspelt file is never skipped silently.
    """
    if not directory.is_dir():
        raise InvalidInput(f"{directory} is not a directory")
    order = [*NODE_FILES, *REL_FILES]
    found: list[ImportFile] = []
    for path in sorted(directory.iterdir()):
        if path.suffix not in _SUFFIXES or path.name.startswith("_"):
            continue
        stem = path.stem
        kind = NODE_FILES.get(stem) or REL_FILES.get(stem)
        if kind is None:
            raise InvalidInput(f"unknown file kind {stem!r}; expected one of: {', '.join(order)}",
                               file=str(path))
        found.append(ImportFile(path, kind))
    if not found:
        raise InvalidInput(f"no .csv or .jsonl import files in {directory}")
    return sorted(found, key=lambda f: (order.index(f.path.stem), f.path.suffix))


def count_rows(path: Path) -> int:
    """Data rows in a file (lines, minus the CSV header), read fast as bytes for progress bars."""
    lines = 0
    last = b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(0, lines - (path.suffix == ".csv"))


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, info in model.model_fields.items()
                     if typing.get_origin(info.annotation) is list)


_LIST_FIELDS = {kind: _list_fields(m) for kind, m in [*NODE_MODELS.items(), *REL_MODELS.items()]}


def read_rows(f: ImportFile) -> Iterator[tuple[int, dict]]:
    """(line number, raw row) pairs. CSV: empty cells are absent; list cells are split on '|'."""
    if f.path.suffix == ".jsonl":
        yield from _read_jsonl(f.path)
    else:
        yield from _read_csv(f.path, _LIST_FIELDS[f.kind])


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(encoding=ENCODING) as fh:
        n = 0
        try:
            while line := fh.readline(MAX_JSONL_LINE + 1):
                n += 1
                if len(line) > MAX_JSONL_LINE:
                    raise InvalidInput(f"line longer than {MAX_JSONL_LINE:,} characters", file=str(path), line=n)
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InvalidInput(f"not valid JSON: {e.msg} at column {e.colno}", file=str(path),
                                       line=n) from None
                if not isinstance(row, dict):
                    raise InvalidInput("each line must be a JSON object", file=str(path), line=n)
                yield n, row
        except UnicodeDecodeError:
            raise _not_utf8(path) from None


def _read_csv(path: Path, list_fields: frozenset[str]) -> Iterator[tuple[int, dict]]:
    with path.open(encoding=ENCODING, newline="") as fh:
        reader = csv.reader(fh)
        header: list[str] = []
        n = 0  # the last line of the last record read
        try:
            header = [h.strip() for h in next(reader, None) or []]
            if not header:
                raise InvalidInput("empty file: a CSV file needs a header row", file=str(path), line=1)
            width, n = len(header), reader.line_num
            for cells in reader:
                n = reader.line_num
                if len(cells) != width:
                    if not cells:
                        continue
                    raise InvalidInput(f"{len(cells)} cells where the header has {width}", file=str(path), line=n)
                row: dict[str, object] = dict(zip(header, cells))
                if "" in cells:
                    row = {k: v for k, v in row.items() if v != ""}
                for key in list_fields.intersection(row):
                    row[key] = str(row[key]).split(LIST_SEPARATOR)
                yield n, row
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except csv.Error as e:
            raise _csv_error(e, path, header, n + 1, reader.line_num) from None


def _not_utf8(path: Path) -> InvalidInput:
    """The first line that does not decode (a text reader decodes ahead, in blocks, so find it again)."""
    with path.open(encoding="latin-1", newline="") as fh:  # a character per byte, lines split as the readers do
        for n, text in enumerate(fh, 1):
            raw = text.encode("latin-1")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                return InvalidInput(f"not UTF-8 text (byte 0x{raw[e.start]:02x} at byte {e.start + 1} of the line)",
                                    file=str(path), line=n)
    return InvalidInput("not UTF-8 text", file=str(path))


def _csv_error(e: csv.Error, path: Path, header: list[str], first: int, line: int) -> InvalidInput:
    if "field larger than field limit" not in str(e):
        return InvalidInput(f"not valid CSV: {e}", file=str(path), line=line)
    limit = csv.field_size_limit()
    with path.open(encoding=ENCODING, newline="") as fh:
        cell = _long_cell(islice(fh, first - 1, None), limit)
    name = header[cell] if cell is not None and cell < len(header) else None
    return InvalidInput(f"a cell longer than {limit:,} characters", file=str(path), line=line, field=name)


def _long_cell(lines: Iterable[str], limit: int) -> int | None:
    """Which cell of the record in `lines` is longer than `limit`, read by the csv module's default
    dialect (the csv module does not say). Only on the error path: it goes character by character."""
    cell = size = 0
    state = "start"  # of the cell: start, plain, quoted, or quote (a quote seen inside a quoted cell)
    for line in lines:
        for ch in line:
            if state == "quoted":
                if ch == '"':
                    state = "quote"
                    continue
            elif state == "quote" and ch == '"':
                state = "quoted"  # a doubled quote stands for one
            elif ch == ",":
                cell, size, state = cell + 1, 0, "start"
                continue
            elif ch in "\r\n":
                return None
            elif state == "start" and ch == '"':
                state = "quoted"
                continue
            else:
                state = "plain"
            size += 1
            if size > limit:
                return cell
    return None
