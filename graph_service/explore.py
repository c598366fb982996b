"""How two entities are connected (shortest and strongest paths) and a node's community.

Shortest paths come from a bidirectional breadth-first search on the projection's typed CSR arrays
(exact, and it touches only the two growing balls). The strongest path and communities are
computed with networkx on the small subgraph that search explored, as networkx is meant to be used here.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from graph_service.errors import InvalidInput
from graph_service.projection import Hop, Projection
from graph_service.projection.graph import TYPES
from graph_service.schema import RelType

# Default types for "how are these two connected": people, organisations and their deals, not the
# taxonomy or geography hubs that connect everyone to everyone in two hops.
CONNECTION_TYPES = (RelType.CO_AUTHOR, RelType.AFFILIATED_WITH, RelType.PARTY_TO, RelType.POSTED,
                    RelType.FULFILS)
MAX_EXPLORED = 200_000  # nodes a search may visit before it gives up


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
    explored: int


def _explored_graph(edges: list[tuple[int, int, int, float]]) -> nx.Graph:
    g = nx.Graph()
    for s, d, t, w in edges:
        # stronger ties (more joint works, higher expertise weight) are cheaper to walk
        if not g.has_edge(s, d) or g[s][d]["cost"] > 1.0 / w:
            g.add_edge(s, d, type=TYPES[t].value, weight=w, cost=1.0 / max(w, 1e-9))
    return g


def _steps(p: Projection, g: nx.Graph, path: list[int]) -> list[Step]:
    return [Step(p.ids[a], p.ids[b], g[a][b]["type"], g[a][b]["weight"]) for a, b in zip(path, path[1:])]


def connect(p: Projection, a: str, b: str, types: tuple[RelType, ...] = CONNECTION_TYPES,
            max_hops: int = 6) -> Connection:
    """Shortest path (fewest hops, exact up to `max_hops`) and strongest path (least total 1/weight)
    among the paths inside the explored region, between `a` and `b`, over `types` in both directions."""
    if not 1 <= max_hops <= 10:
        raise InvalidInput("max_hops must be between 1 and 10", field="max_hops")
    start, goal = p.idx(a), p.idx(b)
    hop = Hop(list(types), "both")
    seen = [{start: (-1, 0)}, {goal: (-1, 0)}]  # node -> (parent, depth), one map per side
    frontier = [np.array([start]), np.array([goal])]
    edges: list[tuple[int, int, int, float]] = []
    meeting = start if start == goal else None
    for _ in range(max_hops):
        if meeting is not None or not all(len(f) for f in frontier):
            break
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1  # grow the smaller ball a whole level
        mine, other = seen[side], seen[1 - side]
        pos, nb = p.expand(frontier[side], hop)
        parents = frontier[side][pos]
        nxt = []
        for par, node, t, w in zip(parents.tolist(), nb.nodes.tolist(), nb.types.tolist(), nb.weights.tolist()):
            edges.append((par, node, t, w))
            if node not in mine:
                mine[node] = (par, mine[par][1] + 1)
                nxt.append(node)
        frontier[side] = np.array(nxt, dtype=np.int64)
        # of the nodes both balls now hold, the one with the fewest hops in total joins the path
        touching = [n for n in nxt if n in other]
        if touching:
            meeting = min(touching, key=lambda n: (other[n][1], n))
        if len(seen[0]) + len(seen[1]) > MAX_EXPLORED:
            break
    if meeting is None:
        return Connection([], [], [], [], len(seen[0]) + len(seen[1]))
    path = _walk(seen[0], meeting)[::-1] + _walk(seen[1], meeting)[1:]
    g = _explored_graph(edges)
    strongest = nx.dijkstra_path(g, start, goal, weight="cost") if start != goal else [start]
    return Connection([p.ids[i] for i in path], _steps(p, g, path), [p.ids[i] for i in strongest],
                      _steps(p, g, strongest), len(seen[0]) + len(seen[1]))


def _walk(seen: dict[int, tuple[int, int]], node: int) -> list[int]:
    out = [node]
    while seen[out[-1]][0] != -1:
        out.append(seen[out[-1]][0])
    return out


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
