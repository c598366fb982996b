"""Temporal evaluation of partner recommendation on the graph's own deals.

Deals of the test years are hidden behind `History(test_start)`: each becomes a query (its enterprise,
the fields and text of the need it fulfilled, or the enterprise's fields) whose answer is the
researchers who signed it. The model learns from earlier years the same way, with history before them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from graph_service.errors import InvalidInput
from graph_service.projection import Projection
from graph_service.recommend.partners import FEATURES, History, PartnerModel, Query, Text, candidates, features
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphReader

if TYPE_CHECKING:  # feedback.py builds on this module
    from graph_service.recommend.feedback import Feedback, Signals, Use

# Random negatives. Fewer made a better ranking (50: Hits@10 -5%, 1000: -20%), and adding a first
# model's top-ranked non-partners ("hard negatives") halved it: in this market many of those are as
# fit as the one who signed, so they teach the trees noise.
NEGATIVES_PER_QUERY = 20


@dataclass
class Case:
    query: Query
    truth: set[int]  # researchers party to the deal
    deal: str = ""  # the deal's id
    need: str | None = None  # the need it fulfils, if any


def deal_cases(p: Projection, store: GraphReader, years: range) -> list[Case]:
    labels, year = p.labels, p.attrs["year"]
    deal_code = list(Label).index(Label.DEAL)
    deals = np.flatnonzero((labels[: p.base_nodes] == deal_code) & np.isin(year[: p.base_nodes], list(years)))
    need_of = p.out[RelType.FULFILS]
    needs = [int(need_of.indices[need_of.indptr[d]]) if need_of.indptr[d + 1] > need_of.indptr[d] else -1
             for d in deals.tolist()]
    texts = store.get_nodes([p.ids[n] for n in needs if n >= 0])
    cases = []
    for d, need in zip(deals.tolist(), needs):
        parties = p.inc[RelType.PARTY_TO][d].indices
        firms = [x for x in parties.tolist() if p.label_of(x) == Label.ENTERPRISE]
        people = {x for x in parties.tolist() if p.label_of(x) == Label.RESEARCHER}
        if not firms or not people:
            continue
        if need >= 0:
            wanted = p.out[RelType.ABOUT][need].indices
            node = texts.get(p.ids[need])
            text = node.props.get("text", "") if node else ""
        else:
            wanted, text = p.out[RelType.ACTIVE_IN][firms[0]].indices, ""
        cases.append(Case(Query(firms[0], wanted, text), people, p.ids[d], p.ids[need] if need >= 0 else None))
    return cases


Bags = list[tuple[list[np.ndarray], list[np.ndarray]]]  # per bag: row blocks and their labels


@dataclass
class Rows:
    """Training rows: the deals' and, apart, the feedback's, so that one pass fits a model with and without."""

    years: range
    text: bool
    deals: Bags = field(default_factory=lambda: [([], []) for _ in range(PartnerModel.BAGS)])
    feedback: Bags = field(default_factory=lambda: [([], []) for _ in range(PartnerModel.BAGS)])
    cases: int = 0  # deals learnt from
    groups: int = 0  # labelled queries of feedback learnt from
    use: Use | None = None
    signals: tuple[str, ...] = ()  # feature columns after FEATURES

    def fit(self, seed: int = 0, with_feedback: bool = True) -> PartnerModel:
        if not self.cases:
            raise InvalidInput(f"no deals with an enterprise and a researcher in {self.years.start}-"
                               f"{self.years.stop - 1} to learn from", field="train_years")
        extra = self.use is not None and with_feedback
        width = len(FEATURES) + (len(self.signals) if extra else 0)  # without feedback, without its columns too
        bags = [(np.vstack(xs + (fx if extra else []))[:, :width], np.concatenate(ys + (fy if extra else [])))
                for (xs, ys), (fx, fy) in zip(self.deals, self.feedback)]
        meta: dict = {"train_years": [self.years.start, self.years.stop - 1], "cases": self.cases, "text": self.text}
        if extra:
            assert self.use is not None
            meta["feedback"] = {"use": self.use.name, "groups": self.groups,
                                "rows": int(sum(len(y) for y in self.feedback[0][1]))}
            if self.signals:
                meta["features"] = [*FEATURES, *self.signals]
        return PartnerModel(seed).fit(bags, **meta)


def train(p: Projection, store: GraphReader, years: range, text: Text | None, seed: int = 0,
          feedback: Feedback | None = None) -> PartnerModel:
    """Learn from the deals of `years`, each seen with the history before its own year (as a test deal
    is), so that a repeat partner looks in training as it will at serving time. Positives: the deal's
    researchers; negatives: a random sample of the other candidates. `feedback` adds its labelled queries
    (feedback.py); without it the model is what it always was."""
    return collect(p, store, years, text, seed, feedback).fit(seed)


def collect(p: Projection, store: GraphReader, years: range, text: Text | None, seed: int = 0,
            feedback: Feedback | None = None) -> Rows:
    """The rows `train` fits. Feedback's random negatives come from a generator of their own: the deals'
    rows are the same with feedback or without."""
    rng, other = np.random.default_rng(seed), np.random.default_rng([seed, 14])
    use = feedback.use if feedback is not None else None
    out = Rows(years, text is not None, use=use)
    groups = feedback.groups(years) if feedback is not None else {}
    for year in years:
        h = History(p, year)
        signals = feedback.signals(year) if feedback is not None and feedback.use.signals else None
        out.signals = signals.names if signals is not None else ()
        for case in deal_cases(p, store, range(year, year + 1)):
            cands = candidates(h, case.query, text)
            truth = np.isin(cands, list(case.truth))
            if not truth.any():
                continue
            neg, pos = np.flatnonzero(~truth), np.flatnonzero(truth)
            draws = [rng.choice(neg, size=min(NEGATIVES_PER_QUERY, len(neg)), replace=False) for _ in out.deals]
            _add(out.deals, h, case.query, cands, truth, pos, draws, text, signals, case.need)
            out.cases += 1
        for g in groups.get(year, []):
            pool = np.union1d(candidates(h, g.query, text), np.concatenate([g.accepted, g.declined]))
            truth, fixed = np.isin(pool, g.accepted), np.isin(pool, g.declined)
            pos, others = np.flatnonzero(truth), np.flatnonzero(~truth & ~fixed)
            size = min(NEGATIVES_PER_QUERY, len(others)) if len(pos) else 0  # declines alone need no random ones
            draws = [np.concatenate([np.flatnonzero(fixed), other.choice(others, size=size, replace=False)])
                     for _ in out.feedback]
            _add(out.feedback, h, g.query, pool, truth, pos, draws, text, signals, g.need)
            out.groups += 1
    return out


def _add(bags: Bags, h: History, q: Query, cands: np.ndarray, truth: np.ndarray, pos: np.ndarray,
         draws: list[np.ndarray], text: Text | None, signals: Signals | None, need: str | None) -> None:
    """Each bag's rows of one query: the positives and that bag's negatives (features computed once); signals
    from the enterprise's answers on needs other than `need`."""
    rows = np.unique(np.concatenate([pos, *draws]).astype(np.int64))
    x = features(h, q, cands[rows], text)
    if signals is not None:
        x = np.hstack([x, signals.columns(x, q, cands[rows], need)])
    for (xs, ys), drawn in zip(bags, draws):
        keep = np.searchsorted(rows, np.concatenate([pos, drawn]))
        xs.append(x[keep])
        ys.append(truth[rows[keep]].astype(float))


KS = (1, 3, 5, 10, 20, 50)


def _rank_metrics(scores: np.ndarray, truth: np.ndarray, k: int = 10) -> dict[str, float]:
    """Per query: Hits@K for each K in KS (first true one within K), reciprocal rank, NDCG@k, and AUC
    (share of true-false pairs ordered rightly; ties count half). AUC is NaN when no true partner is
    among the candidates: it measures the ordering, which such a query does not test."""
    order = np.argsort(-scores, kind="stable")
    rel = truth[order]
    hits = np.flatnonzero(rel)
    out = {f"hits@{kk}": float(len(hits) > 0 and hits[0] < kk) for kk in KS}
    if len(hits) == 0:
        return {**out, "mrr": 0.0, f"ndcg@{k}": 0.0, "auc": float("nan")}
    gains = rel[:k] / np.log2(np.arange(2, min(k, len(rel)) + 2))
    ideal = (1.0 / np.log2(np.arange(2, min(k, int(rel.sum())) + 2))).sum()
    pos, neg = scores[truth], scores[~truth]
    auc = 1.0 if len(neg) == 0 else float(
        ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg)))
    return {**out, "mrr": 1.0 / (hits[0] + 1), f"ndcg@{k}": float(gains.sum() / ideal), "auc": auc}


def _by_position(order: np.ndarray) -> np.ndarray:
    """Scores that sort as `order` does (the first row highest)."""
    scores = np.empty(len(order))
    scores[order] = -np.arange(len(order), dtype=np.float64)
    return scores


def _mean(values: list[float]) -> float:
    """Mean over the queries that define the metric (AUC: those with a true partner among candidates)."""
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else 0.0


TIE_DRAWS = 5  # a baseline's ties (many candidates share a 0) are broken at random this many times


def _mean_over_ties(scores: np.ndarray, truth: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """A baseline's metrics averaged over random tie-breaks: one draw would make the best of a dozen
    baselines look better than it is by luck."""
    draws = [_rank_metrics(scores + 1e-9 * rng.random(len(scores)), truth) for _ in range(TIE_DRAWS)]
    return {k: float(np.mean([d[k] for d in draws])) for k in draws[0]}


# Each single feature ranks on its own; text_rank repeats text_words (as a rank) so it is left out.
BASELINES = {"popularity": "log_popularity", "text only": "text",
             **{f: f for f in FEATURES if f not in ("log_popularity", "text", "text_rank")}}


def evaluate(p: Projection, store: GraphReader, test_start: int, train_start: int,
             text: Text | None = None, seed: int = 0) -> dict:
    """Hits@K, MRR, NDCG@10 and AUC on the deals from `test_start` on, for the model, a random order,
    and every single feature as a baseline (popularity, text only, past partner, ...)."""
    started = time.perf_counter()
    model = train(p, store, range(train_start, test_start), text, seed)
    fit_seconds = time.perf_counter() - started
    h = History(p, test_start)
    cases = deal_cases(p, store, range(test_start, 10_000))
    rng = np.random.default_rng(seed)
    names = ["model", "random", *BASELINES]
    per: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    covered = 0
    for case in cases:
        cands = candidates(h, case.query, text)
        truth = np.isin(cands, list(case.truth))
        covered += bool(truth.any())
        x = features(h, case.query, cands, text)
        order, _ = model.rank(x)
        per["model"].append(_rank_metrics(_by_position(order), truth))
        per["random"].append(_mean_over_ties(np.zeros(len(cands)), truth, rng))
        for name, column in BASELINES.items():
            per[name].append(_mean_over_ties(x[:, FEATURES.index(column)], truth, rng))
    methods = {n: {m: _mean([r[m] for r in rows]) for m in rows[0]} if rows else {} for n, rows in per.items()}
    best = max((n for n in BASELINES), key=lambda n: methods[n].get("hits@10", 0.0)) if cases else None
    return {"test_cases": len(cases), "candidate_recall": covered / max(len(cases), 1), "fit_seconds": fit_seconds,
            "train_years": [train_start, test_start - 1], "test_from": test_start, "best_baseline": best,
            "methods": methods}
