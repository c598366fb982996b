"""Self-supervised training pairs (validation free of test pairs, weights of hard negatives) and the blend."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from graph_service.linkpred.blend import HEURISTICS, LogisticBlend, heuristic_scores
from graph_service.linkpred.edgelist import EdgeList, holdout_split
from graph_service.linkpred.heuristics import common_neighbors
from graph_service.linkpred.training import self_supervised_rounds, wedge_negatives


def _edges(g: nx.Graph) -> EdgeList:
    pairs = np.array(sorted((min(a, b), max(a, b)) for a, b in g.edges()))
    return EdgeList(np.arange(g.number_of_nodes()), pairs[:, 0], pairs[:, 1])


def _keys(u: np.ndarray, v: np.ndarray, n: int) -> set[int]:
    return set((np.minimum(u, v) * n + np.maximum(u, v)).tolist())


def test_validation_and_training_pairs_never_touch_the_test_pairs() -> None:
    # dense and small: half of all pairs are edges, so unguarded negative sampling would hit test pairs
    e = _edges(nx.gnp_random_graph(40, 0.5, seed=2))
    split = holdout_split(e, 0.2, seed=1)
    test = _keys(split.test_u, split.test_v, e.n)
    train, val = self_supervised_rounds(e, split.train, np.random.default_rng(0),
                                        avoid=(split.test_u, split.test_v))
    for p in [*train, val]:
        assert not _keys(p.u, p.v, e.n) & test
        visible = _keys(e.u[split.train], e.v[split.train], e.n)
        assert _keys(p.u[p.label == 1], p.v[p.label == 1], e.n) <= visible  # positives: training edges
        assert not _keys(p.u[p.label == 0], p.v[p.label == 0], e.n) & visible
    val_pos = _keys(val.u[val.label == 1], val.v[val.label == 1], e.n)
    for p in train:  # the validation round's hidden edges are never a training positive
        assert not _keys(p.u[p.label == 1], p.v[p.label == 1], e.n) & val_pos
    # without `avoid` the same sampling does draw test pairs here: the guard is what keeps them out
    train, val = self_supervised_rounds(e, split.train, np.random.default_rng(0))
    assert any(_keys(p.u, p.v, e.n) & test for p in [*train, val])


def test_wedge_negatives_are_non_edges_at_distance_two_weighted_uniformly() -> None:
    g = nx.powerlaw_cluster_graph(400, 3, 0.3, seed=5)
    e = _edges(g)
    adj = e.adjacency()
    taken = np.sort(e.u * e.n + e.v)
    x, y, w, share = wedge_negatives(adj, 3000, np.random.default_rng(1), taken)
    cn = common_neighbors(adj, x, y)
    assert (cn >= 1).all() and not any(g.has_edge(a, b) for a, b in zip(x.tolist(), y.tolist()))
    assert w == pytest.approx(1 / cn)
    # their share of all non-edges, counted exactly with networkx
    at_two = sum(1 for a in g for b, d in nx.single_source_shortest_path_length(g, a, cutoff=2).items()
                 if d == 2 and a < b)
    non_edges = e.n * (e.n - 1) / 2 - len(e.u)
    assert share == pytest.approx(at_two / non_edges, rel=0.1)


def test_blend_learns_from_the_training_graph_and_ranks_links_first() -> None:
    e = _edges(nx.powerlaw_cluster_graph(600, 4, 0.5, seed=3))
    split = holdout_split(e, 0.1, seed=0)
    blend = LogisticBlend(seed=0).fit(e, split.train, avoid=(split.test_u, split.test_v))
    adj = e.adjacency(split.train)
    scores = blend.score(adj, split.test_u, split.test_v)
    assert scores[split.test_label == 1].mean() > scores[split.test_label == 0].mean()
    assert heuristic_scores(adj, split.test_u, split.test_v).shape == (len(split.test_u), len(HEURISTICS))
    with pytest.raises(RuntimeError, match="fit"):
        LogisticBlend().score(adj, split.test_u, split.test_v)
