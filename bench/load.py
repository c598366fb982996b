"""Benchmark: bulk load of generated files into the embedded store (targets: city <= 30 s, province <= 10 min).

    python bench/load.py --tier city [--data DIR] [--store FILE]

Generates the tier's files first if DIR has none (generation is not timed), loads them into a fresh
SQLite file, then loads them again to show the idempotent re-run. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from graph_service.stores.sqlite_store import SqliteStore
from loaders.generator import generate
from loaders.importer import load_directory

TARGET_SECONDS = {"tiny": 5, "city": 30, "province": 600}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tier", default="city", choices=sorted(TARGET_SECONDS))
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--again", action="store_true", help="also time an idempotent second load")
    args = ap.parse_args()
    data = args.data or Path(f"bench/out/{args.tier}")
    if not (data / "manifest.json").exists():
        start = time.perf_counter()
        generate(args.tier, data)
        print(f"generate {args.tier}: {time.perf_counter() - start:.1f} s (not part of the load figure)")
    path = args.store or Path(f"bench/out/{args.tier}.sqlite")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = SqliteStore(path)
    store.ensure_schema()
    report = load_directory(store, data, progress=False)
    target = TARGET_SECONDS[args.tier]
    print(f"load {args.tier}: {report.loaded:,} rows in {report.seconds:.1f} s = {report.rows_per_second:,.0f} rows/s "
          f"(target <= {target} s: {'met' if report.seconds <= target else 'MISSED'})")
    print(f"store file: {path.stat().st_size / 2**20:,.0f} MiB")
    if args.again:
        before = store.counts()
        again = load_directory(store, data, progress=False)
        print(f"re-load (idempotent): {again.seconds:.1f} s; counts unchanged: {store.counts() == before}")
    store.close()


if __name__ == "__main__":
    main()
