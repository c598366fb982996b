"""Small pictures of graph paths, drawn on the server as SVG (no script, no library in the browser): each
path one row of its nodes, coloured by kind, joined by arrows named in Chinese."""

from __future__ import annotations

from markupsafe import Markup, escape

from graph_service.catalogue import NOUNS
from graph_service.projection import Projection
from graph_service.recommend.partner_service import Path_

COLOURS = {"Researcher": "#0b57d0", "Enterprise": "#b3261e", "Institution": "#6d3fa0", "Field": "#146c2e",
           "Region": "#8a5a00", "Circle": "#8a5a00", "Deal": "#3c4043", "Need": "#b3261e", "Offer": "#0b57d0"}
STEP, ROW, CHARS, LEFT = 150, 58, 8, 60


def path_picture(p: Projection, paths: list[Path_]) -> Markup:
    """An SVG of the paths (at most a handful), with a text alternative for screen readers."""
    if not paths:
        return Markup("")
    width = STEP * (max(len(path.nodes) for path in paths) - 1) + 2 * LEFT
    height = ROW * len(paths) + 10
    parts = [f'<svg class="paths" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(_described(p, paths))}">']
    for row, path in enumerate(paths):
        y = 28 + row * ROW
        for k, node in enumerate(path.nodes):
            x = LEFT + k * STEP
            if k:
                parts.append(f'<line x1="{x - STEP + 8}" y1="{y}" x2="{x - 8}" y2="{y}" stroke="#6b7785" '
                             'stroke-width="1.5"/>')
            label, name = _label(p, node), _name(p, node)
            parts.append(f'<circle cx="{x}" cy="{y}" r="7" fill="{COLOURS.get(label, "#3c4043")}">'
                         f'<title>{escape(NOUNS.get(label, label))}：{escape(name)}</title></circle>')
            short = name if len(name) <= CHARS else name[:CHARS - 1] + "…"
            parts.append(f'<text x="{x}" y="{y + 22}" text-anchor="middle" font-size="12" fill="#1a1a1a">'
                         f'{escape(short)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _label(p: Projection, node: str) -> str:
    i = p.index.get(node)
    return str(p.label_of(i)) if i is not None else ""


def _name(p: Projection, node: str) -> str:
    i = p.index.get(node)
    return str(p.names[i]) if i is not None else node


def _described(p: Projection, paths: list[Path_]) -> str:
    return "；".join(" → ".join(_name(p, n) for n in path.nodes) for path in paths)
