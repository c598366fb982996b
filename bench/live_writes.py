"""Benchmark: how fast a write made through one service process is seen by another, and what the
per-request check of the change feed costs when nothing changed (issue 13's targets: p99 at most 50 ms,
and at most 1 ms).

    python bench/live_writes.py --store bench/out/city-bench.sqlite --models DIR [--writes 200]
    python bench/live_writes.py --neo4j-data bench/out/neo4j-city --models DIR      # a real Neo4j 5

1. The check: `GraphService.catch_up()` in this process, with nothing new, many times.
2. Two `techmatch serve` processes on the same store (replicas, as two machines behind a load balancer
   would run). For each write, a new researcher PUT through A; as soon as A acknowledges, B is asked for the
   researcher's neighbourhood (read from B's projection): the time from the acknowledgement to B's answer,
   and whether B knew it at its first answer.
3. Deals through A, then B's next partner recommendation for the enterprise: what that first answer after a
   change costs (the deal history and the text index are brought up to date), against an unchanged one.
The store is a copy (`--store`) or the Neo4j database given: the writes stay in it (ids R98…, D98…).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import numpy as np
from accounts import SERVER_ENV, bearer, bench_account  # bench/accounts.py, beside this script

from graph_service.schema import Label
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from graph_service.stores.neo4j_local import free_port


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def check_cost(store: GraphStore, models: Path, rounds: int) -> None:
    service = GraphService.open(store, models)
    for _ in range(10_000):  # warm: a server in service has compiled this query's path long ago
        service.catch_up()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        service.catch_up()
        times.append((time.perf_counter() - t) * 1000)
    print(f"catch-up check, nothing new ({store.kind}, {rounds} calls): mean {statistics.mean(times):.3f} ms, "
          f"p50 {_pct(times, 50):.3f} ms, p99 {_pct(times, 99):.3f} ms")


@contextmanager
def serve(env: dict[str, str], log: Path):
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "graph_service.cli", "serve", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise SystemExit(log.read_text())
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start: " + log.read_text()[-2000:])
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(60)


def visibility(a: httpx.Client, b: httpx.Client, writes: int) -> None:
    lags, misses = [], 0
    stamp = int(time.time()) % 100000
    for n in range(writes):
        node = f"R98{stamp:05d}{n:05d}"
        body = {"id": node, "name": f"基准{n}", "expertise": "燃料电池"}
        r = a.put(f"/api/v1/entities/researchers/{node}", json=body)
        acked = time.perf_counter()
        assert r.status_code == 200, r.text
        while b.get(f"/api/v1/graph/neighbourhood/{node}").status_code != 200:
            misses += 1
        lags.append((time.perf_counter() - acked) * 1000)
    print(f"write through A -> seen by B ({writes} writes): p50 {_pct(lags, 50):.1f} ms, p99 {_pct(lags, 99):.1f} ms, "
          f"max {max(lags):.1f} ms; B answered 404 {misses} times")


def deals(a: httpx.Client, b: httpx.Client, store: GraphStore, rounds: int) -> None:
    firms = [r[1] for batch in store.scan_nodes(Label.ENTERPRISE, ()) for r in batch][:rounds]
    experts = [r[1] for batch in store.scan_nodes(Label.RESEARCHER, ()) for r in batch][:rounds]
    fresh, steady, found = [], [], 0
    b.get("/api/v1/recommendations/partners", params={"enterprise": firms[0]})  # after the researchers written above
    stamp = int(time.time()) % 100000
    for n, (firm, expert) in enumerate(zip(firms, experts)):
        params = {"enterprise": firm, "top_k": 100}  # deep enough to find the new partner
        b.get("/api/v1/recommendations/partners", params=params)  # warm: steady state before the write
        t = time.perf_counter()
        b.get("/api/v1/recommendations/partners", params=params)
        steady.append((time.perf_counter() - t) * 1000)
        r = a.post("/api/v1/entities/deals", json={"id": f"D98{stamp:05d}{n:04d}", "name": f"基准合同{n}",
                                                    "kind": "development", "date": "2024-06-01",
                                                    "parties": [{"id": firm, "role": "client"},
                                                                {"id": expert, "role": "provider"}]})
        assert r.status_code == 201, r.text
        t = time.perf_counter()
        answer = b.get("/api/v1/recommendations/partners", params=params).json()
        fresh.append((time.perf_counter() - t) * 1000)
        found += any(p["researcher"]["id"] == expert and any(x["kind"] == "past_deal" for x in p["paths"])
                     for p in answer["partners"])
    print(f"partner recommendation on B: unchanged p50 {_pct(steady, 50):.1f} ms; first after a deal through A "
          f"p50 {_pct(fresh, 50):.1f} ms, p90 {_pct(fresh, 90):.1f} ms, p99 {_pct(fresh, 99):.1f} ms; "
          f"the new deal's researcher shown with it "
          f"as a past deal in {found} of {len(fresh)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, help="an embedded store; a copy is written to")
    ap.add_argument("--neo4j-data", type=Path, help="a Neo4j data directory (tools/neo4j/serve --data)")
    ap.add_argument("--models", type=Path, required=True)
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--deals", type=int, default=20)
    ap.add_argument("--checks", type=int, default=5000)
    args = ap.parse_args()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = {**os.environ, **SERVER_ENV, "TECHMATCH_MODEL_DIR": str(args.models)}
        if args.neo4j_data:
            from graph_service.stores import neo4j_local
            from graph_service.stores.neo4j_store import Neo4jStore

            server = stack.enter_context(neo4j_local.start(args.neo4j_data, heap="4g"))
            env |= {"TECHMATCH_STORE": "neo4j", "TECHMATCH_NEO4J_URI": server.uri,
                    "TECHMATCH_NEO4J_PASSWORD": server.password}
            store: GraphStore = stack.enter_context(Neo4jStore(server.uri, "neo4j", server.password))
        else:
            from graph_service.stores.sqlite_store import SqliteStore

            copy = work / "store.sqlite"
            shutil.copy(args.store, copy)
            env |= {"TECHMATCH_STORE": "sqlite", "TECHMATCH_SQLITE_PATH": str(copy)}
            store = stack.enter_context(SqliteStore(copy))
        store.ensure_schema()
        check_cost(store, args.models, args.checks)
        if not args.writes:
            return
        password = bench_account(store)
        a_base = stack.enter_context(serve(env, work / "a.log"))
        b_base = stack.enter_context(serve(env, work / "b.log"))
        a = stack.enter_context(httpx.Client(base_url=a_base, timeout=120))
        b = stack.enter_context(httpx.Client(base_url=b_base, timeout=120))
        for client in (a, b):
            client.headers.update(bearer(client, password))
        visibility(a, b, args.writes)
        deals(a, b, store, args.deals)


if __name__ == "__main__":
    main()
