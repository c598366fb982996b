"""The partners side of a grown case: a shortlist of plausible experts for the need, the enterprise's verdict
on each and the researchers' answers to introductions.

Verdicts follow hidden preferences that a model can learn from the graph: an enterprise averse to distance
declines, every time, a researcher in another city with no circle in common ("too_far"); anyone who
co-authored with (or is) one of the enterprise's past deal partners is "already_in_contact"; weak overlap
with the need's fields is "not_relevant"; senior titles against a small budget are "too_expensive"; the
busiest researchers have "no_capacity". A deal's own researchers are always accepted, and agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph_service.projection import LABELS
from graph_service.schema import Label
from loaders.generator.case_market import SENIOR_TITLES, Market, NeedInfo

__all__ = ["Pick", "averse_to_distance", "shortlist", "verdicts"]

POOL = 12  # the plausible experts a shortlist is drawn from
FAR_AVERSE = 0.4  # share of enterprises that decline distant researchers
SMALL_BUDGET = 50.0  # 万元: below it, senior researchers are often too expensive
BUSY_DEALS = 3  # deals that make a researcher often too busy
ACCEPT_NOTES = ("", "企业希望尽快安排对接", "企业对其成果转化经历感兴趣", "研究方向与需求高度契合")
DECLINE_NOTES = {
    "not_relevant": "研究方向与需求匹配度不高", "already_in_contact": "企业与该专家团队已有往来",
    "too_far": "企业希望合作方在本地，便于现场对接", "too_expensive": "专家团队报价超出企业预算",
    "no_capacity": "专家近期项目已满，无暇承接", "other": "企业倾向于与有中试条件的团队合作",
}
REFUSALS = ("近期项目繁忙，暂无精力", "研究方向已调整", "已与其他企业开展类似合作", "合作方式不符合所在单位规定")


@dataclass
class Pick:
    researcher: int
    score: float | None  # None: added by staff, not drawn from the suggestions
    reasons: list[str]  # explanation path kinds of the recommender that hold for this pair
    words: list[str]
    overlap: float  # EXPERT_IN weight on the need's fields, per field
    verdict: str = "accept"
    reason: str | None = None
    note: str = ""


def averse_to_distance(market: Market, rng: np.random.Generator) -> set[int]:
    """The enterprises that decline distant researchers: a fixed share, less those that signed with one."""
    firms = sorted({n.enterprise for n in market.needs})
    drawn = rng.random(len(firms)) < FAR_AVERSE
    return {e for e, d in zip(firms, drawn) if d and all(
        market.near(int(market.city[e]), int(market.city[r])) for _, rs in market.deals_of.get(e, ()) for r in rs)}


def _candidates(market: Market, need: NeedInfo) -> tuple[np.ndarray, ...]:
    """(experts in one of the need's fields, their EXPERT_IN weight on its fields per field, their city, their
    track record's share of the score), remembered per set of fields (needs share them)."""
    key = tuple(need.fields)
    found = market.memo.get(key)
    if found is None:
        parts = [market.experts[f] for f in need.fields if f in market.experts]
        if parts:
            ids, inverse = np.unique(np.concatenate([x for x, _ in parts]), return_inverse=True)
            overlap = np.bincount(inverse, weights=np.concatenate([y for _, y in parts])) / len(need.fields)
        else:
            ids, overlap = np.empty(0, dtype=np.int64), np.empty(0)
        if len(market.memo) > 2000:
            market.memo.clear()
        found = market.memo[key] = (ids, overlap, market.city[ids], 0.25 * np.log1p(market.deal_count[ids]))
    return found


def _near(market: Market, city: int) -> np.ndarray:
    """Per node index (and -1): True for the cities `city` does not count as far."""
    found = market.memo.get(("near", city))
    if found is None:
        found = np.zeros(len(market.p.ids) + 1, dtype=bool)
        found[[c for c in market.province if market.near(city, c)]] = True
        market.memo[("near", city)] = found
    return found


def shortlist(market: Market, rng: np.random.Generator, need: NeedInfo, partners: list[int],
              contacts: tuple[set[int], set[int]]) -> list[Pick]:
    """3-8 experts, the deal's researchers first (added by staff when the draw missed them), then the most
    plausible (fields, place, track record, chance); now and then a staff pick from a neighbouring field."""
    ids, overlap, cities, record = _candidates(market, need)
    city = int(market.city[need.enterprise])
    top: list[int] = []
    scores: dict[int, float] = {}
    if len(ids):
        score = overlap + 0.6 * (cities == city) + 0.3 * _near(market, city)[cities] + record
        score += 0.35 * rng.gumbel(size=len(ids))
        best = np.argpartition(-score, POOL)[:POOL] if len(ids) > POOL else np.arange(len(ids))
        best = best[np.lexsort((best, -score[best]))]
        top = [int(ids[k]) for k in best]
        scale = float(score[best[0]]) or 1.0
        scores = {int(ids[k]): round(max(float(score[k]) / scale, 0.0), 6) for k in best}
    size = max(int(rng.integers(3, 9)), len(partners))
    chosen = list(dict.fromkeys([*partners, *top]))[:size]
    if len(chosen) > len(partners) and rng.random() < 0.3:
        weak = _neighbour(market, rng, need, city)
        if weak is not None and weak not in chosen:
            chosen[-1] = weak
    for _ in range(10):  # a need whose fields have few experts: staff look next door
        if len(chosen) >= 3:
            break
        weak = _neighbour(market, rng, need, city)
        if weak is not None and weak not in chosen:
            chosen.append(weak)
    at = np.searchsorted(ids, chosen)
    known = {r: float(overlap[k]) for r, k in zip(chosen, at.tolist()) if k < len(ids) and ids[k] == r}
    past, near_past = contacts
    text = f"{need.name} {need.text}"
    picks = []
    for r in chosen:
        c = int(market.city[r])
        reasons = [kind for kind, holds in (
            ("past_deal", r in past), ("partner_coauthor", r in near_past), ("shared_field", known.get(r, 0) > 0),
            ("same_city", c == city), ("same_circle", c != city and market.near(city, c))) if holds]
        picks.append(Pick(r, scores.get(r), reasons,
                          [w for w in market.keywords.get(r, ()) if w and w in text], known.get(r, 0.0)))
    return picks


def _neighbour(market: Market, rng: np.random.Generator, need: NeedInfo, city: int) -> int | None:
    """An expert of a sibling field (same level-1 field) and of none of the need's, from the city if possible;
    any researcher when the whole level-1 field has no expert."""
    tops = {market.top_field.get(f, f) for f in need.fields}
    siblings = sorted(f for f, t in market.top_field.items() if t in tops and f not in need.fields
                      and f in market.experts and len(market.experts[f][0]))
    if siblings:
        pool = market.experts[siblings[int(rng.integers(len(siblings)))]][0]
    else:
        pool = market.memo.get("researchers")
        if pool is None:
            pool = market.memo["researchers"] = np.flatnonzero(market.p.labels == LABELS.index(Label.RESEARCHER))
    local = pool[market.city[pool] == city]
    pool = local if len(local) else pool
    experts = _candidates(market, need)[0]
    for r in rng.choice(pool, size=min(len(pool), 20), replace=False).tolist():
        k = int(np.searchsorted(experts, r))
        if k == len(experts) or experts[k] != r:
            return int(r)
    return None


def verdicts(market: Market, rng: np.random.Generator, need: NeedInfo, picks: list[Pick], partners: list[int],
             averse: set[int], contacts: tuple[set[int], set[int]]) -> None:
    """The enterprise's verdict on each pick, by its hidden preferences (first rule that fires)."""
    past, coauthors = contacts
    city = int(market.city[need.enterprise])
    for pick in picks:
        r = pick.researcher
        far = not market.near(city, int(market.city[r]))
        senior = market.titles.get(r, "") in SENIOR_TITLES and need.budget is not None and need.budget < SMALL_BUDGET
        rules = (("already_in_contact", r in past or r in coauthors, 0.85),
                 ("too_far", far and need.enterprise in averse, 1.0),
                 ("not_relevant", pick.overlap < 0.4, 0.85), ("too_expensive", senior, 0.75),
                 ("no_capacity", market.deal_count[r] >= BUSY_DEALS, 0.35))
        reason = None
        if r not in partners:
            reason = next((name for name, holds, chance in rules if holds and rng.random() < chance), None)
            if reason is None and rng.random() < 0.12:
                reason = "other" if rng.random() < 0.4 else "not_relevant"
        pick.verdict, pick.reason = ("accept", None) if reason is None else ("decline", reason)
        pick.note = DECLINE_NOTES[reason] if reason else ACCEPT_NOTES[int(rng.integers(len(ACCEPT_NOTES)))]
