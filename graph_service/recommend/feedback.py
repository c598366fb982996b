"""Feedback on suggested partners, as training material for the partner model.

An enterprise (or staff on its behalf) accepts or declines each partner suggested for a need, with a
reason, and a researcher may decline an introduction (cases/partners.py keeps both in the case's
`detail`). `read_answers` reads them from the case store as of a cutoff time: a model evaluated after the
cutoff learns only from what was known before it. `Feedback` turns the answers into labelled queries for
`partner_eval.train`, per need and year, so that each is seen with the deal history before its year, as
a deal is:

- an accepted partner is an extra positive beside the deals' parties (random candidates as negatives,
  as for a deal);
- a partner declined for a reason in `Use.negatives` is a labelled negative. Reasons that do not say the
  partner was unfit are not: "already_in_contact" declines the partner's co-authors whom the market's deals
  favour, "too_expensive" its sought-after researchers, and a researcher who declines has no time, not no fit.

`Signals` are feature columns learnt from the answers (an enterprise that declines for distance, the
partners it declined or accepted before); the serving side computes them from the answers as they stand
(answer_book.py). `train_with_feedback` is what `techmatch train` runs: the declines as negatives and the
signals as columns when a validation year carved from the training years ranks at least as well with them,
else the model as before (figures below).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from graph_service.projection import Projection
from graph_service.recommend.partner_eval import Case, _by_position, _mean, _rank_metrics, collect, deal_cases, train
from graph_service.recommend.partners import (
    FEATURES,
    SIGNALS,
    History,
    PartnerModel,
    Query,
    Text,
    candidates,
    features,
    row,
)
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphReader
from graph_service.stores.cases import CaseRecord, CaseStore

__all__ = ["NEGATIVE_REASONS", "RESEARCHER_DECLINED", "SIGNALS", "Answer", "Feedback", "Group", "Signals", "Use",
           "answers_of", "before_year", "read_answers", "read_cases"]

RESEARCHER_DECLINED = "researcher_declined"  # the reason of a researcher's own "no" to an introduction
NEGATIVE_REASONS = frozenset({"not_relevant", "too_far"})  # declines that say the partner did not fit
PAGE = 500  # cases read per call of list_cases


@dataclass(frozen=True)
class Answer:
    """One verdict on one suggested partner for one need, when it was given."""

    need: str
    enterprise: str
    researcher: str
    verdict: str  # accept | decline
    reason: str | None  # a DECLINE_REASONS key, RESEARCHER_DECLINED, or None for an accept
    at: str  # ISO time


def read_cases(store: CaseStore) -> list[CaseRecord]:
    """Every case, by id, a page at a time."""
    out: list[CaseRecord] = []
    while True:
        page = store.list_cases(limit=PAGE, after=out[-1].id if out else "")
        out += page
        if len(page) < PAGE:
            return out


def answers_of(case: CaseRecord, before: str | None = None) -> list[Answer]:
    """The case's answers given before `before` (an ISO date or time; None: all), oldest first."""
    out = []
    for rid, a in case.detail.get("feedback", {}).items():
        verdict, at = a.get("verdict"), str(a.get("at") or "")
        if verdict in ("accept", "decline") and at and (before is None or at < before):
            out.append(Answer(case.need, case.enterprise, rid, verdict, a.get("reason") if verdict == "decline"
                              else None, at))
    for rid, a in case.detail.get("introductions", {}).items():
        at = str(a.get("at") or "")
        if a.get("answer") == "decline" and at and (before is None or at < before):
            out.append(Answer(case.need, case.enterprise, rid, "decline", RESEARCHER_DECLINED, at))
    return sorted(out, key=lambda x: (x.at, x.researcher))


def read_answers(store: CaseStore, before: str | None = None) -> list[Answer]:
    """Every answer in the case store given before `before` (None: all)."""
    return [a for case in read_cases(store) for a in answers_of(case, before)]


def before_year(year: int) -> str:
    """The cutoff of a history that holds deals before `year`: answers before 1 January of it."""
    return f"{year:04d}-01-01"


@dataclass(frozen=True)
class Use:
    """How feedback enters training."""

    positives: bool = True  # accepted partners as extra positives
    negatives: frozenset[str] = NEGATIVE_REASONS  # declines with these reasons as labelled negatives
    signals: tuple[str, ...] = ()  # feature columns of SIGNALS to add (measured in bench/feedback_eval.py)
    name: str = "accepts + declines"


@dataclass
class Group:
    """The answers on one need given in one year: a labelled query."""

    need: str
    query: Query
    year: int
    accepted: np.ndarray  # researcher indices, positives
    declined: np.ndarray  # researcher indices, labelled negatives


@dataclass
class Feedback:
    """Answers known before a cutoff, ready for training: their needs' queries, grouped by need and year."""

    p: Projection
    answers: list[Answer]
    use: Use = field(default_factory=Use)
    queries: dict[str, Query] = field(default_factory=dict)

    @classmethod
    def of(cls, p: Projection, store: GraphReader, answers: Iterable[Answer], use: Use = Use()) -> Feedback:
        """The answers whose need, enterprise and researcher the projection holds, with each need's query."""
        answers = [a for a in answers if _known(p, a)]
        needs = sorted({a.need for a in answers})
        nodes = store.get_nodes(needs)
        about = p.out[RelType.ABOUT]
        firm = {a.need: a.enterprise for a in answers}
        queries = {}
        for need in needs:
            node = nodes.get(need)
            text = str(node.props.get("text", "")) if node else ""
            queries[need] = Query(p.index[firm[need]], row(about, p.index[need]).astype(np.int64), text)
        return cls(p, answers, use, queries)

    def __len__(self) -> int:
        return len(self.answers)

    def groups(self, years: range) -> dict[int, list[Group]]:
        """Labelled queries by the year whose history they are seen with: the year of the answer, answers after
        the last year with the last year's history. Answers before `years` are left out, as older deals are;
        an accept of a partner who signed a deal of `years` for that need is left out too (the deal is a
        positive already)."""
        by: dict[tuple[str, int], tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
        dropped: set[tuple[str, str]] = {(a.need, a.researcher) for a in self.answers
                                         if a.reason == RESEARCHER_DECLINED}
        for a in self.answers:
            year = min(int(a.at[:4]), years.stop - 1)
            if year < years.start:
                continue
            accepted, declined = by[(a.need, year)]
            r = self.p.index[a.researcher]
            if a.verdict == "accept" and self.use.positives and (a.need, a.researcher) not in dropped:
                accepted.add(r)
            elif a.verdict == "decline" and a.reason in self.use.negatives:
                declined.add(r)
        out: dict[int, list[Group]] = defaultdict(list)
        for (need, year), (accepted, declined) in sorted(by.items()):
            accepted -= _signed(self.p, self.p.index[need], years)
            if accepted or declined:
                out[year].append(Group(need, self.queries[need], year, np.array(sorted(accepted), dtype=np.int64),
                                       np.array(sorted(declined - accepted), dtype=np.int64)))
        return out

    def signals(self, year: int) -> Signals:
        """The feature columns from the answers given before `year`."""
        return Signals(self.p, [a for a in self.answers if a.at < before_year(year)], self.use.signals)


def _known(p: Projection, a: Answer) -> bool:
    ids = (a.need, a.enterprise, a.researcher)
    labels = (Label.NEED, Label.ENTERPRISE, Label.RESEARCHER)
    found = [p.index.get(i, -1) for i in ids]
    return all(0 <= i < p.base_nodes and p.label_of(i) == label for i, label in zip(found, labels))


def _signed(p: Projection, need: int, years: range) -> set[int]:
    """Researchers party to a deal of `years` that fulfils the need."""
    year = p.attrs["year"]
    deals = [d for d in row(p.inc[RelType.FULFILS], need).tolist() if year[d] in years]
    return {x for d in deals for x in row(p.inc[RelType.PARTY_TO], d).tolist() if p.label_of(x) == Label.RESEARCHER}


_COL = {name: FEATURES.index(name) for name in ("same_city", "same_circle", "log_popularity", "coauthor_of_partner",
                                                "past_partner", "field_overlap")}
_REASON = {"fb_far": "too_far", "fb_dear": "too_expensive", "fb_contact": "already_in_contact",
           "fb_irrelevant": "not_relevant"}


class Signals:
    """What an enterprise's answers on its other needs say of a candidate, as pair features: how often it
    declined (`fb_declined`) or accepted (`fb_accepted`) this researcher, and, for each reason it gave, the log
    of how often times the candidate's trait the reason is about: far away (no shared city or circle), sought
    after (deals signed), tied to its past partners, outside the wanted fields. The need asked about is left
    out: its own answers are the labels of a feedback row, and at query time its declines are excluded and
    its accepts are the shortlist already. The answers are kept by enterprise id, so that the serving side
    (answer_book.py) replaces one enterprise's at a time and sees them from any projection."""

    def __init__(self, p: Projection, answers: Iterable[Answer], names: tuple[str, ...] = SIGNALS) -> None:
        self.p, self.names = p, names
        self.by: dict[str, list[Answer]] = defaultdict(list)
        for a in answers:
            self.by[a.enterprise].append(a)

    def seen_from(self, p: Projection, names: tuple[str, ...]) -> Signals:
        """The same answers, for another projection or other columns."""
        other = Signals(p, (), names)
        other.by = self.by
        return other

    def columns(self, x: np.ndarray, q: Query, cands: np.ndarray, need: str | None = None) -> np.ndarray:
        """The columns `names` for the candidates whose FEATURES rows are `x`, from answers on needs other
        than `need`."""
        p = self.p
        mine = [(p.index[a.researcher], a.verdict, a.reason) for a in self.by.get(p.ids[q.enterprise], ())
                if a.need != need and _known(p, a)]
        c = {name: np.log1p(sum(t[2] == reason for t in mine)) for name, reason in _REASON.items()}
        far = (x[:, _COL["same_city"]] == 0) & (x[:, _COL["same_circle"]] == 0)
        tied = (x[:, _COL["coauthor_of_partner"]] > 0) | (x[:, _COL["past_partner"]] > 0)
        every = {"fb_declined": lambda: _times([t[0] for t in mine if t[1] == "decline"], cands),
                 "fb_accepted": lambda: _times([t[0] for t in mine if t[1] == "accept"], cands),
                 "fb_far": lambda: c["fb_far"] * far, "fb_dear": lambda: c["fb_dear"] * x[:, _COL["log_popularity"]],
                 "fb_contact": lambda: c["fb_contact"] * tied,
                 "fb_irrelevant": lambda: c["fb_irrelevant"] * (1 - x[:, _COL["field_overlap"]])}
        return np.column_stack([every[name]() for name in self.names]).astype(np.float64).reshape(len(cands), -1)


def _times(researchers: list[int], cands: np.ndarray) -> np.ndarray:
    """How often each candidate occurs in `researchers`."""
    if not researchers:
        return np.zeros(len(cands))
    ids, n = np.unique(np.array(researchers, dtype=np.int64), return_counts=True)
    at = np.clip(np.searchsorted(ids, cands), 0, len(ids) - 1)
    return np.where(ids[at] == cands, n[at], 0).astype(np.float64)


# --- measured: the temporal split, and the choice the product makes -------------------------------------
MIN_VALIDATION = 20  # deals of the validation year below which it cannot tell two models apart
UNVALIDATED = False  # with too little to validate on, the model as before: no use of feedback beat it clearly
# What `techmatch train` may learn from, measured by bench/feedback_eval.py (city tier, 487 signed cases of
# 2024-2026, seeds 0-2, Hits@10 with the declined partners left out, as served): without feedback 0.246 /
# 0.232 / 0.244; declines as negatives 0.261 / 0.226 / 0.253, within the noise; declines + SIGNALS 0.255 /
# 0.257 / 0.255, above without in every seed, so the product learns from both (a validation year decides,
# and chose them in every seed). Accepts as positives cost 0.07: an accept is not a deal, and the busy and
# the expensive, whom deals favour, are declined. The columns are served from the cases' answers as they
# stand (answer_book.py).
PRODUCT = Use(positives=False, signals=SIGNALS, name="declines + signals")


def evaluate_feedback(p: Projection, store: GraphReader, test_start: int, train_start: int, text: Text | None,
                      cases: list[CaseRecord], uses: dict[str, Use], seed: int = 0, product: Use | None = None
                      ) -> dict:
    """Hits@K and MRR on the later cases: the deals from `test_start` on that fulfil a need with a case,
    their researchers the truth. Methods: the model trained without feedback ("without"), with each use of
    the answers given before `test_start` (the names of `uses`), what `train_with_feedback` makes of them
    with `product` ("product", its choice under "choice"), and each of them "+ exclusion": the case's
    partners declined before its deal left out at query time, as the product does."""
    years, cutoff = range(train_start, test_start), before_year(test_start)
    answers = [a for c in cases for a in answers_of(c)]
    known = [a for a in answers if a.at < cutoff]
    with_case = {c.need for c in cases}
    queries = [c for c in deal_cases(p, store, range(test_start, 10_000)) if c.need in with_case]
    started, models, meta = time.perf_counter(), {}, {}
    for name, use in uses.items():
        rows = collect(p, store, years, text, seed, Feedback.of(p, store, known, use))
        if "without" not in models and not use.signals:  # the deals' rows are the plain model's
            models["without"] = rows.fit(seed, with_feedback=False)
        models[name] = rows.fit(seed)
        meta[name] = models[name].meta.get("feedback", {})
    if "without" not in models:
        models = {"without": train(p, store, years, text, seed), **models}
    if product is not None:
        models["product"] = train_with_feedback(p, store, years, text, seed, known, product)
        meta["product"] = models["product"].meta.get("feedback_choice", {})
    fit_seconds = time.perf_counter() - started
    signals = Signals(p, known) if any(u.signals for u in uses.values()) else None
    report = compare(p, store, models, History(p, test_start), queries, text, answers, signals, cutoff)
    return {**report, "train_years": [train_start, test_start - 1], "test_from": test_start,
            "answers": len(answers), "answers_before_test": len(known), "fit_seconds": round(fit_seconds, 1),
            "uses": meta}


def compare(p: Projection, store: GraphReader, models: dict[str, PartnerModel], h: History, queries: list[Case],
            text: Text | None, answers: list[Answer], signals: Signals | None = None, before: str = "") -> dict:
    """Each model's metrics on `queries`, alone and "+ exclusion" (the partners declined for the query's need
    before its deal never shown), and how often its top 10 shows one of those partners; `methods_cold`, the
    same on the queries none of whose researchers the enterprise accepted before `before` (the answers the
    models knew), where an earlier accept cannot tell the answer."""
    dates = store.get_nodes([c.deal for c in queries])
    names = [*FEATURES, *(signals.names if signals is not None else ())]
    declines: dict[str, list[Answer]] = defaultdict(list)
    accepted: dict[str, set[int]] = defaultdict(set)
    for a in answers:
        if a.verdict == "decline" and a.researcher in p.index:
            declines[a.need].append(a)
        elif a.verdict == "accept" and a.at < before and a.researcher in p.index:
            accepted[a.enterprise].add(p.index[a.researcher])
    warm: list[bool] = []
    per: dict[str, list[dict[str, float]]] = defaultdict(list)
    shown: dict[str, int] = defaultdict(int)
    with_declines = conflicts = 0
    for case in queries:
        node = dates.get(case.deal)
        date = str(node.props.get("date")) if node else ""
        out_ids = [p.index[a.researcher] for a in declines.get(case.need or "", []) if a.at < date]
        cands = candidates(h, case.query, text)
        truth, out = np.isin(cands, list(case.truth)), np.isin(cands, out_ids)
        with_declines += bool(out_ids)
        warm.append(bool(case.truth & accepted.get(p.ids[case.query.enterprise], set())))
        conflicts += bool((truth & out).any())
        x = features(h, case.query, cands, text)
        wide = np.hstack([x, signals.columns(x, case.query, cands, case.need)]) if signals is not None else x
        kept = np.flatnonzero(~out)
        for name, model in models.items():
            rows = wide[:, [names.index(f) for f in model.meta["features"]]]
            order, _ = model.rank(rows)
            per[name].append(_rank_metrics(_by_position(order), truth))
            shown[name] += bool(out[order[:10]].any())
            order, _ = model.rank(rows[kept])
            assert not out[kept[order[:10]]].any(), "a declined partner in the top 10 for its need"
            per[f"{name} + exclusion"].append(_rank_metrics(_by_position(order), truth[kept]))
    return {"test_cases": len(queries), "with_declines": with_declines, "declined_truth": conflicts,
            "declined_shown": {n: shown[n] / max(len(queries), 1) for n in models}, "methods": _means(per),
            "cold_cases": warm.count(False), "methods_cold": _means({n: [r for r, w in zip(rows, warm) if not w]
                                                                    for n, rows in per.items()})}


def _means(per: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {n: {m: _mean([r[m] for r in rows]) for m in rows[0]} for n, rows in per.items() if rows}


def choose(p: Projection, store: GraphReader, years: range, text: Text | None, seed: int, answers: list[Answer],
           use: Use) -> dict:
    """Whether to learn from feedback, decided on a validation split carved from the training years: fit with
    and without on all but the last year (answers before it), compare Hits@10 then MRR, each with the
    declined partners left out, on the last year's deals that fulfil a need. Ties go to feedback."""
    val = years.stop - 1
    known = [a for a in answers if a.at < before_year(val)]
    queries = [c for c in deal_cases(p, store, range(val, val + 1)) if c.need is not None] if len(years) > 1 else []
    if len(queries) < MIN_VALIDATION or not known:
        return {"feedback": UNVALIDATED, "validated": False, "validation_cases": len(queries),
                "answers_before_validation": len(known)}
    rows = collect(p, store, range(years.start, val), text, seed, Feedback.of(p, store, known, use))
    models = {"without": rows.fit(seed, with_feedback=False), "with": rows.fit(seed)}
    signals = Signals(p, known, use.signals) if use.signals else None
    m = compare(p, store, models, History(p, val), queries, text, answers, signals)["methods"]
    score = {k: (m[f"{k} + exclusion"]["hits@10"], m[f"{k} + exclusion"]["mrr"]) for k in models}
    return {"feedback": score["with"] >= score["without"], "validated": True, "validation_year": val,
            "validation_cases": len(queries), "answers_before_validation": len(known),
            **{metric: {k: round(v[i], 4) for k, v in score.items()} for i, metric in enumerate(("hits@10", "mrr"))}}


def train_with_feedback(p: Projection, store: GraphReader, years: range, text: Text | None, seed: int = 0,
                        answers: list[Answer] | None = None, use: Use = PRODUCT) -> PartnerModel:
    """The partner model of `partner_eval.train`, learning from the answers too when a validation split of the
    training years says it ranks at least as well (`choose`); with no answers, exactly the model without."""
    if not answers:
        return train(p, store, years, text, seed)
    fb = Feedback.of(p, store, answers, use)
    choice = choose(p, store, years, text, seed, fb.answers, use)
    model = collect(p, store, years, text, seed, fb).fit(seed, with_feedback=choice["feedback"])
    model.meta["feedback_choice"] = choice
    return model
