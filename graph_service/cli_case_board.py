"""The `techmatch cases` commands beyond one case's daily work: sign (writes the deal), promote to a fair,
reminders, a lead's list, the dashboard, staff profiles, and growing a demo history. Added to the group in
cli_cases."""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from graph_service.cases.assign import set_profile
from graph_service.cases.dashboard import dashboard as build_dashboard
from graph_service.cases.pipeline import get_case
from graph_service.cases.reminders import lead_list
from graph_service.cases.reminders import reminders as find_reminders
from graph_service.cases.signing import DEAL_KINDS
from graph_service.cases.signing import sign as sign_case
from graph_service.cases.stages import LABELS, Stage
from graph_service.need_status import today
from graph_service.service import open_service
from graph_service.settings import get_settings
from graph_service.stores import open_store
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import CaseRecord, StaffProfile

EXPECTED = click.option("--expected", default=None, help="refuse if the case changed since this `updated`")
STALLED = click.option("--stalled-days", type=click.IntRange(1, 365), default=None,
                       help="a case with no activity for longer is stalled (default: TECHMATCH_STALLED_DAYS)")
TODAY = click.option("--today", "on", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="the day to count from (default: today)")


def show_case(case: CaseRecord) -> None:
    click.echo(f"{case.id}  {LABELS[Stage(case.stage)]}（{case.stage}）  负责人 {case.assignee or '未分配'}  "
               f"updated {case.updated}")
    if case.next_action:
        click.echo(f"  下一步：{case.next_action}（{case.due} 前）")


def expected_token(store: GraphStore, case_id: str, given: str | None) -> str:
    """The token a change names: the one given, or the case's current one (the CLI reads and writes at once)."""
    return given or get_case(store, case_id).updated


def _day(on: datetime | None) -> date:
    return on.date() if on else today()


def _stalled(given: int | None) -> int:
    return given or get_settings().stalled_days


@click.command("sign")
@click.argument("case_id")
@click.option("--partner", "partners", multiple=True, help="researcher or institution id (repeatable; default: "
              "those who agreed to the introduction)")
@click.option("--kind", type=click.Choice(list(DEAL_KINDS)), default="development", show_default=True)
@click.option("--amount", type=float, default=None, help="万元")
@click.option("--date", "signed_on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@EXPECTED
@click.pass_obj
def sign(actor: str, case_id: str, partners: tuple[str, ...], kind: str, amount: float | None,
         signed_on: datetime | None, expected: str | None) -> None:
    """Sign a case: its deal goes into the graph and the case is signed."""
    with open_service(models=False) as service:
        case = sign_case(service, case_id, actor, expected_token(service.store, case_id, expected),
                         partners=list(partners) or None, kind=kind, amount=amount,
                         when=signed_on.date() if signed_on else None)
    show_case(case)
    click.echo(f"  合同 {case.detail['deal']} 已写入图谱")


@click.command("promote")
@click.argument("case_id")
@click.option("--fair", "fair_id", required=True)
@click.pass_obj
def promote(actor: str, case_id: str, fair_id: str) -> None:
    """Take a case to a fair (of the server's fairs directory) as a project."""
    from graph_service.cases.to_fair import promote_case
    from graph_service.fair.workspace import Fairs

    with open_service(models=False) as service:
        case, added = promote_case(service, Fairs(get_settings().fairs_dir).get(fair_id), case_id, actor)
    show_case(case)
    click.echo(f"  projects added: {', '.join(added['projects_added']) or '-'}; participants added: "
               f"{', '.join(added['participants_added']) or '-'}")


@click.command("reminders")
@click.option("--assignee", default=None, help="one staff member's (default: everyone's)")
@STALLED
@TODAY
def reminders(assignee: str | None, stalled_days: int | None, on: datetime | None) -> None:
    """Overdue next actions and stalled cases, most urgent first."""
    with open_store(get_settings()) as store:
        found = find_reminders(store, _day(on), _stalled(stalled_days), assignee)
    for r in found:
        click.echo(f"{r.assignee or '-':<16} {r.message}")
    click.echo(f"{len(found)} reminders")


@click.command("lead")
@click.argument("lead")
@STALLED
@TODAY
def lead(lead: str, stalled_days: int | None, on: datetime | None) -> None:
    """A lead's list: the reminders of everyone they lead."""
    with open_store(get_settings()) as store:
        grouped = lead_list(store, lead, _day(on), _stalled(stalled_days))
    for staff, found in grouped.items():
        click.echo(f"{staff}: {len(found)}")
        for r in found:
            click.echo(f"  {r.message}")


@click.command("dashboard")
@STALLED
@TODAY
@click.option("--json", "as_json", is_flag=True, help="everything, as JSON")
def dashboard(stalled_days: int | None, on: datetime | None, as_json: bool) -> None:
    """The funnel by stage, times to introduction and signature, breakdowns, stalled cases."""
    with open_service(models=False) as service:
        board = build_dashboard(service.store, service.projection, _day(on), _stalled(stalled_days)).as_dict()
    if as_json:
        click.echo(json.dumps(board, ensure_ascii=False, indent=2))
        return
    for step in board["funnel"]:
        conversion = "" if step["conversion"] is None else f"{step['conversion']:.1%}"
        click.echo(f"{step['label']:<8} reached {step['reached']:>6}  now {step['now']:>6}  {conversion}")
    for name in ("to_introduction", "to_signature"):
        d = board[name]
        click.echo(f"{name}: {d['count']} cases, median {d['median']} days, p75 {d['p75']}")
    click.echo(f"stalled: {board['stalled']}")


@click.command("staff")
@click.argument("username", required=False)
@click.option("--region", "regions", multiple=True, help="Region id (repeatable)")
@click.option("--field", "fields", multiple=True, help="Field id (repeatable)")
@click.option("--capacity", type=click.IntRange(1, 10_000), default=40, show_default=True)
@click.option("--lead", default=None)
def staff(username: str | None, regions: tuple[str, ...], fields: tuple[str, ...], capacity: int,
          lead: str | None) -> None:
    """Without a name: every staff profile and its load; with one: set that profile."""
    with open_store(get_settings()) as store:
        if username:
            set_profile(store, StaffProfile(username, regions, fields, capacity, lead))
        loads = store.open_loads()
        for p in store.staff_profiles():
            click.echo(f"{p.username:<16} {loads.get(p.username, 0):>4}/{p.capacity:<5} lead {p.lead or '-':<14} "
                       f"regions {','.join(p.regions) or '-'}  fields {','.join(p.fields) or '-'}")


@click.command("grow-history")
@click.option("--seed", type=int, default=7, show_default=True)
@TODAY
def grow_history(seed: int, on: datetime | None) -> None:
    """Grow a synthetic case history (staff, stages, feedback) on the loaded demo market."""
    from loaders.generator.cases import grow_case_history

    with open_store(get_settings()) as store:
        summary = grow_case_history(store, seed=seed, **({"today": on.date()} if on else {}))
    click.echo(json.dumps(summary, ensure_ascii=False))


BOARD_COMMANDS = [sign, promote, reminders, lead, dashboard, staff, grow_history]

