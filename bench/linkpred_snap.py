"""Benchmark: collaborator link prediction on real co-authorship networks. Targets, on every network and
every seed: the model's AUC, Hits@50 and MRR each above the best of networkx's five heuristics and above
the logistic blend of them, and its scoring >= 50x faster than the five networkx functions together.

    python bench/linkpred_snap.py [--edgelist ../shared/data/ca-GrQc.txt ...] [--seeds 5] [--pool 300000]

Each seed is one 10% holdout with as many sampled non-edges; timings are side by side in the same run.
Each seed also scores a pool of fresh non-edges: every method's MRR expected over other draws of the
negatives (E[MRR]), and the share of 200 redraws in which the model's MRR comes first ("wins").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from graph_service.linkpred.edgelist import read_edgelist
from graph_service.linkpred.evaluate import NX_HEURISTICS, evaluate_edgelist

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT = [DATA / "ca-GrQc.txt", DATA / "ca-HepTh.txt"]
METRICS = ("auc", "hits@50", "mrr")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgelist", type=Path, nargs="+", default=DEFAULT)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--pool", type=int, default=300_000)
    args = ap.parse_args()
    rows = []  # network, seed, model x3, best x3, blend x3, speed-up, fit seconds
    expected = []  # network, seed, E[MRR] of model, best heuristic, blend; the model's win chance
    for path in args.edgelist:
        edges = read_edgelist(path)
        for seed in range(args.seeds):
            r = evaluate_edgelist(path, seed=seed, edges=edges, pool=args.pool)
            m = r["methods"]
            best = {k: max(NX_HEURISTICS, key=lambda n, k=k: m[n][k]) for k in (*METRICS, "expected_mrr")}
            row = ([m["model"][k] for k in METRICS] + [m[best[k]][k] for k in METRICS]
                   + [m["logistic_blend"][k] for k in METRICS] + [r["speedup_vs_networkx_all_heuristics"],
                                                                   r["fit_seconds"]])
            rows.append((path.stem, seed, np.array(row)))
            e = [m["model"]["expected_mrr"], m[best["expected_mrr"]]["expected_mrr"],
                 m["logistic_blend"]["expected_mrr"], r["mrr_win_chance"]]
            expected.append((path.stem, seed, e))
            ok = all(row[i] > row[i + 3] and row[i] > row[i + 6] for i in range(3)) and row[9] >= 50
            print(f"{path.stem} seed {seed}: " + "; ".join(
                f"{k} {row[i]:.4f} vs best {row[i + 3]:.4f} ({best[k]}) vs blend {row[i + 6]:.4f}"
                for i, k in enumerate(METRICS)) + f"; {row[9]:.0f}x faster; fit {row[10]:.2f} s "
                f"[{'met' if ok else 'MISSED'}]; E[MRR] {e[0]:.4f} vs best {e[1]:.4f} ({best['expected_mrr']}) "
                f"vs blend {e[2]:.4f}, model first in {e[3]:.0%} of redraws", flush=True)
    print(f"\n{'network':<12}{'':6}" + "".join(f"{k:>10}{'best':>8}{'blend':>8}" for k in METRICS)
          + f"{'speed-up':>10}{'fit s':>7}")
    for name in dict.fromkeys(n for n, _, _ in rows):
        a = np.array([x for n, _, x in rows if n == name])
        for label, agg in (("mean", a.mean(axis=0)), ("min", a.min(axis=0))):
            print(f"{name:<12}{label:<6}" + "".join(f"{agg[i]:>10.4f}{agg[i + 3]:>8.4f}{agg[i + 6]:>8.4f}"
                                                    for i in range(3)) + f"{agg[9]:>9.0f}x{agg[10]:>7.2f}")
    for i, k in enumerate(METRICS):
        wins = sum(x[i] > x[i + 3] and x[i] > x[i + 6] for _, _, x in rows)
        print(f"{k}: model above best heuristic and blend in {wins}/{len(rows)} runs "
              f"[{'met' if wins == len(rows) else 'MISSED'}]")
    fast = sum(x[9] >= 50 for _, _, x in rows)
    print(f"speed-up >= 50x in {fast}/{len(rows)} runs [{'met' if fast == len(rows) else 'MISSED'}]")
    above = sum(e[0] > e[1] and e[0] > e[2] for _, _, e in expected)
    chances = [e[3] for _, _, e in expected]
    print(f"E[MRR] ({args.pool:,} non-edges a seed): model above best heuristic and blend in {above}/{len(expected)} "
          f"runs, by {min(e[0] - max(e[1], e[2]) for _, _, e in expected):+.4f} at least; the model's MRR first in "
          f"{min(chances):.0%}-{max(chances):.0%} of redraws of the negatives, all {len(chances)} runs at once "
          f"with odds {np.prod(chances):.1e}")


if __name__ == "__main__":
    main()
