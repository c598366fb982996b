"""Partner recommendation for an enterprise or one of its needs: candidates by typed traversal, pair
features from the graph as of a cutoff year, ranked by a model learned from deal history.

Everything about deals is read through `History(cutoff)`: only deals dated before the cutoff exist
for it, which is the boundary that keeps the future out of training and of features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier

from graph_service.projection import Projection
from graph_service.projection.graph import LABELS
from graph_service.schema import Label, RelType
from graph_service.text.index import TextIndex

FEATURES = ("field_overlap", "text", "same_city", "same_circle", "past_partner", "coauthor_of_partner",
            "peer_partner", "log_popularity", "log_coauthors")


def _code(label: Label) -> int:
    return LABELS.index(label)


def _region_cities(p: Projection) -> np.ndarray:
    """City (level-2 region) of every node located somewhere; -1 elsewhere."""
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
    return city


class History:
    """The graph as of `cutoff` (a year): deals dated before it, and arrays derived from them."""

    def __init__(self, p: Projection, cutoff: int) -> None:
        self.p, self.cutoff = p, cutoff
        n = p.base_nodes
        year = p.attrs["year"][:n]
        self.deal_ok = (p.labels[:n] == _code(Label.DEAL)) & (year >= 0) & (year < cutoff)
        party = p.out[RelType.PARTY_TO]
        self.involved = (party @ sp.diags(self.deal_ok.astype(np.float64))).tocsr()  # party x past deal
        self.partners = (self.involved @ self.involved.T).tocsr()  # co-parties of past deals
        self.popularity = np.asarray(self.involved.sum(axis=1)).ravel()
        self.coauthors = (p.out[RelType.CO_AUTHOR] != 0).astype(np.float64).tocsr()
        self.expertise = (p.out[RelType.EXPERT_IN] != 0).astype(np.float64).tocsr()
        self.activity = (p.out[RelType.ACTIVE_IN] != 0).astype(np.float64).tocsr()
        self.city = _region_cities(p)
        member = p.out[RelType.MEMBER_OF].tocoo()
        _, bit = np.unique(member.col, return_inverse=True)  # one bit per circle (there are a handful)
        self.circle_bits = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(self.circle_bits, member.row, np.left_shift(1, bit % 63).astype(np.int64))
        self.is_researcher = p.labels[:n] == _code(Label.RESEARCHER)
        self._peers: tuple[int, sp.csr_matrix] | None = None  # last enterprise's peer partners

    def peer_partners(self, enterprise: int) -> sp.csr_matrix:
        """Partners of enterprises active in the same fields (row over all nodes). Kept for the last
        enterprise asked, since candidates and features of one query both need it."""
        cached = self._peers
        if cached is not None and cached[0] == enterprise:
            return cached[1]
        peers = self.activity[enterprise] @ self.activity.T
        row = (peers @ self.partners).tocsr()
        self._peers = (enterprise, row)
        return row


@dataclass
class Query:
    enterprise: int
    fields: np.ndarray  # technology fields wanted (a need's, or the enterprise's)
    text: str = ""


class PartnerModel:
    """Gradient-boosted trees over FEATURES: a repeat partner, a co-author of one, or a fresh expert
    who fits the text call for different weights, which a linear scorer could not express."""

    def __init__(self, seed: int = 0) -> None:
        self.clf = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=seed)

    def fit(self, x: np.ndarray, y: np.ndarray) -> PartnerModel:
        self.clf.fit(x, y)
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.clf.predict_proba(x)[:, 1]


def candidates(h: History, q: Query) -> np.ndarray:
    """Researchers expert in a wanted field, past partners of the enterprise and their co-authors,
    and partners of enterprises active in the same fields."""
    parts = [h.expertise[:, q.fields].nonzero()[0]]
    past = h.partners[q.enterprise].indices
    parts += [past, h.coauthors[past].indices, h.peer_partners(q.enterprise).indices]
    found = np.unique(np.concatenate(parts))
    return found[h.is_researcher[found]]


def features(h: History, q: Query, cands: np.ndarray, text: TextIndex | None = None) -> np.ndarray:
    """One row per candidate, columns as FEATURES."""
    wanted = np.zeros(h.expertise.shape[1])
    wanted[q.fields] = 1.0
    overlap = (h.expertise[cands] @ wanted) / max(len(q.fields), 1)
    sim = text.similarity(q.text, [h.p.ids[c] for c in cands.tolist()]) if text is not None and q.text \
        else np.zeros(len(cands))
    city_e, city_r = h.city[q.enterprise], h.city[cands]
    same_city = (city_r >= 0) & (city_r == city_e)
    bits_e = h.circle_bits[city_e] if city_e >= 0 else 0
    same_circle = (h.circle_bits[np.maximum(city_r, 0)] & bits_e) != 0
    past_row = h.partners[q.enterprise]
    past = np.asarray(past_row[:, cands].todense()).ravel()
    via_coauthors = np.asarray((past_row @ h.coauthors)[:, cands].todense()).ravel()
    peer = np.asarray(h.peer_partners(q.enterprise)[:, cands].todense()).ravel()
    degree = np.diff(h.coauthors.indptr)[cands]
    return np.column_stack([overlap, sim, same_city, same_circle & (city_r >= 0), past, via_coauthors,
                            np.log1p(peer), np.log1p(h.popularity[cands]), np.log1p(degree)]).astype(np.float64)
