"""A learned link scorer: logistic regression over pair features, trained self-supervised on a graph.

`fit` hides a share of the graph's own edges, computes features for them and for sampled non-edges on
what remains, and learns which features separate them; `score` then rates any pairs on the full graph.
The fitted model is a few numbers (scaler and coefficients), saved as JSON with its metadata.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from graph_service.linkpred.edgelist import EdgeList, sample_non_edges
from graph_service.linkpred.features import FEATURES, pair_features

MODEL_VERSION = 1


@dataclass
class LinkModel:
    seed: int = 0
    hide: float = 0.1  # share of edges hidden to make training positives
    max_positives: int = 50_000  # enough to fit 8 coefficients; bounds the cost on 20 M-edge graphs
    negatives_per_positive: int = 2
    mean: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    scale: np.ndarray = field(default_factory=lambda: np.ones(len(FEATURES)))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    intercept: float = 0.0
    meta: dict = field(default_factory=dict)

    def fit(self, edges: EdgeList, visible: np.ndarray) -> LinkModel:
        """Learn from the `visible` edges only (a mask over `edges`): nothing held out leaks in."""
        rng = np.random.default_rng(self.seed)
        shown = np.flatnonzero(visible)
        hidden = rng.choice(shown, size=max(1, min(self.max_positives, int(self.hide * len(shown)))), replace=False)
        keep = visible.copy()
        keep[hidden] = False
        # negatives avoid only what the model may know: the visible edges
        visible_edges = EdgeList(edges.node_ids, edges.u[visible], edges.v[visible])
        neg_u, neg_v = sample_non_edges(visible_edges, self.negatives_per_positive * len(hidden), rng)
        x = pair_features(edges.adjacency(keep), np.concatenate([edges.u[hidden], neg_u]),
                          np.concatenate([edges.v[hidden], neg_v]))
        y = np.concatenate([np.ones(len(hidden)), np.zeros(len(neg_u))])
        scaler = StandardScaler().fit(x)
        clf = LogisticRegression(max_iter=2000).fit(scaler.transform(x), y)
        self.mean, self.scale = scaler.mean_, scaler.scale_
        self.coef, self.intercept = clf.coef_.ravel(), float(clf.intercept_[0])
        self.meta = {"version": MODEL_VERSION, "features": list(FEATURES), "trained_at": time.time(),
                     "training_positives": int(len(hidden)), "training_negatives": int(len(neg_u)),
                     "graph_nodes": int(edges.n), "graph_edges": int(visible.sum()), "seed": self.seed}
        return self

    def score(self, adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Log-odds that each pair is a link (monotone in the probability, cheaper to compute)."""
        x = pair_features(adj, u, v)
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"meta": self.meta, "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                                    "coef": self.coef.tolist(), "intercept": self.intercept}, indent=2))

    @classmethod
    def load(cls, path: Path) -> LinkModel:
        data = json.loads(path.read_text())
        if data["meta"].get("features") != list(FEATURES):
            raise ValueError(f"{path}: model features {data['meta'].get('features')} differ from {list(FEATURES)}")
        return cls(mean=np.array(data["mean"]), scale=np.array(data["scale"]), coef=np.array(data["coef"]),
                   intercept=data["intercept"], meta=data["meta"])
