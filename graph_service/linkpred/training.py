"""Self-supervised training pairs for the link scorers, drawn from the training graph only.

A round hides a random share of the visible edges: those are positives, and features are computed on the
graph without them. Negatives are uniform non-edges of the visible graph, as the evaluation samples them.
Uniform negatives almost never share a neighbour, yet the few that do decide Hits@50 and MRR (they are the
top-scoring negatives), so each round adds "hard" negatives at distance 2, drawn through random wedges
x-z-y and weighted so that together they stand for their true share of uniform non-edges: the learner
sees many of them without over-counting them.

The validation round hides edges disjoint from every training round's, and `avoid` pairs (the
evaluation's test pairs) are never drawn as negatives anywhere, so model selection never sees a test pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph_service.linkpred.edgelist import EdgeList, sample_non_edges
from graph_service.linkpred.features import GraphFeatures


@dataclass(frozen=True)
class Pairs:
    u: np.ndarray
    v: np.ndarray
    label: np.ndarray  # 1 hidden edge, 0 non-edge
    weight: np.ndarray  # how many uniform non-edges (or positives) a row stands for
    x: np.ndarray  # pair_features on the graph the round left visible


def _keys(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(u, v) * n + np.maximum(u, v)


def wedge_negatives(adj, count: int, rng: np.random.Generator, taken: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Non-edges x, y with a common neighbour, from random wedges x-z-y whose ends are not `taken` (sorted
    pair keys). Returns x, y, weights (1/cn: uniform over such pairs) and their share of all non-edges."""
    n = adj.shape[0]
    deg = np.diff(adj.indptr)
    wedges = deg * (deg - 1) / 2.0
    if count <= 0 or wedges.sum() == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), 0.0
    z = rng.choice(n, size=3 * count, p=wedges / wedges.sum())
    i = rng.integers(0, deg[z])
    j = rng.integers(0, deg[z] - 1)
    j = j + (j >= i)
    x, y = adj.indices[adj.indptr[z] + i].astype(np.int64), adj.indices[adj.indptr[z] + j].astype(np.int64)
    keys = _keys(x, y, n)
    at = np.minimum(np.searchsorted(taken, keys), max(len(taken) - 1, 0))
    open_ = taken[at] != keys if len(taken) else np.ones(len(keys), dtype=bool)
    if not open_.any():
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), 0.0
    x, y = x[open_][:count], y[open_][:count]
    cn = np.asarray(adj[x].multiply(adj[y]).sum(axis=1)).ravel()
    # open wedges x E[1/cn] estimates how many non-edges are at distance 2
    at_distance_2 = wedges.sum() * open_.mean() * np.mean(1.0 / cn)
    non_edges = n * (n - 1) / 2.0 - adj.nnz / 2.0
    return x, y, 1.0 / cn, float(min(1.0, at_distance_2 / max(non_edges, 1.0)))


def self_supervised_rounds(edges: EdgeList, visible: np.ndarray, rng: np.random.Generator, rounds: int = 3,
                           hide: float = 0.1, negatives: int = 4, hard: int = 2, validation_negatives: int = 20,
                           max_positives: int = 50_000,
                           avoid: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[Pairs], Pairs]:
    """`rounds` training rounds and one validation round, each hiding `hide` of the visible edges.

    Training rounds draw `negatives` uniform and `hard` wedge negatives per positive; the validation round
    draws `validation_negatives` uniform ones per positive, a large pool that steadies the ranking metrics
    the model is selected on."""
    n = edges.n
    shown = rng.permutation(np.flatnonzero(visible))
    size = max(1, min(max_positives, int(hide * len(shown))))
    val_hidden, rest = shown[:size], shown[size:]
    known = EdgeList(edges.node_ids, edges.u[visible], edges.v[visible])
    if avoid is not None:  # never draw an avoided pair as a negative: treat it as taken
        known = known.including(*avoid)
    taken = np.sort(known.u * n + known.v)  # pair keys, searched by the wedge sampler

    def one(hidden: np.ndarray, with_hard: bool, per_positive: int) -> Pairs:
        keep = visible.copy()
        keep[hidden] = False
        adj = edges.adjacency(keep)
        graph = GraphFeatures(adj)
        # at most half the free pairs: the sampler draws distinct pairs, so it must not ask for more
        free = n * (n - 1) // 2 - len(taken)
        nu, nv = sample_non_edges(known, min(per_positive * len(hidden), free // 2), rng)
        u, v = [edges.u[hidden], nu], [edges.v[hidden], nv]
        w = [np.ones(len(hidden)), np.ones(len(nu))]
        if with_hard:
            hu, hv, hw, share = wedge_negatives(adj, hard * len(hidden), rng, taken)
            if len(hu):
                x0 = graph.features(nu, nv)
                far = x0[:, 0] == 0  # uniform negatives stand for the far pairs only, wedges for the near
                u[1], v[1], w[1] = nu[far], nv[far], w[1][far]
                u.append(hu)
                v.append(hv)
                w.append(hw / hw.sum() * share * len(nu))
        uu, vv_ = np.concatenate(u), np.concatenate(v)
        label = np.concatenate([np.ones(len(hidden)), np.zeros(len(uu) - len(hidden))])
        return Pairs(uu, vv_, label, np.concatenate(w), graph.features(uu, vv_))

    train = [one(rng.choice(rest, size=min(size, len(rest)), replace=False), True, negatives) for _ in range(rounds)]
    return train, one(val_hidden, False, validation_negatives)
