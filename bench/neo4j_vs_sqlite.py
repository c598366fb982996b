"""Benchmark: Neo4j beside the embedded store on the same data, side by side in one run. Targets at the
city tier: load into an empty Neo4j <= 90 s; projection from Neo4j <= 20 s; partner top 20 with paths over
HTTP: p99 on Neo4j <= 1.5x the SQLite figure.

    python bench/neo4j_vs_sqlite.py --tier city [--heap 8g] [--queries 500] [--skip-load]

Starts a local Neo4j (tools/neo4j/serve) on bench/out/neo4j-<tier>, emptied first unless --skip-load.
1. load: the tier's files into a fresh SQLite file and into the empty Neo4j (each through `techmatch load`,
   a process of its own), then again into Neo4j (an idempotent re-load).
2. projection: built from each store, twice each, alternating.
3. partners: models trained on the SQLite store (saved beside it, reused); one server (`techmatch serve`, one
   worker) per store with those models; the same random needs and enterprises (top 20) sent to each in turn,
   one request at a time; client-side latency of each, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psutil
from accounts import SERVER_ENV, bearer, bench_account  # bench/accounts.py, beside this script

from graph_service.projection import build_projection
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.settings import Settings
from graph_service.stores import neo4j_local, open_store
from graph_service.stores.base import GraphStore
from graph_service.stores.neo4j_store import Neo4jStore
from graph_service.stores.sqlite_store import SqliteStore
from loaders.generator import generate

TARGETS = {"load": 90.0, "projection": 20.0, "p99_ratio": 1.5}


def _cli(env: dict[str, str], *args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "graph_service.cli", *args], env={**os.environ, **env},
                         capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(run.stderr)
    return run.stdout.strip()


def _timed_load(env: dict[str, str], data: Path) -> float:
    started = time.perf_counter()
    print(f"  {_cli(env, 'load', str(data), '--quiet')}")
    return time.perf_counter() - started


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "graph_service.cli", "serve", "--port", str(port)],
                              env={**os.environ, **SERVER_ENV, **env}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("a server did not start")
        time.sleep(0.5)


def _queries(store: GraphStore, n: int) -> list[dict]:
    p = build_projection(store)
    labels = p.labels[: p.base_nodes]
    posted = np.diff(p.inc[RelType.POSTED].indptr)[: p.base_nodes] > 0
    needs = np.flatnonzero((labels == list(Label).index(Label.NEED)) & posted)
    firms = np.flatnonzero(labels == list(Label).index(Label.ENTERPRISE))
    rng = np.random.default_rng(0)
    out = [{"need": p.ids[i]} for i in rng.choice(needs, n // 2)] + \
          [{"enterprise": p.ids[i]} for i in rng.choice(firms, n - n // 2)]
    rng.shuffle(out)  # type: ignore[arg-type]
    return [{**q, "top_k": 20} for q in out]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tier", default="city", choices=["tiny", "city", "province"])
    ap.add_argument("--heap", default="8g", help="the Neo4j JVM's heap (a load is one transaction)")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--skip-load", action="store_true", help="reuse the stores of an earlier run")
    args = ap.parse_args()
    out = Path("bench/out")
    data, sqlite_path, neo4j_dir = out / args.tier, out / f"{args.tier}-bench.sqlite", out / f"neo4j-{args.tier}"
    if not (data / "manifest.json").exists():
        generate(args.tier, data)
    if not args.skip_load:
        shutil.rmtree(neo4j_dir, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):  # the models beside it stay: the same files give the same data
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    server = neo4j_local.start(neo4j_dir, heap=args.heap, password="bench-neo4j")
    sqlite_env = {"TECHMATCH_STORE": "sqlite", "TECHMATCH_SQLITE_PATH": str(sqlite_path)}
    neo4j_env = {"TECHMATCH_STORE": "neo4j", "TECHMATCH_NEO4J_URI": server.uri,
                 "TECHMATCH_NEO4J_PASSWORD": server.password}
    try:
        sqlite, neo4j = SqliteStore(sqlite_path), Neo4jStore(server.uri, server.user, server.password)
        if not args.skip_load:
            print(f"1. load the {args.tier} tier ({sum(1 for _ in data.glob('*.csv'))} files)")
            s, n = _timed_load(sqlite_env, data), _timed_load(neo4j_env, data)
            again = _timed_load(neo4j_env, data)
            print(f"load: SQLite {s:.1f} s, Neo4j {n:.1f} s (target <= {TARGETS['load']:.0f} s), "
                  f"Neo4j idempotent re-load {again:.1f} s")
        assert sqlite.counts() == neo4j.counts(), "the stores hold different data"
        print("2. projection")
        built: dict[str, list[float]] = {"SQLite": [], "Neo4j": []}
        for _ in range(2):
            for name, store in (("SQLite", sqlite), ("Neo4j", neo4j)):
                rss, started = psutil.Process().memory_info().rss, time.perf_counter()
                p = build_projection(store)
                built[name].append(time.perf_counter() - started)
                grown = (psutil.Process().memory_info().rss - rss) / 2**20
                del p
        print(f"projection: SQLite {min(built['SQLite']):.1f}-{max(built['SQLite']):.1f} s, Neo4j "
              f"{min(built['Neo4j']):.1f}-{max(built['Neo4j']):.1f} s (target <= {TARGETS['projection']:.0f} s); "
              f"last build grew this process by {grown:,.0f} MiB")
        models = Path(f"{sqlite_path}.models")
        if not (models / "partners.pkl").exists():
            started = time.perf_counter()
            GraphService.open(sqlite, models).train()
            print(f"   trained the models on the SQLite store in {time.perf_counter() - started:.0f} s")
        _latency(sqlite_env, neo4j_env, models, _queries(sqlite, args.queries))
    finally:
        server.stop()


def _latency(sqlite_env: dict[str, str], neo4j_env: dict[str, str], models: Path, queries: list[dict]) -> None:
    print(f"3. partners, top 20 with paths, {len(queries)} queries to each server in turn")
    servers: dict[str, tuple[int, subprocess.Popen]] = {}
    try:
        passwords = {}
        for name, env in (("SQLite", sqlite_env), ("Neo4j", neo4j_env)):
            with open_store(Settings(**{k.removeprefix("TECHMATCH_").lower(): v for k, v in env.items()})) as s:
                passwords[name] = bench_account(s)
            port = neo4j_local.free_port()
            servers[name] = port, _serve({**env, "TECHMATCH_MODEL_DIR": str(models)}, port)
        clients = {name: httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
                   for name, (port, _) in servers.items()}
        for name, client in clients.items():
            client.headers.update(bearer(client, passwords[name]))
        times: dict[str, list[float]] = {name: [] for name in servers}
        for i, q in enumerate(queries[:20] + queries):
            for name, client in clients.items():
                started = time.perf_counter()
                r = client.get("/api/v1/recommendations/partners", params=q)
                if i >= 20:  # the first 20 warm both servers
                    times[name].append(time.perf_counter() - started)
                r.raise_for_status()
        stats = {name: np.percentile(np.array(t) * 1e3, [50, 95, 99]) for name, t in times.items()}
        for name, (p50, p95, p99) in stats.items():
            print(f"partners over HTTP, {name}-backed: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
        ratio = stats["Neo4j"][2] / stats["SQLite"][2]
        print(f"p99 Neo4j / SQLite: {ratio:.2f} (target <= {TARGETS['p99_ratio']})")
    finally:
        for _, server in servers.values():
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
