"""SNAP-style edge lists (one pair of integer ids a line) and a seeded link-prediction split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from graph_service.errors import InvalidInput
from graph_service.linkpred.heuristics import pattern


@dataclass(frozen=True)
class EdgeList:
    node_ids: np.ndarray  # original id of each dense index
    u: np.ndarray  # unique undirected pairs, u < v, dense indices
    v: np.ndarray

    @property
    def n(self) -> int:
        return len(self.node_ids)

    def including(self, u: np.ndarray, v: np.ndarray) -> EdgeList:
        """These edges and the pairs (u, v) as one edge list (unique, u < v): the pairs a sampler of
        non-edges must also leave alone."""
        n = self.n
        keys = np.unique(np.concatenate([self.u * n + self.v, np.minimum(u, v) * n + np.maximum(u, v)]))
        return EdgeList(self.node_ids, keys // n, keys % n)

    def adjacency(self, keep: np.ndarray | None = None) -> sp.csr_matrix:
        u, v = (self.u, self.v) if keep is None else (self.u[keep], self.v[keep])
        return pattern(sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(self.n, self.n)))


def read_edgelist(path: Path) -> EdgeList:
    """Pairs from lines whose first two fields are integers; other lines (comments, headers, URLs) are
    skipped. A pair may appear once or in both directions; self loops are dropped."""
    src: list[int] = []
    dst: list[int] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            fields = line.split()
            if len(fields) < 2:
                continue
            try:
                a, b = int(fields[0]), int(fields[1])
            except ValueError:
                continue
            if a != b:
                src.append(a)
                dst.append(b)
    if not src:
        raise InvalidInput("no edges: no line starts with two integer ids", file=str(path))
    ids, dense = np.unique(np.array(src + dst, dtype=np.int64), return_inverse=True)
    first, second = dense[: len(src)], dense[len(src):]
    pairs = np.unique(np.minimum(first, second) * len(ids) + np.maximum(first, second))
    return EdgeList(ids, pairs // len(ids), pairs % len(ids))


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # mask over the edge list: edges the methods may see
    test_u: np.ndarray  # held-out true links, then as many sampled non-links
    test_v: np.ndarray
    test_label: np.ndarray

    def fresh_non_edges(self, edges: EdgeList, count: int, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray]:
        """`count` non-edges of `edges` that are not among the test negatives: other draws of them."""
        neg = self.test_label == 0
        return sample_non_edges(edges.including(self.test_u[neg], self.test_v[neg]), count, rng)


def sample_non_edges(edges: EdgeList, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`count` distinct pairs u < v that are not edges of `edges` (vectorised: no set of all edges)."""
    n = edges.n
    taken = np.sort(edges.u * n + edges.v)  # pair keys; already sorted when built by read_edgelist
    found = np.empty(0, dtype=np.int64)
    while len(found) < count:
        a, b = rng.integers(0, n, size=(2, 2 * (count - len(found)) + 16))
        keys = np.minimum(a, b) * n + np.maximum(a, b)
        pos = np.minimum(np.searchsorted(taken, keys), max(len(taken) - 1, 0))
        fresh = keys[(a != b) & ((taken[pos] != keys) if len(taken) else True)]
        # keep the first draws, in order, that are new (seeded order, no duplicates)
        merged = np.concatenate([found, fresh])
        _, first = np.unique(merged, return_index=True)
        found = merged[np.sort(first)]
    found = found[:count]
    return found // n, found % n


def holdout_split(edges: EdgeList, fraction: float = 0.1, seed: int = 0) -> Split:
    """A seeded random `fraction` of the edges held out, plus as many sampled non-edges."""
    rng = np.random.default_rng(seed)
    m = len(edges.u)
    test = rng.choice(m, size=max(1, int(round(fraction * m))), replace=False)
    train = np.ones(m, dtype=bool)
    train[test] = False
    neg_u, neg_v = sample_non_edges(edges, len(test), rng)
    return Split(train, np.concatenate([edges.u[test], neg_u]), np.concatenate([edges.v[test], neg_v]),
                 np.concatenate([np.ones(len(test)), np.zeros(len(test))]))
