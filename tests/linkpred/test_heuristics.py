"""Vectorised heuristics against networkx's link_prediction functions (the oracle)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graph_service.linkpred import heuristics as h
from graph_service.linkpred.features import FEATURES, pair_features


@pytest.fixture(scope="module")
def graph() -> nx.Graph:
    g = nx.powerlaw_cluster_graph(300, 3, 0.4, seed=1)
    g.add_nodes_from([300, 301])  # isolated nodes: zero degrees must not divide by zero
    return g


def _pairs(g: nx.Graph, k: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    u, v = rng.integers(0, g.number_of_nodes(), size=(2, k))
    keep = u != v
    return u[keep], v[keep]


@pytest.mark.parametrize(("ours", "theirs"), [
    (h.jaccard, nx.jaccard_coefficient),
    (h.adamic_adar, nx.adamic_adar_index),
    (h.resource_allocation, nx.resource_allocation_index),
    (h.preferential_attachment, nx.preferential_attachment),
])
def test_heuristics_equal_networkx(graph: nx.Graph, ours, theirs) -> None:
    adj = h.pattern(nx.to_scipy_sparse_array(graph, nodelist=range(graph.number_of_nodes())))
    u, v = _pairs(graph)
    expected = [s for _, _, s in theirs(graph, list(zip(u.tolist(), v.tolist())))]  # a list: nx reads it twice
    assert ours(adj, u, v) == pytest.approx(expected)


def test_common_neighbors_equal_networkx(graph: nx.Graph) -> None:
    adj = h.pattern(nx.to_scipy_sparse_array(graph, nodelist=range(graph.number_of_nodes())))
    u, v = _pairs(graph)
    expected = [len(list(nx.common_neighbors(graph, a, b))) for a, b in zip(u.tolist(), v.tolist())]
    assert h.common_neighbors(adj, u, v).tolist() == expected


def test_pattern_drops_weights_direction_and_self_loops() -> None:
    a = sp.csr_matrix(np.array([[5.0, 2.0, 0.0], [0.0, 0.0, 0.0], [3.0, 0.0, 0.0]]))
    assert h.pattern(a).toarray().tolist() == [[0, 1, 1], [1, 0, 0], [1, 0, 0]]


def test_features_are_the_heuristics_side_by_side(graph: nx.Graph) -> None:
    adj = h.pattern(nx.to_scipy_sparse_array(graph, nodelist=range(graph.number_of_nodes())))
    u, v = _pairs(graph)
    x = pair_features(adj, u, v)
    assert x.shape == (len(u), len(FEATURES))
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    pairs = list(zip(u.tolist(), v.tolist()))
    assert col["common_neighbors"].tolist() == [len(list(nx.common_neighbors(graph, a, b))) for a, b in pairs]
    assert col["adamic_adar"] == pytest.approx([s for _, _, s in nx.adamic_adar_index(graph, pairs)])
    assert col["resource_allocation"] == pytest.approx([s for _, _, s in nx.resource_allocation_index(graph, pairs)])
    assert col["jaccard"] == pytest.approx([s for _, _, s in nx.jaccard_coefficient(graph, pairs)])
    assert col["min_degree"] * col["max_degree"] == pytest.approx(
        [s for _, _, s in nx.preferential_attachment(graph, pairs)])


def test_features_networkx_has_no_function_for(graph: nx.Graph) -> None:
    """The strongest common neighbour, two-step reach and degree percentiles, pair by pair from networkx."""
    adj = h.pattern(nx.to_scipy_sparse_array(graph, nodelist=range(graph.number_of_nodes())))
    u, v = _pairs(graph)
    x = pair_features(adj, u, v)
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    deg = dict(graph.degree())
    degrees = np.array([deg[i] for i in range(graph.number_of_nodes())])
    for i, (a, b) in enumerate(zip(u.tolist(), v.tolist())):
        common = list(nx.common_neighbors(graph, a, b))
        assert col["max_resource"][i] == pytest.approx(max((1 / deg[z] for z in common), default=0.0))
        reach = sorted(sum(deg[z] for z in graph[n]) for n in (a, b))
        assert [col["min_neighbour_degrees"][i], col["max_neighbour_degrees"][i]] == reach
        lo, hi = sorted((deg[a], deg[b]))
        assert col["min_degree_percentile"][i] == pytest.approx(np.mean(degrees <= lo))
        assert col["max_degree_percentile"][i] == pytest.approx(np.mean(degrees <= hi))


def test_mismatched_pairs_are_refused(graph: nx.Graph) -> None:
    adj = h.pattern(nx.to_scipy_sparse_array(graph))
    with pytest.raises(ValueError, match="differ in length"):
        h.common_neighbors(adj, np.array([0, 1]), np.array([2]))


def test_bound_features_equal_the_public_scipy_path_and_networkx(graph: nx.Graph, monkeypatch) -> None:
    from graph_service.linkpred import features as f

    adj = h.pattern(nx.to_scipy_sparse_array(graph, nodelist=range(graph.number_of_nodes())))
    u, v = _pairs(graph)
    bound = f.GraphFeatures(adj)
    x = bound.features(u, v)
    monkeypatch.setattr(f, "_KERNELS", False)  # adj[u].multiply(adj[v]): the same numbers
    assert np.allclose(f.GraphFeatures(adj).features(u, v), x)
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    pairs = list(zip(u.tolist(), v.tolist()))
    assert col["adamic_adar"] == pytest.approx([s for _, _, s in nx.adamic_adar_index(graph, pairs)])
    assert col["resource_allocation"] == pytest.approx([s for _, _, s in nx.resource_allocation_index(graph, pairs)])
    assert col["jaccard"] == pytest.approx([s for _, _, s in nx.jaccard_coefficient(graph, pairs)])
    strongest = [max((1 / graph.degree(z) for z in nx.common_neighbors(graph, a, b)), default=0.0) for a, b in pairs]
    assert col["max_resource"] == pytest.approx(strongest)
    reach = [sum(graph.degree(z) for z in graph[a]) for a in range(graph.number_of_nodes())]
    assert col["max_neighbour_degrees"] == pytest.approx([max(reach[a], reach[b]) for a, b in pairs])
    # int64 index arrays (what scipy gives large graphs) go through the same kernels
    wide = adj.copy()
    wide.indices, wide.indptr = wide.indices.astype(np.int64), wide.indptr.astype(np.int64)
    monkeypatch.setattr(f, "_KERNELS", True)
    assert np.allclose(f.GraphFeatures(wide).features(u, v), x)
    assert f.GraphFeatures(adj).features(u[:0], v[:0]).shape == (0, len(FEATURES))
