"""A suggestion's reasons as sentences a person understands, and its paths as a small picture.

The recommender explains with typed graph paths (partner_service.Path_); a page says what each kind means,
naming the node of the path that carries the meaning (the partner who co-authored, the peer enterprise,
the shared field, the city or circle)."""

from __future__ import annotations

from dataclasses import dataclass

from graph_service.projection import Projection
from graph_service.recommend.partner_service import Path_
from graph_service.schema import Label

# kind: (sentence with {} for the names, the label whose nodes fill it; None: no name)
_SENTENCES: dict[str, tuple[str, Label | None]] = {
    "past_deal": ("曾与贵企业签约合作", None),
    "partner_coauthor": ("与贵企业的合作伙伴{}合作发表过成果", Label.RESEARCHER),
    "peer_deal": ("曾与同类企业{}合作", Label.ENTERPRISE),
    "shared_field": ("专长与需求同属“{}”领域", Label.FIELD),
    "same_city": ("与贵企业同在{}", Label.REGION),
    "same_circle": ("与贵企业同在{}", Label.CIRCLE),
}
_ORDER = list(_SENTENCES)
MAX_WORDS = 5


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str


def sentences(p: Projection, paths: list[Path_], words: list[str]) -> list[Reason]:
    """One sentence per kind of path (the names of every path of that kind), then the matched words."""
    names: dict[str, list[str]] = {}
    for path in paths:
        template, label = _SENTENCES.get(path.kind, ("", None))
        if not template:
            continue
        inner = path.nodes[1:-1] if path.kind != "same_city" else path.nodes[1:]
        found = [p.names[p.index[n]] for n in inner if label is not None and n in p.index
                 and p.label_of(p.index[n]) == label]
        kept = names.setdefault(path.kind, [])
        kept += [n for n in found[-1:] if n not in kept]  # the last of that label: the city, not the province
    out = [Reason(kind, _SENTENCES[kind][0].format("、".join(found[:3]))) for kind in _ORDER if kind in names
           for found in [names[kind]]]
    if words:
        quoted = "、".join(f"“{w}”" for w in words[:MAX_WORDS])
        out.append(Reason("matched_words", f"需求中的{quoted}与其专长匹配"))
    return out
