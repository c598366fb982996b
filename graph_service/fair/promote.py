"""From everyday matching to the fair: needs, 揭榜挂帅 challenges and offers become projects (their
posters registered as presenters), researchers, enterprises and institutions become participants with
their profile from the graph. (The fit of a meeting request: graph_service.fair.fits.)"""

from __future__ import annotations

import numpy as np

from graph_service.errors import InvalidInput
from graph_service.fair.instance import Instance, Participant, Project
from graph_service.projection import Hop, Projection
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphReader

PEOPLE = {Label.ENTERPRISE: "enterprise", Label.RESEARCHER: "researcher", Label.INSTITUTION: "institution"}


class GraphReads:
    """The few reads promotion needs, over the projection and the store."""

    def __init__(self, p: Projection, store: GraphReader) -> None:
        self.p, self.store = p, store
        self._fields: dict[int, str] | None = None

    def of(self, label: Label) -> np.ndarray:
        n = self.p.base_nodes
        return np.flatnonzero(self.p.label_mask([label])[self.p.labels[:n]] & self.p.alive[:n])

    def step(self, i: int, t: RelType, direction: str) -> list[int]:
        return self.p.neighbours(self.p.ids[i], Hop([t], direction)).nodes.tolist()  # type: ignore[arg-type]

    def names(self, idx: np.ndarray) -> dict[int, tuple[str, str]]:
        return {int(i): (self.p.label_of(i), self.p.names[int(i)]) for i in idx}

    @property
    def field_name(self) -> dict[int, str]:
        if self._fields is None:
            self._fields = {i: n for i, (_, n) in self.names(self.of(Label.FIELD)).items()}
        return self._fields


def project_rows(g: GraphReads, picked: list[int]) -> tuple[list[dict], dict[int, str]]:
    """A project row (id = the node's id) per need or offer that has a poster, and the posters as
    graph index -> participant kind, in order of appearance."""
    p = g.p
    nodes = g.store.get_nodes([p.ids[i] for i in picked])
    presenters: dict[int, str] = {}
    rows: list[dict] = []
    for i in picked:
        poster = g.step(int(i), RelType.POSTED, "in")
        if not poster:
            continue
        node = nodes[p.ids[i]].props
        kind = node.get("kind", "need")
        kind = kind if kind in ("need", "challenge") else ("achievement" if kind == "achievement" else "offer")
        presenters.setdefault(poster[0], PEOPLE[p.label_of(poster[0])])
        rows.append(dict(id=p.ids[i], title=node.get("name", ""), kind=kind,
                         fields=[g.field_name[f] for f in g.step(int(i), RelType.ABOUT, "out") if f in g.field_name],
                         text=str(node.get("text", "")), presenter=p.ids[poster[0]], node=p.ids[i]))
    return rows, presenters


def participant_rows(g: GraphReads, people: dict[int, str]) -> list[dict]:
    """A participant row per graph index (kind given), with region, circles, tier and fields from the
    graph; availability is left to the caller (empty: the whole event)."""
    p = g.p
    nodes = g.store.get_nodes([p.ids[i] for i in people])
    regions: dict[int, int] = {i: (g.step(i, RelType.LOCATED_IN, "out") or [-1])[0] for i in people}
    region_names = g.names(np.array(sorted({r for r in regions.values() if r >= 0}), dtype=np.int64))
    circles: dict[int, list[str]] = {}
    for r in set(regions.values()):
        if r < 0:
            continue
        up = [r] + g.step(r, RelType.PART_OF, "out")
        circles[r] = sorted({p.ids[c] for x in up for c in g.step(x, RelType.MEMBER_OF, "out")})
    rows = []
    for i, kind in people.items():
        props = nodes[p.ids[i]].props if p.ids[i] in nodes else {}
        rel = RelType.EXPERT_IN if kind == "researcher" else RelType.ACTIVE_IN
        r = regions[i]
        rows.append(dict(id=p.ids[i], name=props.get("name", p.ids[i]), kind=kind,
                         region=region_names[r][1] if r in region_names else "", circles=circles.get(r, []),
                         small=props.get("size") in ("micro", "small"),
                         specialised=str(props.get("tier", "")).startswith("专精特新"),
                         fields=[g.field_name[f] for f in g.step(i, rel, "out") if f in g.field_name][:4],
                         available=[], node=p.ids[i]))
    return rows


def model_fits(rec: PartnerRecommender | None, p: Projection, enterprise: int, top: int = 30
               ) -> list[tuple[int, float]]:
    """The researchers the matching model ranks best for this enterprise, with its scores."""
    if rec is None:
        return []
    try:
        cands, scores = rec.scored(rec.query_for(p.ids[enterprise], None), top_k=top)
    except Exception:  # an enterprise the model cannot ask for (no fields): no model fits
        return []
    return [(int(c), float(s)) for c, s in zip(cands[:top], scores[:top])]


def promote(instance: Instance, p: Projection, store: GraphReader, node_ids: list[str]) -> tuple[Instance, dict]:
    """`instance` with the given graph nodes added: needs and offers as projects (id = the node's id)
    with their posters registered, researchers, enterprises and institutions as participants. Ones
    already there are kept as they are (the organiser may have edited them)."""
    g = GraphReads(p, store)
    picked: list[int] = []
    people: dict[int, str] = {}
    for k, node_id in enumerate(node_ids):
        if node_id not in p.index or not p.alive[p.index[node_id]]:
            raise InvalidInput(f"no node with id {node_id!r}", field=f"nodes.{k}")
        i = p.index[node_id]
        label = p.label_of(i)
        if label in (Label.NEED, Label.OFFER):
            picked.append(i)
        elif label in PEOPLE:
            people[i] = PEOPLE[label]
        else:
            raise InvalidInput(f"{node_id} is a {label}: promote needs, offers, researchers, enterprises or "
                               "institutions", field=f"nodes.{k}")
    projects, presenters = project_rows(g, picked)
    orphans = sorted({p.ids[i] for i in picked} - {row["node"] for row in projects})
    if orphans:
        raise InvalidInput(f"no poster in the graph for {', '.join(orphans)}: a project needs a presenter",
                           field="nodes")
    have_people = {x.id for x in instance.participants}
    have_projects = {x.id for x in instance.projects}
    new_people = {i: kind for i, kind in {**presenters, **people}.items() if p.ids[i] not in have_people}
    added_people = [Participant.model_validate(r) for r in participant_rows(g, new_people)]
    added_projects = [Project.model_validate(r) for r in projects if r["id"] not in have_projects]
    out = instance.model_copy(update={"projects": [*instance.projects, *added_projects],
                                      "participants": [*instance.participants, *added_people]}).check()
    return out, {"projects_added": [x.id for x in added_projects],
                 "participants_added": [x.id for x in added_people]}
