"""Benchmark: partner suggestions through HTTP with concurrent clients (target at the city tier: at
least 200 requests/s with 8 clients).

    python bench/http_throughput.py --store bench/out/city.sqlite --models DIR [--workers 2] [--clients 8]

Starts `uvicorn` on the app factory with `--workers` processes (each loads the projection and the
saved models), waits until it answers, then runs `--clients` threads, each with its own keep-alive
connection (`http.client`), asking for the top `--top-k` partners (with paths) of random needs for
`--seconds`. The clients
run on the same machine, so their own CPU use is counted against the figure, not hidden from it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import httpx
import numpy as np
import psutil
from accounts import SERVER_ENV, bearer, bench_account  # bench/accounts.py, beside this script

from graph_service.schema import Label
from graph_service.stores.sqlite_store import SqliteStore


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--models", type=Path, required=True, help="written by `techmatch train`")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--top-k", type=int, default=20, help="as the in-process latency benchmark")
    args = ap.parse_args()
    store = SqliteStore(args.store)
    store.ensure_schema()  # a store made before accounts existed gets their tables
    needs = [r[1] for batch in store.scan_nodes(Label.NEED, ()) for r in batch]
    password = bench_account(store)
    store.close()
    env = {**os.environ, **SERVER_ENV, "TECHMATCH_STORE": "sqlite", "TECHMATCH_SQLITE_PATH": str(args.store),
           "TECHMATCH_MODEL_DIR": str(args.models)}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "graph_service.api.app:create_app",
                               "--port", str(args.port), "--workers", str(args.workers), "--log-level", "warning",
                               "--no-access-log"], env=env)
    server_process = psutil.Process(server.pid)
    base = f"http://127.0.0.1:{args.port}"
    try:
        started = time.perf_counter()
        while True:
            try:
                ok = sum(httpx.get(f"{base}/health", timeout=2).status_code == 200 for _ in range(4 * args.workers))
                if ok == 4 * args.workers:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.perf_counter() - started > 300:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        print(f"server up in {time.perf_counter() - started:.1f} s ({args.workers} workers)")
        rng = np.random.default_rng(0)
        with httpx.Client(base_url=base, timeout=30) as warm:  # first requests fault pages in
            auth = bearer(warm, password)
            for n in rng.choice(needs, 20 * args.workers):
                warm.get("/api/v1/recommendations/partners", params={"need": str(n), "top_k": args.top_k},
                         headers=auth)
        latencies: list[float] = []
        errors = [0]
        deadline = time.perf_counter() + args.seconds
        lock = threading.Lock()

        def client(seed: int) -> None:  # the standard library's client: lean, so the server gets the CPU
            local_rng = np.random.default_rng(seed)
            mine, bad = [], 0
            http = HTTPConnection("127.0.0.1", args.port, timeout=30)
            while time.perf_counter() < deadline:
                need = str(needs[int(local_rng.integers(len(needs)))])
                t = time.perf_counter()
                http.request("GET", f"/api/v1/recommendations/partners?need={need}&top_k={args.top_k}",
                             headers=auth)  # signed in: the account is read at each request, as in service
                r = http.getresponse()
                r.read()
                mine.append(time.perf_counter() - t)
                bad += r.status != 200
            http.close()
            with lock:
                latencies.extend(mine)
                errors[0] += bad

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        served = [server_process, *server_process.children(recursive=True)]
        cpu0 = [_cpu(x) for x in served], _cpu(psutil.Process())
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        server_cpu = sum(_cpu(x) - c for x, c in zip(served, cpu0[0]))
        client_cpu = _cpu(psutil.Process()) - cpu0[1]
        ms = np.array(latencies) * 1e3
        print(f"{len(latencies):,} requests in {elapsed:.1f} s with {args.clients} clients: "
              f"{len(latencies) / elapsed:.0f} requests/s; latency p50 {np.percentile(ms, 50):.1f} ms, "
              f"p99 {np.percentile(ms, 99):.1f} ms; {errors[0]} errors (target >= 200 requests/s)")
        print(f"CPU per request: server {server_cpu / len(latencies) * 1e3:.1f} ms, these clients "
              f"{client_cpu / len(latencies) * 1e3:.1f} ms ({psutil.cpu_count()} cores)")
    finally:
        server.terminate()
        server.wait(30)


def _cpu(process: psutil.Process) -> float:
    t = process.cpu_times()
    return t.user + t.system


if __name__ == "__main__":
    main()
