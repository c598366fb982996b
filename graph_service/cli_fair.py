"""The 科创会 from the command line, over an instance directory and a plan directory (the files the
API keeps per fair, so either can be used): create-fair, promote-fair, import-fair, generate-fair,
plan-fair, replan-fair, export-agendas, record-outcomes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from graph_service.errors import Conflict, InvalidInput
from graph_service.fair.agenda import Agendas
from graph_service.fair.fits import with_fits
from graph_service.fair.freshness import changed_parts, digests, read_inputs
from graph_service.fair.instance import (
    FILES,
    Instance,
    NewRequest,
    Participant,
    Request,
    read_event,
    read_instance,
    read_rows,
    write_instance,
)
from graph_service.fair.layout import standard_event
from graph_service.fair.outcomes import Outcome, read_outcomes, record_outcomes, write_outcomes
from graph_service.fair.plan import baseline_report, plan_fair, write_plan
from graph_service.fair.plan_files import PlanView
from graph_service.fair.promote import promote
from graph_service.fair.replan import kept, replan, write_replan
from graph_service.service import open_service
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
    with open_service() as service:
        rec = service.saved_partner_recommender()
        instance = generate_fair(service.projection, service.store, rec, projects=projects, sessions=sessions,
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
    instance = read_instance(directory)
    late = None
    if register is not None:
        newcomers = read_rows(register / "participants.csv", Participant)
        with_late = instance.model_copy(update={"participants": [*instance.participants, *newcomers]})
        late = (newcomers, _fitted(with_late, read_rows(register / "requests.csv", NewRequest), "requests.csv"))
    prob, placement, change = replan(instance, plan_dir, cancel=cancel, register=late)
    write_instance(kept(prob, instance), out / "instance")
    rep = write_replan(prob, placement, change, plan_dir, out, instance)
    if as_json:
        click.echo(json.dumps(rep, ensure_ascii=False))
        return
    click.echo(f"kept {change['kept']} meetings, moved {change['moved']}, added {change['added']}, "
               f"cancelled {change['cancelled_meetings']} in {change['seconds']:.2f} s; files in {out}")
    unwanted = rep["change"]["no_longer_wanted"]
    if unwanted:  # kept, as a re-plan moves nothing: only planning again drops them
        click.echo(f"注意：{len(unwanted)} 场保留的会谈已不符合当前的请求或时间（如 {unwanted[0]}）；"
                   "请用 plan-fair 重新规划", err=True)


@click.command("create-fair")
@click.argument("directory", type=DIR)
@click.option("--event", "event_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="an event.json of your own layout instead of the standard one")
@click.option("--name", default="永不落幕科创会", show_default=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="first day (default: in 30 days)")
@click.option("--days", type=click.IntRange(1, 14), default=FAIR["days"], show_default=True)
@click.option("--sessions", type=click.IntRange(1), default=100, show_default=True)
@click.option("--participants", type=click.IntRange(2), default=FAIR["participants"], show_default=True,
              help="expected: sets the tables (one per 15)")
@click.option("--projects", type=click.IntRange(1), default=FAIR["projects"], show_default=True,
              help="expected: sets the session sizes")
@click.option("--tables", type=click.IntRange(1), default=None)
def create_fair_cmd(directory: Path, event_file: Path | None, name: str, start: datetime | None, days: int,
                    sessions: int, participants: int, projects: int, tables: int | None) -> None:
    """An empty fair (step 1): the event's days, session blocks, rooms, 1:1 slots and tables."""
    if (directory / "event.json").exists():
        raise Conflict(f"{directory} already holds a fair")
    if event_file is not None:
        event = read_event(event_file)
    else:
        first = start.date() if start else date.today() + timedelta(days=30)
        event = standard_event(days, sessions, participants, projects, first, name, tables)
    write_instance(Instance(event=event, projects=[], participants=[], requests=[]), directory)
    click.echo(f"fair {event.name}: {len(event.days)} days, {len(event.blocks)} session blocks, {len(event.rooms)} "
               f"rooms, {len(event.slots)} slots x {event.tables} tables in {directory}")


@click.command("promote-fair")
@click.argument("directory", type=DIR)
@click.argument("nodes", nargs=-1, required=True)
def promote_fair_cmd(directory: Path, nodes: tuple[str, ...]) -> None:
    """Promote needs, challenges and offers from the graph into projects (their posters registered as
    presenters) and register researchers, enterprises and institutions, by node id (step 2)."""
    instance = read_instance(directory)
    with open_service(models=False) as service:
        instance, added = promote(instance, service.projection, service.store, list(nodes))
    write_instance(instance, directory)
    click.echo(f"added {len(added['projects_added'])} projects and {len(added['participants_added'])} "
               f"participants; the fair has {len(instance.projects)} projects, {len(instance.participants)} "
               "participants")


@click.command("import-fair")
@click.argument("directory", type=DIR)
@click.option("--projects", type=DIR, default=None, help="projects.csv to add or replace (by id)")
@click.option("--participants", type=DIR, default=None, help="participants.csv to add or replace (by id)")
@click.option("--requests", type=DIR, default=None, help="requests.csv: new requests and answers (by a,b)")
@click.option("--locked", type=DIR, default=None, help="locked.csv: meetings the organiser fixes (by a,b)")
def import_fair_cmd(directory: Path, **files: Path | None) -> None:
    """Add or replace projects, participants, requests (and their acceptance) and locked meetings from
    CSV files (step 2); a bad row names its file, line and field and nothing is written."""
    given = {part: path for part, path in files.items() if path is not None}
    if not given:
        raise InvalidInput("give at least one of --projects, --participants, --requests, --locked")
    rows = {part: read_rows(path, FILES[part]) for part, path in given.items()}
    where = {part: path.name for part, path in given.items()}
    asks = rows.pop("requests", [])
    instance = read_instance(directory).merged(**rows, where=where)  # first: requests may name new participants
    fitted = _fitted(instance, asks, where["requests"]) if "requests" in given else []
    if fitted:
        instance = instance.merged(requests=fitted, where=where)
    write_instance(instance, directory)
    click.echo(f"the fair has {len(instance.projects)} projects, {len(instance.participants)} participants, "
               f"{len(instance.requests)} requests, {len(instance.locked)} locked meetings")
    if fitted:
        fits = Counter(r.fit_from for r in fitted)
        click.echo(f"fits of the {len(fitted)} requests read: {fits['given']} given, {fits['model']} from the "
                   f"matching model, {fits['fields']} from shared fields (pairs the model does not score)")


def _fitted(instance: Instance, rows: Sequence[NewRequest], file: str) -> list[Request]:
    """Rows as requests, those without a fit given the matching model's (the store's service is opened,
    and its model trained if none was saved, only when one needs it): the fit the API would give."""
    with ExitStack() as opened:
        return with_fits(instance, rows, lambda: opened.enter_context(open_service()).partner_recommender(), file)


@click.command("export-agendas")
@click.argument("directory", type=DIR)
@click.option("--plan", "plan_dir", type=DIR, required=True)
@click.option("--out", type=DIR, required=True)
def export_agendas_cmd(directory: Path, plan_dir: Path, out: Path) -> None:
    """Each participant's agenda (agendas/ID.csv and ID.ics) and the organiser's overview
    (overview.json, programme.csv, table_plan.csv) (step 5)."""
    instance = read_instance(directory)
    done = Agendas(instance, PlanView.read(plan_dir)).export(out)
    click.echo(f"{done['agendas']} agendas, {done['sessions']} sessions, {done['meetings']} meetings in {out}")
    reflected = read_inputs(plan_dir)
    changed = changed_parts(reflected, digests(instance)) if reflected is not None else []
    if changed:
        click.echo(f"注意：方案已过期，{'、'.join(changed)} 在规划之后有改动；请重新规划（plan-fair 或 replan-fair）",
                   err=True)


@click.command("record-outcomes")
@click.argument("directory", type=DIR)
@click.option("--plan", "plan_dir", type=DIR, required=True)
@click.option("--outcomes", "outcomes_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="CSV: a,b,outcome (held|intention|signed|not_held) and optionally "
                                  "project,deal_kind,amount,date,note")
@click.option("--fair", "fair_id", default=None, help="the fair's id in deal ids (default: the plan directory's name)")
def record_outcomes_cmd(directory: Path, plan_dir: Path, outcomes_file: Path, fair_id: str | None) -> None:
    """After the fair (step 7): signed meetings become deals in the graph; the rest go to followup.csv
    in the plan directory (the needs concerned stay in everyday matching as 'matching')."""
    instance = read_instance(directory)
    new = read_rows(outcomes_file, Outcome)
    with open_service(models=False) as service:
        recorded = record_outcomes(service, fair_id or plan_dir.resolve().name, instance, PlanView.read(plan_dir),
                                   new, read_outcomes(plan_dir / "outcomes.csv"), outcomes_file.name, "cli")
    write_outcomes(recorded, plan_dir)
    s = recorded.summary()
    counts = ", ".join(f"{n} {outcome}" for outcome, n in s["recorded"].items())
    click.echo(f"recorded {counts}; {len(s['deals_written'])} deals written to the graph; "
               f"{s['followup']} to follow up (followup.csv in {plan_dir}); cases: {s['cases']['opened']} opened, "
               f"{s['cases']['moved']} moved on, {s['cases']['noted']} noted")


COMMANDS = (create_fair_cmd, promote_fair_cmd, import_fair_cmd, generate_fair_cmd, plan_fair_cmd, replan_fair_cmd,
            export_agendas_cmd, record_outcomes_cmd)
