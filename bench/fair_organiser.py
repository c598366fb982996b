"""An organiser's whole fair through the API, at the issue's size, on a copy of the city store:
create, promote the projects from everyday matching, import participants and requests (CSV), plan,
export every participant's agenda (iCalendar) and the overview, a cancellation, ten more tables and five
late registrations, then 820 signed outcomes into the graph (the real fair's on-site figure) and the
rest to follow-up.
Prints the time of each step.

    python bench/fair_organiser.py --instance DIR [--store bench/out/city.sqlite] [--time-limit 60]
(DIR: a fair from `techmatch generate-fair` or bench/fair_plan.py; its projects are promoted by node id)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from accounts import SERVER_ENV, bearer, bench_account  # bench/accounts.py, beside this script
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.fair.instance import read_instance
from graph_service.service import GraphService
from graph_service.settings import Settings
from graph_service.stores.sqlite_store import SqliteStore

SIGNED = 820


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--store", type=Path, default=Path("bench/out/city.sqlite"))
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    instance = read_instance(args.instance)
    work = Path(tempfile.mkdtemp(prefix="fair-organiser-"))
    shutil.copyfile(args.store, work / "store.sqlite")  # outcomes write deals: never into the bench's store
    store = SqliteStore(work / "store.sqlite")
    store.ensure_schema()  # a store made before accounts existed gets their tables
    service = GraphService.open(store, Path(f"{args.store}.models"))
    figures: dict[str, float] = {}

    def timed(name: str, call, status: int = 200):
        t = time.perf_counter()
        r = call()
        figures[name] = round(time.perf_counter() - t, 3)
        assert r.status_code == status, (name, r.status_code, r.text[:500])
        return r.json() if r.headers["content-type"].startswith("application/json") else r

    password = bench_account(store)
    with TestClient(create_app(Settings(fairs_dir=work / "fairs", **{k.removeprefix("TECHMATCH_").lower(): v
                                                                     for k, v in SERVER_ENV.items()}),
                               service=service)) as c:
        c.headers.update(bearer(c, password))
        f = "/api/v1/fairs/bench"
        event = json.loads(instance.event.model_dump_json())
        timed("create", lambda: c.post("/api/v1/fairs", json={"id": "bench", "event": event}), 201)
        nodes = [p.node for p in instance.projects if p.node]
        promoted = timed("promote", lambda: c.post(f"{f}/promote", json={"nodes": nodes}))
        for part in ("participants", "requests"):
            body = (args.instance / f"{part}.csv").read_bytes()
            timed(f"import {part}", lambda body=body, part=part: c.post(f"{f}/import/{part}", content=body))
        summary = c.get(f).json()
        timed("plan", lambda: c.post(f"{f}/plan", json={"time_limit": args.time_limit}), 202)
        report = timed("report", lambda: c.get(f"{f}/report"))
        people = [p["id"] for p in c.get(f"{f}/participants", params={"limit": 5000}).json()["rows"]]
        seconds = []
        events = 0
        for pid in people:
            t = time.perf_counter()
            r = c.get(f"{f}/agendas/{pid}", params={"format": "ics"})
            seconds.append(time.perf_counter() - t)
            events += r.text.count("BEGIN:VEVENT")
        timed("overview", lambda: c.get(f"{f}/overview"))
        table_plan = timed("table plan", lambda: c.get(f"{f}/table-plan"))
        meetings = list(csv.DictReader(io.StringIO(table_plan.text)))
        busiest = Counter(x for m in meetings for x in (m["a"], m["b"])).most_common(1)[0][0]
        cancel = timed("cancellation", lambda: c.post(f"{f}/cancellations", json={"participant": busiest}))
        # every table is taken in every slot (7,200 = 36 x 200): late-comers need tables added first
        event["tables"] += 10
        timed("add tables", lambda: c.put(f"{f}/event", json=event))
        hosts = sorted({m["a"] for m in meetings if m["a"] != busiest})[:15]
        late = {"participants": [{"id": f"LATE{k}", "name": f"迟到{k}", "kind": "researcher"} for k in range(5)],
                "requests": [{"a": h, "b": f"LATE{k % 5}", "status": "accepted"} for k, h in enumerate(hosts)]}
        registered = timed("late registration", lambda: c.post(f"{f}/late-registrations", json=late))
        kinds = {p["id"]: p for p in c.get(f"{f}/participants", params={"limit": 5000}).json()["rows"]}
        now = list(csv.DictReader(io.StringIO(c.get(f"{f}/table-plan").text)))
        late_met = Counter(x for m in now for x in (m["a"], m["b"]) if x.startswith("LATE"))
        in_graph = [m for m in now if kinds[m["a"]]["node"] and kinds[m["b"]]["node"]]
        outcomes = [{"a": m["a"], "b": m["b"], "outcome": "signed" if k < SIGNED else
                     ("intention" if k % 3 == 0 else "held")} for k, m in enumerate(in_graph)]
        deals_before = store.counts().nodes.get("Deal", 0)
        recorded = timed("outcomes", lambda: c.post(f"{f}/outcomes", json=outcomes))
        followup = c.get(f"{f}/followup").json()
    deals_after = store.counts().nodes.get("Deal", 0)
    store.close()
    shutil.rmtree(work)
    print(f"fair: {summary['projects']} projects ({len(promoted['projects_added'])} promoted from the graph), "
          f"{summary['participants']} participants, {sum(summary['requests'].values())} requests")
    print(f"steps (s): {json.dumps(figures, ensure_ascii=False)}")
    print(f"plan: {report['meetings']} meetings, value {report['value']}, gap {report['gap']:.3%}, "
          f"min per asking participant {report['meetings_per_participant']['min']}")
    ms = sorted(s * 1000 for s in seconds)
    print(f"agendas as iCalendar: {len(people)} participants, {events} events; per agenda p50 "
          f"{statistics.median(ms):.1f} ms, p99 {ms[int(len(ms) * 0.99)]:.1f} ms, all {sum(seconds):.1f} s")
    print(f"cancellation of {busiest}: kept {cancel['change']['kept']}, moved {cancel['change']['moved']}, "
          f"added {cancel['change']['added']}; late registration: added {registered['change']['added']} (the five "
          f"late-comers {sorted(late_met.values())}, the rest to others short of meetings), moved "
          f"{registered['change']['moved']}")
    print(f"outcomes: {recorded['recorded']}; deals in the graph {deals_before} -> {deals_after}; "
          f"{len(followup)} to follow up")


if __name__ == "__main__":
    main()
