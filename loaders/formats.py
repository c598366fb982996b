"""Reading import files: which file holds which kind, and rows from CSV or JSON Lines with line numbers."""

from __future__ import annotations

import csv
import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
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
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise InvalidInput(f"not valid JSON: {e.msg} at column {e.colno}", file=str(path), line=n) from e
            if not isinstance(row, dict):
                raise InvalidInput("each line must be a JSON object", file=str(path), line=n)
            yield n, row


def _read_csv(path: Path, list_fields: frozenset[str]) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise InvalidInput("empty file: a CSV file needs a header row", file=str(path), line=1)
        header = [h.strip() for h in header]
        width = len(header)
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
