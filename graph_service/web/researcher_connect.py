""""How am I connected to this enterprise": the enterprise found by id or name, the path searched as the API
searches it (explore.connect, with a tighter read budget: a page has 150 ms), drawn as SVG with each
relationship named in Chinese on its line, and written as steps ("您任职于…", "…签约了…")."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from graph_service.catalogue import NOUNS
from graph_service.explore import Connection, Step, connect
from graph_service.projection import Projection
from graph_service.schema import UNDIRECTED, Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import StoredNode
from graph_service.web.pictures import COLOURS  # one palette for every path picture

MAX_HOPS = 6
PAGE_EXAMINED = 250_000  # relationship ends one page's search may read (the API allows 1 million)
ALTERNATIVES = 5

# The relationships a visitor may choose to walk: (label of the choice, types; None = every type).
VIA: dict[str, tuple[str, tuple[RelType, ...] | None]] = {
    "all": ("全部关系", None),
    "no_places": ("不经过地区（人脉、机构、合作、领域）", tuple(t for t in RelType if t not in {
        RelType.LOCATED_IN, RelType.PART_OF, RelType.MEMBER_OF})),
    "people": ("仅人脉与合作（合作发表、任职、签约）", (RelType.CO_AUTHOR, RelType.AFFILIATED_WITH, RelType.PARTY_TO,
                                                 RelType.POSTED, RelType.FULFILS)),
}
REL_NAMES = {RelType.CO_AUTHOR: "合作发表", RelType.AFFILIATED_WITH: "任职于", RelType.EXPERT_IN: "专长",
             RelType.ACTIVE_IN: "活跃于", RelType.LOCATED_IN: "位于", RelType.PART_OF: "隶属于",
             RelType.SUBFIELD_OF: "下级领域", RelType.MEMBER_OF: "属于", RelType.POSTED: "发布",
             RelType.ABOUT: "涉及", RelType.PARTY_TO: "签约", RelType.FULFILS: "完成"}
# Each relationship as stored, said from its source to its target.
_SAID = {RelType.CO_AUTHOR: "{a}与{b}合作发表过成果{n}", RelType.AFFILIATED_WITH: "{a}任职于{b}",
         RelType.EXPERT_IN: "{a}的专长领域包括{b}", RelType.ACTIVE_IN: "{a}活跃于{b}领域",
         RelType.LOCATED_IN: "{a}位于{b}",
         RelType.PART_OF: "{a}隶属于{b}", RelType.SUBFIELD_OF: "{a}是{b}的下级领域", RelType.MEMBER_OF: "{a}属于{b}",
         RelType.POSTED: "{a}发布了{b}", RelType.ABOUT: "{a}涉及{b}领域", RelType.PARTY_TO: "{a}签约了{b}",
         RelType.FULFILS: "{a}完成了{b}"}
STEP, LEFT, TOP = 150, 70, 44  # across: node spacing, margins
DOWN, LEFT_V, TOP_V = 64, 20, 16  # down, for narrow screens


@dataclass(frozen=True)
class Found:
    enterprise: str | None  # its id, when one was found
    others: list[StoredNode]  # other enterprises whose names match too


def find_enterprise(service: GraphService, text: str) -> Found:
    """An enterprise by id, else by name: the exact name, else the shortest name containing the text."""
    p = service.projection
    i = p.index.get(text)
    if i is not None and p.alive[i] and p.label_of(i) == Label.ENTERPRISE:
        return Found(text, [])
    matches = [n for n in service.store.search(text, Label.ENTERPRISE, ALTERNATIVES + 1) if n.id in p.index]
    exact = [n for n in matches if n.props.get("name") == text]
    chosen = (exact or matches)[:1]
    return Found(chosen[0].id if chosen else None, [n for n in matches if n not in chosen][:ALTERNATIVES])


def search(p: Projection, researcher_id: str, enterprise_id: str, via: str) -> Connection:
    return connect(p, researcher_id, enterprise_id, VIA[via][1], MAX_HOPS, PAGE_EXAMINED)


def cost(said: list[Step]) -> float:
    """A path's length as the strongest-path search measures it (stronger ties are shorter)."""
    return sum(1.0 / st.weight if math.isfinite(st.weight) and st.weight > 0 else 1e9 for st in said)


def steps(p: Projection, me: str, nodes: list[str], said: list[Step]) -> list[str]:
    """Each relationship of a path as a sentence, the researcher said as 您; co-authors in the path's order."""
    out = []
    for k, st in enumerate(said):
        t = RelType(st.type)
        a, b = (nodes[k], nodes[k + 1]) if t in UNDIRECTED else (st.src, st.dst)
        works = f"（{int(st.weight)} 次）" if t == RelType.CO_AUTHOR and st.weight >= 1 else ""
        out.append(_SAID[t].format(a=_who(p, me, a), b=_who(p, me, b), n=works))
    return out


def why_not(p: Projection, c: Connection, me: str) -> str:
    """Why no path was found, said to the researcher."""
    if c.stopped == "no_relationships":
        who = "、".join("您" if x == me else _name(p, x) for x in c.isolated)
        return f"{who}在所选的关系中还没有任何记录，暂时无法连通。可以选择“全部关系”再试。"
    if c.stopped == "exhausted":
        return "在所选的关系下，您与该企业之间没有连接。可以选择“全部关系”再试。"
    if c.stopped == "hop_limit":
        return f"在 {c.max_hops} 步之内没有找到您与该企业之间的连接。"
    hubs = "、".join(_name(p, x) for x in c.hubs)
    return (f"连接太远：搜索经过连接很多的枢纽（{hubs}）时达到了上限而停止。"
            "可以选择“不经过地区”或“仅人脉与合作”再试。")


def picture(p: Projection, me: str, nodes: list[str], said: list[Step], key: str, vertical: bool = False) -> Markup:
    """The path in one row (or, for narrow screens, one column): each node coloured by kind with its name and
    kind beside it, each relationship named on its line, an arrow pointing as the relationship does (none for
    co-authorship)."""
    n = len(nodes)
    if vertical:
        width, height = 320, DOWN * (n - 1) + 2 * TOP_V
        at = [(LEFT_V, TOP_V + k * DOWN) for k in range(n)]
    else:
        width, height = STEP * (n - 1) + 2 * LEFT, TOP + 58
        at = [(LEFT + k * STEP, TOP) for k in range(n)]
    text = "；".join(steps(p, me, nodes, said))
    marker = f"arrow-{key}{'v' if vertical else 'h'}"
    parts = [f'<svg class="connection {"vertical" if vertical else "across"}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(text)}"><defs><marker id="{marker}" '
             'viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#4a5560"/></marker></defs>']
    for k, st in enumerate(said):
        (x1, y1), (x2, y2) = at[k], at[k + 1]
        if vertical:
            y1, y2 = y1 + 12, y2 - 12
            where = f'x="{x1 + 14}" y="{(y1 + y2) / 2 + 4}" text-anchor="start"'
        else:
            x1, x2 = x1 + 12, x2 - 12
            where = f'x="{(x1 + x2) / 2}" y="{y1 - 8}" text-anchor="middle"'
        arrow = "" if RelType(st.type) in UNDIRECTED else \
            f' marker-{"end" if st.src == nodes[k] else "start"}="url(#{marker})"'
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#4a5560" stroke-width="1.5"{arrow}/>'
                     f'<text {where} font-size="12" fill="#4a5560">{escape(REL_NAMES[RelType(st.type)])}</text>')
    for k, node in enumerate(nodes):
        (x, y), label = at[k], _label(p, node)
        name = "您" if node == me else _name(p, node)
        kind = escape(NOUNS.get(label, label))
        parts.append(f'<circle cx="{x}" cy="{y}" r="9" fill="{COLOURS.get(label, "#3c4043")}">'
                     f'<title>{kind}：{escape(name)}</title></circle>')
        if vertical:
            short = name if len(name) <= 16 else name[:15] + "…"
            parts.append(f'<text x="{x + 18}" y="{y + 5}" font-size="14" fill="#1a1a1a">{escape(short)}'
                         f'<tspan font-size="11" fill="#4a5560"> {kind}</tspan></text>')
        else:
            short = name if len(name) <= 9 else name[:8] + "…"
            parts.append(f'<text x="{x}" y="{y + 26}" text-anchor="middle" font-size="13" fill="#1a1a1a">'
                         f'{escape(short)}</text><text x="{x}" y="{y + 44}" text-anchor="middle" font-size="11" '
                         f'fill="#4a5560">{kind}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _who(p: Projection, me: str, node: str) -> str:
    return "您" if node == me else f"“{_name(p, node)}”" if _label(p, node) in ("Field", "Deal", "Need", "Offer") \
        else _name(p, node)


def _name(p: Projection, node: str) -> str:
    i = p.index.get(node)
    return str(p.names[i]) if i is not None else node


def _label(p: Projection, node: str) -> str:
    i = p.index.get(node)
    return str(p.label_of(i)) if i is not None else ""
