"""A `kill -9` in the middle of a load leaves the embedded store exactly at its last committed state."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph_service.stores.sqlite_store import SqliteStore
from loaders.importer import load_directory

pytestmark = pytest.mark.slow


def _snapshot(path: Path) -> tuple:
    store = SqliteStore(path)
    conn = store._conn()
    snap = (conn.execute("SELECT id, label, name, props FROM nodes ORDER BY id").fetchall(),
            conn.execute("SELECT type, src, dst, weight, props FROM rels ORDER BY type, src, dst").fetchall())
    store.close()
    return snap


def test_kill_9_mid_load_keeps_the_last_committed_state(tiny_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite"
    store = SqliteStore(db)
    store.ensure_schema()
    load_directory(store, tiny_copy, progress=False)  # the committed state
    store.close()
    committed = _snapshot(db)

    # A second load big enough to be caught in the act: every pair of researchers as co-authors.
    ids = [f"R{i:07d}" for i in range(1, 501)]
    with (tiny_copy / "co_author.csv").open("w", encoding="utf-8") as f:
        f.write("src,dst,weight,first_year,last_year\n")
        for a, b in itertools.combinations(ids, 2):
            f.write(f"{a},{b},7.0,2020,2021\n")
    env = {**os.environ, "TECHMATCH_STORE": "sqlite", "TECHMATCH_SQLITE_PATH": str(db)}
    proc = subprocess.Popen([sys.executable, "-m", "graph_service.cli", "load", str(tiny_copy), "--quiet"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:  # the load is writing pages, uncommitted
            break
        time.sleep(0.01)
    assert proc.poll() is None, f"the load finished before it could be killed: {proc.communicate()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert _snapshot(db) == committed

    # and the store is usable: the same load now completes and commits
    store = SqliteStore(db)
    load_directory(store, tiny_copy, progress=False)
    assert store.counts().rels["CO_AUTHOR"] == 500 * 499 // 2
    store.close()
