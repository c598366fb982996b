"""Collaborator suggestions for a researcher from the co-authorship network.

Candidates are co-authors of co-authors and colleagues at the same institution; the learned link
scorer (graph_service.linkpred) ranks them, and each suggestion carries its reasons: the common
co-authors, shared fields and a shared institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from graph_service.errors import InvalidInput
from graph_service.linkpred.edgelist import EdgeList
from graph_service.linkpred.heuristics import pattern
from graph_service.linkpred.model import BoundLinkModel, LinkModel
from graph_service.projection import Hop, Projection
from graph_service.schema import Label, RelType

MAX_CANDIDATES = 5000  # by number of connecting paths, before the model scores them
CO = Hop([RelType.CO_AUTHOR])
_FIELDS = Hop([RelType.EXPERT_IN], "out")
_INSTITUTION = Hop([RelType.AFFILIATED_WITH], "out")


@dataclass(frozen=True)
class Suggestion:
    id: str
    score: float  # the model's log-odds of a future collaboration
    common_coauthors: list[str]
    shared_fields: list[str]  # field ids
    same_institution: bool


class CollaboratorRecommender:
    def __init__(self, projection: Projection, seed: int = 0) -> None:
        self.projection = projection
        self.seed = seed
        self.model: LinkModel | None = None
        self._bound: BoundLinkModel | None = None  # the model bound to the co-authorship: node arrays made once

    def fit(self) -> CollaboratorRecommender:
        """Learn from the co-authorship graph as it is in the projection now."""
        upper = sp.triu(self.projection.out[RelType.CO_AUTHOR], k=1).tocoo()
        edges = EdgeList(np.arange(self.projection.base_nodes), upper.row.astype(np.int64),
                         upper.col.astype(np.int64))
        if len(edges.u) < 10:
            raise InvalidInput("too few co-authorships to learn from", field="CO_AUTHOR")
        self.model = LinkModel(seed=self.seed).fit(edges, np.ones(len(edges.u), dtype=bool))
        self._bind()
        return self

    def _bind(self) -> None:
        self._bound = self.model.bind(pattern(self.projection.out[RelType.CO_AUTHOR]))

    def save(self, path: Path) -> None:
        if self.model is None:
            raise RuntimeError("call fit() first")
        self.model.save(path)

    @classmethod
    def load(cls, path: Path, projection: Projection) -> CollaboratorRecommender:
        """The saved scorer over this projection's co-authorship (the scorer reads the graph live)."""
        recommender = cls(projection)
        recommender.model = LinkModel.load(path)
        return recommender.rebound(projection)

    def rebound(self, projection: Projection) -> CollaboratorRecommender:
        """The same scorer over the projection as it is now (a changed co-authorship graph)."""
        recommender = CollaboratorRecommender(projection, self.seed)
        recommender.model = self.model
        if self.model is not None:
            recommender._bind()
        return recommender

    def recommend(self, researcher_id: str, top_k: int = 10, exclude_known: bool = True) -> list[Suggestion]:
        p = self.projection
        if self._bound is None:
            raise RuntimeError("call fit() first")
        me = p.idx(researcher_id)
        if p.label_of(me) != Label.RESEARCHER:
            raise InvalidInput(f"{researcher_id!r} is a {p.label_of(me)}, not a Researcher", field="researcher_id")
        known = set(p.neighbours(researcher_id, CO).nodes.tolist())
        fof, paths = p.two_hop(researcher_id, CO, CO, [Label.RESEARCHER])
        colleagues, _ = p.two_hop(researcher_id, Hop([RelType.AFFILIATED_WITH], "out"),
                                  Hop([RelType.AFFILIATED_WITH], "in"), [Label.RESEARCHER])
        ranked = fof[np.argsort(-paths, kind="stable")][:MAX_CANDIDATES].tolist()
        cands = [c for c in dict.fromkeys(ranked + colleagues.tolist()) if c != me and c < self._bound.graph.n
                 and (not exclude_known or c not in known)]
        if not cands:
            return []
        arr = np.array(cands, dtype=np.int64)
        scores = self._bound.score(np.full(len(arr), me), arr)
        best = np.argsort(-scores, kind="stable")[:top_k]
        return [self._explain(me, int(arr[i]), float(scores[i]), known) for i in best]

    def _explain(self, me: int, other: int, score: float, known: set[int]) -> Suggestion:
        p = self.projection
        def reach(i: int, hop: Hop) -> set[int]:
            return set(p.neighbours(p.ids[i], hop).nodes.tolist())

        shared = reach(me, _FIELDS) & reach(other, _FIELDS)
        same = bool(reach(me, _INSTITUTION) & reach(other, _INSTITUTION))
        return Suggestion(p.ids[other], score, sorted(p.ids[i] for i in known & reach(other, CO)),
                          sorted(p.ids[i] for i in shared), same)
