"""`techmatch generate-fair | plan-fair | replan-fair`: the 科创会
from the command line, over an instance directory and a plan directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from graph_service.errors import InvalidInput
from graph_service.fair.instance import Participant, Request, read_instance, read_rows, write_instance
from graph_service.fair.plan import baseline_report, plan_fair, schedule_report, write_meetings, write_plan
from graph_service.fair.replan import replan
from graph_service.service import GraphService
from graph_service.settings import get_settings
from graph_service.stores import open_store
from loaders.fair_generator import FAIR, generate_fair

DIR = click.Path(path_type=Path)


@click.command("generate-fair")
@click.option("--out", type=DIR, required=True, help="directory for the instance files")
@click.option("--projects", type=click.IntRange(1), default=FAIR["projects"], show_default=True)
@click.option("--sessions", type=click.IntRange(1), default=FAIR["sessions"], show_default=True)
@click.option("--participants", type=click.IntRange(2), default=FAIR["participants"], show_default=True)
@click.option("--requests", type=click.IntRange(0), default=FAIR["requests"], show_default=True)
@click.option("--days", type=click.IntRange(1, 14), default=FAIR["days"], show_default=True)
@click.option("--seed", type=int, default=11, show_default=True)
def generate_fair_cmd(out: Path, projects: int, sessions: int, participants: int, requests: int, days: int,
                      seed: int) -> None:
    """A realistic fair instance from the graph in the store (fits from the matching model if trained)."""
    settings = get_settings()
    with open_store(settings) as store:
        service = GraphService.open(store, settings.model_dir)
        rec = service.saved_partner_recommender()
        instance = generate_fair(service.projection, store, rec, projects=projects, sessions=sessions,
                                 participants=participants, requests=requests, days=days, seed=seed)
    write_instance(instance, out)
    click.echo(f"wrote {len(instance.projects)} projects, {len(instance.participants)} participants, "
               f"{len(instance.requests)} requests, {len(instance.event.slots)} slots x {instance.event.tables} "
               f"tables to {out}" + ("" if rec else " (no trained model: fits from shared fields)"))


@click.command("plan-fair")
@click.argument("directory", type=DIR)
@click.option("--out", type=DIR, required=True, help="directory for the plan files")
@click.option("--time-limit", type=click.FloatRange(1), default=60.0, show_default=True,
              help="seconds for the meeting solver")
@click.option("--baseline", is_flag=True, help="also report first-come-first-served on the same instance")
@click.option("--json", "as_json", is_flag=True, help="print the plan report as one JSON object")
def plan_fair_cmd(directory: Path, out: Path, time_limit: float, baseline: bool, as_json: bool) -> None:
    """Themed sessions, invitations and the 1:1 schedule for the instance in DIRECTORY."""
    plan = plan_fair(read_instance(directory), time_limit=time_limit)
    rep = write_plan(plan, out)
    if baseline:
        rep["baseline_fcfs"] = baseline_report(plan)
    if as_json:
        click.echo(json.dumps(rep, ensure_ascii=False))
        return
    m = rep["meetings_per_participant"]
    click.echo(f"{rep['sessions']['count']} sessions, {rep['sessions']['invitations']} invitations, "
               f"{rep['meetings']} meetings worth {rep['value']:.1f} (bound {rep['bound']:.1f}, gap "
               f"{rep['gap']:.2%}) in {rep['seconds']:.1f} s")
    click.echo(f"meetings per asking participant: min {m['min']}, median {m['median']}, max {m['max']}, "
               f"Gini {m['gini']:.3f}; idle slots {rep['idle_slots']['total']}; files in {out}")
    if baseline:
        b = rep["baseline_fcfs"]
        click.echo(f"first come, first served: {b['meetings']} meetings worth {b['value']:.1f}, "
                   f"min {b['meetings_per_participant']['min']}")


@click.command("replan-fair")
@click.argument("directory", type=DIR)
@click.option("--plan", "plan_dir", type=DIR, required=True, help="the plan to change (from plan-fair)")
@click.option("--out", type=DIR, required=True, help="directory for the new plan")
@click.option("--cancel", default=None, help="the participant who cancelled")
@click.option("--register", type=DIR, default=None,
              help="a directory with participants.csv and requests.csv of late registrations")
@click.option("--json", "as_json", is_flag=True)
def replan_fair_cmd(directory: Path, plan_dir: Path, out: Path, cancel: str | None, register: Path | None,
                    as_json: bool) -> None:
    """Re-plan after a cancellation or a late registration; no planned meeting moves or is lost."""
    if (cancel is None) == (register is None):
        raise InvalidInput("give --cancel or --register", field="cancel")
    late = None
    if register is not None:
        late = (read_rows(register / "participants.csv", Participant), read_rows(register / "requests.csv", Request))
    prob, placement, change = replan(read_instance(directory), plan_dir, cancel=cancel, register=late)
    out.mkdir(parents=True, exist_ok=True)
    write_instance(prob.instance.model_copy(update={"locked": []}), out / "instance")
    write_meetings(prob, placement, out)
    for name in ("sessions.csv", "invitations.csv"):
        shutil.copyfile(plan_dir / name, out / name)
    rep = {**schedule_report(prob, placement), "change": change}
    (out / "report.json").write_text(json.dumps(rep, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(rep, ensure_ascii=False))
    else:
        click.echo(f"kept {change['kept']} meetings, moved {change['moved']}, added {change['added']}, "
                   f"cancelled {change['cancelled_meetings']} in {change['seconds']:.2f} s; files in {out}")


COMMANDS = (generate_fair_cmd, plan_fair_cmd, replan_fair_cmd)
