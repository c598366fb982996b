"""Bar charts drawn on the server as SVG: no chart library, no script; each bar names its value in a
<title> for hover and in the text beside it, and the chart has a text alternative."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR, GAP, LABEL_WIDTH, WIDTH = 22, 8, 150, 640


def bars(rows: Sequence[tuple[str, float, str]], title: str, colour: str = "#0b57d0") -> Markup:
    """Horizontal bars: (label, value, the value as shown) each, longest to scale."""
    if not rows:
        return Markup("")
    top = max(v for _, v, _ in rows) or 1.0
    room = WIDTH - LABEL_WIDTH - 90
    height = len(rows) * (BAR + GAP) + GAP
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
             f'aria-label="{escape(title)}：{escape("；".join(f"{a} {s}" for a, _, s in rows))}">']
    for k, (label, value, shown) in enumerate(rows):
        y = GAP + k * (BAR + GAP)
        w = max(1.0, room * value / top)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 6}" text-anchor="end" font-size="13" '
                     f'fill="#1a1a1a">{escape(label)}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{colour}" rx="3">'
                     f'<title>{escape(label)}：{escape(shown)}</title></rect>'
                     f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + BAR - 6}" font-size="13" fill="#1a1a1a">'
                     f'{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
