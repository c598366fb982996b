"""Evaluate the learned link scorer against networkx's heuristics and the logistic blend, side by side,
on one seeded split or on several (each metric then as its mean and its minimum over the seeds)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import networkx as nx
import numpy as np

from graph_service.linkpred.blend import LogisticBlend
from graph_service.linkpred.edgelist import EdgeList, Split, holdout_split, read_edgelist
from graph_service.linkpred.metrics import auc, expected_mrr, hits_at_k, mrr, redrawn_mrr
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


def _nx_scores(heuristic: Callable, graph: nx.Graph, pairs: Pairs) -> np.ndarray:
    return np.fromiter((s for _, _, s in heuristic(graph, pairs)), dtype=np.float64, count=len(pairs))


def _redrawn(edges: EdgeList, split: Split, seed: int, pool: int, draws: int, positives: dict[str, np.ndarray],
             scorers: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]) -> tuple[dict[str, float], float]:
    """Each method's MRR if the test negatives had been another draw: `pool` fresh non-edges (not edges, not
    test pairs) scored by every method; returns each method's expected MRR with as many negatives as the
    test has (metrics.expected_mrr), and the share of `draws` redraws of the negatives from the pool, the
    same for every method, in which the model's MRR is above every other method's."""
    rng = np.random.default_rng([seed, 1])  # its own stream: the holdout and the fits are unchanged
    pu, pv = split.fresh_non_edges(edges, pool, rng)
    n = int((split.test_label == 0).sum())
    picks = np.array([rng.choice(len(pu), n, replace=False) for _ in range(draws)])
    expected, redrawn = {}, {}
    for name, score in scorers.items():
        pool_scores = score(pu, pv)
        expected[name] = expected_mrr(positives[name], pool_scores, n)
        redrawn[name] = redrawn_mrr(positives[name], pool_scores, picks)
    others = np.max([r for name, r in redrawn.items() if name != "model"], axis=0)
    return expected, float(np.mean(redrawn["model"] > others))


def evaluate_edgelist(path: Path, seed: int = 0, fraction: float = 0.1, runs: int = 3,
                      edges: EdgeList | None = None, pool: int = 0, draws: int = 200) -> dict:
    """Seeded holdout of `fraction` of the edges plus as many non-edges; every method sees only the rest
    (the learned ones are told the test pairs only to never draw them as training or validation pairs).
    Each method's `seconds` is its fastest of `runs` scorings of all holdout pairs, on a graph built before
    the clock starts: the model's bound graph (LinkModel.bind: adjacency and node-level arrays, reported as
    `bind_seconds`) and networkx's nx.Graph alike. With `pool`, each method adds its `expected_mrr` and the
    report the model's `mrr_win_chance`: how the MRRs stand over other draws of the negatives (_redrawn)."""
    edges = read_edgelist(path) if edges is None else edges
    split = holdout_split(edges, fraction, seed)
    test = (split.test_u, split.test_v)
    start = time.perf_counter()
    model = LinkModel(seed=seed).fit(edges, split.train, avoid=test)
    fit_seconds = time.perf_counter() - start
    blend = LogisticBlend(seed=seed).fit(edges, split.train, avoid=test)
    adj = edges.adjacency(split.train)
    # Both sides get their graph structure built before the clock starts: the model its bound graph
    # (adjacency and node-level arrays: degrees, neighbour-degree sums, percentiles, weights), networkx
    # its nx.Graph (adjacency dicts, from which it reads degrees). Only the scoring of the pairs is timed.
    start = time.perf_counter()
    bound = model.bind(adj)
    bind_seconds = time.perf_counter() - start
    scores, seconds = _best_of(runs, lambda: bound.score(split.test_u, split.test_v))
    methods = {"model": _metrics(scores, split.test_label, seconds)}
    positives = {"model": scores[split.test_label == 1]}  # each method's scores of the true links
    graph = nx.Graph()
    graph.add_nodes_from(range(edges.n))
    graph.add_edges_from(zip(edges.u[split.train].tolist(), edges.v[split.train].tolist()))
    pairs = list(zip(split.test_u.tolist(), split.test_v.tolist()))
    for name, heuristic in NX_HEURISTICS.items():
        values, seconds = _best_of(runs, lambda h=heuristic: _nx_scores(h, graph, pairs))
        methods[name] = _metrics(values, split.test_label, seconds)
        positives[name] = values[split.test_label == 1]
    nx_total = sum(methods[name]["seconds"] for name in NX_HEURISTICS)
    values, seconds = _best_of(runs, lambda: blend.score(adj, split.test_u, split.test_v))
    methods["logistic_blend"] = _metrics(values, split.test_label, seconds)
    positives["logistic_blend"] = values[split.test_label == 1]
    report = {
        "dataset": str(path), "nodes": int(edges.n), "edges": int(len(edges.u)), "seed": seed,
        "test_pairs": int(len(pairs)), "fit_seconds": fit_seconds, "bind_seconds": bind_seconds,
        "speedup_vs_networkx_all_heuristics": nx_total / methods["model"]["seconds"],
        "methods": methods,
    }
    if pool:
        scorers = {"model": bound.score, "logistic_blend": lambda u, v: blend.score(adj, u, v)}
        for name, heuristic in NX_HEURISTICS.items():
            scorers[name] = lambda u, v, h=heuristic: _nx_scores(h, graph, list(zip(u.tolist(), v.tolist())))
        expected, win_chance = _redrawn(edges, split, seed, pool, draws, positives, scorers)
        for name, value in expected.items():
            methods[name]["expected_mrr"] = value
        report.update(pool_pairs=pool, draws=draws, mrr_win_chance=win_chance)
    return report


def evaluate_seeds(path: Path, seeds: int = 5, first_seed: int = 0, fraction: float = 0.1, runs: int = 3,
                   pool: int = 0) -> dict:
    """`evaluate_edgelist` for seeds first_seed .. first_seed+seeds-1; each method's metrics are the mean
    over the seeds, with their minimum under "min"; every seed's report is kept under "runs"."""
    edges = read_edgelist(path)
    reports = [evaluate_edgelist(path, s, fraction, runs, edges, pool)
               for s in range(first_seed, first_seed + seeds)]
    methods = {}
    for name in reports[0]["methods"]:
        rows = [r["methods"][name] for r in reports]
        methods[name] = {k: float(np.mean([m[k] for m in rows])) for k in rows[0]}
        methods[name]["min"] = {k: float(np.min([m[k] for m in rows])) for k in rows[0] if k != "seconds"}
    speedups = [r["speedup_vs_networkx_all_heuristics"] for r in reports]
    first = reports[0]
    return {
        "dataset": first["dataset"], "nodes": first["nodes"], "edges": first["edges"],
        "seeds": [r["seed"] for r in reports], "test_pairs": first["test_pairs"],
        "fit_seconds": float(np.mean([r["fit_seconds"] for r in reports])),
        "speedup_vs_networkx_all_heuristics": float(np.mean(speedups)), "min_speedup": float(np.min(speedups)),
        "methods": methods, "runs": reports,
    } | ({"mrr_win_chance": float(np.mean([r["mrr_win_chance"] for r in reports])),
          "min_mrr_win_chance": float(np.min([r["mrr_win_chance"] for r in reports]))} if pool else {})


def format_report(report: dict) -> str:
    """A table of one seed's report, or of `evaluate_seeds`' (mean and, in brackets, minimum over seeds)."""
    many = "seeds" in report
    seeds = (f"seeds {report['seeds'][0]}-{report['seeds'][-1]} (mean [min])" if many else f"seed {report['seed']}")
    lines = [f"{report['dataset']}: {report['nodes']:,} nodes, {report['edges']:,} edges; "
             f"holdout {report['test_pairs']:,} pairs (half true links), {seeds}"]
    width = 18 if many else 9
    metrics = {"auc": "AUC", "hits@50": "Hits@50", "mrr": "MRR"}
    if "mrr_win_chance" in report:
        metrics["expected_mrr"] = "E[MRR]"
    lines.append(f"{'method':<26}" + "".join(f"{label:>{width}}" for label in metrics.values())
                 + f"{'seconds':>10}{'x model':>9}")
    model_s = report["methods"]["model"]["seconds"]
    for name, m in report["methods"].items():
        cells = "".join(f"{m[k]:>9.4f}" + (f" [{m['min'][k]:.4f}]" if many else "") for k in metrics)
        lines.append(f"{name:<26}{cells}{m['seconds']:>10.4f}{m['seconds'] / model_s:>9.1f}")
    speedup = report["speedup_vs_networkx_all_heuristics"]
    least = f" (least {report['min_speedup']:.0f}x)" if many else ""
    lines.append(f"model fit: {report['fit_seconds']:.2f} s; scoring {speedup:.0f}x{least} faster than networkx's "
                 f"five heuristics together")
    if "mrr_win_chance" in report:
        least = f" (least {report['min_mrr_win_chance']:.0%})" if many else ""
        lines.append(f"E[MRR]: each method's MRR expected over draws of the negatives from a pool of "
                     f"{report['runs'][0]['pool_pairs'] if many else report['pool_pairs']:,} non-edges; the model's "
                     f"MRR is above every other method's in {report['mrr_win_chance']:.0%}{least} of redraws")
    return "\n".join(lines)
