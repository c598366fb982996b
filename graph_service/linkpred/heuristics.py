"""Neighbourhood link-prediction heuristics, vectorised over a sparse adjacency.

Each function scores many candidate pairs at once on an undirected graph given as a symmetric 0/1
scipy CSR matrix with a zero diagonal (see `pattern`). They match networkx's `link_prediction`
functions, which the tests use as the oracle. Common-neighbour scores share one helper,
`weighted_common_neighbors`: sum over z in Γ(u) ∩ Γ(v) of w[z].

>>> import numpy as np, scipy.sparse as sp
>>> A = pattern(sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])))
>>> common_neighbors(A, np.array([0]), np.array([1])).tolist()
[1.0]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["adamic_adar", "adamic_adar_weights", "common_neighbors", "degrees", "jaccard", "pattern",
           "preferential_attachment", "resource_allocation", "resource_allocation_weights",
           "weighted_common_neighbors"]


def pattern(adj: sp.spmatrix) -> sp.csr_matrix:
    """The symmetric 0/1 adjacency these functions take: weights dropped, self loops removed."""
    a = sp.csr_matrix(adj, dtype=np.float64)
    a = ((a + a.T) != 0).astype(np.float64).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    return a


def degrees(adj: sp.csr_matrix) -> np.ndarray:
    return np.diff(adj.indptr).astype(np.float64)


def weighted_common_neighbors(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum over z in Γ(u) ∩ Γ(v) of weights[z]; `weights` may have several columns (one result each)."""
    if adj.shape[0] != adj.shape[1]:
        raise ValueError(f"adjacency must be square, got {adj.shape}")
    if len(u) != len(v):
        raise ValueError(f"u and v differ in length: {len(u)} != {len(v)}")
    out = adj[u].multiply(adj[v]) @ weights
    return np.asarray(out).reshape(len(u), -1).squeeze(axis=1) if np.ndim(weights) == 1 else np.asarray(out)


def adamic_adar_weights(deg: np.ndarray) -> np.ndarray:
    """1 / log |Γ(z)| (0 where the degree is below 2: such a z is never a common neighbour)."""
    safe = np.where(deg > 1, deg, 2.0)
    return np.where(deg > 1, 1.0 / np.log(safe), 0.0)


def resource_allocation_weights(deg: np.ndarray) -> np.ndarray:
    """1 / |Γ(z)| (0 for isolated nodes)."""
    return np.where(deg > 0, 1.0 / np.maximum(deg, 1.0), 0.0)


def common_neighbors(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """|Γ(u) ∩ Γ(v)|."""
    return weighted_common_neighbors(adj, u, v, np.ones(adj.shape[0]))


def resource_allocation(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """sum over z in Γ(u) ∩ Γ(v) of 1 / |Γ(z)|."""
    return weighted_common_neighbors(adj, u, v, resource_allocation_weights(degrees(adj)))


def adamic_adar(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """sum over z in Γ(u) ∩ Γ(v) of 1 / log |Γ(z)|."""
    return weighted_common_neighbors(adj, u, v, adamic_adar_weights(degrees(adj)))


def jaccard(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """|Γ(u) ∩ Γ(v)| / |Γ(u) ∪ Γ(v)| (0 when both are isolated)."""
    cn = common_neighbors(adj, u, v)
    deg = degrees(adj)
    union = deg[u] + deg[v] - cn
    return np.divide(cn, union, out=np.zeros_like(cn), where=union > 0)


def preferential_attachment(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """|Γ(u)| · |Γ(v)|."""
    if len(u) != len(v):
        raise ValueError(f"u and v differ in length: {len(u)} != {len(v)}")
    deg = degrees(adj)
    return deg[u] * deg[v]
