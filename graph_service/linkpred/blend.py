"""The logistic blend baseline: a logistic regression over the five networkx heuristics' scores.

It is trained like the old scorer and fairly: hide 10% of the training graph's edges, two uniform
non-edges per hidden edge, the heuristics computed on what remains (log1p, standardised); never the test
pairs. It shows what a plain learned mix of the heuristics reaches, for the model to beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from graph_service.linkpred import heuristics as h
from graph_service.linkpred.edgelist import EdgeList, sample_non_edges

HEURISTICS = ("common_neighbors", "jaccard", "adamic_adar", "resource_allocation", "preferential_attachment")


def heuristic_scores(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One column per HEURISTICS entry (equal to networkx's, see tests/linkpred/test_heuristics.py)."""
    return np.column_stack([getattr(h, name)(adj, u, v) for name in HEURISTICS])


@dataclass
class LogisticBlend:
    seed: int = 0
    hide: float = 0.1
    negatives_per_positive: int = 2
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    coef: np.ndarray | None = None
    intercept: float = 0.0

    def fit(self, edges: EdgeList, visible: np.ndarray,
            avoid: tuple[np.ndarray, np.ndarray] | None = None) -> LogisticBlend:
        rng = np.random.default_rng(self.seed)
        shown = np.flatnonzero(visible)
        hidden = rng.choice(shown, size=max(1, int(self.hide * len(shown))), replace=False)
        keep = visible.copy()
        keep[hidden] = False
        known = EdgeList(edges.node_ids, edges.u[visible], edges.v[visible])
        if avoid is not None:
            known = known.including(*avoid)
        neg_u, neg_v = sample_non_edges(known, self.negatives_per_positive * len(hidden), rng)
        x = np.log1p(heuristic_scores(edges.adjacency(keep), np.concatenate([edges.u[hidden], neg_u]),
                                      np.concatenate([edges.v[hidden], neg_v])))
        y = np.concatenate([np.ones(len(hidden)), np.zeros(len(neg_u))])
        self.mean, self.scale = x.mean(axis=0), x.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        clf = LogisticRegression(max_iter=2000).fit((x - self.mean) / self.scale, y)
        self.coef, self.intercept = clf.coef_.ravel(), float(clf.intercept_[0])
        return self

    def score(self, adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self.coef is None:
            raise RuntimeError("call fit() first")
        return ((np.log1p(heuristic_scores(adj, u, v)) - self.mean) / self.scale) @ self.coef + self.intercept
