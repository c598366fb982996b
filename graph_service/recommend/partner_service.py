"""Partner suggestions for an enterprise or one of its needs, with the reasons behind each.

`fit` learns from the last years of deals (each with the history before its year); `recommend`
ranks candidates against the whole history, as of now.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph_service.errors import InvalidInput
from graph_service.projection import Projection
from graph_service.recommend.partner_eval import train
from graph_service.recommend.partners import FEATURES, History, PartnerModel, Query, candidates, features
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphReader


@dataclass(frozen=True)
class PartnerSuggestion:
    id: str
    score: float
    past_deals: list[str]  # deals the enterprise already signed with this researcher
    via_partners: list[str]  # the enterprise's past partners who co-authored with this researcher
    shared_fields: list[str]  # wanted fields this researcher is expert in
    same_city: bool
    same_circle: bool


class PartnerRecommender:
    def __init__(self, projection: Projection, store: GraphReader, seed: int = 0) -> None:
        self.projection, self.store, self.seed = projection, store, seed
        self.model: PartnerModel | None = None
        self.history: History | None = None

    def fit(self, train_years: int = 3) -> PartnerRecommender:
        years = self.projection.attrs["year"][self.projection.attrs["year"] > 0]
        if len(years) == 0:
            raise InvalidInput("the graph holds no dated deals to learn from", field="Deal")
        now = int(years.max()) + 1
        self.model = train(self.projection, self.store, range(now - train_years, now), None, self.seed)
        self.history = History(self.projection, now)
        return self

    def query_for(self, enterprise_id: str | None, need_id: str | None) -> Query:
        p = self.projection
        if need_id is not None:
            need = p.idx(need_id)
            if p.label_of(need) != Label.NEED:
                raise InvalidInput(f"{need_id!r} is a {p.label_of(need)}, not a Need", field="need")
            posters = [i for i in p.inc[RelType.POSTED][need].indices.tolist() if p.label_of(i) == Label.ENTERPRISE]
            if not posters:
                raise InvalidInput(f"need {need_id!r} has no enterprise that posted it", field="need")
            return Query(posters[0], p.out[RelType.ABOUT][need].indices)
        if enterprise_id is None:
            raise InvalidInput("give an enterprise or a need", field="enterprise")
        firm = p.idx(enterprise_id)
        if p.label_of(firm) != Label.ENTERPRISE:
            raise InvalidInput(f"{enterprise_id!r} is a {p.label_of(firm)}, not an Enterprise", field="enterprise")
        return Query(firm, p.out[RelType.ACTIVE_IN][firm].indices)

    def recommend(self, enterprise_id: str | None = None, need_id: str | None = None, top_k: int = 10,
                  exclude_known: bool = False) -> list[PartnerSuggestion]:
        if self.model is None or self.history is None:
            raise RuntimeError("call fit() first")
        h, q = self.history, self.query_for(enterprise_id, need_id)
        cands = candidates(h, q)
        if exclude_known:
            cands = cands[np.asarray(h.partners[q.enterprise][:, cands].todense()).ravel() == 0]
        if len(cands) == 0:
            return []
        x = features(h, q, cands)
        scores = self.model.score(x)
        best = np.argsort(-scores, kind="stable")[:top_k]
        return [self._explain(q, int(cands[i]), float(scores[i]), x[i]) for i in best]

    def _explain(self, q: Query, r: int, score: float, row: np.ndarray) -> PartnerSuggestion:
        p, h = self.projection, self.history
        assert h is not None
        deals = set(h.involved[q.enterprise].indices.tolist()) & set(h.involved[r].indices.tolist())
        partners = {i for i in h.partners[q.enterprise].indices.tolist() if h.is_researcher[i] and i != r}
        via = partners & set(h.coauthors[r].indices.tolist())
        shared = set(q.fields.tolist()) & set(h.expertise[r].indices.tolist())
        return PartnerSuggestion(p.ids[r], score, sorted(p.ids[d] for d in deals), sorted(p.ids[i] for i in via),
                                 sorted(p.ids[f] for f in shared), bool(row[FEATURES.index("same_city")]),
                                 bool(row[FEATURES.index("same_circle")]))
