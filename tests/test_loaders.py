"""Importers on each store: validation with file/line/field, atomic failure, idempotent re-runs, --skip-invalid."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import loaders.importer
from graph_service.errors import InvalidInput
from graph_service.schema import Label, RelType
from graph_service.stores import neo4j_store, sqlite_store
from graph_service.stores.base import GraphStore, GraphWriter
from loaders.importer import load_directory
from tests.conftest import Backend, dump


@pytest.fixture
def empty_store(backend: Backend) -> Iterator[GraphStore]:
    """An empty store of each backend: every loader rule holds on both."""
    with backend.open() as s:
        yield s


def _append(path: Path, line: str) -> int:
    """Append a row; returns its line number."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


def test_load_reports_every_row_and_matches_the_manifest(empty_store: GraphStore, tiny_dir: Path) -> None:
    report = load_directory(empty_store, tiny_dir, progress=False)
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    assert report.loaded == sum(manifest["rows"].values())
    counts = empty_store.counts()
    assert counts.nodes["Researcher"] == manifest["rows"]["researchers"]
    assert counts.rels["CO_AUTHOR"] == manifest["rows"]["co_author"]
    assert report.rows_per_second > 0


def test_reloading_changes_nothing(empty_store: GraphStore, tiny_dir: Path, reader: str) -> None:
    load_directory(empty_store, tiny_dir, progress=False)
    before = dump(empty_store)
    load_directory(empty_store, tiny_dir, progress=False)
    assert dump(empty_store) == before


@pytest.mark.parametrize(("file", "row", "field", "reason"), [
    ("enterprises.csv", "E999999,坏企业,不存在的等级,电子信息,small,2020", "tier", "Input should be"),
    ("researchers.csv", "bad id!,张三,教授,,", "id", "String should match pattern"),
    ("deals.csv", "D9999999,合同,transfer,2021-02-30,10", "date", "day value is outside"),
    ("co_author.csv", "R0000001,R0000001,1.0,,", None, "own co-author"),
    ("affiliated_with.csv", "R0000001,I999999,2001,true", "dst", "no node with id 'I999999'"),
    ("expert_in.csv", "R0000001,I000001,1.0", "dst", "cannot end at a Institution"),
])
def test_a_bad_row_stops_the_load_naming_file_line_field_and_leaves_the_store_as_it_was(
        empty_store: GraphStore, tiny_copy: Path, file: str, row: str, field: str | None, reason: str,
        reader: str) -> None:
    empty_store.write(lambda w: w.upsert_nodes(Label.FIELD, [("F99", "旧领域", {"level": 1})]))  # committed earlier
    before = dump(empty_store)
    line = _append(tiny_copy / file, row)
    with pytest.raises(InvalidInput) as err:
        load_directory(empty_store, tiny_copy, progress=False)
    e = err.value
    assert (Path(e.file).name, e.line, e.field) == (file, line, field)
    assert reason in e.reason
    assert f"{file}:{line}" in str(e)
    assert dump(empty_store) == before


def test_malformed_files_are_named(empty_store: GraphStore, tiny_copy: Path) -> None:
    (tiny_copy / "researcher.csv").write_text("id,name\nR1,x\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown file kind 'researcher'"):
        load_directory(empty_store, tiny_copy, progress=False)
    (tiny_copy / "researcher.csv").unlink()
    line = _append(tiny_copy / "institutions.csv", "I999999,多一列,university,extra")
    with pytest.raises(InvalidInput, match=f"institutions.csv:{line}: 4 cells where the header has 3"):
        load_directory(empty_store, tiny_copy, progress=False)
    assert empty_store.counts().nodes == {}


def test_jsonl_files_load_and_bad_json_is_located(empty_store: GraphStore, tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    rows = [{"id": "F1", "name": "人工智能", "level": 2}, {"id": "F2", "name": "机器视觉", "level": 2}]
    (data / "fields.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    (data / "subfield_of.jsonl").write_text('{"src": "F2", "dst": "F1"}\n')
    assert load_directory(empty_store, data, progress=False).loaded == 3
    assert empty_store.get_node("F2").props == {"name": "机器视觉", "level": 2}
    (data / "subfield_of.jsonl").write_text('{"src": "F2", "dst": "F1"}\n{"src": "F2",\n')
    with pytest.raises(InvalidInput, match="subfield_of.jsonl:2: not valid JSON"):
        load_directory(empty_store, data, progress=False)


def test_skip_invalid_loads_the_good_rows_and_writes_the_rejected(empty_store: GraphStore, tiny_copy: Path,
                                                                  tmp_path: Path,
                                                                  reader: str) -> None:
    bad_tier = _append(tiny_copy / "enterprises.csv", "E999999,坏企业,不存在的等级,电子信息,small,2020")
    bad_edge = _append(tiny_copy / "affiliated_with.csv", "R0000001,I999999,2001,true")
    rejects = tmp_path / "rejects.jsonl"
    report = load_directory(empty_store, tiny_copy, skip_invalid=True, rejects_path=rejects, progress=False)
    written = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert sorted((Path(r["file"]).name, r["line"], r["field"]) for r in written) == [
        ("affiliated_with.csv", bad_edge, "dst"), ("enterprises.csv", bad_tier, "tier")]
    assert report.rows == report.loaded + 2
    assert empty_store.get_node("E999999") is None
    assert empty_store.counts().rels["AFFILIATED_WITH"] == 500  # every good affiliation landed


def test_a_bulk_load_into_an_empty_store_gives_what_merging_row_by_row_gives(
        empty_store: GraphStore, tiny_dir: Path, tiny_store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bulk loads take shortcuts (Neo4j creates instead of merging, SQLite rebuilds an index once): the
    result must still be what the small, row-by-row path gives."""
    monkeypatch.setattr(neo4j_store, "_BULK_ROWS", 1)
    monkeypatch.setattr(sqlite_store, "_BULK_ROWS", 1)
    monkeypatch.setattr(loaders.importer, "BATCH", 50)
    load_directory(empty_store, tiny_dir, progress=False)
    assert dump(empty_store) == dump(tiny_store)
    assert empty_store.counts() == tiny_store.counts()  # no relationship twice


def test_a_pair_written_twice_in_one_bulk_write_is_held_once_with_the_last_values(
        empty_store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A load refuses a repeated row (tests/test_loader_hard_edges.py), but a bulk write may still meet a
    pair twice: the store keeps one relationship, the last row's."""
    monkeypatch.setattr(neo4j_store, "_BULK_ROWS", 1)
    monkeypatch.setattr(sqlite_store, "_BULK_ROWS", 1)

    def work(w: GraphWriter) -> None:
        w.expect_rows(4)
        w.upsert_nodes(Label.RESEARCHER, [("R1", "甲", {}), ("R2", "乙", {})])
        w.upsert_rels(RelType.CO_AUTHOR, [("R1", "R2", {"weight": 1.0})])
        w.upsert_rels(RelType.CO_AUTHOR, [("R1", "R2", {"weight": 9.0, "first_year": 2001})])

    empty_store.write(work)
    assert dump(empty_store)[1] == {("CO_AUTHOR", "R1", "R2"): {"weight": 9.0, "first_year": 2001}}
    assert empty_store.counts().rels == {"CO_AUTHOR": 1}


def test_two_bulk_loads_at_once_into_an_empty_store_keep_one_of_each(
        empty_store: GraphStore, tiny_dir: Path, tiny_store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neo4j_store, "_BULK_ROWS", 1)
    monkeypatch.setattr(sqlite_store, "_BULK_ROWS", 1)
    errors: list[BaseException] = []

    def load() -> None:
        try:
            load_directory(empty_store, tiny_dir, progress=False)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert empty_store.counts() == tiny_store.counts()
    assert dump(empty_store) == dump(tiny_store)
