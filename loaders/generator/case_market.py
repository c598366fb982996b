"""The market as a grown case history reads it: needs with their enterprise, fields and deal; where every
actor is (its city) and which cities share a circle; who is expert in what; who signed with whom, when.

Everything comes from the in-memory projection (arrays, fast on both stores) plus one bulk scan per label
for the properties it does not keep (a need's posted date and text, a deal's date, a researcher's title).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from graph_service.projection import LABELS, Projection, build_projection
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore

__all__ = ["SENIOR_TITLES", "Market", "NeedInfo", "read_market"]

SENIOR_TITLES = frozenset({"教授", "研究员", "正高级工程师"})  # the ones an enterprise may find too expensive
_CLIMB = 8  # levels of a region or field hierarchy, with room to spare


@dataclass
class NeedInfo:
    idx: int  # projection index
    id: str
    enterprise: int  # projection index of the posting enterprise
    posted: date
    fields: list[int]
    name: str = ""
    text: str = ""
    budget: float | None = None
    status: str = "open"
    deals: list[int] = field(default_factory=list)  # projection indices of the deals that fulfil it
    signed_on: date | None = None  # the earliest of their dates


@dataclass
class Market:
    p: Projection
    needs: list[NeedInfo]  # every need with a posting enterprise, by posted date then id
    city: np.ndarray  # per node: the city (level-2 region) it lies in, -1 when none
    province: dict[int, int]  # city -> its province (itself when it has none)
    shares_circle: set[tuple[int, int]]  # pairs of cities with a circle in common
    regions_up: dict[int, frozenset[str]]  # enterprise -> ids of its regions and every one above
    fields_up: dict[int, frozenset[str]]  # field -> ids of itself and its parents
    top_field: dict[int, int]  # field -> its level-1 field
    experts: dict[int, tuple[np.ndarray, np.ndarray]]  # field -> (researchers, EXPERT_IN weights)
    deal_count: np.ndarray  # per node: deals it is party to
    deals_of: dict[int, list[tuple[date, list[int]]]]  # enterprise -> (date, researchers) of its deals, by date
    deal_date: dict[int, date]
    titles: dict[int, str]
    keywords: dict[int, tuple[str, ...]]
    memo: dict = field(default_factory=dict)  # what case_partners works out once and reuses

    def row(self, rel: RelType, i: int, out: bool = True) -> np.ndarray:
        m = self.p.out[rel] if out else self.p.inc[rel]
        return m.indices[m.indptr[i]:m.indptr[i + 1]]

    def near(self, a: int, b: int) -> bool:
        """Same city, or cities of one circle: what an enterprise does not count as far."""
        return a == b or (a, b) in self.shares_circle

    def researchers_of(self, deal: int) -> list[int]:
        party = self.row(RelType.PARTY_TO, deal, out=False)
        return sorted(int(x) for x in party if self.p.labels[x] == _CODE[Label.RESEARCHER])

    def contacts(self, enterprise: int, day: date) -> tuple[set[int], set[int]]:
        """(the enterprise's deal partners before `day`, their co-authors)."""
        past = {r for d, rs in self.deals_of.get(enterprise, ()) if d < day for r in rs}
        rows = [self.row(RelType.CO_AUTHOR, r) for r in past]
        return past, set(np.unique(np.concatenate(rows)).tolist()) if rows else set()


_CODE = {label: code for code, label in enumerate(LABELS)}


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _scan(store: GraphStore, p: Projection, label: Label, attrs: tuple[str, ...]) -> dict[int, tuple]:
    return {p.index[row[1]]: row[2:] for batch in store.scan_nodes(label, attrs) for row in batch
            if row[1] in p.index}


def _cities(p: Projection) -> tuple[np.ndarray, dict[int, int]]:
    """Each region's city (climbing PART_OF to level 2), then every located node's; and each city's province."""
    level = p.attrs["level"]
    parent = p.out[RelType.PART_OF]
    regions = np.flatnonzero(p.labels == _CODE[Label.REGION])

    def climb(r: int, to: int) -> int:
        for _ in range(_CLIMB):
            up = parent.indices[parent.indptr[r]:parent.indptr[r + 1]]
            if level[r] <= to or len(up) == 0:
                break
            r = int(up[0])
        return r

    city_of_region = {int(r): climb(int(r), 2) for r in regions}
    city = np.full(len(p.ids), -1, dtype=np.int64)
    located = p.out[RelType.LOCATED_IN].tocoo()
    first = np.unique(located.row, return_index=True)  # a node's first region (ids sorted): one place each
    for node, k in zip(*first):
        city[node] = city_of_region.get(int(located.col[k]), -1)
    for r, c in city_of_region.items():
        city[r] = c
    return city, {c: climb(c, 1) for c in set(city_of_region.values())}


def _circles(p: Projection, city: np.ndarray) -> set[tuple[int, int]]:
    members: dict[int, set[int]] = defaultdict(set)
    m = p.out[RelType.MEMBER_OF].tocoo()
    for region, circle in zip(m.row.tolist(), m.col.tolist()):
        members[circle].add(int(city[region]))
    return {(a, b) for cities in members.values() for a in cities for b in cities if a != b}


def _fields(p: Projection) -> tuple[dict[int, frozenset[str]], dict[int, int]]:
    sub = p.out[RelType.SUBFIELD_OF]
    up: dict[int, frozenset[str]] = {}
    top: dict[int, int] = {}
    for f in np.flatnonzero(p.labels == _CODE[Label.FIELD]).tolist():
        chain = [f]
        for _ in range(_CLIMB):
            parents = sub.indices[sub.indptr[chain[-1]]:sub.indptr[chain[-1] + 1]]
            if len(parents) == 0 or int(parents[0]) in chain:
                break
            chain.append(int(parents[0]))
        up[f] = frozenset(p.ids[x] for x in chain)
        top[f] = chain[-1]
    return up, top


def _keywords(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # SQLite hands a list back as JSON text
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def read_market(store: GraphStore, today: date) -> Market:
    """The market as it stands; a need without a posted date counts as posted `today`."""
    p = build_projection(store)
    city, province = _cities(p)
    fields_up, top = _fields(p)
    exp = p.inc[RelType.EXPERT_IN]
    experts = {f: (exp.indices[exp.indptr[f]:exp.indptr[f + 1]].astype(np.int64),
                   exp.data[exp.indptr[f]:exp.indptr[f + 1]]) for f in fields_up}
    deal_date = {i: d for i, (raw,) in _scan(store, p, Label.DEAL, ("date",)).items() if (d := _day(raw))}
    party = p.out[RelType.PARTY_TO]
    market = Market(p, [], city, province, _circles(p, city), {}, fields_up, top, experts,
                    np.diff(party.indptr), {}, deal_date, {}, {})
    is_ent = p.labels == _CODE[Label.ENTERPRISE]
    for deal in sorted(deal_date, key=lambda d: (deal_date[d], d)):
        who = market.row(RelType.PARTY_TO, deal, out=False)
        for e in who[is_ent[who]].tolist():
            market.deals_of.setdefault(e, []).append((deal_date[deal], market.researchers_of(deal)))
    for i, (title, words) in _scan(store, p, Label.RESEARCHER, ("title", "keywords")).items():
        market.titles[i] = str(title or "")
        market.keywords[i] = _keywords(words)
    props = _scan(store, p, Label.NEED, ("posted", "budget", "status", "name", "text"))
    for i, (posted, budget, status, name, text) in props.items():
        posters = market.row(RelType.POSTED, i, out=False)
        firms = posters[is_ent[posters]]
        if not len(firms):
            continue  # no case without an enterprise
        deals = sorted(int(d) for d in market.row(RelType.FULFILS, i, out=False))
        dated = [deal_date[d] for d in deals if d in deal_date]
        market.needs.append(NeedInfo(
            i, p.ids[i], int(firms.min()), _day(posted) or today, sorted(int(f) for f in market.row(RelType.ABOUT, i)),
            str(name or ""), str(text or ""), float(budget) if isinstance(budget, (int, float)) else None,
            str(status or "open"), deals, min(dated) if dated else None))
        market.regions_up.setdefault(int(firms.min()), _regions_up(p, int(firms.min())))
    market.needs.sort(key=lambda n: (n.posted, n.id))
    return market


def _regions_up(p: Projection, enterprise: int) -> frozenset[str]:
    """The enterprise's regions and every one above, as assign.patch_of climbs them."""
    located, parent = p.out[RelType.LOCATED_IN], p.out[RelType.PART_OF]
    seen = set(located.indices[located.indptr[enterprise]:located.indptr[enterprise + 1]].tolist())
    frontier = set(seen)
    for _ in range(_CLIMB):
        frontier = {int(x) for r in frontier for x in parent.indices[parent.indptr[r]:parent.indptr[r + 1]]} - seen
        if not frontier:
            break
        seen |= frontier
    return frozenset(p.ids[r] for r in seen)
