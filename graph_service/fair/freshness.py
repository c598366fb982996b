"""Whether a plan still reflects its fair's inputs: the `stale` flag of the plan report.

A plan directory keeps `inputs.json`, a digest per part of the instance (event, projects, participants,
requests, locked) as the plan reflects it. The plan is stale when any part of the current instance
differs: an edit, an import or an answer made since, by the API or by hand in the files.

Planning reflects the whole instance. A re-plan (cancellation, late registration) schedules every
current request and participant around the meetings it keeps, so it takes in their changes, unless
a kept meeting is one the inputs no longer want (its request declined or withdrawn, a participant no
longer free then or over their limit): those parts stay stale until the fair is planned again. It
redoes neither the sessions nor the organiser's locks, and the layout is the planned one, so changes to
the event, the projects or the locks made before it stay stale too.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from graph_service.fair.instance import Instance, Locked

__all__ = ["INPUTS_FILE", "changed_parts", "digests", "read_inputs", "replanned", "unwanted", "write_inputs"]

INPUTS_FILE = "inputs.json"
PARTS = ("event", "projects", "participants", "requests", "locked")
TAKEN_IN = ("participants", "requests")  # what a re-plan schedules afresh around the kept meetings


def digests(instance: Instance) -> dict[str, str]:
    """A digest per part of the instance (serialised by pydantic: the same for the same rows)."""
    return {part: hashlib.sha256(instance.model_dump_json(include={part}).encode()).hexdigest() for part in PARTS}


def changed_parts(reflected: dict[str, str], current: dict[str, str]) -> list[str]:
    """The parts whose current rows the plan does not reflect, in PARTS order."""
    return [part for part in PARTS if reflected.get(part) != current[part]]


def replanned(reflected: dict[str, str], before: Instance, after: Instance, taken_in: bool) -> dict[str, str]:
    """What a re-plan's result reflects: `before` is the instance it started from, `after` the one it
    leaves (its change applied); `taken_in`: no kept meeting is `unwanted` by `after`."""
    was, now = digests(before), digests(after)
    # a part reflected before stays so: the re-plan applied its own change to it (nothing else changed it)
    out = {part: now[part] if reflected.get(part) == was[part] else reflected.get(part, "") for part in PARTS}
    if taken_in:
        out.update({part: now[part] for part in TAKEN_IN})
    return out


def unwanted(instance: Instance, meetings: list[Locked]) -> list[str]:
    """Planned meetings the inputs no longer ask for, each with why: no accepted request for the pair
    (and no lock), a participant gone, not free in its slot, or over their limit. The organiser's
    locks beat availability and limits, as in planning."""
    people = {p.id: p for p in instance.participants}
    slots = {s.id: s for s in instance.event.slots}
    locks = {_pair(m.a, m.b) for m in instance.locked}
    asked = {_pair(r.a, r.b) for r in instance.requests if r.status == "accepted" and r.preference != "no"}
    out: list[str] = []
    count: Counter[str] = Counter()
    locked_count: Counter[str] = Counter()
    for m in meetings:
        key = _pair(m.a, m.b)
        gone = [x for x in key if x not in people]
        if gone:
            out.append(f"{m.a}–{m.b}：{'、'.join(gone)} 已不在参会名单中")
            continue
        count.update(key)
        if key in locks:
            locked_count.update(key)
            continue
        if key not in asked:
            out.append(f"{m.a}–{m.b}：没有已接受的会谈请求")
        slot = slots.get(m.slot)
        for x in key:
            free = people[x].available
            if slot is None or (free and m.slot not in free and slot.day.isoformat() not in free):
                out.append(f"{m.a}–{m.b}：{x} 在时段 {m.slot} 没有空")
    for x, n in count.items():
        p = people[x]
        limit = p.max_meetings if p.max_meetings is not None else instance.event.max_meetings.get(p.kind)
        if limit is not None and n > max(limit, locked_count[x]):
            out.append(f"{x}：{n} 场会谈，超过上限 {limit} 场")
    return out


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def write_inputs(plan_dir: Path, reflected: dict[str, str]) -> None:
    (plan_dir / INPUTS_FILE).write_text(json.dumps(reflected, indent=2), encoding="utf-8")


def read_inputs(plan_dir: Path) -> dict[str, str] | None:
    """What the plan in `plan_dir` reflects; None for a plan written before plans recorded it."""
    path = plan_dir / INPUTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
