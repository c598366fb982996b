"""Themed sessions (推介洽谈会): projects grouped by field and text into balanced sessions with a readable
theme, placed into time blocks and rooms (CP-SAT) so that no presenter is in two places, and the
participants most likely to sign invited to each, within room capacity and without clashes."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from dataclasses import field as default

import numpy as np
from ortools.sat.python import cp_model
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from graph_service.errors import InvalidInput
from graph_service.fair.instance import Instance
from graph_service.text.tokenizer import DomainTokenizer

THEME_WORDS = 3


@dataclass
class Session:
    id: str
    field: str
    theme: str
    projects: list[int]  # indices into instance.projects
    block: int = -1  # index into event.blocks
    room: int = -1  # index into event.rooms
    invitees: list[str] = default(default_factory=list)


def _sizes(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _allocate(counts: dict[str, int], total: int, lo: int, hi: int) -> dict[str, int]:
    """Sessions per field, proportional to its projects (largest remainder), each within the size limits."""
    n = sum(counts.values())
    share = {f: c * total / n for f, c in counts.items()}
    parts = {f: max(1, int(s)) for f, s in share.items()}
    for f in sorted(share, key=lambda f: share[f] - int(share[f]), reverse=True)[:max(0, total - sum(parts.values()))]:
        parts[f] += 1
    for f, c in counts.items():  # sizes win over the session count
        parts[f] = min(max(parts[f], -(-c // hi)), max(1, c // lo))
    return parts


def form_sessions(instance: Instance) -> list[Session]:
    """Projects grouped by their first field; fields with too few projects for a session pooled by
    text; each group split into balanced, textually coherent sessions."""
    projects = instance.projects
    if not projects:
        return []
    lo, hi = instance.event.session_size
    tok = DomainTokenizer({f for p in projects for f in p.fields})
    docs = [" ".join(tok(f"{p.title} {p.text} {' '.join(p.fields)}")) for p in projects]
    vec = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True)
    x = vec.fit_transform(docs)
    words = np.array(vec.get_feature_names_out())
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(projects):
        groups[p.fields[0] if p.fields else "综合"].append(i)
    small = [f for f, members in groups.items() if len(members) < lo]
    if len(small) > 1 or (small and len(groups) > 1):
        pooled = [i for f in small for i in groups.pop(f)]
        groups["综合"] = groups.get("综合", []) + pooled
    parts = _allocate({f: len(m) for f, m in groups.items()}, instance.event.sessions, lo, hi)
    sessions: list[Session] = []
    for f in sorted(groups):
        members = np.array(groups[f])
        for chunk in _balanced(x[members], parts[f]):
            idx = [int(i) for i in members[chunk]]
            sessions.append(Session(f"S{len(sessions) + 1:03d}", f, _theme(f, x[idx], words, idx, projects), idx))
    return sessions


def _balanced(x, k: int) -> list[np.ndarray]:
    """k groups of near-equal size, each of texts close to one k-means centre."""
    n = x.shape[0]
    if k <= 1:
        return [np.arange(n)]
    km = KMeans(n_clusters=k, n_init=3, random_state=0).fit(x)
    dist = km.transform(x)
    room = _sizes(n, k)
    groups: list[list[int]] = [[] for _ in range(k)]
    done = np.zeros(n, dtype=bool)
    for flat in np.argsort(dist, axis=None, kind="stable"):
        i, c = divmod(int(flat), k)
        if not done[i] and len(groups[c]) < room[c]:
            groups[c].append(i)
            done[i] = True
    return [np.array(sorted(g)) for g in groups]


def _theme(field_name: str, x, words: np.ndarray, idx: list[int], projects) -> str:
    weight = np.asarray(x.sum(axis=0)).ravel()
    top = [w for w in words[np.argsort(-weight)] if w not in field_name.lower()][:THEME_WORDS]
    if field_name == "综合":
        field_name = "·".join(f for f, _ in Counter(projects[i].fields[0] for i in idx if projects[i].fields)
                              .most_common(2)) or field_name
    return f"{field_name}：{'、'.join(top)}" if top else field_name


def place_sessions(instance: Instance, sessions: list[Session], time_limit: float = 20.0) -> None:
    """Each session into one block and room: at most one session per room and block, no presenter in
    two sessions of a block, sessions of one field spread over blocks, the largest in the largest rooms."""
    event = instance.event
    blocks, rooms = len(event.blocks), len(event.rooms)
    if len(sessions) > blocks * rooms:
        raise InvalidInput(f"{len(sessions)} sessions need more than {blocks} blocks x {rooms} rooms", field="rooms")
    m = cp_model.CpModel()
    x = [[m.new_bool_var(f"x{s}_{b}") for b in range(blocks)] for s in range(len(sessions))]
    for row in x:
        m.add_exactly_one(row)
    for b in range(blocks):
        m.add(sum(x[s][b] for s in range(len(sessions))) <= rooms)
    by_presenter: dict[str, set[int]] = defaultdict(set)
    for s, session in enumerate(sessions):
        for i in session.projects:
            by_presenter[instance.projects[i].presenter].add(s)
    for group in by_presenter.values():
        if len(group) > 1:
            for b in range(blocks):
                m.add_at_most_one(x[s][b] for s in group)
    by_field: dict[str, list[int]] = defaultdict(list)
    for s, session in enumerate(sessions):
        by_field[session.field].append(s)
    crowding = []
    for members in by_field.values():
        if len(members) > 1:
            for b in range(blocks):
                z = m.new_int_var(0, len(members), "")
                m.add(z >= sum(x[s][b] for s in members) - 1)
                crowding.append(z)
    m.minimize(sum(crowding))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InvalidInput("sessions cannot be placed without a presenter in two places at once "
                           f"({blocks} blocks)", field="blocks")
    order = sorted(range(rooms), key=lambda r: -event.rooms[r].capacity)
    for b in range(blocks):
        here = sorted((s for s in range(len(sessions)) if solver.value(x[s][b])),
                      key=lambda s: -len(sessions[s].projects))
        for s, r in zip(here, order):
            sessions[s].block, sessions[s].room = b, r
            if len(sessions[s].projects) > event.rooms[r].capacity:
                raise InvalidInput(f"session {sessions[s].id} has {len(sessions[s].projects)} projects, more than "
                                   f"room {event.rooms[r].id} holds", field="rooms")


def invite(instance: Instance, sessions: list[Session], per_person: int = 2) -> None:
    """Invitees per session, best fit first: the matching model's fit with the session's presenters
    (from the requests) and shared fields; within room capacity, one session per block for an invitee,
    and never in a block where they present."""
    event = instance.event
    presenters = [{instance.projects[i].presenter for i in s.projects} for s in sessions]
    fields = [{f for i in s.projects for f in instance.projects[i].fields} for s in sessions]
    fit: dict[tuple[str, str], float] = {}
    for r in instance.requests:
        if r.status != "declined" and r.preference != "no":
            for a, b in ((r.a, r.b), (r.b, r.a)):
                fit[a, b] = max(fit.get((a, b), 0.0), r.fit)
    presenting: dict[str, set[int]] = defaultdict(set)
    for s, who in enumerate(presenters):
        for p in who:
            presenting[p].add(sessions[s].block)
    scored = []
    for person in instance.participants:
        mine = set(person.fields)
        for s in range(len(sessions)):
            if person.id in presenters[s]:
                continue
            model = max((fit.get((person.id, p), 0.0) for p in presenters[s]), default=0.0)
            overlap = len(mine & fields[s]) / max(1, len(mine)) if mine else 0.0
            score = model + 0.3 * overlap
            if score > 0:
                scored.append((-score, person.id, s))
    scored.sort()
    room_left = [event.rooms[s.room].capacity - len(presenters[i]) for i, s in enumerate(sessions)]
    taken: dict[str, set[int]] = defaultdict(set)
    limit = per_person
    for _, pid, s in scored:
        block = sessions[s].block
        if room_left[s] <= 0 or block in taken[pid] or block in presenting[pid] or len(taken[pid]) >= limit:
            continue
        sessions[s].invitees.append(pid)
        taken[pid].add(block)
        room_left[s] -= 1


def busy_slots(instance: Instance, sessions: list[Session]) -> dict[str, set[str]]:
    """Meeting slots each participant spends in sessions (presenting or invited)."""
    event = instance.event
    overlapping = [{s.id for s in event.slots if s.overlaps(b)} for b in event.blocks]
    busy: dict[str, set[str]] = defaultdict(set)
    for session in sessions:
        here = overlapping[session.block]
        for i in session.projects:
            busy[instance.projects[i].presenter] |= here
        for pid in session.invitees:
            busy[pid] |= here
    return busy
