"""What a filter may name (economic circles, regions, fields, institution kinds) and how a value a person
types is found among them: its id, its full name, or a short name only it has (成渝, 成都, 大学).

Read from the projection, so that nodes written since it was built count and deleted ones do not.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from graph_service.errors import InvalidInput
from graph_service.projection import LABELS, Hop, Projection
from graph_service.schema import INSTITUTION_KINDS, Label, RelType

__all__ = ["NOUNS", "Branch", "CircleEntry", "circles", "fields", "institution_kind", "institution_kinds",
           "regions", "resolve"]

NOUNS: dict[Label, str] = {Label.REGION: "地区", Label.CIRCLE: "经济圈", Label.FIELD: "技术领域",
                           Label.INSTITUTION: "机构", Label.ENTERPRISE: "企业", Label.RESEARCHER: "科技工作者",
                           Label.NEED: "需求", Label.OFFER: "成果或能力", Label.DEAL: "合作"}
_UP: dict[Label, RelType] = {Label.REGION: RelType.PART_OF, Label.FIELD: RelType.SUBFIELD_OF}
# dropped in short names: 成都市 -> 成都
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "区", "县")
_SHOWN = 5  # candidates an error names
_LONGEST = 200  # characters: a longer value names nothing, and is not compared with every name
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Branch:
    """A region or field with everything directly below it."""

    id: str
    name: str
    level: int | None
    children: list[Branch] = field(default_factory=list)


@dataclass(frozen=True)
class CircleEntry:
    id: str
    name: str
    members: list[tuple[str, str]]  # (id, name) of its member cities and districts


# --- finding what a value names ----------------------------------------------------------------------
def resolve(p: Projection, value: str, label: Label, field: str) -> int:
    """Index of the live `label` node that `value` names: its id, else the one node whose full name,
    short name, name start or name part matches (the first of these that matches anything decides).
    InvalidInput for `field`, in Chinese with close candidates, when none or several match."""
    text = value.strip()
    i = p.index.get(text)
    if i is not None and p.alive[i] and p.label_of(i) == label:
        return i  # the common case, costs one lookup
    noun = NOUNS[label]
    if not text:
        raise InvalidInput(f"{field} 为空：请给出{noun}的编号或名称，或不传这个参数", field=field)
    nodes = _live(p, label)
    names = {int(n): (p.names[int(n)], p.ids[int(n)]) for n in nodes.tolist()}
    found = _match(text, names) if len(text) <= _LONGEST else []
    if len(found) == 1:
        return found[0]
    if found:
        shown = "、".join(_describe(p, n, label) for n in sorted(found, key=lambda n: p.ids[n])[:_SHOWN])
        more = f"等 {len(found)} 个" if len(found) > _SHOWN else ""
        raise InvalidInput(f"“{_cut(text)}”可指多个{noun}：{shown}{more}；请给出编号或全称", field=field)
    if i is not None and p.alive[i]:
        raise InvalidInput(f"“{_cut(text)}”是{NOUNS[p.label_of(i)]}的编号，不是{noun}", field=field)
    close = _close(text, {n: names[n][0] for n in names})
    hint = f"；相近的有：{'、'.join(_describe(p, n, label) for n in close)}" if close else ""
    raise InvalidInput(f"找不到{noun}“{_cut(text)}”（可用编号、全称或简称）{hint}", field=field)


def institution_kind(value: str, field: str = "institution_kind") -> str:
    """The institution kind code that `value` names: the code itself or one of its Chinese names."""
    text = value.strip()
    if text in INSTITUTION_KINDS:
        return text
    if not text:
        raise InvalidInput(f"{field} 为空：请给出机构类型的代码或名称，或不传这个参数", field=field)
    names = {code: (*labels, code) for code, labels in INSTITUTION_KINDS.items()}
    found = _match(text, names) if len(text) <= _LONGEST else []
    if len(found) == 1:
        return found[0]
    listed = "、".join(f"{labels[0]}（{code}）" for code, labels in INSTITUTION_KINDS.items()
                      if not found or code in found)
    problem = f"“{_cut(text)}”可指多种机构类型" if found else f"未知的机构类型“{_cut(text)}”"
    raise InvalidInput(f"{problem}；可选：{listed}", field=field)


def _match(text: str, names: Mapping[K, Sequence[str]]) -> list[K]:
    """Keys whose names match `text`, from the first test that matches any: the whole name (or id, the last
    name), the name without its administrative suffix, the start of a name, a part of a name."""
    key = _norm(text)
    forms = {k: [_norm(n) for n in ns] for k, ns in names.items()}
    tests: tuple[Callable[[str], bool], ...] = (
        lambda n: n == key, lambda n: _short(n) == key, lambda n: n.startswith(key), lambda n: key in n)
    for k, test in enumerate(tests):
        hits = [t for t, ns in forms.items() if any(test(n) for n in (ns if k == 0 else ns[:-1]))]
        if hits:
            return hits
    return []


def _close(text: str, names: dict[int, str]) -> list[int]:
    """Up to _SHOWN nodes whose names look like `text` (a typo, a wrong character)."""
    if len(text) > _LONGEST:
        return []
    by_name: dict[str, list[int]] = defaultdict(list)
    for n, name in names.items():
        by_name[_norm(name)].append(n)
    near = difflib.get_close_matches(_norm(text), list(by_name), n=_SHOWN, cutoff=0.4)
    return [n for name in near for n in by_name[name]][:_SHOWN]


def _norm(text: str) -> str:
    # NFKC: full-width letters, digits and brackets (Ｇ６０, （成都）) as their ASCII forms; then no case
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:  # 东区 stays 东区
            return name[: -len(suffix)]
    return name


def _cut(text: str) -> str:
    return text if len(text) <= 50 else text[:50] + "…"


def _describe(p: Projection, n: int, label: Label) -> str:
    """名称（编号，上级名称）: enough to tell two 市中区 apart."""
    up = _UP.get(label)
    parents = _parents(p, np.array([n]), up, label) if up else {}
    where = f"，{p.names[parents[n]]}" if n in parents else ""
    return f"{p.names[n]}（{p.ids[n]}{where}）"


# --- what the list routes show -------------------------------------------------------------------------
def circles(p: Projection) -> list[CircleEntry]:
    """Every live circle with its member regions, by id."""
    nodes = _live(p, Label.CIRCLE)
    pos, nb = p.expand(nodes, Hop([RelType.MEMBER_OF], "in"), [Label.REGION])
    members: dict[int, set[int]] = defaultdict(set)
    for k, m in zip(pos.tolist(), nb.nodes.tolist()):
        members[int(nodes[k])].add(m)
    return [CircleEntry(p.ids[c], p.names[c], [(p.ids[m], p.names[m]) for m in _by_id(p, members[c])])
            for c in _by_id(p, nodes.tolist())]


def regions(p: Projection) -> list[Branch]:
    """Live regions as a tree by PART_OF (provinces at the top), children by id."""
    return _tree(p, Label.REGION)


def fields(p: Projection) -> list[Branch]:
    """Live fields as a tree by SUBFIELD_OF (industries at the top), children by id."""
    return _tree(p, Label.FIELD)


def institution_kinds() -> list[tuple[str, str, list[str]]]:
    """(code, Chinese name, other names a filter accepts) of every institution kind."""
    return [(code, labels[0], list(labels[1:])) for code, labels in INSTITUTION_KINDS.items()]


def _tree(p: Projection, label: Label) -> list[Branch]:
    nodes = _live(p, label)
    parent = _parents(p, nodes, _UP[label], label)
    kids: dict[int, list[int]] = defaultdict(list)
    for child, up in parent.items():
        kids[up].append(child)
    levels = p.attrs.get("level")
    made: dict[int, Branch] = {}

    def branch(n: int) -> Branch:
        level = int(levels[n]) if levels is not None and levels[n] >= 0 else None
        made[n] = Branch(p.ids[n], p.names[n], level)
        return made[n]

    # roots first; then whatever no root reaches (a PART_OF cycle), so that every node is shown once.
    # A stack, not recursion: a hierarchy written through the API may be deep.
    everyone = _by_id(p, nodes.tolist())
    roots: list[Branch] = []
    for start in [n for n in everyone if n not in parent] + everyone:
        if start in made:
            continue
        roots.append(branch(start))
        stack = [start]
        while stack:
            n = stack.pop()
            for c in _by_id(p, kids[n]):
                if c not in made:
                    made[n].children.append(branch(c))
                    stack.append(c)
    return roots


def _parents(p: Projection, nodes: np.ndarray, up: RelType, label: Label) -> dict[int, int]:
    """Each node's live parent of the same label (the lowest id when data gives several)."""
    pos, nb = p.expand(nodes, Hop([up], "out"), [label])
    parent: dict[int, int] = {}
    for k, m in zip(pos.tolist(), nb.nodes.tolist()):
        n = int(nodes[k])
        if m != n and (n not in parent or p.ids[m] < p.ids[parent[n]]):
            parent[n] = m
    return parent


def _live(p: Projection, label: Label) -> np.ndarray:
    return np.flatnonzero((p.labels == LABELS.index(label)) & p.alive).astype(np.int64)


def _by_id(p: Projection, nodes) -> list[int]:
    return sorted((int(n) for n in nodes), key=lambda n: p.ids[n])
