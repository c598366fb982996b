"""After the fair: each meeting's outcome (held, intention, signed, not held). Signed ones become
deals in the graph (a Deal node, PARTY_TO from every party, FULFILS to the need it answers, the need
marked signed) in one transaction; the rest go back to everyday follow-up (the needs they concern are
marked `matching`, which keeps them in researchers' recommendations, and staff get a follow-up list)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from graph_service.cases.fair_link import FairResult, advance_from_fair
from graph_service.errors import InvalidInput
from graph_service.fair.instance import Instance, Participant, read_rows, write_rows
from graph_service.fair.plan_files import PlanView
from graph_service.fair.values import Day, FrozenModel, Id, Text
from graph_service.models import Deal, Node, PartyRel, PlainRel, Rel
from graph_service.need_status import status_moves
from graph_service.projection import Projection
from graph_service.schema import Label, RelType
from graph_service.service import GraphService

OUTCOME_COLUMNS = ["a", "b", "outcome", "project", "deal_kind", "amount", "date", "note"]
FOLLOWUP_COLUMNS = ["a", "a_name", "b", "b_name", "outcome", "need", "next_step", "note", "scheduled"]
NEXT_STEP = {"intention": "跟进签约意向", "held": "回访双方，推荐更多合作方", "not_held": "重新约见"}
ROLE = {"enterprise": "client", "researcher": "provider", "institution": "provider"}
DEAL_KIND = {"need": "development", "challenge": "development", "offer": "consulting", "achievement": "transfer"}


class Outcome(FrozenModel):
    a: Id
    b: Id
    outcome: Literal["held", "intention", "signed", "not_held"]
    project: Id | None = None  # the fair's project the meeting was about, when known
    deal_kind: Literal["development", "transfer", "licensing", "consulting", "joint_lab", "framework"] | None = None
    amount: Annotated[float, Field(ge=0, le=1e9)] | None = None  # 万元, the bound of a Deal's amount
    date: Day | None = None  # of signing; the fair's last day when not given
    note: Text = ""

    @property
    def pair(self) -> tuple[str, str]:
        return (self.a, self.b) if self.a < self.b else (self.b, self.a)


@dataclass
class Recorded:
    outcomes: list[Outcome]  # everything recorded for the fair so far, one per pair
    deals: list[str]  # deal ids written now
    followup: list[dict]
    cases: dict = field(default_factory=dict)  # cases opened, moved and noted (cases/fair_link.py)

    def summary(self) -> dict:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.outcome] = counts.get(o.outcome, 0) + 1
        return {"recorded": counts, "deals_written": self.deals, "followup": len(self.followup), "cases": self.cases}


def read_outcomes(path: Path) -> list[Outcome]:
    return read_rows(path, Outcome) if path.is_file() else []


def deal_id(fair: str, o: Outcome) -> str:
    """Stable, so that recording the same outcome twice writes the same deal once."""
    digest = hashlib.sha1(f"{fair}|{o.pair[0]}|{o.pair[1]}|{o.project or ''}".encode()).hexdigest()[:16]
    return f"DL-{digest}"


def record_outcomes(service: GraphService, fair: str, instance: Instance, view: PlanView, new: list[Outcome],
                    before: list[Outcome], file: str = "outcomes", actor: str = "fair") -> Recorded:
    """Check every new row, then write all signed deals and need statuses in one transaction; a bad row
    (named by file, line and field) writes nothing. Then the cases of the needs met open or move on."""
    people = {p.id: p for p in instance.participants}
    projects = {p.id: p for p in instance.projects}
    scheduled = {tuple(sorted((m.a, m.b))) for m in view.meetings}
    signed_before = {o.pair: o for o in before if o.outcome == "signed"}
    p = service.projection
    needs_of = _need_finder(instance, p)
    nodes: list[tuple[Label, Node]] = []
    rels: list[tuple[RelType, Rel]] = []
    status: dict[str, str] = {}  # need id -> new status
    deals: list[str] = []
    for line, o in enumerate(new, 2):
        for end in ("a", "b"):
            if getattr(o, end) not in people:
                raise InvalidInput(f"unknown participant {getattr(o, end)!r}", file=file, line=line, field=end)
        if o.a == o.b:
            raise InvalidInput("an outcome needs two participants", file=file, line=line, field="b")
        if o.project is not None and (o.project not in projects or projects[o.project].presenter not in (o.a, o.b)):
            raise InvalidInput(f"{o.project!r} is not a project presented by {o.a} or {o.b}", file=file, line=line,
                               field="project")
        if o.outcome != "not_held" and o.pair not in scheduled and not o.note:
            # a meeting the plan never held: only with a reason a person wrote (met at a stand, by phone...)
            raise InvalidInput(f"{o.a} and {o.b} had no meeting in the plan: record it as not_held, or give the "
                               "reason it happened anyway in note", file=file, line=line, field="outcome")
        if o.pair in signed_before and o.outcome != "signed":
            raise InvalidInput(f"already signed as deal {deal_id(fair, signed_before[o.pair])}; delete that deal "
                               "to withdraw it", file=file, line=line, field="outcome")
        needs = needs_of(o)
        if o.outcome != "signed":
            for need in needs:
                status.setdefault(need, "matching")
            continue
        a, b = people[o.a], people[o.b]
        for end, who in (("a", a), ("b", b)):
            if who.node is None or who.node not in p.index or not p.alive[p.index[who.node]]:
                raise InvalidInput(f"{who.id} ({who.kind}) is not in the graph: a deal's parties are its "
                                   "researchers, enterprises and institutions", file=file, line=line, field=end)
        if a.node == b.node:
            raise InvalidInput(f"{a.id} and {b.id} are the same {a.kind} in the graph ({a.node}): a deal needs two "
                               "parties", file=file, line=line, field="b")
        deal = _deal(fair, o, instance, projects, a, b)
        deals.append(deal.id)
        nodes.append((Label.DEAL, deal))
        roles = _roles(a, b)
        rels += [(RelType.PARTY_TO, PartyRel(src=who.node, dst=deal.id, role=role))
                 for who, role in zip((a, b), roles)]
        rels += [(RelType.FULFILS, PlainRel(src=deal.id, dst=need)) for need in needs]
        for need in needs:
            status[need] = "signed"
    nodes += status_moves(service.store, status)
    if nodes or rels:
        service.write_graph(nodes, rels)
    cases = advance_from_fair(service.store, fair, [r for o in new for r in _results(fair, o, people, needs_of(o))],
                              actor)
    merged = {o.pair: o for o in before}
    merged.update({o.pair: o for o in new})
    outcomes = list(merged.values())
    followup = [_followup(o, people, needs_of(o), o.pair in scheduled) for o in outcomes if o.outcome != "signed"]
    followup.sort(key=lambda r: ["intention", "held", "not_held"].index(r["outcome"]))
    return Recorded(outcomes, deals, followup, cases)


def write_outcomes(recorded: Recorded, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_rows(out / "outcomes.csv", OUTCOME_COLUMNS, (o.model_dump() for o in recorded.outcomes))
    write_rows(out / "followup.csv", FOLLOWUP_COLUMNS, recorded.followup)


def _need_finder(instance: Instance, p: Projection) -> Callable[[Outcome], list[str]]:
    """The need a meeting answered: the outcome's project when it came from a need; else the one need
    either side presented at the fair (with several, nobody can tell which, so none)."""
    need_of = {x.id: x.node for x in instance.projects
               if x.node and x.kind in ("need", "challenge") and x.node in p.index}
    by_presenter: dict[str, list[str]] = defaultdict(list)
    for x in instance.projects:
        if x.id in need_of:
            by_presenter[x.presenter].append(need_of[x.id])

    def needs(o: Outcome) -> list[str]:
        if o.project:
            return [need_of[o.project]] if o.project in need_of else []
        found = by_presenter.get(o.a, []) + by_presenter.get(o.b, [])
        return found if len(found) == 1 else []

    return needs


def _deal(fair: str, o: Outcome, instance: Instance, projects: dict, a: Participant, b: Participant) -> Deal:
    project = projects.get(o.project) if o.project else None
    kind = o.deal_kind or (DEAL_KIND[project.kind] if project else "development")
    name = project.title if project else f"{instance.event.name}签约：{a.name} × {b.name}"
    name = " ".join(name.split())[:200]  # a graph name is one line; fair names may hold line breaks
    when = o.date or instance.event.days[-1]
    return Deal(id=deal_id(fair, o), name=name, kind=kind, date=when, amount=o.amount)


def _roles(a: Participant, b: Participant) -> tuple[str, str]:
    ra, rb = ROLE.get(a.kind, "investor"), ROLE.get(b.kind, "investor")
    return ("partner", "partner") if ra == rb else (ra, rb)


def _results(fair: str, o: Outcome, people: dict[str, Participant], needs: list[str]) -> list[FairResult]:
    """What the meeting means for each need's case: the researcher or institution met, the deal signed."""
    met = [people[x] for x in (o.a, o.b) if x in people and people[x].kind in ("researcher", "institution")]
    partner = met[0] if len(met) == 1 else None
    deal = deal_id(fair, o) if o.outcome == "signed" else None
    return [FairResult(need, o.outcome, partner.node if partner else None,
                       partner is not None and partner.kind == "researcher", deal) for need in needs]


def _followup(o: Outcome, people: dict[str, Participant], needs: list[str], scheduled: bool) -> dict:
    return {"a": o.a, "a_name": people[o.a].name if o.a in people else "", "b": o.b,
            "b_name": people[o.b].name if o.b in people else "", "outcome": o.outcome,
            "need": ";".join(needs), "next_step": NEXT_STEP[o.outcome], "note": o.note,
            "scheduled": scheduled}
