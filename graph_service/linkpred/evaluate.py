"""Evaluate the learned link scorer against networkx's heuristics on one split, side by side."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import networkx as nx
import numpy as np

from graph_service.linkpred.edgelist import holdout_split, read_edgelist
from graph_service.linkpred.metrics import auc, hits_at_k, mrr
from graph_service.linkpred.model import LinkModel

Pairs = list[tuple[int, int]]


def _nx_common_neighbors(g: nx.Graph, pairs: Pairs) -> Iterable[tuple[int, int, float]]:
    return ((a, b, float(len(list(nx.common_neighbors(g, a, b))))) for a, b in pairs)


# networkx's link-prediction functions, by the names the report uses
NX_HEURISTICS: dict[str, Callable[[nx.Graph, Pairs], Iterable[tuple[int, int, float]]]] = {
    "common_neighbors": _nx_common_neighbors,
    "jaccard": nx.jaccard_coefficient,
    "adamic_adar": nx.adamic_adar_index,
    "resource_allocation": nx.resource_allocation_index,
    "preferential_attachment": nx.preferential_attachment,
}


def _best_of(runs: int, work: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    """Result and fastest wall time of `runs` runs (the same for every method, to damp noise)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return result, best


def _metrics(scores: np.ndarray, labels: np.ndarray, seconds: float) -> dict[str, float]:
    pos, neg = scores[labels == 1], scores[labels == 0]
    return {"auc": auc(pos, neg), "hits@50": hits_at_k(pos, neg, 50), "mrr": mrr(pos, neg), "seconds": seconds}


def evaluate_edgelist(path: Path, seed: int = 0, fraction: float = 0.1, runs: int = 3) -> dict:
    """Seeded holdout of `fraction` of the edges plus as many non-edges; every method sees only the rest.
    Each method's `seconds` is its fastest of `runs` scorings of all holdout pairs."""
    edges = read_edgelist(path)
    split = holdout_split(edges, fraction, seed)
    start = time.perf_counter()
    model = LinkModel(seed=seed).fit(edges, split.train)
    fit_seconds = time.perf_counter() - start
    adj = edges.adjacency(split.train)
    scores, seconds = _best_of(runs, lambda: model.score(adj, split.test_u, split.test_v))
    methods = {"model": _metrics(scores, split.test_label, seconds)}
    graph = nx.Graph()
    graph.add_nodes_from(range(edges.n))
    graph.add_edges_from(zip(edges.u[split.train].tolist(), edges.v[split.train].tolist()))
    pairs = list(zip(split.test_u.tolist(), split.test_v.tolist()))
    for name, heuristic in NX_HEURISTICS.items():
        def run(h: Callable = heuristic) -> np.ndarray:
            return np.fromiter((s for _, _, s in h(graph, pairs)), dtype=np.float64, count=len(pairs))

        values, seconds = _best_of(runs, run)
        methods[name] = _metrics(values, split.test_label, seconds)
    nx_total = sum(m["seconds"] for name, m in methods.items() if name != "model")
    return {
        "dataset": str(path), "nodes": int(edges.n), "edges": int(len(edges.u)), "seed": seed,
        "test_pairs": int(len(pairs)), "fit_seconds": fit_seconds,
        "speedup_vs_networkx_all_heuristics": nx_total / methods["model"]["seconds"],
        "methods": methods,
    }


def format_report(report: dict) -> str:
    lines = [f"{report['dataset']}: {report['nodes']:,} nodes, {report['edges']:,} edges; "
             f"holdout {report['test_pairs']:,} pairs (half true links), seed {report['seed']}",
             f"{'method':<26}{'AUC':>8}{'Hits@50':>9}{'MRR':>8}{'seconds':>10}{'x model':>9}"]
    model_s = report["methods"]["model"]["seconds"]
    for name, m in report["methods"].items():
        lines.append(f"{name:<26}{m['auc']:>8.4f}{m['hits@50']:>9.4f}{m['mrr']:>8.4f}{m['seconds']:>10.4f}"
                     f"{m['seconds'] / model_s:>9.1f}")
    speedup = report["speedup_vs_networkx_all_heuristics"]
    lines.append(f"model fit: {report['fit_seconds']:.2f} s; scoring {speedup:.0f}x faster than networkx's "
                 f"five heuristics together")
    return "\n".join(lines)
