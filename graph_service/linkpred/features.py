"""Pair features for the learned link scorer: the neighbourhood heuristics and degrees, computed
together so that the sparse row products are made once per batch of pairs."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from graph_service.linkpred.heuristics import (
    adamic_adar_weights,
    degrees,
    resource_allocation_weights,
    weighted_common_neighbors,
)

FEATURES = ("common_neighbors", "adamic_adar", "resource_allocation", "jaccard", "log_preferential_attachment",
            "log_min_degree", "log_max_degree")


def pair_features(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One row per pair, columns as FEATURES; `adj` is a 0/1 symmetric CSR (heuristics.pattern)."""
    deg = degrees(adj)
    weights = np.column_stack([np.ones_like(deg), adamic_adar_weights(deg), resource_allocation_weights(deg)])
    cn, aa, ra = weighted_common_neighbors(adj, u, v, weights).T
    du, dv = deg[u], deg[v]
    union = du + dv - cn
    return np.column_stack([
        cn, aa, ra, np.divide(cn, union, out=np.zeros_like(cn), where=union > 0), np.log1p(du * dv),
        np.log1p(np.minimum(du, dv)), np.log1p(np.maximum(du, dv)),
    ])
