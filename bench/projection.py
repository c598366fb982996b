"""Benchmark: build the in-memory projection and run 2-hop typed neighbourhood queries, side by side
with networkx built from the same data (targets at the province tier: build <= 60 s, <= 1.5 GB
resident, 2-hop query p99 <= 2 ms).

    python bench/projection.py --tier city [--store FILE] [--queries 2000] [--no-networkx]

The store file must hold the tier (bench/load.py makes it). The projection is built first, in a fresh
process, so the resident-memory figures are the build's own. Query starts are random researchers and
enterprises; each start runs one of the typed 2-hop patterns below, the same for both engines.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections import Counter
from pathlib import Path

import numpy as np
import psutil

from graph_service.projection import Hop, build_projection
from graph_service.projection.graph import LABELS
from graph_service.schema import UNDIRECTED, Label, RelType
from graph_service.stores.sqlite_store import SqliteStore

T = RelType
# name -> (start label, first hop, second hop, labels kept at the end)
PATTERNS = {
    "co-authors of co-authors": (Label.RESEARCHER, Hop([T.CO_AUTHOR]), Hop([T.CO_AUTHOR]), [Label.RESEARCHER]),
    "researcher's deal partners": (Label.RESEARCHER, Hop([T.PARTY_TO], "out"), Hop([T.PARTY_TO], "in"), None),
    "enterprise's deal partners": (Label.ENTERPRISE, Hop([T.PARTY_TO], "out"), Hop([T.PARTY_TO], "in"), None),
    "fields of enterprise's needs": (Label.ENTERPRISE, Hop([T.POSTED], "out"), Hop([T.ABOUT], "out"), [Label.FIELD]),
}
HUB_PATTERN = ("colleagues (via institution hub)", Label.RESEARCHER, Hop([T.AFFILIATED_WITH], "out"),
               Hop([T.AFFILIATED_WITH], "in"), [Label.RESEARCHER])


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def time_queries(run, starts) -> list[float]:
    out = []
    for args in starts:
        t = time.perf_counter()
        run(*args)
        out.append(time.perf_counter() - t)
    return out


def build_networkx(p) -> tuple[dict, dict]:
    """One networkx graph per relationship type (Graph for undirected types), nodes labelled."""
    import networkx as nx

    graphs = {}
    for t in RelType:
        g = nx.Graph() if t in UNDIRECTED else nx.DiGraph()
        m = p.out[t].tocoo()
        keep = m.row < m.col if t in UNDIRECTED else slice(None)
        g.add_edges_from(zip(m.row[keep].tolist(), m.col[keep].tolist()))
        graphs[t] = g
    labels = dict(enumerate(p.labels.tolist()))
    return graphs, labels


def nx_two_hop(graphs: dict, labels: dict, start: int, first: Hop, second: Hop, keep) -> Counter:
    def step(n: int, hop: Hop) -> list[int]:
        out: list[int] = []
        for t in hop.types:
            g = graphs[t]
            if n not in g:
                continue
            if t in UNDIRECTED or hop.direction == "out":
                out.extend(g.successors(n) if g.is_directed() else g.neighbors(n))
            if t not in UNDIRECTED and hop.direction in ("in", "both"):
                out.extend(g.predecessors(n))
        return out

    codes = None if keep is None else {LABELS.index(lab) for lab in keep}
    far: Counter = Counter()
    for mid in set(step(start, first)):
        far.update(x for x in step(mid, second) if x != start and (codes is None or labels[x] in codes))
    return far


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tier", default="city")
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--no-networkx", action="store_true")
    args = ap.parse_args()
    path = args.store or Path(f"bench/out/{args.tier}.sqlite")
    store = SqliteStore(path)
    base = rss_mb()
    start = time.perf_counter()
    p = build_projection(store)
    build_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    edges = sum(p.edge_count(t) for t in RelType)
    print(f"projection {args.tier}: {p.node_count:,} nodes, {edges:,} relationships")
    print(f"projection build: {build_s:.1f} s; resident {rss_mb():,.0f} MB (before build {base:,.0f} MB, "
          f"peak {peak:,.0f} MB)")

    rng = random.Random(11)
    by_label = {lab: np.flatnonzero(p.labels == LABELS.index(lab)) for lab in (Label.RESEARCHER, Label.ENTERPRISE)}
    plan = []
    names = list(PATTERNS)
    for k in range(args.queries):
        name = names[k % len(names)]
        lab, first, second, keep = PATTERNS[name]
        plan.append((name, int(rng.choice(by_label[lab])), first, second, keep))
    hub_plan = [(HUB_PATTERN[0], int(rng.choice(by_label[Label.RESEARCHER])), *HUB_PATTERN[2:])
                for _ in range(max(50, args.queries // 20))]

    def ours(name, i, first, second, keep):
        return p.two_hop(p.ids[i], first, second, keep)

    ours_t = time_queries(ours, plan)
    ours_hub = time_queries(ours, hub_plan)
    print(f"2-hop typed query (projection, {len(plan)} random researchers/enterprises): "
          f"p50 {pct(ours_t, 50):.3f} ms, p99 {pct(ours_t, 99):.3f} ms (target p99 <= 2 ms: "
          f"{'met' if pct(ours_t, 99) <= 2 else 'MISSED'})")
    for name in names:
        sel = [t for t, q in zip(ours_t, plan) if q[0] == name]
        print(f"  {name:<32} p50 {pct(sel, 50):.3f} ms  p99 {pct(sel, 99):.3f} ms")
    print(f"  {HUB_PATTERN[0]:<32} p50 {pct(ours_hub, 50):.3f} ms  p99 {pct(ours_hub, 99):.3f} ms  "
          f"(results up to the largest institution's size; reported apart)")
    if args.no_networkx:
        return

    start = time.perf_counter()
    graphs, labels = build_networkx(p)
    nx_build = time.perf_counter() - start
    print(f"networkx build from the same data: {nx_build:.1f} s; resident now {rss_mb():,.0f} MB "
          f"(ratio networkx/projection build time {nx_build / build_s:.1f}x)")

    def theirs(name, i, first, second, keep):
        return nx_two_hop(graphs, labels, i, first, second, keep)

    for q in plan[:50]:  # same answers, or the comparison means nothing
        nodes, counts = ours(*q)
        assert dict(zip(nodes.tolist(), counts.tolist())) == theirs(*q), q
    nx_t = time_queries(theirs, plan)
    nx_hub = time_queries(theirs, hub_plan)
    print(f"2-hop typed query (networkx, same starts): p50 {pct(nx_t, 50):.3f} ms, p99 {pct(nx_t, 99):.3f} ms")
    print(f"ratio networkx/projection: p50 {pct(nx_t, 50) / pct(ours_t, 50):.1f}x, "
          f"p99 {pct(nx_t, 99) / pct(ours_t, 99):.1f}x, total {sum(nx_t) / sum(ours_t):.1f}x; "
          f"hub pattern p99 {pct(nx_hub, 99) / pct(ours_hub, 99):.1f}x")


if __name__ == "__main__":
    main()
