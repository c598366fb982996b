"""Load a directory of import files into a store in one transaction: all rows or none.

Every row is validated by its pydantic model, then against the rest of the load (loaders.checks: an id
or a relationship comes once, hierarchies stay acyclic), then by the store (endpoints exist and have the
right labels; an id keeps its label). The first bad row stops the load with file, line, field and reason,
and the transaction rolls back. With `skip_invalid`, bad rows are written to a rejects file instead.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import cast

from pydantic import ValidationError
from tqdm import tqdm

from graph_service.errors import InvalidInput, TechMatchError
from graph_service.models import NODE_MODELS, REL_MODELS
from graph_service.stores.base import GraphStore, GraphWriter
from loaders.checks import LoadChecks, RowCheck, stored_hierarchies
from loaders.formats import ImportFile, count_rows, discover, read_rows
from loaders.reader_process import in_child

BATCH = 5000
CHILD_READER_ROWS = 200_000  # below this, starting a reader process costs more than it saves


@dataclass
class Reject:
    file: str
    line: int
    field: str | None
    reason: str
    row: dict


@dataclass
class LoadReport:
    rows: int = 0
    loaded: int = 0
    rejected: list[Reject] = field(default_factory=list)
    seconds: float = 0.0
    per_file: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _validation_error(e: ValidationError) -> tuple[str | None, str]:
    first = e.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or None
    return where, first["msg"]


def _validated(f: ImportFile, check: RowCheck, on_reject: Callable[[Reject], None] | None
               ) -> Iterator[tuple[int, tuple, dict]]:
    """(line, store row, raw row) for every valid row; invalid ones raise or go to `on_reject`."""
    model = NODE_MODELS[f.kind] if f.is_node_file else REL_MODELS[f.kind]  # type: ignore[index]
    for line, raw in read_rows(f):
        try:
            row = model.model_validate(raw).row()
        except ValidationError as e:
            where, reason = _validation_error(e)
            if on_reject is None:
                raise InvalidInput(reason, file=str(f.path), line=line, field=where) from None
            on_reject(Reject(str(f.path), line, where, reason, raw))
            continue
        problem = check(line, row)
        if problem is None:
            yield line, row, raw
        elif on_reject is None:
            raise problem
        else:
            on_reject(Reject(str(f.path), line, problem.field, problem.reason, raw))


def _validated_batches(files: list[ImportFile], on_reject: Callable[[Reject], None] | None, *,
                       stored: dict | None = None) -> Iterator[tuple[ImportFile, list[tuple[int, tuple, dict]]]]:
    """Valid rows in batches. `stored`: the store's hierarchy relationships (see loaders.checks)."""
    checks = LoadChecks([str(f.path) for f in files], stored or {})
    for index, f in enumerate(files):
        batch: list[tuple[int, tuple, dict]] = []
        for item in _validated(f, checks.for_file(index, f.kind), on_reject):
            batch.append(item)
            if len(batch) >= BATCH:
                yield f, batch
                batch = []
        if batch:
            yield f, batch


def _write_batch(writer: GraphWriter, f: ImportFile, batch: list[tuple[int, tuple, dict]],
                 on_reject: Callable[[Reject], None] | None) -> int:
    """Write a batch; a row the store refuses stops the load, or is dropped and the batch retried."""
    while batch:
        rows = [b[1] for b in batch]
        try:
            if f.is_node_file:
                writer.upsert_nodes(f.kind, rows)  # type: ignore[arg-type]
            else:
                writer.upsert_rels(f.kind, rows)  # type: ignore[arg-type]
            return len(batch)
        except TechMatchError as e:
            n = getattr(e, "row", None)
            if n is None:
                raise
            line, _, raw = batch[n]
            field_name = getattr(e, "field", None)
            reason = getattr(e, "reason", None) or str(e)
            if on_reject is None:
                raise InvalidInput(reason, file=str(f.path), line=line, field=field_name) from None
            on_reject(Reject(str(f.path), line, field_name, reason, raw))
            batch = batch[:n] + batch[n + 1:]
    return 0


def load_directory(store: GraphStore, directory: Path, *, skip_invalid: bool = False,
                   rejects_path: Path | None = None, progress: bool = True) -> LoadReport:
    """Load every import file in `directory` atomically. Re-running the same load changes nothing."""
    files = discover(directory)
    total = sum(count_rows(f.path) for f in files)
    # read before the transaction: a write that adds to a hierarchy meanwhile is not seen (they are rare)
    validated = partial(_validated_batches, stored=stored_hierarchies(store, {f.kind for f in files}))

    def work(writer: GraphWriter) -> LoadReport:
        report = LoadReport()  # fresh on every attempt: the store may retry `work`
        on_reject = report.rejected.append if skip_invalid else None
        writer.expect_rows(total)
        if total >= CHILD_READER_ROWS:
            items = in_child(validated, files, skip_invalid)
        else:
            items = (("batch", b) for b in validated(files, on_reject))
        with tqdm(total=total, unit="rows", disable=not progress, dynamic_ncols=True) as bar:
            for kind, item in items:
                if kind == "reject":
                    report.rejected.append(item)  # type: ignore[arg-type]
                    continue
                f, batch = cast(tuple[ImportFile, list[tuple[int, tuple, dict]]], item)
                bar.set_description(f.path.name)
                loaded = _write_batch(writer, f, batch, on_reject)
                bar.update(len(batch))
                report.per_file[f.path.name] = report.per_file.get(f.path.name, 0) + loaded
                report.loaded += loaded
        report.rows = report.loaded + len(report.rejected)
        return report

    start = time.perf_counter()
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of short-lived rows: the cyclic collector only costs time here
    try:
        report = store.write(work)
    finally:
        if gc_was_on:
            gc.enable()
    report.seconds = time.perf_counter() - start
    if skip_invalid and report.rejected:
        _write_rejects(rejects_path or Path("rejected.jsonl"), report.rejected)
    return report


def _write_rejects(path: Path, rejects: list[Reject]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for r in rejects:
            out.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")
