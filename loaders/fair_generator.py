"""`techmatch generate-fair`: a realistic 科创会 instance drawn from the graph.

Projects are open needs, 揭榜挂帅 challenges and offers, presented by whoever posted them; participants
are those presenters plus enterprises, researchers, institutions and investors; requests follow shared
fields with popularity skew (a few stars are asked by many), and an enterprise's requests to researchers
carry the matching model's score as their fit. Seeded: the same graph and seed give the same files.
A graph too small for the projects or requests asked for is an error saying what is missing, not a
smaller fair.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import numpy as np

from graph_service.errors import InvalidInput
from graph_service.fair.instance import Instance, Participant, Project, Request
from graph_service.fair.layout import standard_event
from graph_service.fair.promote import GraphReads, model_fits, participant_rows, project_rows
from graph_service.projection import Projection
from graph_service.recommend.partner_service import PartnerRecommender
from graph_service.schema import Label
from graph_service.stores.base import GraphReader

FAIR = {"projects": 2350, "sessions": 101, "participants": 3000, "requests": 20000, "days": 3}
MIX = {"enterprise": 0.45, "researcher": 0.40, "institution": 0.07, "investor": 0.08}


def generate_fair(p: Projection, store: GraphReader, recommender: PartnerRecommender | None = None, *,
                  projects: int = FAIR["projects"], sessions: int = FAIR["sessions"],
                  participants: int = FAIR["participants"], requests: int = FAIR["requests"],
                  days: int = FAIR["days"], seed: int = 11, start: date = date(2026, 11, 24)) -> Instance:
    rng = np.random.default_rng(seed)
    g = GraphReads(p, store)
    needs, offers = g.of(Label.NEED), g.of(Label.OFFER)
    if not len(needs) + len(offers):
        raise InvalidInput("the store holds no needs or offers to make projects of: load a market first "
                           "(techmatch load DIR)", field="projects")
    n_needs = min(len(needs), round(projects * 0.7))
    n_needs = max(n_needs, min(len(needs), projects - len(offers)))  # needs stand in for missing offers
    picked = list(rng.choice(needs, n_needs, replace=False)) + list(
        rng.choice(offers, min(len(offers), projects - n_needs), replace=False))
    project_list, people = project_rows(g, [int(i) for i in picked])  # presenters first among the people
    if len(project_list) < projects:
        raise InvalidInput(f"{projects} projects asked for, but only {len(project_list)} could be made: the store "
                           f"holds {len(needs)} needs and {len(offers)} offers, and only those with a poster "
                           "count; ask for fewer or load a bigger market", field="projects")
    for n, row in enumerate(project_list, 1):
        row["id"] = f"P{n:04d}"
    # the rest of the participants: enterprises, the researchers the model recommends to them, institutions
    budget = max(participants, len(people))
    want = {k: round(v * budget) for k, v in MIX.items()}
    have: dict[str, int] = defaultdict(int)
    for kind in people.values():
        have[kind] += 1
    firms = [int(i) for i in rng.permutation(g.of(Label.ENTERPRISE)) if int(i) not in people]
    for i in firms[:max(0, want["enterprise"] - have["enterprise"])]:
        people[i] = "enterprise"
    fits: dict[tuple[int, int], float] = {}
    suggested: list[int] = []
    for e in [i for i, k in people.items() if k == "enterprise"]:
        for r, s in model_fits(recommender, p, e):
            fits[e, r] = s
            suggested.append(r)
    researchers = list(dict.fromkeys(r for r in suggested if r not in people))
    rest = [int(i) for i in rng.permutation(g.of(Label.RESEARCHER)) if int(i) not in people]
    for i in (researchers + rest)[:max(0, want["researcher"] - have["researcher"])]:
        people[i] = "researcher"
    insts = [int(i) for i in rng.permutation(g.of(Label.INSTITUTION)) if int(i) not in people]
    for i in insts[:max(0, want["institution"] - have["institution"])]:
        people[i] = "institution"
    rows = participant_rows(g, people)
    for row in rows:
        row["available"] = _availability(rng, days, start)
    investors = max(0, budget - len(rows))
    industries = sorted({f for r in rows for f in r["fields"]})
    for v in range(investors):
        rows.append(dict(id=f"V{v + 1:04d}", name=f"{'天府川渝蓉锦星创'[v % 8]}{'科创源海峰'[v % 5]}创投{v + 1}号",
                         kind="investor", region=rows[0]["region"] if rows else "", circles=[],
                         fields=list(rng.choice(industries, min(3, len(industries)), replace=False)),
                         available=_availability(rng, days, start)))
    possible = _askable_pairs(rows, requests)
    if possible < requests:
        kinds = ", ".join(f"{n} {k}s" for k, n in sorted(Counter(r["kind"] for r in rows).items()))
        raise InvalidInput(f"{requests} requests asked for, but the {len(rows)} participants ({kinds}) make only "
                           f"{possible} pairs sharing a field: ask for fewer or load a bigger market", field="requests")
    request_rows = _requests(rng, rows, requests, {(p.ids[a], p.ids[b]): s for (a, b), s in fits.items()})
    event = standard_event(days, min(sessions, max(1, len(project_list))), len(rows), len(project_list), start)
    return Instance(event=event, projects=[Project.model_validate(r) for r in project_list],
                    participants=[Participant.model_validate(r) for r in rows],
                    requests=[Request.model_validate(r) for r in request_rows]).check()


def _askable_pairs(rows: list[dict], enough: int) -> int:
    """Ordered pairs that a request may join (sharing a field, not two investors), counted up to `enough`."""
    by_field: dict[str, set[int]] = defaultdict(set)
    for j, r in enumerate(rows):
        for f in r["fields"]:
            by_field[f].add(j)
    total = 0
    for j, r in enumerate(rows):
        if total >= enough:
            break
        pool = set().union(*(by_field[f] for f in r["fields"])) - {j}
        total += len(pool) if r["kind"] != "investor" else sum(rows[k]["kind"] != "investor" for k in pool)
    return total


def _availability(rng: np.random.Generator, days: int, start: date) -> list[str]:
    roll = rng.random()
    if days < 2 or roll < 0.75:
        return []
    n = 1 if roll > 0.9 else max(1, days - 1)
    return sorted((start + timedelta(days=int(d))).isoformat() for d in rng.choice(days, n, replace=False))


def _requests(rng: np.random.Generator, rows: list[dict], n: int, fits: dict[tuple[str, str], float]
              ) -> list[dict]:
    """n requests: each asker picks among participants sharing a field, weighted by a heavy-tailed
    popularity, so that some are asked by dozens and others by nobody."""
    by_field: dict[str, list[int]] = defaultdict(list)
    for j, r in enumerate(rows):
        for f in r["fields"]:
            by_field[f].append(j)
    popularity = rng.pareto(1.5, len(rows)) + 0.2
    activity = rng.pareto(2.0, len(rows)) + 0.5
    asker_p = activity / activity.sum()
    out: list[dict] = []
    seen: set[tuple[int, int]] = set()
    pop_rank = popularity.argsort().argsort() / max(1, len(rows) - 1)
    for _ in range(n * 4):
        if len(out) >= n:
            break
        a = int(rng.choice(len(rows), p=asker_p))
        pool = list({j for f in rows[a]["fields"] for j in by_field[f]} - {a})
        if rows[a]["kind"] == "investor":
            pool = [j for j in pool if rows[j]["kind"] != "investor"]
        if not pool:
            continue
        w = popularity[pool]
        b = int(pool[int(rng.choice(len(pool), p=w / w.sum()))])
        if (a, b) in seen:
            continue
        seen.add((a, b))
        shared = len(set(rows[a]["fields"]) & set(rows[b]["fields"])) / max(1, len(set(rows[a]["fields"])))
        fit = fits.get((rows[a]["id"], rows[b]["id"])) or fits.get((rows[b]["id"], rows[a]["id"]))
        if fit is None:
            fit = float(np.clip(0.05 + 0.5 * shared * rng.beta(2, 3), 0.01, 0.95))
        roll = rng.random()
        status = "declined" if roll < 0.06 + 0.12 * pop_rank[b] else ("pending" if roll > 0.95 else "accepted")
        pref = rng.choice(["must", "meet", "no"], p=[0.12, 0.8, 0.08])
        out.append(dict(a=rows[a]["id"], b=rows[b]["id"], preference=str(pref), status=status,
                        fit=round(float(fit), 4), seq=len(out)))
    order = rng.permutation(len(out))  # arrival order is not the order they were drawn in
    for s, k in enumerate(order):
        out[int(k)]["seq"] = s
    return out + _suggestions(rows, out, popularity, fits, by_field)


def _suggestions(rows: list[dict], asked: list[dict], popularity: np.ndarray, fits: dict[tuple[str, str], float],
                 by_field: dict[str, list[int]], per_person: int = 3) -> list[dict]:
    """Mutual-fit pairs the matching suggests to participants few asked for: the least sought-after
    participants sharing their fields, so that the schedule can reach them too."""
    accepted: dict[str, int] = defaultdict(int)
    for r in asked:
        if r["status"] == "accepted" and r["preference"] != "no":
            accepted[r["a"]] += 1
            accepted[r["b"]] += 1
    taken = {(r["a"], r["b"]) for r in asked} | {(r["b"], r["a"]) for r in asked}
    out: list[dict] = []
    for j, row in enumerate(rows):
        if accepted[row["id"]] >= per_person:
            continue
        pool = sorted({k for f in row["fields"] for k in by_field[f]} - {j}, key=lambda k: popularity[k])
        for k in pool:
            if accepted[row["id"]] >= per_person:
                break
            other = rows[k]["id"]
            if (row["id"], other) in taken or row["kind"] == rows[k]["kind"] == "investor":
                continue
            shared = len(set(row["fields"]) & set(rows[k]["fields"])) / max(1, len(row["fields"]))
            fit = fits.get((row["id"], other)) or fits.get((other, row["id"])) or 0.05 + 0.3 * shared
            out.append(dict(a=row["id"], b=other, preference="meet", status="accepted", fit=round(fit, 4),
                            seq=len(asked) + len(out), recommended=True))
            taken |= {(row["id"], other), (other, row["id"])}
            accepted[row["id"]] += 1
            accepted[other] += 1
    return out
