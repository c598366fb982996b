"""`techmatch load` as a user runs it, a separate process, on each store: the same statistics and content
as the embedded store for the same files, idempotent, atomic on a bad row and after a `kill -9`."""

from __future__ import annotations

import csv
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graph_service.settings import Settings
from graph_service.stores.sqlite_store import SqliteStore
from tests.conftest import Backend, dump

pytestmark = pytest.mark.slow


def _cli(backend: Backend, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "graph_service.cli", *args], env={**os.environ, **backend.env()},
                         capture_output=True, text=True, timeout=600)
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def reference(tiny_store: SqliteStore) -> tuple[dict, dict]:
    """The tiny market as the embedded store holds it, loaded in process."""
    return dump(tiny_store)


def test_load_gives_the_embedded_stores_statistics_and_content_and_is_idempotent(
        backend: Backend, tiny_dir: Path, tiny_store: SqliteStore, reference: tuple[dict, dict]) -> None:
    assert _cli(backend, "load", str(tiny_dir), "--quiet").stdout.startswith("loaded ")
    embedded = Backend("sqlite", Settings(store="sqlite", sqlite_path=tiny_store.path))
    stats, expected = _cli(backend, "stats").stdout, _cli(embedded, "stats").stdout
    assert stats.splitlines()[0] == f"store: {backend.kind}"
    assert stats.splitlines()[1:] == expected.splitlines()[1:] and "CO_AUTHOR" in stats
    with backend.open() as store:
        assert store.counts() == tiny_store.counts()
        assert dump(store) == reference
    _cli(backend, "load", str(tiny_dir), "--quiet")
    with backend.open() as store:
        assert dump(store) == reference


def test_a_bad_row_exits_2_naming_it_and_leaves_the_database_as_it_was(
        backend: Backend, tiny_dir: Path, tiny_copy: Path, reference: tuple[dict, dict]) -> None:
    _cli(backend, "load", str(tiny_dir), "--quiet")
    # a load that renames every researcher, then meets a co-authorship with nobody on line 2 of its last file
    path = tiny_copy / "researchers.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows({**r, "name": r["name"] + "改"} for r in rows)
    header = (tiny_copy / "co_author.csv").read_text(encoding="utf-8").splitlines()[0]
    (tiny_copy / "co_author.csv").write_text(f"{header}\nR0000001,R9999999,1.0,,\n", encoding="utf-8")
    run = _cli(backend, "load", str(tiny_copy), "--quiet", check=False)
    assert run.returncode == 2
    assert "co_author.csv:2: field 'dst': no node with id 'R9999999'" in run.stderr
    with backend.open() as store:
        assert dump(store) == reference


def _rows_written(stderr_lines: list[str]) -> int:
    """The largest row count the progress bar has shown so far."""
    found = [int(m) for line in stderr_lines[-50:] for m in re.findall(r"\| *(\d+)/\d+ \[", line)]
    return max(found, default=0)


def test_kill_9_mid_load_leaves_the_last_committed_state(
        backend: Backend, tiny_dir: Path, tiny_copy: Path, reference: tuple[dict, dict]) -> None:
    _cli(backend, "load", str(tiny_dir), "--quiet")  # the committed state
    committed_rows = sum(1 for _ in itertools.chain.from_iterable(
        p.open(encoding="utf-8") for p in tiny_dir.glob("*.csv")))
    # a second load big enough to be caught in the act: every pair of 500 researchers as co-authors
    ids = [f"R{i:07d}" for i in range(1, 501)]
    with (tiny_copy / "co_author.csv").open("w", encoding="utf-8") as f:
        f.write("src,dst,weight,first_year,last_year\n")
        f.writelines(f"{a},{b},7.0,2020,2021\n" for a, b in itertools.combinations(ids, 2))
    proc = subprocess.Popen([sys.executable, "-m", "graph_service.cli", "load", str(tiny_copy)],
                            env={**os.environ, **backend.env()}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    progress: list[str] = []  # text mode reads tqdm's carriage returns as line ends
    threading.Thread(target=lambda: progress.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
    deadline = time.monotonic() + 300
    # rows are written (uncommitted) well past the first files: the load is in the middle of co_author.csv
    while proc.poll() is None and time.monotonic() < deadline and _rows_written(progress) < committed_rows + 30_000:
        time.sleep(0.02)
    assert proc.poll() is None, f"the load ended before it could be killed: {progress[-3:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with backend.open() as store:
        assert dump(store) == reference
    # and the store is usable: the same load now completes and commits
    _cli(backend, "load", str(tiny_copy), "--quiet")
    with backend.open() as store:
        assert store.counts().rels["CO_AUTHOR"] == 500 * 499 // 2


def _append_bytes(path: Path, row: bytes) -> int:
    """Append a raw row; returns its line number."""
    data = path.read_bytes()
    path.write_bytes(data + row + b"\n")
    return data.count(b"\n") + 1


@pytest.mark.parametrize("case", ["not UTF-8", "huge cell", "cycle", "repeated id"])
def test_hostile_files_exit_2_with_one_located_line_and_no_traceback(backend: Backend, tiny_copy: Path,
                                                                     case: str) -> None:
    if case == "not UTF-8":
        line = _append_bytes(tiny_copy / "needs.csv", b"N9999999,\xe9\x9c\x80\xff,need,t,,,,open")
        expected = f"needs.csv:{line}: not UTF-8 text (byte 0xff at byte 13 of the line)"
    elif case == "huge cell":
        line = _append_bytes(tiny_copy / "needs.csv", b"N9999999,x,need," + b"t" * 200_000 + b",,,,open")
        expected = f"needs.csv:{line}: field 'text': a cell longer than 131,072 characters"
    elif case == "cycle":  # a region made part of its own child
        child, parent = (tiny_copy / "part_of.csv").read_text(encoding="utf-8").splitlines()[1].split(",")
        line = _append_bytes(tiny_copy / "part_of.csv", f"{parent},{child}".encode())
        expected = f"part_of.csv:{line}: field 'dst': PART_OF from '{parent}' to '{child}' would make a cycle: " \
                   f"{parent} -> {child} -> {parent}"
    else:
        first = (tiny_copy / "researchers.csv").read_text(encoding="utf-8").splitlines()[1]
        line = _append_bytes(tiny_copy / "researchers.csv", first.encode())
        expected = f"researchers.csv:{line}: field 'id': id '{first.split(',')[0]}' is already in this load at " \
                   f"{tiny_copy / 'researchers.csv'}:2"
    run = _cli(backend, "load", str(tiny_copy), "--quiet", check=False)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    [message] = run.stderr.strip().splitlines()
    assert message.startswith("error: ") and message.endswith(expected)
    with backend.open() as store:
        assert store.counts().nodes == {}
