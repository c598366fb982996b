"""Benchmark: partner recommendation quality on the temporal holdout of deals (target at the city
tier: the model's Hits@10 at least 1.5 times the best single baseline's).

    python bench/partner_quality.py --store bench/out/city.sqlite [--seeds 0,1,2] [--test-from 2024]

Builds the projection and the text index once, then runs the evaluation of `techmatch evaluate` for
each seed (the seed moves the training negatives, the model's own randomness and the random
tie-breaks of the baselines) and prints each run and the mean ratio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from graph_service.projection import build_projection
from graph_service.recommend.partner_eval import evaluate
from graph_service.recommend.partners import Text
from graph_service.stores.sqlite_store import SqliteStore
from graph_service.text.index import build_text_index


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--test-from", type=int, default=None, help="default: the last 3 years of deals")
    ap.add_argument("--train-years", type=int, default=3)
    args = ap.parse_args()
    store = SqliteStore(args.store)
    p = build_projection(store)
    years = p.attrs["year"][p.attrs["year"] > 0]
    start = args.test_from or int(years.max()) - 2
    t = time.perf_counter()
    text = Text(build_text_index(store), p)
    print(f"text index: {time.perf_counter() - t:.1f} s")
    ratios = []
    for seed in (int(s) for s in args.seeds.split(",")):
        r = evaluate(p, store, start, start - args.train_years, text, seed)
        m, best = r["methods"], r["best_baseline"]
        ratio = m["model"]["hits@10"] / m[best]["hits@10"]
        ratios.append(ratio)
        print(f"seed {seed}: {r['test_cases']} held-out deals from {start}; model Hits@10 {m['model']['hits@10']:.4f} "
              f"MRR {m['model']['mrr']:.4f} NDCG@10 {m['model']['ndcg@10']:.4f} AUC {m['model']['auc']:.3f}; "
              f"best baseline {best} {m[best]['hits@10']:.4f}; ratio {ratio:.2f}x; text only "
              f"{m['text only']['hits@10']:.4f}, popularity {m['popularity']['hits@10']:.4f}; "
              f"candidate recall {r['candidate_recall']:.1%}; fit {r['fit_seconds']:.1f} s")
    print(f"mean ratio {np.mean(ratios):.2f}x (min {min(ratios):.2f}x) over {len(ratios)} seeds; target >= 1.5x")


if __name__ == "__main__":
    main()
