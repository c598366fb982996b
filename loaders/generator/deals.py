"""Time-stamped deals whose formation follows the graph, so link prediction has real signal.

Deals are drawn in date order. An enterprise (chosen by activity) looks at researchers it finds the
way a platform user would: a page of experts found by the need's words, a few experts of the field it
happens to know, its past partners and their co-authors. It signs with the one that scores best on
field overlap, text fit with the need, same city or circle, co-authors of its past partners, its past
partners, and popularity; Gumbel noise makes the choice a softmax draw. Later deals thus depend on
earlier ones (a temporal split is meaningful).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from loaders.generator.actors import Actors
from loaders.generator.posts import SPAN_DAYS
from loaders.generator.world import Regions

DEAL_KINDS = ("development", "transfer", "licensing", "consulting", "joint_lab", "framework")
_DEAL_KIND_W = np.array([0.40, 0.18, 0.10, 0.20, 0.04, 0.08])
KNOWN_PER_FIELD = 20  # experts of a field an enterprise knows of without searching
SEARCH_PAGE = 100  # experts found by searching the need's words
WEIGHTS = {"field": 2.5, "text": 1.2, "city": 1.0, "circle": 0.6, "coauthor": 1.5, "partner": 2.0, "popular": 0.4}


class _Index:
    """Lookups the deal loop needs: field members, researchers by keyword, co-authors, circles of a city."""

    def __init__(self, regions: Regions, a: Actors, keywords: list[tuple[str, ...]],
                 coauthors: tuple[np.ndarray, np.ndarray]):
        members: dict[int, list[int]] = defaultdict(list)
        for r, fs in enumerate(a.res_fields):
            for f in fs:
                members[f].append(r)
        self.members = {f: np.asarray(v) for f, v in members.items()}
        self.term = {t: j for j, t in enumerate(sorted({t for ks in keywords for t in ks}))}
        rows = np.repeat(np.arange(len(keywords)), [len(ks) for ks in keywords])
        cols = np.fromiter((self.term[t] for ks in keywords for t in ks), dtype=np.int64, count=len(rows))
        self.kw = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(keywords), len(self.term)))
        self.by_term = self.kw.T.tocsr()  # term -> researchers with that keyword
        u, v = coauthors
        order = np.argsort(np.concatenate([u, v]), kind="stable")
        self.co_nbr = np.concatenate([v, u])[order]
        self.co_ptr = np.searchsorted(np.concatenate([u, v])[order], np.arange(len(a.res_inst) + 1))
        city_of = np.asarray(regions.city_of)
        self.res_city = city_of[a.res_region]
        self.ent_city = city_of[a.ent_region]
        circles: dict[int, set[int]] = defaultdict(set)
        for region, circle in regions.members:
            circles[region].add(circle)
        self.circles = circles

    def wanted(self, terms: tuple[str, ...]) -> np.ndarray:
        out = np.zeros(len(self.term))
        out[[self.term[t] for t in terms if t in self.term]] = 1.0
        return out

    def coauthors(self, r: int) -> np.ndarray:
        return self.co_nbr[self.co_ptr[r]:self.co_ptr[r + 1]]


def _candidates(rng: np.random.Generator, idx: _Index, target: list[int], terms: tuple[str, ...],
                partners: list[int]) -> np.ndarray:
    parts = [rng.choice(idx.members[f], size=min(KNOWN_PER_FIELD, len(idx.members[f])), replace=False)
             for f in target if f in idx.members]
    found = np.unique(np.concatenate([idx.by_term[idx.term[t]].indices for t in terms if t in idx.term] or [[]]))
    if len(found):  # the search's first page: most words shared first, ties in random order
        shared = idx.kw[found.astype(np.int64)] @ idx.wanted(terms)
        page = np.lexsort((rng.random(len(found)), -shared))[:SEARCH_PAGE]
        parts.append(found[page].astype(np.int64))
    for p in partners[-5:]:
        parts.append(np.asarray([p]))
        parts.append(idx.coauthors(p)[:40])
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def _score(idx: _Index, a: Actors, cand: np.ndarray, ent: int, target: list[int], terms: tuple[str, ...],
           partners: list[int], deal_count: np.ndarray) -> np.ndarray:
    tset = set(target)
    field = np.array([len(tset.intersection(a.res_fields[r])) / len(tset) for r in cand])
    text = idx.kw[cand] @ idx.wanted(terms)
    city = (idx.res_city[cand] == idx.ent_city[ent]).astype(float)
    ent_circles = idx.circles.get(int(idx.ent_city[ent]), set())
    circle = np.array([bool(ent_circles & idx.circles.get(int(c), set())) for c in idx.res_city[cand]], dtype=float)
    near = set(int(x) for p in partners for x in idx.coauthors(p))
    coauthor = np.array([r in near for r in cand], dtype=float)
    partner = np.isin(cand, partners).astype(float)
    popular = np.log1p(deal_count[cand])
    w = WEIGHTS
    return (w["field"] * field + w["text"] * text + w["city"] * city + w["circle"] * circle
            + w["coauthor"] * coauthor + w["partner"] * partner + w["popular"] * popular)


def build_deals(rng: np.random.Generator, regions: Regions, a: Actors, needs: dict,
                keywords: list[tuple[str, ...]], coauthors: tuple[np.ndarray, np.ndarray], n: int) -> dict:
    idx = _Index(regions, a, keywords, coauthors)
    days = np.sort(rng.integers(60, SPAN_DAYS, size=n))
    w = a.ent_activity / a.ent_activity.sum()
    clients = rng.choice(len(w), size=n, p=w)
    needs_of: dict[int, list[int]] = defaultdict(list)
    for i in np.argsort(needs["day"], kind="stable"):
        needs_of[int(needs["ent"][i])].append(int(i))
    partners: dict[int, list[int]] = defaultdict(list)
    deal_count = np.zeros(len(a.res_inst))
    used_needs: set[int] = set()
    out: dict = {"day": days, "parties": [], "need": [], "kind": [], "amount": None}
    for d in range(n):
        ent = int(clients[d])
        open_needs = [i for i in needs_of[ent] if needs["day"][i] < days[d] and i not in used_needs]
        need = open_needs[-1] if open_needs and rng.random() < 0.8 else -1
        target = needs["fields"][need] if need >= 0 else a.ent_fields[ent]
        terms = needs["terms"][need] if need >= 0 else ()
        cand = _candidates(rng, idx, target, terms, partners[ent])
        if len(cand) == 0:
            cand = rng.integers(0, len(a.res_inst), size=20)
        s = _score(idx, a, cand, ent, target, terms, partners[ent], deal_count)
        provider = int(cand[np.argmax(s + rng.gumbel(size=len(s)))])
        parties = [("E", ent, "client"), ("R", provider, "provider")]
        if rng.random() < 0.5:
            parties.append(("I", int(a.res_inst[provider]), "provider"))
        co = idx.coauthors(provider)
        if len(co) and rng.random() < 0.25:
            parties.append(("R", int(co[rng.integers(len(co))]), "partner"))
        out["parties"].append(parties)
        out["need"].append(need)
        if need >= 0:
            used_needs.add(need)
        partners[ent].append(provider)
        deal_count[provider] += 1
    out["kind"] = [DEAL_KINDS[i] for i in rng.choice(len(DEAL_KINDS), size=n, p=_DEAL_KIND_W)]
    out["amount"] = np.round(rng.lognormal(np.log(60), 1.0, size=n), 1)
    return out
