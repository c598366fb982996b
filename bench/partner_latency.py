"""Benchmark: top-20 partner suggestions with their explanation paths, in process (target at the
province tier: p50 <= 20 ms, p99 <= 100 ms).

    python bench/partner_latency.py --store bench/out/province.sqlite [--models DIR] [--queries 500]

Trains and saves the models first if DIR holds none (timed and printed apart). Queries are random
needs (half) and enterprises (half); each runs what the API route runs (candidates, model, filters,
paths, institutions), minus HTTP.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import psutil

from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.sqlite_store import SqliteStore


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--models", type=Path, default=None, help="default: <store>.models")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--retrain", action="store_true",
                    help="retrain the partner model on the saved text index (after a change to the model)")
    args = ap.parse_args()
    models = args.models or Path(f"{args.store}.models")
    store = SqliteStore(args.store)
    started = time.perf_counter()
    service = GraphService.open(store, models)
    print(f"open (projection build + model load): {time.perf_counter() - started:.1f} s")
    if not PartnerRecommender.saved_in(models):
        started = time.perf_counter()
        meta = service.train()
        print(f"train (text index + partner model + collaborator model): {time.perf_counter() - started:.1f} s; "
              f"{meta['partners']['rows']:,} rows from {meta['partners']['cases']:,} deals")
    elif args.retrain:
        started = time.perf_counter()
        service.train(reuse_text=True)
        print(f"retrain the models on the saved text index: {time.perf_counter() - started:.1f} s")
    p = service.projection
    rng = np.random.default_rng(0)
    labels = p.labels[: p.base_nodes]
    posted = np.diff(p.inc[RelType.POSTED].indptr)[: p.base_nodes] > 0
    needs = np.flatnonzero((labels == list(Label).index(Label.NEED)) & posted)
    firms = np.flatnonzero(labels == list(Label).index(Label.ENTERPRISE))
    half = args.queries // 2
    queries = [(None, p.ids[n]) for n in rng.choice(needs, half)] + \
              [(p.ids[e], None) for e in rng.choice(firms, args.queries - half)]
    rng.shuffle(queries)
    for enterprise, need in queries[:20]:  # warm caches and code paths
        service.partners(enterprise, need, args.top_k)
    times, shown = [], []
    for enterprise, need in queries:
        t = time.perf_counter()
        result, _ = service.partners(enterprise, need, args.top_k)
        times.append(time.perf_counter() - t)
        shown.append(len(result.suggestions))
    ms = np.array(times) * 1e3
    print(f"{len(queries)} queries, top {args.top_k} with paths: p50 {np.percentile(ms, 50):.1f} ms, "
          f"p95 {np.percentile(ms, 95):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms, mean {ms.mean():.1f} ms; "
          f"{np.mean(shown):.1f} suggestions a query")
    print(f"resident memory {psutil.Process().memory_info().rss / 2**20:,.0f} MiB; "
          f"{p.base_nodes:,} nodes in the projection")


if __name__ == "__main__":
    main()
