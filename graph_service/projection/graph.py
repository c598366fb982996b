"""In-memory graph projection: id maps, one CSR adjacency per relationship type, node attributes as arrays.

Like a Neo4j GDS projection, it is read-optimised and rebuilt from the store on demand. Writes made
through the service are applied as a small overlay (added edges, removed edges, new or deleted nodes)
that queries merge in; `compact()` folds the overlay back into fresh CSR arrays.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from graph_service.errors import NotFound
from graph_service.projection.names import Names
from graph_service.schema import UNDIRECTED, Label, RelType
from graph_service.stores.base import Direction

LABELS: tuple[Label, ...] = tuple(Label)
TYPES: tuple[RelType, ...] = tuple(RelType)
_EMPTY = np.empty(0, dtype=np.int64)
_VERSIONS = itertools.count(1)  # unique across projections: a rebuilt one never repeats a version
_FILL = {"labels": -1, "alive": True}  # value of a new row (attributes: -1 = missing)


@dataclass
class Hop:
    """One step of a typed traversal."""

    types: Sequence[RelType] | None = None  # None = every type
    direction: Direction = "both"


@dataclass
class Neighbours:
    """Parallel arrays, one entry per (edge, direction) reached."""

    nodes: np.ndarray
    types: np.ndarray  # index into TYPES
    outgoing: np.ndarray  # True when the edge points away from the start node
    weights: np.ndarray


@dataclass
class _Overlay:
    added_out: dict[int, dict[int, float]] = field(default_factory=dict)
    added_in: dict[int, dict[int, float]] = field(default_factory=dict)
    removed: set[tuple[int, int]] = field(default_factory=set)

    def __len__(self) -> int:
        return sum(len(v) for v in self.added_out.values()) + len(self.removed)


class Projection:
    def __init__(self, ids: list[str], labels: np.ndarray, attrs: dict[str, np.ndarray],
                 vocab: dict[str, list[str]], edges: dict[RelType, tuple[np.ndarray, np.ndarray, np.ndarray]],
                 names: Names | None = None):
        self.ids = ids
        self.names = names or Names()  # by index, for responses
        self.index = {node_id: i for i, node_id in enumerate(ids)}
        self.labels = labels.astype(np.int8)
        self.attrs = attrs
        self.vocab = vocab
        self.alive = np.ones(len(ids), dtype=bool)
        self._buffers = {"labels": self.labels, "alive": self.alive, **self.attrs}
        self._all_alive = True  # lets queries skip the liveness filter until something is deleted
        self._masks: dict[tuple, np.ndarray] = {}
        self.built_at = time.time()
        self.versions: dict[RelType, int] = {}  # per type, moves when its arrays change content
        self._set_edges(edges)

    # --- construction ------------------------------------------------------------------------
    def _set_edges(self, edges: dict[RelType, tuple[np.ndarray, np.ndarray, np.ndarray]],
                   kept: dict[RelType, tuple[sp.csr_matrix, sp.csr_matrix]] | None = None) -> None:
        """New arrays from edge lists; the types in `kept` keep theirs, only grown to the node count."""
        n = self.base_nodes = len(self.ids)
        self.out: dict[RelType, sp.csr_matrix] = {}
        self.inc: dict[RelType, sp.csr_matrix] = {}
        for t in TYPES:
            if kept and t in kept:
                out, inc = kept[t]
                self.out[t] = grown(out, n)
                self.inc[t] = self.out[t] if inc is out else grown(inc, n)
                continue
            self.versions[t] = next(_VERSIONS)  # new content: what was derived from it is stale
            src, dst, w = edges.pop(t, (_EMPTY, _EMPTY, np.empty(0, dtype=np.float32)))
            m = _csr(src, dst, w, n)
            del src, dst, w
            if t in UNDIRECTED:  # stored once per pair; both directions are the same relation
                m = (m + m.T).tocsr()
            m.sort_indices()
            self.out[t] = m
            self.inc[t] = m if t in UNDIRECTED else m.T.tocsr()
        self._overlay = {t: _Overlay() for t in TYPES}
        self._removed_nodes: list[int] = []  # deleted since the arrays were made: their edges are still in them

    def edge_count(self, rel_type: RelType) -> int:
        m = self.out[rel_type]
        base = m.nnz // 2 if rel_type in UNDIRECTED else m.nnz
        ov = self._overlay[rel_type]
        added = sum(len(v) for v in ov.added_out.values())
        if rel_type in UNDIRECTED:
            added //= 2
        return base + added - len(ov.removed) // (2 if rel_type in UNDIRECTED else 1)

    @property
    def node_count(self) -> int:
        return int(self.alive.sum())

    def label_of(self, i: int) -> Label:
        return LABELS[self.labels[i]]

    def idx(self, node_id: str) -> int:
        i = self.index.get(node_id)
        if i is None or not self.alive[i]:
            raise NotFound(f"no node with id {node_id!r}")
        return i

    # --- queries -----------------------------------------------------------------------------
    def expand(self, frontier: np.ndarray, hop: Hop, labels: Iterable[Label] | None = None
               ) -> tuple[np.ndarray, Neighbours]:
        """All edges one hop out of `frontier`: (position in frontier, Neighbours), alive targets only."""
        parts = []
        for t in hop.types or TYPES:
            for outgoing in self._directions(t, hop.direction):
                parts.append(self._step(frontier, t, TYPES.index(t), outgoing))
        pos = np.concatenate([p[0] for p in parts])
        nb = Neighbours(*(np.concatenate([p[k] for p in parts]) for k in range(1, 5)))
        keep = self.alive[nb.nodes]
        if labels is not None:
            keep &= self.label_mask(labels)[self.labels[nb.nodes]]
        return pos[keep], Neighbours(nb.nodes[keep], nb.types[keep], nb.outgoing[keep], nb.weights[keep])

    def neighbours(self, node_id: str, hop: Hop = Hop(), labels: Iterable[Label] | None = None) -> Neighbours:
        return self.expand(np.array([self.idx(node_id)]), hop, labels)[1]

    def two_hop(self, node_id: str, first: Hop, second: Hop, labels: Iterable[Label] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Distinct nodes two typed hops away (not the start), with the number of paths to each."""
        start = self.idx(node_id)
        first_hop = self._targets(np.array([start]), first)
        if len(first_hop) == 0:
            return _EMPTY, _EMPTY
        far = self._targets(np.unique(first_hop), second)
        if labels is not None:
            far = far[self.label_mask(labels)[self.labels[far]]]
        nodes, counts = np.unique(far, return_counts=True)
        keep = nodes != start
        return nodes[keep], counts[keep]

    def _targets(self, frontier: np.ndarray, hop: Hop) -> np.ndarray:
        """Targets of every edge one hop out of `frontier` (with repeats), alive only: the lean path
        of `expand` for traversals that need no edge details."""
        parts: list[np.ndarray] = []
        # a few start nodes: slicing rows directly beats the vectorised gather's fixed cost
        few = len(frontier) <= 64 and (len(frontier) == 0 or int(frontier.max()) < self.base_nodes)
        rows = frontier.tolist() if few else []
        for t in hop.types or TYPES:
            ov = self._overlay[t]
            for outgoing in self._directions(t, hop.direction):
                if few and not (ov.added_out or ov.removed):
                    m = self.out[t] if outgoing else self.inc[t]
                    ptr, ind = m.indptr, m.indices
                    parts.extend(ind[ptr[i]:ptr[i + 1]] for i in rows)
                else:
                    parts.append(self._step(frontier, t, 0, outgoing)[1])
        if not parts:
            return _EMPTY
        nodes = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return nodes if self._all_alive else nodes[self.alive[nodes]]

    @staticmethod
    def _directions(t: RelType, direction: Direction) -> tuple[bool, ...]:
        if t in UNDIRECTED or direction == "out":
            return (True,)
        return (False,) if direction == "in" else (True, False)

    def label_mask(self, labels: Iterable[Label]) -> np.ndarray:
        key = tuple(labels)
        mask = self._masks.get(key)
        if mask is None:
            mask = np.zeros(len(LABELS), dtype=bool)
            for lab in key:
                mask[LABELS.index(Label(lab))] = True
            self._masks[key] = mask
        return mask

    def _step(self, frontier: np.ndarray, t: RelType, ti: int, outgoing: bool):
        m = self.out[t] if outgoing else self.inc[t]
        base = frontier[frontier < self.base_nodes]
        base_pos = np.flatnonzero(frontier < self.base_nodes)
        starts, ends = m.indptr[base], m.indptr[base + 1]
        lens = ends - starts
        total = int(lens.sum())
        if total:
            offsets = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
            pos, nodes, weights = np.repeat(base_pos, lens), m.indices[offsets].astype(np.int64), m.data[offsets]
        else:
            pos, nodes, weights = _EMPTY, _EMPTY, np.empty(0, dtype=np.float32)
        ov = self._overlay[t]
        if ov.added_out or ov.removed:
            pos, nodes, weights = self._apply_overlay(ov, frontier, pos, nodes, weights, outgoing,
                                                      t in UNDIRECTED)
        return pos, nodes, np.full(len(nodes), ti, dtype=np.int8), np.full(len(nodes), outgoing), weights

    @staticmethod
    def _apply_overlay(ov: _Overlay, frontier, pos, nodes, weights, outgoing: bool, undirected: bool):
        if ov.removed:
            src = frontier[pos]
            pairs = zip(src.tolist(), nodes.tolist()) if outgoing else zip(nodes.tolist(), src.tolist())
            keep = np.fromiter((p not in ov.removed for p in pairs), dtype=bool, count=len(nodes))
            pos, nodes, weights = pos[keep], nodes[keep], weights[keep]
        added = ov.added_out if outgoing or undirected else ov.added_in
        extra = [(p, d, w) for p, s in enumerate(frontier.tolist()) for d, w in added.get(s, {}).items()]
        if extra:
            ep, en, ew = (np.array(c) for c in zip(*extra))
            pos, nodes = np.concatenate([pos, ep]), np.concatenate([nodes, en])
            weights = np.concatenate([weights, ew.astype(np.float32)])
        return pos, nodes, weights

    # --- writes from the service ---------------------------------------------------------------
    def add_node(self, node_id: str, label: Label, attrs: dict | None = None, name: str | None = None) -> int:
        """Create or update a node. An id deleted before comes back as a new row: its old row, dead, keeps
        the old relationships, which must not reappear (the ghost edges of a delete and re-create)."""
        i = self.index.get(node_id)
        if i is None or not self.alive[i]:
            i = len(self.ids)
            self.ids.append(node_id)
            self.index[node_id] = i
            self._append_row(LABELS.index(label))
        for attr, value in (attrs or {}).items():
            if attr in self.attrs:
                self.attrs[attr][i] = encode_attr(self.vocab, attr, value)
        if name is not None:
            self.names[i] = name
        return i

    def _append_row(self, label_code: int) -> None:
        """Grow the node arrays by one row; they are views of buffers that double when full, so a
        service adding nodes one by one copies the arrays only log(n) times."""
        n = len(self.ids)
        if n > len(self._buffers["labels"]):
            for name, buf in self._buffers.items():
                grown = np.full(2 * n, _FILL.get(name, -1), dtype=buf.dtype)
                grown[: len(buf)] = buf
                self._buffers[name] = grown
        for name, buf in self._buffers.items():
            buf[n - 1] = label_code if name == "labels" else _FILL.get(name, -1)
        self.labels, self.alive = self._buffers["labels"][:n], self._buffers["alive"][:n]
        self.attrs = {name: self._buffers[name][:n] for name in self.attrs}

    def remove_node(self, node_id: str) -> None:
        self._all_alive = False
        i = self.idx(node_id)
        self.alive[i] = False  # its edges become unreachable: queries drop dead nodes
        self._removed_nodes.append(i)

    def settled(self) -> bool:
        """True when the arrays hold the whole graph: no overlay, no node added or deleted since. Code
        that reads the arrays directly (the deal history, the link scorer) needs `compact()` first."""
        return not self.overlay_size() and len(self.ids) == self.base_nodes and not self._removed_nodes

    def add_edge(self, t: RelType, src: str, dst: str, weight: float = 1.0) -> None:
        """Create or re-weight an edge. One held in the arrays with another weight is hidden there and
        added again in the overlay, so that it is never counted twice."""
        s, d = self.idx(src), self.idx(dst)
        ov = self._overlay[t]
        pairs = [(s, d), (d, s)] if t in UNDIRECTED else [(s, d)]
        for a, b in pairs:
            ov.added_out.get(a, {}).pop(b, None)
            ov.added_in.get(b, {}).pop(a, None)
            base = self._base_weight(t, a, b)
            if base is not None and base == np.float32(weight):
                ov.removed.discard((a, b))
                continue
            if base is not None:
                ov.removed.add((a, b))
            ov.added_out.setdefault(a, {})[b] = weight
            ov.added_in.setdefault(b, {})[a] = weight

    def remove_edge(self, t: RelType, src: str, dst: str) -> None:
        s, d = self.idx(src), self.idx(dst)
        ov = self._overlay[t]
        for a, b in ([(s, d), (d, s)] if t in UNDIRECTED else [(s, d)]):
            ov.added_out.get(a, {}).pop(b, None)
            ov.added_in.get(b, {}).pop(a, None)
            if self._base_weight(t, a, b) is not None:
                ov.removed.add((a, b))

    def _base_weight(self, t: RelType, a: int, b: int) -> float | None:
        """The weight of a -> b in the arrays (as built or last compacted), None when absent there."""
        if a >= self.base_nodes or b >= self.base_nodes:
            return None
        m = self.out[t]
        lo, hi = m.indptr[a], m.indptr[a + 1]
        k = lo + int(np.searchsorted(m.indices[lo:hi], b))
        return float(m.data[k]) if k < hi and m.indices[k] == b else None

    def overlay_size(self) -> int:
        return sum(len(o) for o in self._overlay.values())

    def compact(self) -> None:
        """Fold the overlay into new CSR arrays (dead nodes keep their index, without edges). A type with
        nothing to fold keeps its arrays: one write costs the rebuild of its own types only."""
        edges = {}
        kept = {}
        dead = np.array([i for i in self._removed_nodes if i < self.base_nodes], dtype=np.int64)
        for t in TYPES:
            ov = self._overlay[t]
            if not (ov.added_out or ov.removed) and not self._has_edges(t, dead):
                kept[t] = (self.out[t], self.inc[t])
                continue
            m = self.out[t].tocoo()
            src, dst, w = m.row.astype(np.int64), m.col.astype(np.int64), m.data
            if t in UNDIRECTED:
                half = src < dst
                src, dst, w = src[half], dst[half], w[half]
            keep = self.alive[src] & self.alive[dst]
            if ov.removed:
                keep &= np.fromiter(((a, b) not in ov.removed for a, b in zip(src.tolist(), dst.tolist())),
                                    dtype=bool, count=len(src))
            extra = [(a, b, x) for a, row in ov.added_out.items() for b, x in row.items()
                     if (t not in UNDIRECTED or a < b) and self.alive[a] and self.alive[b]]
            ea, eb, ew = (np.array(c) for c in zip(*extra)) if extra else (_EMPTY, _EMPTY, np.empty(0))
            edges[t] = (np.concatenate([src[keep], ea]).astype(np.int64),
                        np.concatenate([dst[keep], eb]).astype(np.int64),
                        np.concatenate([w[keep], ew]).astype(np.float32))
        self._set_edges(edges, kept)

    def _has_edges(self, t: RelType, nodes: np.ndarray) -> bool:
        if len(nodes) == 0:
            return False
        return bool((np.diff(self.out[t].indptr)[nodes] > 0).any() or (np.diff(self.inc[t].indptr)[nodes] > 0).any())


def grown(m: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """m with rows and columns up to n, the new rows empty: no copy of its entries."""
    old = m.shape[0]
    if old == n:
        return m
    indptr = np.concatenate([m.indptr, np.full(n - old, m.indptr[-1], dtype=m.indptr.dtype)])
    grown = sp.csr_matrix((m.data, m.indices, indptr), shape=(n, n), copy=False)
    grown.has_sorted_indices = m.has_sorted_indices
    return grown


def _csr(src: np.ndarray, dst: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR straight from edge arrays. SQLite scans relationships in source order, so usually no sort and
    no COO copy is needed (that copy was the build's memory peak at 20 M relationships); Neo4j's come
    by source label and chunk, and are sorted here."""
    if len(src) > 1 and not bool(np.all(src[1:] >= src[:-1])):
        order = np.argsort(src, kind="stable")
        src, dst, w = src[order], dst[order], w[order]
        del order
    indptr = np.zeros(n + 1, dtype=np.int32 if len(src) < 2**31 else np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return sp.csr_matrix((w.astype(np.float32, copy=False), dst.astype(indptr.dtype, copy=False), indptr),
                         shape=(n, n))


def encode_attr(vocab: dict[str, list[str]], name: str, value) -> int:
    """Attribute value -> array code: numbers stay numbers, categories get a stable code."""
    if value is None:
        return -1
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    codes = vocab.setdefault(name, [])
    text = str(value)
    if text not in codes:
        codes.append(text)
    return codes.index(text)
