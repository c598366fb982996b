"""A researcher's collaboration network as a picture: their co-authors (the strongest ties first), filled up
to MAX_NODES with co-authors' co-authors (most ties into the circle first), and every co-authorship among
them. Laid out on the server (networkx spring layout, fixed seed, few iterations: a page has 150 ms), its
circles found by Louvain (seeded), drawn as SVG with each person's name on hover and a list as the text
alternative. Everything is read from the projection: no store round trip."""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from markupsafe import Markup, escape

from graph_service.projection import Hop, Projection
from graph_service.schema import RelType

MAX_NODES = 60
ITERATIONS = 30
SEED = 7
WIDTH, HEIGHT, MARGIN = 760, 520, 36
NAMED_UP_TO = 16  # co-authors named on the picture itself when no more are drawn (the rest on hover)
# Distinguishable on white (3:1 or more against it for graphics), cycled past eight circles.
PALETTE = ("#0b57d0", "#b3261e", "#146c2e", "#8a5a00", "#6d3fa0", "#00696f", "#a8326b", "#4a5560")
_CO = Hop([RelType.CO_AUTHOR], "both")
_AFFILIATED = Hop([RelType.AFFILIATED_WITH], "out")


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    institution: str
    degree: int  # 0: the researcher, 1: a co-author, 2: a co-author's co-author
    works: int  # joint works with the researcher (co-authors)
    circle: int  # 1-based number of the circle (Louvain community); 1 is the researcher's
    colour: str


@dataclass(frozen=True)
class Network:
    members: list[Member]  # the researcher first
    circles: list[list[Member]]  # circle 1 (the researcher's) first
    ties: int  # co-authorships drawn
    left_out: int  # co-authors not drawn (past MAX_NODES)
    picture: Markup


def network(p: Projection, researcher_id: str) -> Network:
    me = p.idx(researcher_id)
    pos, nb = p.expand(np.array([me]), _CO)
    works: dict[int, float] = {}
    for node, weight in zip(nb.nodes.tolist(), nb.weights.tolist()):
        works[node] = max(works.get(node, 0.0), _weight(weight))
    first = sorted(works, key=lambda n: (-works[n], p.ids[n]))
    kept = [me] + first[:MAX_NODES - 1]
    if len(kept) < MAX_NODES and first:
        _, far = p.expand(np.array(first, dtype=np.int64), _CO)
        others = far.nodes[~np.isin(far.nodes, kept)]
        found, counts = np.unique(others, return_counts=True)
        order = np.lexsort((found, -counts))  # most ties into the circle first, then by index
        kept += found[order][:MAX_NODES - len(kept)].tolist()
    g = _graph(p, kept)
    circles = _circles(g, me)
    circle_of = {n: k for k, members in enumerate(circles) for n in members}
    degree = {n: 0 if n == me else 1 if n in works else 2 for n in kept}
    members = {n: Member(p.ids[n], str(p.names[n]), _institution(p, n), degree[n], round(works.get(n, 0.0)),
                         circle_of[n] + 1, PALETTE[circle_of[n] % len(PALETTE)]) for n in kept}
    listed = [[members[n] for n in sorted(c, key=lambda n: (degree[n], -works.get(n, 0.0), p.ids[n]))]
              for c in circles]
    picture = _picture(g, me, members, len(first) <= NAMED_UP_TO) if len(kept) > 1 else Markup("")
    return Network([members[n] for n in kept], listed, g.number_of_edges(), max(0, len(first) - (MAX_NODES - 1)),
                   picture)


def _weight(w: float) -> float:
    return float(w) if math.isfinite(w) and w > 0 else 1.0


def _graph(p: Projection, kept: list[int]) -> nx.Graph:
    nodes = np.array(kept, dtype=np.int64)
    pos, nb = p.expand(nodes, _CO)
    inside = np.isin(nb.nodes, nodes)
    g = nx.Graph()
    g.add_nodes_from(kept)
    for a, b, w in zip(nodes[pos[inside]].tolist(), nb.nodes[inside].tolist(), nb.weights[inside].tolist()):
        if a < b:
            g.add_edge(a, b, weight=_weight(w))
    return g


def _circles(g: nx.Graph, me: int) -> list[set[int]]:
    parts = nx.community.louvain_communities(g, weight="weight", seed=SEED)
    return sorted(parts, key=lambda c: (me not in c, -len(c), min(c)))


def _institution(p: Projection, i: int) -> str:
    found = p.expand(np.array([i]), _AFFILIATED)[1].nodes.tolist()
    return str(p.names[found[0]]) if found else ""


def _picture(g: nx.Graph, me: int, members: dict[int, Member], name_all: bool) -> Markup:
    layout = nx.spring_layout(g, seed=SEED, iterations=ITERATIONS, weight="weight")
    xs = np.array([layout[n][0] for n in g]), np.array([layout[n][1] for n in g])
    spans = [(float(v.min()), float(v.max()) - float(v.min()) or 1.0) for v in xs]
    sizes = (WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN)

    def at(n: int) -> tuple[float, float]:
        return tuple(round(MARGIN + (layout[n][k] - spans[k][0]) / spans[k][1] * sizes[k], 1)  # type: ignore[return-value]
                     for k in (0, 1))

    m = members[me]
    label = (f"{m.name}的合作网络图：共 {len(members)} 人、{g.number_of_edges()} 条合作关系、"
             f"{len({x.circle for x in members.values()})} 个合作圈子，名单见图下方列表")
    parts = [f'<svg class="network" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(label)}">']
    for a, b, w in g.edges(data="weight"):
        (x1, y1), (x2, y2) = at(a), at(b)
        close = me in (a, b)
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{"#6b7785" if close else "#b8c1cc"}" '
                     f'stroke-width="{round(1 + min(w, 6) * 0.4, 1)}"/>')
    order = sorted(g, key=lambda n: -members[n].degree)  # the researcher drawn last, on top
    for n in order:
        x, y = at(n)
        mb = members[n]
        radius, extra = {0: (13, ' stroke="#1a1a1a" stroke-width="3"'), 1: (8, ' stroke="#fff" stroke-width="1.5"'),
                         2: (6, ' fill-opacity="0.55"')}[mb.degree]
        parts.append(f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{mb.colour}"{extra}>'
                     f'<title>{escape(_hover(mb))}</title></circle>')
        if mb.degree == 0 or (mb.degree == 1 and name_all):
            parts.append(f'<text x="{x}" y="{y - radius - 4}" text-anchor="middle" font-size="{14 if n == me else 12}" '
                         f'font-weight="{700 if n == me else 400}" fill="#1a1a1a" stroke="#fff" stroke-width="3" '
                         f'paint-order="stroke">{escape("您" if n == me else mb.name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _hover(m: Member) -> str:
    where = f"（{m.institution}）" if m.institution else ""
    how = {0: "您本人", 1: f"合作者，与您合作 {m.works} 次", 2: "合作者的合作者"}[m.degree]
    return f"{m.name}{where} · {how} · 圈子 {m.circle}"
