"""Benchmark: the case dashboard over the city tier's case history, on SQLite and on a real Neo4j 5 (issue
14's target: a year of cases on the city tier, about 10,000, and the dashboard's numbers in at most 200 ms).

    python bench/case_dashboard.py --sqlite bench/out/city.sqlite [--neo4j-data bench/out/neo4j-city-cases]
                                   [--data bench/out/city] [--repeats 30] [--seed 7] [--today 2026-11-30]

--sqlite: a city-tier store (the market loaded, with or without cases). It is copied and only the copy is
  written: a case history is grown into it when it holds no case.
--neo4j-data: a Neo4j data directory (tools/neo4j/serve --data), kept across runs. When its database is
  empty the city tier is loaded into it from --data (generated there first when missing; the load takes
  several minutes), then a case history is grown when it holds no case.
Cases come from loaders.generator.cases.grow_case_history(store, seed, today): one case per posted need.
For each store, after one warm-up call, each `--repeats` times (median, p95): the whole read of every
case's facts (a worker's first dashboard); `dashboard()` as it is served, the facts kept by the store
object and nothing changed since; `dashboard()` right after another writer changed one case (its facts
read again by the event number; the write itself not timed: a note dated 2000-01-01, which moves no
figure); and the counting alone on facts already read.
With both stores, their dashboards are compared (equal when both histories were grown with the same seed
and day).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import numpy as np

from graph_service.cases.dashboard import Dashboard, dashboard
from graph_service.projection import Projection, build_projection
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseEvent, CaseFacts
from loaders.generator import generate
from loaders.generator.cases import grow_case_history
from loaders.importer import load_directory

TARGET_MS = 200.0
LONG_AGO = "2000-01-01T00:00:00"  # the probe note's time: earlier than any activity, so no case's `active` moves


class _Read:
    """The facts of one read, handed to dashboard() again: the counting timed without the store."""

    def __init__(self, facts: list[CaseFacts]) -> None:
        self.facts = facts

    def case_facts(self) -> list[CaseFacts]:
        return self.facts


def _timed(work: Callable[[], object], repeats: int,
           before: Callable[[], object] = lambda: None) -> tuple[list[float], list[float]]:
    """Wall and this process's CPU milliseconds of each call (`before` runs untimed ahead of each). On a
    shared machine the CPU time shows what the waiting for a core added to the wall time (the Neo4j
    server's own work is in the wall time only)."""
    work()  # warm-up: caches, the driver's connection pool, the JIT of the Neo4j server
    wall, cpu = [], []
    for _ in range(repeats):
        before()
        started, used = time.perf_counter(), time.process_time()
        work()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return wall, cpu


def _line(name: str, times: tuple[list[float], list[float]]) -> str:
    wall, cpu = times
    return (f"  {name:<28} median {statistics.median(wall):7.1f} ms   p95 {np.percentile(wall, 95):7.1f} ms   "
            f"min {min(wall):6.1f}   max {max(wall):6.1f}   (our CPU: median {statistics.median(cpu):.1f} ms)")


def _cases(store: GraphStore, seed: int, today: date) -> None:
    """A case history in a store with none (the generator refuses a store that has cases)."""
    if store.case_counts():
        print(f"  cases already there: {sum(store.case_counts().values()):,}")
        return
    started = time.perf_counter()
    summary = grow_case_history(store, seed=seed, today=today)
    print(f"  grew {summary['cases']:,} cases, {summary['events']:,} events, {summary['staff']} staff "
          f"in {time.perf_counter() - started:.1f} s")


def measure(name: str, store: GraphStore, today: date, repeats: int) -> Dashboard:
    started = time.perf_counter()
    projection: Projection = build_projection(store)
    print(f"  projection built in {time.perf_counter() - started:.1f} s ({projection.node_count:,} nodes)")
    facts = store.case_facts()
    posted = sorted(f.posted for f in facts if f.posted)
    last_year = sum(1 for p in posted if p >= date(today.year - 1, today.month, 1).isoformat())
    print(f"  {len(facts):,} cases (posted {posted[0] if posted else '-'} to {posted[-1] if posted else '-'}; "
          f"{last_year:,} in the last 12 months)")
    read = _timed(store.read_case_facts, repeats)
    whole = _timed(lambda: dashboard(store, projection, today), repeats)
    probe = CaseEvent(case=facts[len(facts) // 2].id, kind="note", actor="bench", text="bench probe", at=LONG_AGO)
    after = _timed(lambda: dashboard(store, projection, today), repeats, lambda: store.add_event(probe))
    counting = _timed(lambda: dashboard(_Read(facts), projection, today), repeats)  # type: ignore[arg-type]
    print(_line("every case's facts read", read))
    print(_line("dashboard() facts kept", whole))
    print(_line("dashboard() after a change", after))
    print(_line("dashboard() counting only", counting))
    whole = (whole[0] + after[0], whole[1] + after[1])  # the target: as served, changed or not
    median, p95 = statistics.median(whole[0]), float(np.percentile(whole[0], 95))
    verdict = "met" if median <= TARGET_MS else "MISSED"
    print(f"  {name}: dashboard median {median:.1f} ms, p95 {p95:.1f} ms (target <= {TARGET_MS:.0f} ms: {verdict})")
    d = dashboard(store, projection, today)
    funnel = " → ".join(f"{s.label} {s.reached:,}" for s in d.funnel)
    print(f"  funnel: {funnel}; stalled {d.stalled:,}; rows: {len(d.by_staff)} staff, {len(d.by_region)} regions, "
          f"{len(d.by_field)} fields, {len(d.by_tier)} tiers")
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", type=Path, help="a city-tier embedded store (copied; the copy is written)")
    ap.add_argument("--neo4j-data", type=Path, help="a Neo4j data directory (tools/neo4j/serve --data)")
    ap.add_argument("--data", type=Path, default=Path("bench/out/city"), help="city-tier files for Neo4j")
    ap.add_argument("--heap", default="6g", help="the Neo4j JVM's heap (a load is one transaction)")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 30))
    args = ap.parse_args()
    if not (args.sqlite or args.neo4j_data):
        ap.error("give --sqlite PATH and/or --neo4j-data DIR")
    results: dict[str, Dashboard] = {}
    with ExitStack() as stack:
        if args.sqlite:
            from graph_service.stores.sqlite_store import SqliteStore

            print(f"SQLite ({args.sqlite}, a copy)")
            work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            shutil.copy(args.sqlite, work / "store.sqlite")
            store: GraphStore = stack.enter_context(SqliteStore(work / "store.sqlite"))
            store.ensure_schema()
            _cases(store, args.seed, args.today)
            results["SQLite"] = measure("SQLite", store, args.today, args.repeats)
        if args.neo4j_data:
            from graph_service.stores import neo4j_local
            from graph_service.stores.neo4j_store import Neo4jStore

            print(f"Neo4j ({args.neo4j_data})")
            server = stack.enter_context(neo4j_local.start(args.neo4j_data, heap=args.heap))
            neo4j: GraphStore = stack.enter_context(Neo4jStore(server.uri, server.user, server.password))
            neo4j.ensure_schema()
            if not neo4j.counts().nodes:
                if not (args.data / "manifest.json").exists():
                    generate("city", args.data, seed=args.seed)
                started = time.perf_counter()
                load_directory(neo4j, args.data, progress=False)
                print(f"  loaded {args.data} in {time.perf_counter() - started:.0f} s")
            _cases(neo4j, args.seed, args.today)
            results["Neo4j"] = measure("Neo4j", neo4j, args.today, args.repeats)
    if len(results) == 2:
        same = results["SQLite"].as_dict() == results["Neo4j"].as_dict()
        print(f"the two stores' dashboards are {'the same' if same else 'DIFFERENT (other histories?)'}")


if __name__ == "__main__":
    main()
