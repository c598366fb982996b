"""Partner recommendation for an enterprise or one of its needs: candidates by typed traversal, pair
features from the graph as of a cutoff year, ranked by a model learned from deal history.

Everything about deals is read through `History(cutoff)`: only deals dated before the cutoff exist
for it, which is the boundary that keeps the future out of training and of features.
"""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier

from graph_service.projection import Projection
from graph_service.projection.graph import LABELS
from graph_service.schema import Label, RelType
from graph_service.text.index import TextHits, TextIndex

MAX_EXPERTS = 400  # experts of the wanted fields kept, best search rank first
MAX_PEERS = 200  # partners of enterprises in the same fields, strongest first
MAX_TEXT_ONLY = 100  # researchers outside the fields who share at least two words with the need
FEATURES = ("field_overlap", "text", "text_words", "text_rank", "same_city", "same_circle", "past_partner",
            "coauthor_of_partner", "peer_partner", "log_popularity", "log_coauthors")


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

    def __init__(self, p: Projection, cutoff: int) -> None:
        self.p, self.cutoff = p, cutoff
        n = p.base_nodes
        year = p.attrs["year"][:n]
        self.deal_ok = (p.labels[:n] == _code(Label.DEAL)) & (year >= 0) & (year < cutoff)
        party = p.out[RelType.PARTY_TO]
        self.involved = (party @ sp.diags(self.deal_ok.astype(np.float64))).tocsr()  # party x past deal
        self.involved.eliminate_zeros()
        self.partners = (self.involved @ self.involved.T).tocsr()  # co-parties of past deals
        self.popularity = np.asarray(self.involved.sum(axis=1)).ravel()
        self.coauthors = (p.out[RelType.CO_AUTHOR] != 0).astype(np.float64).tocsr()
        self.expertise = (p.out[RelType.EXPERT_IN] != 0).astype(np.float64).tocsr()
        self.experts = self.expertise.T.tocsr()  # field -> its experts
        self.activity = (p.out[RelType.ACTIVE_IN] != 0).astype(np.float64).tocsr()
        # node x field: how often the node partnered enterprises active in the field. An enterprise's
        # "peer partners" (partners of enterprises in its fields) are then one product with its fields.
        self.peer_basis = (self.partners @ self.activity).tocsr()
        self.region, self.parent, self.city = _located(p)
        member = p.out[RelType.MEMBER_OF].tocoo()
        circles, bit = np.unique(member.col, return_inverse=True)  # one bit per circle (there are a handful)
        self.circle_bit = {int(c): 1 << (i % 63) for i, c in enumerate(circles.tolist())}
        self.circle_bits = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(self.circle_bits, member.row, np.left_shift(1, bit % 63).astype(np.int64))
        self.is_researcher = p.labels[:n] == _code(Label.RESEARCHER)
        self._last: tuple[int, sp.csc_matrix] | None = None  # candidates and features of one query both ask

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

    def peer(self, enterprise: int) -> sp.csc_matrix:
        """Column over nodes: partners of enterprises active in the same fields, weighted."""
        last = self._last
        if last is not None and last[0] == enterprise:
            return last[1]
        column = (self.peer_basis @ self.activity[enterprise].T).tocsc()
        column.sort_indices()
        self._last = (enterprise, column)
        return column


@dataclass
class Query:
    enterprise: int
    fields: np.ndarray  # technology fields wanted (a need's, or the enterprise's)
    text: str = ""
    need: int = -1  # the need asked about, if any


class Text:
    """The text index seen from the projection: document positions mapped to node indices."""

    def __init__(self, index: TextIndex, p: Projection) -> None:
        self.index = index
        self.node = np.array([p.index.get(i, -1) for i in index.ids], dtype=np.int64)
        self._last: tuple[str, tuple] | None = None  # candidates and features of one query both look up

    def lookup(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, TextHits]:
        """(node indices sorted, similarity, words shared) of the documents matching `query`."""
        last = self._last
        if last is not None and last[0] == query:
            return last[1]
        hits = self.index.hits(query)
        nodes = self.node[hits.docs]
        order = np.argsort(nodes, kind="stable")
        found = (nodes[order], hits.sim[order], hits.words[order], hits)
        self._last = (query, found)
        return found


class PartnerModel:
    """Gradient-boosted trees over FEATURES: a repeat partner, a co-author of one, or a fresh expert
    who fits the text call for different weights, which a linear scorer could not express."""

    FORMAT = 1

    def __init__(self, seed: int = 0) -> None:
        self.clf = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=seed)
        self.meta: dict = {}

    def fit(self, x: np.ndarray, y: np.ndarray, **meta: object) -> PartnerModel:
        started = time.perf_counter()
        self.clf.fit(x, y)
        self.meta = {"format": self.FORMAT, "features": list(FEATURES), "sklearn": sklearn.__version__,
                     "trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "rows": int(len(y)),
                     "positives": int(y.sum()), "fit_seconds": round(time.perf_counter() - started, 2), **meta}
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.clf.predict_proba(x)[:, 1]

    def save(self, path: Path) -> None:
        with open(path, "wb") as f:
            pickle.dump({"meta": self.meta, "clf": self.clf}, f, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path: Path) -> PartnerModel:
        with open(path, "rb") as f:
            data = pickle.load(f)  # our own file, written by `techmatch train`
        meta = data.get("meta", {}) if isinstance(data, dict) else {}
        if meta.get("format") != cls.FORMAT or meta.get("features") != list(FEATURES):
            raise ValueError(f"{path}: model format {meta.get('format')} with features {meta.get('features')}; "
                             f"this version needs format {cls.FORMAT} with {list(FEATURES)} (run `techmatch train`)")
        if meta.get("sklearn") != sklearn.__version__:
            raise ValueError(f"{path}: trained with scikit-learn {meta.get('sklearn')}, running "
                             f"{sklearn.__version__} (run `techmatch train`)")
        model = cls()
        model.clf, model.meta = data["clf"], meta
        return model


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
    """Past partners of the enterprise and their co-authors, the strongest peer partners, and the
    experts of the wanted fields that a search would show first (most shared words, then most deals),
    plus researchers outside those fields who match the text well."""
    past = h.partners[q.enterprise].indices
    parts = [past, h.coauthors[past].indices]
    peer = h.peer(q.enterprise)
    parts.append(peer.indices[np.argsort(-peer.data, kind="stable")[:MAX_PEERS]])
    experts = np.unique(np.concatenate([h.experts[f].indices for f in q.fields.tolist()] or [[]])).astype(np.int64)
    words = np.zeros(len(experts))
    if text is not None and q.text:
        nodes, _, shared, _ = text.lookup(q.text)
        words = _at(nodes, shared, experts)
        strong = nodes[shared >= 2]
        parts.append(strong[np.argsort(-shared[shared >= 2], kind="stable")[:MAX_TEXT_ONLY]])
    parts.append(experts[np.lexsort((-h.popularity[experts], -words))[:MAX_EXPERTS]])
    found = np.unique(np.concatenate(parts).astype(np.int64))
    return found[(found >= 0) & h.is_researcher[np.maximum(found, 0)]]


def features(h: History, q: Query, cands: np.ndarray, text: Text | None = None) -> np.ndarray:
    """One row per candidate, columns as FEATURES. Every column depends on the pair alone (not on
    which other candidates are listed), so a pruned list scores the same as a full one."""
    wanted = np.zeros(h.expertise.shape[1])
    wanted[q.fields] = 1.0
    overlap = (h.expertise[cands] @ wanted) / max(len(q.fields), 1)
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
    past_row = h.partners[q.enterprise]
    past = np.asarray(past_row[:, cands].todense()).ravel()
    via_coauthors = np.asarray((past_row @ h.coauthors)[:, cands].todense()).ravel()
    peer_col = h.peer(q.enterprise)
    peer = _at(peer_col.indices, peer_col.data, cands)
    degree = np.diff(h.coauthors.indptr)[cands]
    return np.column_stack([overlap, sim, words, np.log1p(ahead), same_city, same_circle & (city_r >= 0), past,
                            via_coauthors, np.log1p(peer), np.log1p(h.popularity[cands]),
                            np.log1p(degree)]).astype(np.float64)
