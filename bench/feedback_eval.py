"""Benchmark: partner recommendation with and without the feedback of the 保姆式 cases, on a temporal split
(target: with feedback, Hits@10 on later cases at least as high as without; declined partners never shown
again for their need).

    python bench/feedback_eval.py --store bench/out/tiny-cases.sqlite --tier tiny [--seeds 0,1,2]
    python bench/feedback_eval.py --store bench/out/city-cases.sqlite --source bench/out/city.sqlite

The store is made when missing: copied from --source (never written to), or the --tier generated and
loaded; a case history is grown into it (loaders/generator/cases.py) when it holds no case. Then, per seed,
every use of feedback (feedback.py) is trained on the years before --test-from with the answers given
before it, and ranked on the later signed cases (deals fulfilling a need with a case); each is also
ranked with the case's declined partners left out ("+ exclusion"), and "product" is what `techmatch train`
would choose on a validation year carved from the training years. Prints each seed and the medians.

Measured (2 cores; history seed 7; Hits@10 / MRR): city tier, 487 signed cases of 2024-2026, 37,244 answers
before 2024. Product (declines + signals, chosen by the validation year in every seed) + exclusion against
without feedback, seeds 0-4: 0.255 / 0.257 / 0.255 / 0.257 / 0.267 against 0.246 / 0.232 / 0.244 / 0.238 /
0.251 (MRR 0.118-0.121 against 0.110-0.118); a declined partner in 8.2-8.8% of top 10s without exclusion,
none with it. Declines alone + exclusion 0.261 / 0.226 / 0.253 (below without in seed 1); accepts as
positives 0.175. On the 166 cases whose enterprise had accepted none of the truth before, the product is
not steadily better (Hits@10 median of seeds 0-2 0.121 against 0.133, of seeds 3-4 0.130 against 0.121).
Tiny tier (26 cases, noise): without 0.769 / 0.395
(57.7% show a declined partner), + exclusion 0.846 / 0.472. 60-150 s a seed at the city tier.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from graph_service.cases.partners import DECLINE_REASONS
from graph_service.projection import build_projection
from graph_service.recommend.feedback import PRODUCT, RESEARCHER_DECLINED, SIGNALS, Use, evaluate_feedback, read_cases
from graph_service.recommend.partners import Text
from graph_service.stores.sqlite_store import SqliteStore
from graph_service.text.index import build_text_index

PAIRS, REASONS = SIGNALS[:2], SIGNALS[2:]
USES = {
    "accepts": Use(negatives=frozenset(), name="accepts"),  # accepted partners as positives
    "declines": Use(positives=False, name="declines"),  # not_relevant / too_far declines as negatives
    "accepts + declines": Use(name="accepts + declines"),
    "all declines": Use(positives=False, negatives=frozenset({*DECLINE_REASONS, RESEARCHER_DECLINED}),
                        name="all declines"),
    "signals": Use(positives=False, negatives=frozenset(), signals=SIGNALS, name="signals"),
    "signals: pairs": Use(positives=False, negatives=frozenset(), signals=PAIRS, name="signals: pairs"),
    "signals: reasons": Use(positives=False, negatives=frozenset(), signals=REASONS, name="signals: reasons"),
    "declines + signals": Use(positives=False, signals=SIGNALS, name="declines + signals"),
}
SHOWN = ("hits@1", "hits@5", "hits@10", "hits@20", "mrr")


def prepare(path: Path, source: Path | None, tier: str | None, seed: int) -> SqliteStore:
    """The store at `path`, made if missing, with a case history."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if source is not None:
            shutil.copyfile(source, path)
        elif tier is not None:
            from loaders.generator import generate
            from loaders.importer import load_directory

            store = SqliteStore(path)
            store.ensure_schema()
            with tempfile.TemporaryDirectory() as files:
                generate(tier, Path(files), seed=7)
                load_directory(store, Path(files), progress=False)
            store.close()
        else:
            raise SystemExit(f"{path} does not exist: give --source or --tier")
    store = SqliteStore(path)
    store.ensure_schema()
    if not store.case_counts():
        from loaders.generator.cases import grow_case_history

        started = time.perf_counter()
        summary = grow_case_history(store, seed=seed)
        print(f"case history grown in {time.perf_counter() - started:.1f} s: "
              f"{json.dumps(summary, ensure_ascii=False, default=str)[:400]}")
    return store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True, help="a store of our own (made when missing)")
    ap.add_argument("--source", type=Path, help="a loaded market to copy into --store (left as it is)")
    ap.add_argument("--tier", choices=("tiny", "city"), help="or generate this tier into --store")
    ap.add_argument("--history-seed", type=int, default=7)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--test-from", type=int, default=None, help="default: the last 3 years of deals")
    ap.add_argument("--train-years", type=int, default=3)
    ap.add_argument("--uses", default=",".join(USES), help=f"any of {', '.join(USES)}")
    ap.add_argument("--json", type=Path, help="write every run's report here")
    args = ap.parse_args()
    store = prepare(args.store, args.source, args.tier, args.history_seed)
    p = build_projection(store)
    years = p.attrs["year"][p.attrs["year"] > 0]
    start = args.test_from or int(years.max()) - 2
    started = time.perf_counter()
    text = Text(build_text_index(store), p)
    cases = read_cases(store)
    print(f"text index and {len(cases):,} cases read in {time.perf_counter() - started:.1f} s")
    uses = {name: USES[name] for name in args.uses.split(",")}
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        t = time.perf_counter()
        r = evaluate_feedback(p, store, start, start - args.train_years, text, cases, uses, seed, product=PRODUCT)
        runs.append(r)
        print(f"\nseed {seed}: {r['test_cases']} signed cases from {start} ({r['with_declines']} with declines, "
              f"{r['declined_truth']} whose truth was declined); {r['answers_before_test']:,} of {r['answers']:,} "
              f"answers before {start}; {time.perf_counter() - t:.0f} s; product choice "
              f"{json.dumps(r['uses']['product'], ensure_ascii=False)}")
        _table(r["methods"], r["declined_shown"])
        print(f"  on the {r['cold_cases']} cases none of whose researchers the enterprise had accepted before {start}:")
        _table(r["methods_cold"], {})
    if len(runs) > 1:
        print(f"\nmedians over {len(runs)} seeds:")
        names = list(runs[0]["methods"])
        _table({n: {k: float(np.median([r["methods"][n][k] for r in runs])) for k in SHOWN} for n in names},
               {n: float(np.median([r["declined_shown"][n] for r in runs])) for n in runs[0]["declined_shown"]})
        print("  cold cases:")
        _table({n: {k: float(np.median([r["methods_cold"][n][k] for r in runs])) for k in SHOWN} for n in names}, {})
    if args.json:
        args.json.write_text(json.dumps(runs, ensure_ascii=False, indent=1))


def _table(methods: dict[str, dict[str, float]], shown: dict[str, float]) -> None:
    print(f"  {'method':<34}" + "".join(f"{k:>9}" for k in SHOWN) + "  declined in top 10")
    for name, m in methods.items():
        share = f"{shown[name]:.1%}" if name in shown else "0 (asserted)" if shown else ""
        print(f"  {name:<34}" + "".join(f"{m[k]:>9.4f}" for k in SHOWN) + f"  {share}")


if __name__ == "__main__":
    main()
