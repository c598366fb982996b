"""Hostile and awkward import files on each store, through both readers (inline and the reader process):
each is refused as `file:line: field 'x': reason` with the store left as it was, or loads normally."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.errors import InvalidInput, TechMatchError
from graph_service.stores.base import GraphStore
from loaders.importer import load_directory
from loaders.reader_process import in_child
from tests.conftest import Backend, dump

NEEDS = "id,name,kind,text,budget\n"
# committed before each test: a three-level region tree and a two-level field tree
MARKET = {
    "regions.csv": "id,name,level,kind\nP1,四川省,1,province\nC1,成都市,2,city\nD1,武侯区,3,district\n",
    "part_of.csv": "src,dst\nC1,P1\nD1,C1\n",
    "fields.csv": "id,name,level\nF1,电子信息,1\nF2,人工智能,2\n",
    "subfield_of.csv": "src,dst\nF2,F1\n",
    "needs.csv": NEEDS + "N1,旧需求,need,已有的需求,10\n",
}


@pytest.fixture
def market(backend: Backend, tmp_path: Path) -> Iterator[GraphStore]:
    """A store of each backend holding MARKET, committed."""
    with backend.open() as s:
        load_directory(s, _files(tmp_path / "market", MARKET), progress=False)
        yield s


def _files(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True)
    for name, content in files.items():
        (directory / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return directory


def _refused(store: GraphStore, directory: Path, file: str, line: int, field: str | None) -> InvalidInput:
    """Load `directory`, expect it refused at file:line (field), and the store unchanged."""
    before = dump(store)
    with pytest.raises(InvalidInput) as err:
        load_directory(store, directory, progress=False)
    e = err.value
    assert (Path(e.file or "").name, e.line, e.field) == (file, line, field), str(e)
    assert str(e).startswith(f"{e.file}:{line}: " + (f"field {field!r}: " if field else ""))
    assert dump(store) == before
    return e


def _needs(n: int) -> str:
    return "".join(f"N{i},需求{i},need,第{i}个需求的文本,{i}\n" for i in range(100, 100 + n))


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_bytes_that_are_not_utf8_are_refused_naming_their_line(market: GraphStore, tmp_path: Path, reader: str,
                                                               suffix: str) -> None:
    # deep in the file: a text reader decodes blocks ahead of the row it hands out
    if suffix == "csv":
        content, line = (NEEDS + _needs(600)).encode() + b"N9,\xff\xfe,need,t,1\n", 602
    else:
        good = "".join(json.dumps({"id": f"N{i}", "name": "需求", "kind": "need", "text": "文本"},
                                  ensure_ascii=False) + "\n" for i in range(100, 700))
        content, line = good.encode() + b'{"id": "N9", "name": "\xe9\xa1", "kind": "need", "text": "t"}\n', 601
    e = _refused(market, _files(tmp_path / "in", {f"needs.{suffix}": content}), f"needs.{suffix}", line, None)
    assert "not UTF-8 text" in e.reason


def test_a_csv_cell_longer_than_the_csv_limit_names_its_line_and_column(market: GraphStore, tmp_path: Path,
                                                                        reader: str) -> None:
    huge = "长" * 200_000
    e = _refused(market, _files(tmp_path / "a", {"needs.csv": NEEDS + _needs(3) + f"N9,需求,need,{huge},1\n"}),
                 "needs.csv", 5, "text")
    assert "longer than 131,072 characters" in e.reason
    # quoted, with commas, doubled quotes and line breaks before it, and in the name column
    quoted = NEEDS + 'N8,"a,""b""\nc",need,"x\ny",1\n' + f'N9,"名,""{huge}\n",need,t,1\n'
    _refused(market, _files(tmp_path / "b", {"needs.csv": quoted}), "needs.csv", 4, "name")
    # under the csv limit but over the model's: validation names the field
    e = _refused(market, _files(tmp_path / "c", {"needs.csv": NEEDS + f"N9,需求,need,{'长' * 5000},1\n"}),
                 "needs.csv", 2, "text")
    assert "at most 4000 characters" in e.reason


def test_a_huge_jsonl_line_is_refused_naming_its_line(market: GraphStore, tmp_path: Path, reader: str) -> None:
    row = {"id": "N9", "name": "需求", "kind": "need", "text": "长" * 200_000}
    rows = json.dumps(row, ensure_ascii=False) + "\n"
    e = _refused(market, _files(tmp_path / "a", {"needs.jsonl": rows}), "needs.jsonl", 1, "text")
    assert "at most 4000 characters" in e.reason
    rows = "\n" + json.dumps({**row, "text": "x" * 2_000_000}) + "\n"
    e = _refused(market, _files(tmp_path / "b", {"needs.jsonl": rows}), "needs.jsonl", 2, None)
    assert "line longer than 1,048,576 characters" in e.reason


def test_files_starting_with_a_byte_order_mark_load_normally(market: GraphStore, tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    files = {"needs.csv": bom + (NEEDS + "N2,新需求,challenge,文本,5\n").encode(),
             "offers.jsonl": bom + json.dumps({"id": "O2", "name": "成果", "kind": "service", "text": "服务"},
                                              ensure_ascii=False).encode() + b"\n",
             "about.csv": bom + b"src,dst,weight\nN2,F2,0.5\n"}
    assert load_directory(market, _files(tmp_path / "in", files), progress=False).loaded == 3
    assert market.get_node("N2").props == {"name": "新需求", "kind": "challenge", "text": "文本", "budget": 5.0,
                                           "status": "open"}
    assert market.get_node("O2").props["name"] == "成果"
    assert [(r.dst, r.props) for r in market.relationships("N2", direction="out")] == [("F2", {"weight": 0.5})]


@pytest.mark.parametrize(("files", "second", "first", "field"), [
    ({"needs.csv": NEEDS + "N5,甲,need,t,1\nN6,乙,need,t,1\nN5,丙,need,t,1\n"}, ("needs.csv", 4), "needs.csv:2", "id"),
    ({"needs.csv": NEEDS + "N5,甲,need,t,1\n",
      "needs.jsonl": '{"id": "N5", "name": "甲", "kind": "need", "text": "t"}\n'},
     ("needs.jsonl", 1), "needs.csv:2", "id"),
    ({"fields.csv": "id,name,level\nX5,领域,2\n", "needs.csv": NEEDS + "N6,甲,need,t,1\nX5,乙,need,t,1\n"},
     ("needs.csv", 3), "fields.csv:2", "id"),
    ({"regions.csv": "id,name,level,kind\nC2,绵阳市,2,city\n", "part_of.csv": "src,dst\nC2,P1\nC2,P1\n"},
     ("part_of.csv", 3), "part_of.csv:2", None),
    ({"researchers.csv": "id,name\nR1,甲\nR2,乙\n", "co_author.csv": "src,dst,weight\nR1,R2,1\n",
      "co_author.jsonl": '{"src": "R2", "dst": "R1", "weight": 2}\n'},  # the same undirected pair
     ("co_author.jsonl", 1), "co_author.csv:2", None),
])
def test_a_repeated_id_or_relationship_is_refused_naming_both_places(
        market: GraphStore, tmp_path: Path, reader: str, files: dict, second: tuple[str, int], first: str,
        field: str | None) -> None:
    e = _refused(market, _files(tmp_path / "in", files), *second, field)
    assert f"already in this load at {tmp_path / 'in' / first}" in e.reason


def test_skip_invalid_keeps_the_first_of_a_repeated_id(market: GraphStore, tmp_path: Path, reader: str) -> None:
    files = {"needs.csv": NEEDS + "N5,甲,need,t,1\nN5,乙,need,t,1\n"}
    report = load_directory(market, _files(tmp_path / "in", files), skip_invalid=True,
                            rejects_path=tmp_path / "rejects.jsonl", progress=False)
    assert [(r.line, r.row["name"]) for r in report.rejected] == [(3, "乙")]
    assert market.get_node("N5").props["name"] == "甲"


@pytest.mark.parametrize(("suffix", "values"), [
    ("csv", ["inf", "Infinity", "-inf", "nan", "NaN", "1e309"]),
    ("jsonl", ["Infinity", "-Infinity", "NaN", "1e309"]),  # tokens Python's json reads as floats
])
def test_a_budget_that_is_not_a_finite_number_is_refused(market: GraphStore, tmp_path: Path, reader: str,
                                                         suffix: str, values: list[str]) -> None:
    if suffix == "csv":
        rows = NEEDS + "".join(f"N{n},需求,need,t,{v}\n" for n, v in enumerate(values, 10))
    else:
        rows = "".join(f'{{"id": "N{n}", "name": "需求", "kind": "need", "text": "t", "budget": {v}}}\n'
                       for n, v in enumerate(values, 10))
    directory = _files(tmp_path / "in", {f"needs.{suffix}": rows})
    first = 2 if suffix == "csv" else 1
    e = _refused(market, directory, f"needs.{suffix}", first, "budget")
    assert "finite number" in e.reason
    report = load_directory(market, directory, skip_invalid=True, rejects_path=tmp_path / "r.jsonl", progress=False)
    assert [(r.line, r.field) for r in report.rejected] == [(first + i, "budget") for i in range(len(values))]
    assert report.loaded == 0


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_control_characters_in_a_name_are_refused(market: GraphStore, tmp_path: Path, reader: str,
                                                  suffix: str) -> None:
    names = ["空\x00字符", "\x1b[31m红", "删\x7f除"]
    if suffix == "csv":
        rows = NEEDS + "".join(f"N{n},{name},need,t,1\n" for n, name in enumerate(names, 10))
    else:
        rows = "".join(json.dumps({"id": f"N{n}", "name": name, "kind": "need", "text": "t"}) + "\n"
                       for n, name in enumerate(names, 10))
    directory = _files(tmp_path / "in", {f"needs.{suffix}": rows})
    first = 2 if suffix == "csv" else 1
    assert "control character U+0000" in _refused(market, directory, f"needs.{suffix}", first, "name").reason
    report = load_directory(market, directory, skip_invalid=True, rejects_path=tmp_path / "r.jsonl", progress=False)
    assert [(r.line, r.field) for r in report.rejected] == [(first + i, "name") for i in range(len(names))]


@pytest.mark.parametrize(("files", "where", "cycle"), [
    # within the load
    ({"regions.csv": "id,name,level,kind\nA,甲,2,city\nB,乙,2,city\nC,丙,2,city\n",
      "part_of.csv": "src,dst\nA,B\nB,C\nC,A\n"}, ("part_of.csv", 4), "C -> A -> B -> C"),
    ({"fields.csv": "id,name,level\nF3,机器视觉,2\n", "subfield_of.csv": "src,dst\nF3,F3\n"},
     ("subfield_of.csv", 2), "F3 -> F3"),
    # with what the store holds: D1 -> C1 -> P1 and F2 -> F1
    ({"part_of.csv": "src,dst\nP1,D1\n"}, ("part_of.csv", 2), "P1 -> D1 -> C1 -> P1"),
    ({"subfield_of.jsonl": '{"src": "F1", "dst": "F2"}\n'}, ("subfield_of.jsonl", 1), "F1 -> F2 -> F1"),
    # with both: the store's C1 -> P1, this load's P1 -> X
    ({"regions.csv": "id,name,level,kind\nX,天府新区,4,hightech_zone\n", "part_of.csv": "src,dst\nX,C1\nP1,X\n"},
     ("part_of.csv", 3), "P1 -> X -> C1 -> P1"),
])
def test_a_row_that_would_make_a_hierarchy_cyclic_is_refused(market: GraphStore, tmp_path: Path, reader: str,
                                                             files: dict, where: tuple[str, int], cycle: str) -> None:
    e = _refused(market, _files(tmp_path / "in", files), *where, "dst")
    assert e.reason.endswith(f"would make a cycle: {cycle}")


def test_a_hierarchy_may_grow_and_skip_invalid_drops_only_the_cycle(market: GraphStore, tmp_path: Path) -> None:
    files = {"regions.csv": "id,name,level,kind\nD2,锦江区,3,district\nZ1,高新区,4,hightech_zone\n",
             "part_of.csv": "src,dst\nD2,C1\nZ1,D2\nC1,Z1\nZ1,C1\n"}
    report = load_directory(market, _files(tmp_path / "in", files), skip_invalid=True,
                            rejects_path=tmp_path / "r.jsonl", progress=False)
    assert [(r.line, r.field) for r in report.rejected] == [(4, "dst")]
    assert sorted(r.dst for r in market.relationships("Z1", direction="out")) == ["C1", "D2"]
    load_directory(market, _files(tmp_path / "again", MARKET), progress=False)  # reloading stays possible


def _dies(files: list, on_reject: object) -> Iterator[object]:
    import os

    os._exit(3)
    yield None


class _Unsendable(Exception):
    def __init__(self) -> None:
        super().__init__("cannot travel")
        self.callback = lambda: None  # a lambda does not pickle


def _raises_unsendable(files: list, on_reject: object) -> Iterator[object]:
    raise _Unsendable()
    yield None


@pytest.mark.parametrize(("produce", "message"), [(_dies, "exit code 3"), (_raises_unsendable, "cannot travel")])
def test_a_reader_process_that_dies_or_fails_oddly_is_an_error_not_a_hang(produce, message: str) -> None:
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            list(in_child(produce, [], False))
        except BaseException as e:  # noqa: BLE001 - checked below
            errors.append(e)

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(timeout=120)
    assert not t.is_alive(), "the loader waits for ever on a reader process that is gone"
    [e] = errors
    assert isinstance(e, TechMatchError) and message in str(e)
