"""How two entities are connected (shortest and strongest paths) and a node's community.

Shortest paths come from a bidirectional breadth-first search on the projection's typed CSR arrays
(exact, and it touches only the two growing balls). Each level grows the side that costs fewer
relationship reads, and the search is bounded by the reads it may make (checked before a level, so a
hub such as a province or a top field cannot blow it up unseen); when it finds nothing it says why it
stopped. The strongest path is a Dijkstra (scipy) over what the search read; communities are computed
with networkx on a small neighbourhood, as networkx is meant to be used here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from graph_service.errors import InvalidInput
from graph_service.projection import Hop, Projection
from graph_service.projection.graph import TYPES
from graph_service.schema import UNDIRECTED, RelType

__all__ = ["MAX_EXAMINED", "Community", "Connection", "Step", "community_of", "connect", "explain"]

# Relationship ends a path search may read: about half the city tier's 2 million (typical searches there read
# under 150 thousand; a search reading the limit takes about 0.3 s).
MAX_EXAMINED = 1_000_000
HUBS_SHOWN = 3
Stopped = Literal["found", "hop_limit", "explore_limit", "exhausted", "no_relationships"]
_UNSEEN = -2


@dataclass(frozen=True)
class Step:
    src: str
    dst: str
    type: str
    weight: float


@dataclass(frozen=True)
class Connection:
    shortest: list[str]  # node ids, from `a` to `b`; empty when not connected within the limit
    shortest_steps: list[Step]
    strongest: list[str]
    strongest_steps: list[Step]
    explored: int  # nodes the two balls hold
    types: tuple[RelType, ...] = ()  # relationship types searched
    max_hops: int = 6
    hops: int = 0  # levels searched, both sides together
    examined: int = 0  # relationship ends read
    max_examined: int = MAX_EXAMINED
    stopped: Stopped = "found"
    isolated: list[str] = field(default_factory=list)  # endpoints with no relationship of the searched types
    hubs: list[str] = field(default_factory=list)  # most connected nodes the search could not afford to expand
    exhausted: str | None = None  # the endpoint whose whole component was explored without meeting the other


def connect(p: Projection, a: str, b: str, types: Sequence[RelType] | None = None, max_hops: int = 6,
            max_examined: int = MAX_EXAMINED) -> Connection:
    """Shortest path (fewest hops, exact up to `max_hops`) and strongest path (least total 1/weight)
    among the paths inside the explored region, between `a` and `b`, over `types` (default: every
    type) in both directions. When `shortest` is empty, `explain(p, c)` says why in Chinese."""
    if not 1 <= max_hops <= 10:
        raise InvalidInput("max_hops must be between 1 and 10", field="max_hops")
    chosen = tuple(dict.fromkeys(types)) if types else TYPES
    start, goal = p.idx(a), p.idx(b)
    if start == goal:
        return Connection([a], [], [a], [], 1, chosen, max_hops)
    hop = Hop(list(chosen), "both")
    isolated = [p.ids[x] for x in (start, goal) if not len(p.expand(np.array([x]), hop)[0])]
    if isolated:
        return Connection([], [], [], [], 2, chosen, max_hops, stopped="no_relationships", isolated=isolated)
    s = _Search(p, hop, start, goal)
    stopped = s.run(max_hops, max_examined)
    searched = Connection([], [], [], [], s.explored, chosen, max_hops, s.hops, s.examined, max_examined, stopped,
                          hubs=s.hubs, exhausted=s.exhausted)
    if stopped != "found":
        return searched
    path = s.path()
    edges = _Edges(p, s.edges)
    strongest = edges.strongest(start, goal)
    return replace(searched, shortest=[p.ids[i] for i in path], shortest_steps=edges.steps(path),
                   strongest=[p.ids[i] for i in strongest], strongest_steps=edges.steps(strongest))


class _Search:
    """The two balls of a bidirectional breadth-first search: parent and depth per node, per side."""

    def __init__(self, p: Projection, hop: Hop, start: int, goal: int):
        self.p, self.hop, n = p, hop, len(p.ids)
        self.parent = [np.full(n, _UNSEEN, dtype=np.int32) for _ in range(2)]
        self.depth = [np.zeros(n, dtype=np.int16) for _ in range(2)]
        self.roots = (start, goal)
        self.frontier = [np.array([start]), np.array([goal])]
        for side, node in enumerate((start, goal)):
            self.parent[side][node] = -1
        self.explored, self.hops, self.examined = 2, 0, 0
        self.meeting: int | None = None
        self.edges: list[tuple[np.ndarray, ...]] = []
        self.hubs: list[str] = []
        self.exhausted: str | None = None

    def run(self, max_hops: int, max_examined: int) -> Stopped:
        while True:
            if self.meeting is not None:
                return "found"
            empty = [side for side in (0, 1) if not len(self.frontier[side])]
            if empty:
                self.exhausted = self.p.ids[self.roots[empty[0]]]
                return "exhausted"
            if self.hops == max_hops:
                return "hop_limit"
            cost = [self._cost(self.frontier[side]) for side in (0, 1)]
            side = 0 if cost[0].sum() <= cost[1].sum() else 1  # grow the cheaper ball a whole level
            if self.examined + int(cost[side].sum()) > max_examined:
                both = np.concatenate(self.frontier)
                top = np.argsort(-np.concatenate(cost), kind="stable")[:HUBS_SHOWN]
                self.hubs = [self.p.ids[int(both[i])] for i in top]
                return "explore_limit"
            self._grow(side)

    def _cost(self, frontier: np.ndarray) -> np.ndarray:
        """Relationship ends each frontier node would read (the CSR rows; the small overlay aside)."""
        keep = frontier < self.p.base_nodes
        base, cost = frontier[keep], np.zeros(len(frontier), dtype=np.int64)
        for t in self.hop.types or TYPES:
            for m in (self.p.out[t],) if t in UNDIRECTED else (self.p.out[t], self.p.inc[t]):
                cost[keep] += m.indptr[base + 1] - m.indptr[base]
        return cost

    def _grow(self, side: int) -> None:
        mine, other = self.parent[side], self.parent[1 - side]
        frontier = self.frontier[side]
        pos, nb = self.p.expand(frontier, self.hop)
        parents, nodes = frontier[pos], nb.nodes
        # as stored: from the parent when the edge points away from it
        self.edges.append((np.where(nb.outgoing, parents, nodes), np.where(nb.outgoing, nodes, parents),
                           nb.types, nb.weights))
        self.examined += len(nodes)
        self.hops += 1
        new = mine[nodes] == _UNSEEN
        fresh, first = np.unique(nodes[new], return_index=True)  # the first parent found for each
        mine[fresh] = parents[new][first]
        self.depth[side][fresh] = self.depth[side][frontier[0]] + 1
        self.frontier[side] = fresh
        self.explored += len(fresh)
        # of the nodes both balls now hold, the one with the fewest hops in total joins the path
        touching = fresh[other[fresh] != _UNSEEN]
        if len(touching):
            self.meeting = int(touching[np.lexsort((touching, self.depth[1 - side][touching]))[0]])

    def path(self) -> list[int]:
        assert self.meeting is not None
        return self._walk(0, self.meeting)[::-1] + self._walk(1, self.meeting)[1:]

    def _walk(self, side: int, node: int) -> list[int]:
        out = [node]
        while self.parent[side][out[-1]] != -1:
            out.append(int(self.parent[side][out[-1]]))
        return out


class _Edges:
    """What the search read, one cheapest edge per pair: stronger ties (more joint works, higher
    expertise weight) are cheaper to walk."""

    def __init__(self, p: Projection, parts: list[tuple[np.ndarray, ...]]):
        self.p, self.n = p, len(p.ids)
        src, dst, types, weights = (np.concatenate([part[k] for part in parts]) for k in range(4))
        w = np.nan_to_num(weights.astype(np.float64), nan=0.0, posinf=1e12)
        cost = 1.0 / np.clip(w, 1e-9, None)  # positive: a zero would not be an edge to scipy
        key = np.minimum(src, dst) * self.n + np.maximum(src, dst)
        order = np.argsort(key, kind="stable")  # one key sorts far faster than a lexsort with the cost
        key, cost = key[order], cost[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        sizes = np.diff(np.r_[starts, len(key)])
        best = np.flatnonzero(cost == np.repeat(np.minimum.reduceat(cost, starts), sizes))
        group = np.repeat(np.arange(len(starts)), sizes)[best]
        best = best[np.r_[True, group[1:] != group[:-1]]]  # the first cheapest edge of each pair
        self.key, self.cost = key[best], cost[best]
        self.src, self.types, self.weights = src[order[best]], types[order[best]], weights[order[best]]

    def strongest(self, start: int, goal: int) -> list[int]:
        n = self.n
        lo, hi = self.key // n, self.key % n
        g = sp.csr_matrix((np.r_[self.cost, self.cost], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n))
        _, pred = dijkstra(g, directed=True, indices=start, return_predecessors=True)
        out = [goal]
        while out[-1] != start:
            out.append(int(pred[out[-1]]))
        return out[::-1]

    def steps(self, path: list[int]) -> list[Step]:
        """Each step's relationship as stored (its own direction; one per pair, smaller id first, when undirected)."""
        out = []
        for x, y in zip(path, path[1:]):
            i = int(np.searchsorted(self.key, min(x, y) * self.n + max(x, y)))
            t = TYPES[self.types[i]]
            src, dst = (self.p.ids[x], self.p.ids[y]) if self.src[i] == x else (self.p.ids[y], self.p.ids[x])
            if t in UNDIRECTED and src > dst:
                src, dst = dst, src
            out.append(Step(src, dst, t.value, float(self.weights[i])))
        return out


def explain(p: Projection, c: Connection) -> str | None:
    """Why no path was found, for people (None when one was): what was searched, how far, why it stopped."""
    if c.stopped == "found":
        return None

    def name(node_id: str) -> str:
        i = p.index.get(node_id)
        return f"{p.names[i] if i is not None else ''}（{node_id}）"

    every = set(c.types) == set(TYPES)
    searched = f"全部 {len(TYPES)} 种关系" if every else f" {'、'.join(c.types)} 这 {len(c.types)} 种关系"
    if c.stopped == "no_relationships":
        what = "任何关系" if every else f"{searched}里的任何一条"
        return f"{'和'.join(name(x) for x in c.isolated)}没有{what}，无法由此连通。"
    done = f"已按{searched}探索 {c.explored:,} 个节点（读取 {c.examined:,} 个关系端点，两侧共 {c.hops} 跳）"
    if c.stopped == "exhausted":
        return (f"{done}：从{name(c.exhausted or '')}出发能到达的节点已全部探索，两者在这些关系下不连通。"
                "可以去掉 types 限制或加入更多关系类型再试。")
    if c.stopped == "hop_limit":
        return f"{done}，达到跳数上限 {c.max_hops} 仍未相遇。可以增大 max_hops（最多 10）或加入更多关系类型。"
    hubs = "、".join(name(x) for x in c.hubs)
    return (f"{done}，下一跳要读取的关系超过探索上限（{c.max_examined:,} 个）而停止，"
            f"主要来自连接很多的枢纽节点：{hubs}。可以用 types 去掉这类关系（如 LOCATED_IN、EXPERT_IN）再试。")


def _explored_graph(edges: list[tuple[int, int, int, float]]) -> nx.Graph:
    g = nx.Graph()
    for s, d, t, w in edges:
        # stronger ties (more joint works, higher expertise weight) are cheaper to walk
        if not g.has_edge(s, d) or g[s][d]["cost"] > 1.0 / w:
            g.add_edge(s, d, type=TYPES[t].value, weight=w, cost=1.0 / max(w, 1e-9))
    return g


@dataclass(frozen=True)
class Community:
    members: list[str]  # the node's community in its neighbourhood, the node first
    neighbourhood: int  # nodes in the neighbourhood it was found in
    communities: int  # communities found there


def community_of(p: Projection, node_id: str, types: tuple[RelType, ...] = (RelType.CO_AUTHOR,),
                 radius: int = 2, max_nodes: int = 5000, seed: int = 0) -> Community:
    """Louvain communities (weighted) of the node's `radius`-hop neighbourhood; the one holding it."""
    if not 1 <= radius <= 3:
        raise InvalidInput("radius must be between 1 and 3", field="radius")
    start = p.idx(node_id)
    hop = Hop(list(types), "both")
    nodes = {start}
    frontier = np.array([start])
    edges: list[tuple[int, int, int, float]] = []
    for _ in range(radius):
        pos, nb = p.expand(frontier, hop)
        edges += zip(frontier[pos].tolist(), nb.nodes.tolist(), nb.types.tolist(), nb.weights.tolist())
        new = [n for n in dict.fromkeys(nb.nodes.tolist()) if n not in nodes][: max_nodes - len(nodes)]
        nodes.update(new)
        frontier = np.array(new, dtype=np.int64)
        if len(nodes) >= max_nodes or not len(frontier):
            break
    g = _explored_graph([e for e in edges if e[0] in nodes and e[1] in nodes])
    g.add_node(start)
    parts = nx.community.louvain_communities(g, weight="weight", seed=seed)
    mine = next(c for c in parts if start in c)
    ordered = [start] + sorted(mine - {start}, key=lambda i: p.ids[i])
    return Community([p.ids[i] for i in ordered], g.number_of_nodes(), len(parts))
