"""A learned link scorer: two logistic regressions over pair features, trained self-supervised on a graph.

Pairs that share a neighbour and pairs that do not are different problems: for the first, how strong the
shared neighbours are (their degrees) against how busy the endpoints are; for the second only the
endpoints' degrees and two-step reach. Each gets its own regression on log features; both are fitted on
the same weighted sample (positives, uniform and wedge negatives: training.py), so their log-odds are on
one scale and rank together. The regularisation is chosen on a validation round hidden from the training
graph (never the test pairs), by AUC + Hits@50 + expected MRR. The fitted model is a few numbers (scalers
and coefficients), saved as JSON with the feature names it reads.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from graph_service.linkpred.edgelist import EdgeList
from graph_service.linkpred.features import FEATURES, GraphFeatures
from graph_service.linkpred.metrics import auc, expected_mrr
from graph_service.linkpred.training import Pairs, self_supervised_rounds

MODEL_VERSION = 2
REGULARISATION = (0.01, 0.1, 1.0, 10.0)  # inverse strengths tried; the validation round picks one
_F = {name: i for i, name in enumerate(FEATURES)}


def _log(x: np.ndarray, column: str) -> np.ndarray:
    return np.log(np.maximum(x[:, _F[column]], 1e-12))


def _shares(x: np.ndarray) -> np.ndarray:
    """Which pair_features rows share a neighbour (scored by the near regression)."""
    return x[:, _F["common_neighbors"]] > 0


def near_design(x: np.ndarray) -> np.ndarray:
    """The near-pair regression's inputs from pair_features rows."""
    return np.column_stack([_log(x, "common_neighbors"), _log(x, "resource_allocation"), _log(x, "adamic_adar"),
                            _log(x, "max_resource"), np.log1p(x[:, _F["min_degree"]]),
                            np.log1p(x[:, _F["max_degree"]]), _log(x, "jaccard"),
                            np.log1p(x[:, _F["min_neighbour_degrees"]]), np.log1p(x[:, _F["max_neighbour_degrees"]])])


def far_design(x: np.ndarray) -> np.ndarray:
    """The far-pair regression's inputs: endpoint degrees (with their products), reach and percentiles."""
    lo, hi = np.log1p(x[:, _F["min_degree"]]), np.log1p(x[:, _F["max_degree"]])
    return np.column_stack([lo, hi, lo * hi, lo * lo, hi * hi, np.log1p(x[:, _F["min_neighbour_degrees"]]),
                            np.log1p(x[:, _F["max_neighbour_degrees"]]), x[:, _F["min_degree_percentile"]],
                            x[:, _F["max_degree_percentile"]]])


@dataclass
class _Linear:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        w = self.coef / self.scale  # the scaling folded into the coefficients: one product per row
        return x @ w + (self.intercept - self.mean @ w)

    def to_json(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept}

    @classmethod
    def from_json(cls, d: dict) -> _Linear:
        return cls(np.array(d["mean"]), np.array(d["scale"]), np.array(d["coef"]), float(d["intercept"]))


def _fit_linear(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float) -> _Linear:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    if len(np.unique(y)) < 2:  # a region with one class (tiny graphs): its weighted log-odds, no slope
        p = np.clip(np.average(y, weights=w), 1e-6, 1 - 1e-6)
        return _Linear(mean, scale, np.zeros(x.shape[1]), float(np.log(p / (1 - p))))
    clf = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y, sample_weight=w)
    return _Linear(mean, scale, clf.coef_.ravel(), float(clf.intercept_[0]))


def _validation_score(scores: np.ndarray, val: Pairs) -> float:
    """AUC + Hits@50 + MRR as the evaluation counts them (as many negatives as positives), estimated on the
    validation round's larger pool of negatives."""
    pos, neg = scores[val.label == 1], scores[val.label == 0]
    n = len(pos)
    k = min(len(neg), max(1, int(round(50 * len(neg) / max(n, 1)))))
    hits = float(np.mean(pos > np.sort(neg)[-k])) if len(neg) else 1.0
    return auc(pos, neg) + hits + expected_mrr(pos, neg, n)


@dataclass
class LinkModel:
    seed: int = 0
    hide: float = 0.1  # share of edges hidden in each self-supervised round
    rounds: int = 3
    max_positives: int = 50_000  # per round: bounds the cost on 20 M-edge graphs
    near: _Linear | None = None
    far: _Linear | None = None
    meta: dict = field(default_factory=dict)

    def fit(self, edges: EdgeList, visible: np.ndarray,
            avoid: tuple[np.ndarray, np.ndarray] | None = None) -> LinkModel:
        """Learn from the `visible` edges only (a mask over `edges`): nothing held out leaks in. `avoid`
        pairs (an evaluation's test pairs) are never used as negatives, in training or validation."""
        rng = np.random.default_rng(self.seed)
        train, val = self_supervised_rounds(edges, visible, rng, self.rounds, self.hide,
                                            max_positives=self.max_positives, avoid=avoid)
        x = np.vstack([p.x for p in train])
        y = np.concatenate([p.label for p in train])
        w = np.concatenate([p.weight for p in train])
        has = _shares(x)
        near, far = near_design(x[has]), far_design(x[~has])
        best = None
        for c in REGULARISATION:
            self.near = _fit_linear(near, y[has], w[has], c)
            self.far = _fit_linear(far, y[~has], w[~has], c)
            score = _validation_score(self._score_features(val.x), val)
            if best is None or score > best[0]:
                best = (score, c, self.near, self.far)
        _, c, self.near, self.far = best
        self.meta = {"version": MODEL_VERSION, "features": list(FEATURES), "trained_at": time.time(),
                     "training_positives": int(y.sum()), "training_negatives": int((y == 0).sum()),
                     "validation_pairs": int(len(val.label)), "validation_score": float(best[0]),
                     "regularisation": c, "graph_nodes": int(edges.n), "graph_edges": int(visible.sum()),
                     "seed": self.seed}
        return self

    def _score_features(self, x: np.ndarray) -> np.ndarray:
        has = _shares(x)
        out = np.empty(len(x))
        if has.any():  # each region's design only on its rows: most pairs share no neighbour
            out[has] = self.near(near_design(x[has]))
        if not has.all():
            out[~has] = self.far(far_design(x[~has]))
        return out

    def bind(self, adj: sp.csr_matrix | GraphFeatures) -> BoundLinkModel:
        """The scorer over one graph: its node-level arrays computed once, then `score(u, v)` per batch."""
        if self.near is None or self.far is None:
            raise RuntimeError("call fit() first")
        return BoundLinkModel(self, adj if isinstance(adj, GraphFeatures) else GraphFeatures(adj))

    def score(self, adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Log-odds (up to one constant) that each pair is a link; `bind` once to score many batches."""
        return self.bind(adj).score(u, v)

    def save(self, path: Path) -> None:
        if self.near is None or self.far is None:
            raise RuntimeError("call fit() first")
        path.write_text(json.dumps({"meta": self.meta, "near": self.near.to_json(), "far": self.far.to_json()},
                                   indent=2))

    @classmethod
    def load(cls, path: Path) -> LinkModel:
        data = json.loads(path.read_text())
        if data.get("meta", {}).get("features") != list(FEATURES) or "near" not in data:
            raise ValueError(f"{path}: model features {data.get('meta', {}).get('features')} differ from "
                             f"{list(FEATURES)}")
        return cls(near=_Linear.from_json(data["near"]), far=_Linear.from_json(data["far"]), meta=data["meta"])


@dataclass(frozen=True)
class BoundLinkModel:
    """A fitted LinkModel bound to one graph (LinkModel.bind)."""

    model: LinkModel
    graph: GraphFeatures

    def score(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Log-odds (up to one constant) that each pair is a link."""
        return self.model._score_features(self.graph.features(u, v))
