"""Small teams for a 揭榜挂帅 challenge that no single researcher covers.

The best-fitting experts of each wanted field (by the partner model) form a pool; CP-SAT picks 2-4
of them so that every field is covered, maximising fit plus a bonus for pairs who have worked
together (co-authors or co-parties of a deal) or share a past partner, minus a cost per member so that
a team is no larger than it needs to be. The next team must differ from those already proposed.
Institutions and regions are free to mix: a bonus for ties, never a penalty for distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from graph_service.errors import InvalidInput
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.recommend.partners import row

SCALE = 1000  # CP-SAT works on integers: model probabilities in thousandths
WORKED_TOGETHER, SHARED_PARTNER = 300, 150  # bonus per pair, in thousandths
MEMBER_COST = 100
COVER = 10_000  # each covered field outweighs any fit


@dataclass(frozen=True)
class Member:
    id: str
    score: float
    fields: list[str]  # wanted fields this member is expert in


@dataclass(frozen=True)
class Tie:
    a: str
    b: str
    kind: str  # worked_together | shared_partner


@dataclass(frozen=True)
class Team:
    members: list[Member]
    covered: list[str]
    uncovered: list[str]
    ties: list[Tie]
    objective: float
    optimal: bool  # the solver proved no better team exists (among those not yet proposed)


@dataclass(frozen=True)
class TeamAnswer:
    fields: list[str]
    single_cover: list[str]  # researchers who alone cover every field (then a team is optional)
    teams: list[Team]


def teams_for(rec: PartnerRecommender, need_id: str, count: int = 3, min_size: int = 2, max_size: int = 4,
              per_field: int = 15, seconds: float = 2.0) -> TeamAnswer:
    if not 1 <= min_size <= max_size <= 6:
        raise InvalidInput(f"team size {min_size}-{max_size} must satisfy 1 <= min <= max <= 6", field="max_size")
    p, h = rec.projection, rec.history
    q = rec.query_for(None, need_id)
    fields = [int(f) for f in q.fields.tolist()]
    if not fields:
        raise InvalidInput(f"need {need_id!r} names no technology fields to cover", field="need")
    cands, scores = rec.scored(q)
    score_of = dict(zip(cands.tolist(), scores.tolist()))
    pool: list[int] = []
    for f in fields:  # cands are best first, so each field's first experts are its best
        experts = set(row(h.experts, f).tolist())
        pool += [c for c in cands.tolist() if c in experts][:per_field]
    pool = list(dict.fromkeys(pool))
    knows = {i: set(row(h.expertise, i).tolist()) & set(fields) for i in pool}
    single = [p.ids[i] for i in pool if len(knows[i]) == len(fields)]
    ties = _ties(rec, pool)

    model = cp_model.CpModel()
    x = {i: model.new_bool_var(f"x{i}") for i in pool}
    covered = {f: model.new_bool_var(f"c{f}") for f in fields}
    for f in fields:
        model.add(sum(x[i] for i in pool if f in knows[i]) >= 1).only_enforce_if(covered[f])
    model.add(sum(x.values()) >= min_size)
    model.add(sum(x.values()) <= max_size)
    bonus = []
    for (a, b), kind in ties.items():
        y = model.new_bool_var(f"y{a}_{b}")
        model.add_implication(y, x[a])
        model.add_implication(y, x[b])
        bonus.append((WORKED_TOGETHER if kind == "worked_together" else SHARED_PARTNER) * y)
    model.maximize(COVER * sum(covered.values()) + sum(int(SCALE * score_of[i]) * x[i] for i in pool)
                   + sum(bonus) - MEMBER_COST * sum(x.values()))
    teams: list[Team] = []
    for _ in range(count):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = 2
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        chosen = [i for i in pool if solver.value(x[i])]
        members = sorted(chosen, key=lambda i: -score_of[i])
        have = set().union(*(knows[i] for i in chosen))
        teams.append(Team(
            [Member(p.ids[i], score_of[i], sorted(p.ids[f] for f in knows[i])) for i in members],
            sorted(p.ids[f] for f in fields if f in have), sorted(p.ids[f] for f in fields if f not in have),
            [Tie(p.ids[a], p.ids[b], kind) for (a, b), kind in ties.items() if a in chosen and b in chosen],
            solver.objective_value / SCALE, status == cp_model.OPTIMAL))
        model.add(sum(x[i] for i in chosen) <= len(chosen) - 1)  # the next team is another team
    return TeamAnswer(sorted(p.ids[f] for f in fields), sorted(single), teams)


def _ties(rec: PartnerRecommender, pool: list[int]) -> dict[tuple[int, int], str]:
    """Pairs of the pool who co-authored or signed a deal together, else who share a past partner."""
    h = rec.history
    members = np.array(pool, dtype=np.int64)
    together = (h.coauthors[members][:, members] + h.partners[members][:, members]).tocoo()
    partners = h.partners[members]
    shared = (partners @ partners.T).tocoo()  # includes each one's own deals on the diagonal
    out: dict[tuple[int, int], str] = {}
    for i, j in zip(shared.row.tolist(), shared.col.tolist()):
        if i < j:
            out[(pool[i], pool[j])] = "shared_partner"
    for i, j in zip(together.row.tolist(), together.col.tolist()):
        if i < j:
            out[(pool[i], pool[j])] = "worked_together"
    return out
