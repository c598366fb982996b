"""Partner recommendation for an enterprise or one of its needs: candidates by typed traversal, pair
features from the graph as of a cutoff year, ranked by a model learned from deal history.

Everything about deals is read through `History(cutoff)`: only deals dated before the cutoff exist
for it, which is the boundary that keeps the future out of training and of features.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier

from graph_service.projection import Projection
from graph_service.projection.graph import LABELS
from graph_service.recommend import derived
from graph_service.recommend.forest import Forest
from graph_service.schema import Label, RelType
from graph_service.text.index import TextHits, TextIndex

# Candidate budget: the model's cost is linear in it, and true partners beyond these ranks of the cheap
# orderings almost never reach a top 20 (city tier: Hits@10 unchanged from 700 to 350 candidates).
MAX_EXPERTS = 200  # experts of the wanted fields kept, best search rank first
MAX_PEERS = 100  # partners of enterprises in the same fields, strongest first
MAX_TEXT_ONLY = 50  # researchers outside the fields who share at least two words with the need
MAX_COAUTHORS = 400  # co-authors of past partners, most ties first (city recall 64.1% uncapped, 63.2% at 400)
FEATURES = ("field_overlap", "text", "text_words", "text_rank", "same_city", "same_circle", "past_partner",
            "coauthor_of_partner", "peer_partner", "katz", "log_popularity", "log_coauthors")
# Columns a model may add after FEATURES: what the enterprise's answers on suggested partners say
# (feedback.Signals computes them; the serving side reads them from the cases, answer_book.py)
SIGNALS = ("fb_declined", "fb_accepted", "fb_far", "fb_dear", "fb_contact", "fb_irrelevant")
KATZ_BETA = 0.1
T = TypeVar("T")
REFINE = 60  # rows all bags re-score after the first bag's ranking (see PartnerModel.rank)


def _code(label: Label) -> int:
    return LABELS.index(label)


def _located(p: Projection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(region each node is located in, parent of each region, city (level-2 region) of each node);
    -1 where there is none."""
    level = p.attrs["level"]
    region = np.full(p.base_nodes, -1, dtype=np.int64)
    loc = p.out[RelType.LOCATED_IN].tocoo()
    region[loc.row] = loc.col
    parent = np.full(p.base_nodes, -1, dtype=np.int64)
    up = p.out[RelType.PART_OF].tocoo()
    parent[up.row] = up.col
    city = region.copy()
    for _ in range(3):  # district -> city, zone -> city: walk up until level 2
        deeper = (city >= 0) & (level[np.maximum(city, 0)] > 2)
        city[deeper] = parent[city[deeper]]
    return region, parent, city


class History:
    """The graph as of `cutoff` (a year): deals dated before it, and arrays derived from them."""

    def __init__(self, p: Projection, cutoff: int, previous: History | None = None) -> None:
        """`previous`, a history of the same projection before a change, lends what the change left alone."""
        self.p, self.cutoff, self.versions = p, cutoff, dict(p.versions)
        n = p.base_nodes
        year = p.attrs["year"][:n]
        self.deal_ok = (p.labels[:n] == _code(Label.DEAL)) & (year >= 0) & (year < cutoff)
        party = p.out[RelType.PARTY_TO]
        self.involved = (party @ sp.diags(self.deal_ok.astype(np.float64))).tocsr()  # party x past deal
        self.involved.eliminate_zeros()
        self.partners = (self.involved @ self.involved.T).tocsr()  # co-parties of past deals
        self.popularity = np.asarray(self.involved.sum(axis=1)).ravel()
        same = {t: derived.unchanged(previous, p, [t]) for t in (RelType.CO_AUTHOR, RelType.EXPERT_IN,
                                                                 RelType.ACTIVE_IN)}
        assert previous is not None or not any(same.values())
        self.coauthors = derived.kept(previous, "coauthors", n) if same[RelType.CO_AUTHOR] else \
            derived.ones(p.out[RelType.CO_AUTHOR])
        if same[RelType.EXPERT_IN]:
            self.expertise, self.experts = derived.kept(previous, "expertise", n), derived.kept(previous, "experts", n)
        else:
            self.expertise = derived.ones(p.out[RelType.EXPERT_IN])
            self.experts = self.expertise.T.tocsr()  # field -> its experts
        self.activity = derived.kept(previous, "activity", n) if same[RelType.ACTIVE_IN] else \
            derived.ones(p.out[RelType.ACTIVE_IN])
        self.peer_basis = (self.partners @ self.activity).T.tocsr()  # field -> nodes
        self.region, self.parent, self.city = _located(p)
        member = p.out[RelType.MEMBER_OF].tocoo()
        circles, bit = np.unique(member.col, return_inverse=True)  # one bit per circle (there are a handful)
        self.circle_bit = {int(c): 1 << (i % 63) for i, c in enumerate(circles.tolist())}
        self.circle_bits = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(self.circle_bits, member.row, np.left_shift(1, bit % 63).astype(np.int64))
        self.is_researcher = p.labels[:n] == _code(Label.RESEARCHER)
        if same[RelType.CO_AUTHOR]:
            assert previous is not None
            self.walk = derived.patched_walk(previous.walk, previous.partners, self.partners, self.coauthors)
        else:
            self.walk = derived.walk(self.partners, self.coauthors)
        self._last = _LastAnswer()  # candidates and features of one query both ask
        self._by_popularity: dict[int, np.ndarray] = {}

    def experts_by_popularity(self, field: int) -> np.ndarray:
        """The field's experts, most deals first (ties by index), computed once per field."""
        found = self._by_popularity.get(field)
        if found is None:
            experts = row(self.experts, field).astype(np.int64)
            found = experts[np.lexsort((experts, -self.popularity[experts]))]
            self._by_popularity[field] = found
        return found

    def within(self, nodes: np.ndarray, region: int) -> np.ndarray:
        """Whether each node is located in `region` or anywhere below it."""
        at = self.region[nodes]
        inside = at == region
        for _ in range(4):  # the hierarchy is province > city > district or zone
            at = np.where(at >= 0, self.parent[np.maximum(at, 0)], -1)
            inside |= at == region
        return inside

    def in_circle(self, nodes: np.ndarray, circle: int) -> np.ndarray:
        city = self.city[nodes]
        return (city >= 0) & ((self.circle_bits[np.maximum(city, 0)] & self.circle_bit.get(circle, 0)) != 0)

    def peer(self, enterprise: int) -> Sparse:
        """Partners of enterprises active in the same fields, weighted by shared fields and deals."""
        return self._per_enterprise(enterprise)[0]

    def katz(self, enterprise: int) -> Sparse:
        """Katz proximity from the enterprise: walks of 1 to 3 steps over deal partnerships and
        co-authorships, each step worth KATZ_BETA of the one before."""
        return self._per_enterprise(enterprise)[1]

    def partners_coauthors(self, enterprise: int) -> Sparse:
        """Co-authors of the enterprise's past partners, weighted by the deals behind each tie."""
        return self._per_enterprise(enterprise)[2]

    def _per_enterprise(self, enterprise: int) -> tuple[Sparse, Sparse, Sparse]:
        return self._last.get(enterprise, lambda: self._spreads(enterprise))

    def _spreads(self, enterprise: int) -> tuple[Sparse, Sparse, Sparse]:
        peer = _spread(self.peer_basis, _vector(self.activity, enterprise))
        one = _vector(self.walk, enterprise)
        two = _spread(self.walk, one)
        three = _spread(self.walk, two)
        katz = _add(_add(one, two, KATZ_BETA), three, KATZ_BETA**2)
        via = _spread(self.coauthors, _vector(self.partners, enterprise))
        return peer, Sparse(katz.indices, katz.values * KATZ_BETA), via


class _LastAnswer:
    """The last answer computed, one per thread: the steps of one query ask the same question, and a
    server's threads serve different queries at once (one shared entry thrashed between them)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        last = getattr(self._local, "last", None)
        if last is not None and last[0] == key:
            return last[1]
        value = compute()
        self._local.last = (key, value)
        return value


@dataclass(frozen=True)
class Sparse:
    """A sparse vector over nodes: sorted indices and their values."""

    indices: np.ndarray
    values: np.ndarray


def _vector(m: sp.csr_matrix, i: int) -> Sparse:
    """Row i as a Sparse vector, indices sorted (scipy's products may leave them unsorted)."""
    a, b = m.indptr[i], m.indptr[i + 1]
    order = np.argsort(m.indices[a:b], kind="stable")
    return Sparse(m.indices[a:b][order].astype(np.int64), m.data[a:b][order].astype(np.float64))


def _gather(m: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions in m.indices/m.data of the given rows' entries, each row's entry count)."""
    starts, lengths = m.indptr[rows], m.indptr[rows + 1] - m.indptr[rows]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.repeat(starts - offsets, lengths) + np.arange(lengths.sum()), lengths


def in_rows(m: sp.csr_matrix, rows: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each row, how many of its column indices are in `targets` (a few): no dense vector over
    all nodes, which at 2 M nodes cost more than the answer."""
    if len(rows) == 0:
        return np.zeros(0)
    take, lengths = _gather(m, rows)
    hit = np.isin(m.indices[take], targets).astype(np.float64)
    return np.bincount(np.repeat(np.arange(len(rows)), lengths), weights=hit, minlength=len(rows))


def _spread(m: sp.csr_matrix, v: Sparse) -> Sparse:
    """v @ m, touching only the rows v names: scipy's product sizes a work array by the column count,
    which for a 2 M-node graph costs more than the walk itself."""
    if len(v.indices) == 0:
        return Sparse(np.empty(0, dtype=np.int64), np.empty(0))
    take, lengths = _gather(m, v.indices)
    cols, weights = m.indices[take], m.data[take] * np.repeat(v.values, lengths)
    found, inverse = np.unique(cols, return_inverse=True)
    return Sparse(found.astype(np.int64), np.bincount(inverse, weights=weights))


def _add(a: Sparse, b: Sparse, scale: float) -> Sparse:
    """a + scale * b."""
    found, inverse = np.unique(np.concatenate([a.indices, b.indices]), return_inverse=True)
    return Sparse(found, np.bincount(inverse, weights=np.concatenate([a.values, scale * b.values])))


@dataclass
class Query:
    enterprise: int
    fields: np.ndarray  # technology fields wanted (a need's, or the enterprise's)
    text: str = ""
    need: int = -1  # the need asked about, if any


class Text:
    """The text index seen from the projection: document positions mapped to node indices."""

    def __init__(self, index: TextIndex, p: Projection, previous: Text | None = None, changed: Iterable[str] = ()
                 ) -> None:
        """`previous`: the same projection's view before `changed` documents changed; the others keep their node."""
        self.index = index
        if previous is not None and previous.p is p:
            node = np.full(len(index.ids), -1, dtype=np.int64)
            node[:len(previous.node)] = previous.node
            for doc_id in changed:
                i = index.position(doc_id)
                if i >= 0:
                    node[i] = p.index.get(doc_id, -1)
            node[len(previous.node):] = [p.index.get(i, -1) for i in index.ids[len(previous.node):]]
            self.node = node
        else:
            self.node = np.array([p.index.get(i, -1) for i in index.ids], dtype=np.int64)
        self.p = p
        self._last = _LastAnswer()  # candidates, features and explanations of one query all look up

    def lookup(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, TextHits]:
        """(node indices sorted, similarity, words shared) of the documents matching `query`."""
        return self._last.get(query, lambda: self._matching(query))

    def _matching(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, TextHits]:
        hits = self.index.hits(query)
        nodes = self.node[hits.docs]
        order = np.argsort(nodes, kind="stable")
        return nodes[order], hits.sim[order], hits.words[order], hits


class PartnerModel:
    """Gradient-boosted trees over FEATURES: a repeat partner, a co-author of one, or a fresh expert
    who fits the text call for different weights, which a linear scorer could not express. BAGS
    ensembles, each learnt with its own random negatives, are averaged (in log-odds): on the city tier
    one model's Hits@10 varied 0.174-0.203 with the negatives drawn, five together gave 0.208. Small
    trees (8 leaves, at most 100 a bag) rank as well (0.200-0.215) and cut the province tier's p99
    latency from 205 to 104 ms against 31-leaf trees, as the walk is most of a request."""

    FORMAT = 2
    BAGS = 5

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.clfs: list[HistGradientBoostingClassifier] = []
        self.meta: dict = {}
        self._forest: Forest | None = None

    def fit(self, bags: list[tuple[np.ndarray, np.ndarray]], **meta: object) -> PartnerModel:
        """One classifier per (rows, labels) bag."""
        started = time.perf_counter()
        self.clfs = [HistGradientBoostingClassifier(max_leaf_nodes=8, max_iter=100, learning_rate=0.1,
                                                    random_state=self.seed + i).fit(x, y)
                     for i, (x, y) in enumerate(bags)]
        self._forest = None
        self.meta = {"format": self.FORMAT, "features": list(FEATURES), "sklearn": sklearn.__version__,
                     "trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "bags": len(bags),
                     "rows": int(sum(len(y) for _, y in bags)), "positives": int(bags[0][1].sum()),
                     "fit_seconds": round(time.perf_counter() - started, 2), **meta}
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """Probability of a deal for each row: the mean of the bags' log-odds, as a probability."""
        return _probability(self._walker().raw(x))

    def rank(self, x: np.ndarray, refine: int = REFINE) -> tuple[np.ndarray, np.ndarray]:
        """(rows best first, each row's probability), as a cascade: the first bag scores every row,
        all bags re-score the `refine` rows it ranks highest, and those lead. The rest keep the first
        bag's estimate. On the city tier Hits@10 was the same as all bags on every row (3 seeds) for a
        third of the walk."""
        forest = self._walker()
        if len(x) <= refine:
            raw = forest.raw(x)
            return np.argsort(-raw, kind="stable"), _probability(raw)
        raw = forest.raw(x, first_bag=True)
        by_first = np.argsort(-raw, kind="stable")
        top, rest = by_first[:refine], by_first[refine:]
        raw[top] = forest.raw(x[top])
        return np.concatenate([top[np.argsort(-raw[top], kind="stable")], rest]), _probability(raw)

    def _walker(self) -> Forest:
        if self._forest is None:
            self._forest = Forest(self.clfs)
        return self._forest

    def save(self, path: Path) -> None:
        with open(path, "wb") as f:
            pickle.dump({"meta": self.meta, "clfs": self.clfs}, f, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path: Path) -> PartnerModel:
        with open(path, "rb") as f:
            data = pickle.load(f)  # our own file, written by `techmatch train`
        meta = data.get("meta", {}) if isinstance(data, dict) else {}
        names = meta.get("features")
        if (meta.get("format") != cls.FORMAT or not isinstance(names, list) or names[:len(FEATURES)] != list(FEATURES)
                or not set(names[len(FEATURES):]) <= set(SIGNALS)):
            raise ValueError(f"{path}: model format {meta.get('format')} with features {names}; this version needs "
                             f"format {cls.FORMAT} with {list(FEATURES)}, then any of {list(SIGNALS)} "
                             "(run `techmatch train`)")
        if meta.get("sklearn") != sklearn.__version__:
            raise ValueError(f"{path}: trained with scikit-learn {meta.get('sklearn')}, running "
                             f"{sklearn.__version__} (run `techmatch train`)")
        model = cls()
        model.clfs, model.meta, model._forest = data["clfs"], meta, None
        return model


def _probability(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-log_odds))


def row(m: sp.csr_matrix, i: int) -> np.ndarray:
    """Column indices of one row: scipy's own row indexing builds a matrix, 50 times slower."""
    return m.indices[m.indptr[i]:m.indptr[i + 1]]


def _at(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values[keys == w] for each w in `wanted` (0 where absent); `keys` sorted."""
    if len(keys) == 0:
        return np.zeros(len(wanted))
    pos = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[pos] == wanted, values[pos], 0).astype(np.float64)


def candidates(h: History, q: Query, text: Text | None = None) -> np.ndarray:
    """Past partners of the enterprise and their most tied co-authors, the strongest peer partners, and the
    experts of the wanted fields that a search would show first (most shared words, then most deals),
    plus researchers outside those fields who match the text well."""
    via = h.partners_coauthors(q.enterprise)
    parts = [row(h.partners, q.enterprise), via.indices[np.argsort(-via.values, kind="stable")[:MAX_COAUTHORS]]]
    peer = h.peer(q.enterprise)
    parts.append(peer.indices[np.argsort(-peer.values, kind="stable")[:MAX_PEERS]])
    matched = np.empty(0, dtype=np.int64)
    if text is not None and q.text:
        nodes, _, shared, _ = text.lookup(q.text)
        strong = shared >= 2
        parts.append(nodes[strong][np.argsort(-shared[strong], kind="stable")[:MAX_TEXT_ONLY]])
        expert = in_rows(h.expertise, nodes, q.fields) > 0
        ranked = np.lexsort((-h.popularity[nodes[expert]], -shared[expert]))
        matched = nodes[expert][ranked[:MAX_EXPERTS]]
    parts.append(matched)
    if len(matched) < MAX_EXPERTS:  # then experts by deals signed: the first page of a search without words
        parts += [h.experts_by_popularity(f)[:MAX_EXPERTS - len(matched)] for f in q.fields.tolist()]
    found = np.unique(np.concatenate(parts).astype(np.int64))
    return found[(found >= 0) & h.is_researcher[np.maximum(found, 0)]]


def features(h: History, q: Query, cands: np.ndarray, text: Text | None = None) -> np.ndarray:
    """One row per candidate, columns as FEATURES. Every column depends on the pair alone (not on
    which other candidates are listed), so a pruned list scores the same as a full one."""
    overlap = in_rows(h.expertise, cands, q.fields) / max(len(q.fields), 1)
    sim, words, ahead = np.zeros(len(cands)), np.zeros(len(cands), dtype=np.int64), np.zeros(len(cands))
    if text is not None and q.text:
        nodes, s, w, hits = text.lookup(q.text)
        if len(nodes):
            sim, words = _at(nodes, s, cands), _at(nodes, w, cands).astype(np.int64)
        ahead = hits.words_ahead(words)  # documents sharing more words: the rank a search would give
    city_e, city_r = h.city[q.enterprise], h.city[cands]
    same_city = (city_r >= 0) & (city_r == city_e)
    bits_e = h.circle_bits[city_e] if city_e >= 0 else 0
    same_circle = (h.circle_bits[np.maximum(city_r, 0)] & bits_e) != 0
    e = q.enterprise
    past_of = _vector(h.partners, e)
    past = _at(past_of.indices, past_of.values, cands)
    via = h.partners_coauthors(e)
    via_coauthors = _at(via.indices, via.values, cands)
    peer_of, katz_of = h.peer(q.enterprise), h.katz(q.enterprise)
    peer = _at(peer_of.indices, peer_of.values, cands)
    degree = h.coauthors.indptr[cands + 1] - h.coauthors.indptr[cands]
    return np.column_stack([overlap, sim, words, np.log1p(ahead), same_city, same_circle & (city_r >= 0), past,
                            via_coauthors, np.log1p(peer), _at(katz_of.indices, katz_of.values, cands) / KATZ_BETA**3,
                            np.log1p(h.popularity[cands]),
                            np.log1p(degree)]).astype(np.float64)
