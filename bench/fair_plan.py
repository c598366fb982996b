"""Plan a fair the size of the issue's (2,350 projects, 101 sessions, 3,000 participants, 20,000
requests, 3 days) end to end, beside first-come-first-served on the same instance, then re-plan after
the busiest participant cancels. Prints the figures.

    python bench/fair_plan.py --instance DIR [--store bench/out/city.sqlite] [--time-limit 60]
(the instance is generated from the store, with the store's trained models, when DIR does not exist)
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from graph_service.fair.instance import read_instance, write_instance
from graph_service.fair.plan import baseline_report, plan_fair, write_plan
from graph_service.fair.plan_files import PlanView
from graph_service.fair.replan import replan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--store", type=Path, default=Path("bench/out/city.sqlite"))
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    if not (args.instance / "event.json").exists():
        from graph_service.service import open_service
        from graph_service.settings import Settings
        from loaders.fair_generator import generate_fair

        with open_service(Settings(sqlite_path=args.store, model_dir=Path(f"{args.store}.models"))) as service:
            rec = service.saved_partner_recommender()
            write_instance(generate_fair(service.projection, service.store, rec), args.instance)
    started = time.perf_counter()
    instance = read_instance(args.instance)
    plan = plan_fair(instance, time_limit=args.time_limit)
    out = args.instance.parent / f"{args.instance.name}.plan"
    rep = write_plan(plan, out)
    total = time.perf_counter() - started
    fcfs = baseline_report(plan)
    print(f"instance: {len(instance.projects)} projects, {len(instance.participants)} participants, "
          f"{len(instance.requests)} requests, {len(instance.event.slots)} slots x {instance.event.tables} tables")
    print(f"end to end (read, sessions, invitations, schedule, files): {total:.1f} s; stages {rep['stage_seconds']}")
    print(f"planner: {rep['meetings']} meetings, value {rep['value']:.1f}, bound {rep['bound']:.1f}, "
          f"gap {rep['gap']:.3%}, optimal selection: {rep['optimal']}")
    for name, r in (("planner", rep), ("first come, first served", fcfs)):
        m = r["meetings_per_participant"]
        print(f"  {name:<26} value {r['value']:8.1f}  meetings {r['meetings']:5d}  per asking participant "
              f"min {m['min']} median {m['median']} max {m['max']} Gini {m['gini']:.3f}; guarantee met "
              f"{r['guarantee']['met']}/{r['participants_asking']} (short {r['guarantee']['short']}); must-meet "
              f"{r['must_meet_held']}/{r['must_meet_asked']}; idle slots {r['idle_slots']['total']}")
    print(f"  value ratio planner / FCFS: {rep['value'] / fcfs['value']:.2f}x")
    meetings = PlanView.read(out).meetings
    busiest = Counter(x for m in meetings for x in (m.a, m.b)).most_common(1)[0][0]
    before = {(m.a, m.b, m.slot, m.table) for m in meetings if busiest not in (m.a, m.b)}
    t = time.perf_counter()
    prob, placement, change = replan(instance, out, cancel=busiest)
    seconds = time.perf_counter() - t
    after = {(prob.people[prob.pairs[k][0]], prob.people[prob.pairs[k][1]], prob.instance.event.slots[
        placement.slot[k]].id, int(placement.table[k])) for k in placement.held}
    print(f"re-plan after {busiest} cancels: {seconds:.2f} s; kept {len(before & after)}/{len(before)} other "
          f"meetings in place, moved {change['moved']}, added {change['added']} for those who lost one")
    print(json.dumps({"seconds": round(total, 1), "gap": rep["gap"], "value": rep["value"], "fcfs": fcfs["value"],
                      "min": rep["meetings_per_participant"]["min"],
                      "fcfs_min": fcfs["meetings_per_participant"]["min"], "replan_seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main()
