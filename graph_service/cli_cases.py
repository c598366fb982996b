"""`techmatch cases`: the 保姆式 service from the command line, the same functions the API calls. Whoever
runs it holds the store; `--as NAME` says which staff member the case log records (default: cli)."""

from __future__ import annotations

import json

import click

from graph_service.cases import partners as answers
from graph_service.cases.assign import assign
from graph_service.cases.pipeline import get_case, log, move, open_case, plan_next
from graph_service.cases.stages import CLOSE_REASONS, LABELS, Stage
from graph_service.cli_case_board import BOARD_COMMANDS, EXPECTED, expected_token, show_case
from graph_service.service import open_service
from graph_service.settings import get_settings
from graph_service.stores import open_store

STAGES = click.Choice([s.value for s in Stage])


def _store():  # type: ignore[no-untyped-def]
    return open_store(get_settings())


@click.group()
@click.option("--as", "actor", default="cli", show_default=True, help="the staff member the case log records")
@click.pass_context
def cases(ctx: click.Context, actor: str) -> None:
    """Cases: open, show, list, move, assign, clarify, shortlist, feedback, introduce, answer, log, next,
    sign, promote, reminders, lead, dashboard, staff, grow-history."""
    ctx.obj = actor


@cases.command("open")
@click.argument("need")
@click.option("--assignee", default=None, help="default: the staff member whose patch and load fit best")
@click.pass_obj
def open_(actor: str, need: str, assignee: str | None) -> None:
    """Open the case of a need."""
    with _store() as store:
        show_case(open_case(store, need, actor, assignee))


@cases.command("show")
@click.argument("case_id")
def show(case_id: str) -> None:
    """A case, its detail and its log."""
    with _store() as store:
        case = get_case(store, case_id)
        show_case(case)
        if case.detail:
            click.echo(json.dumps(case.detail, ensure_ascii=False, indent=2))
        for e in store.events(case_id):
            click.echo(f"  {e.at[:19]}  {e.kind:<12} {e.actor:<14} {e.text}")


@cases.command("list")
@click.option("--stage", type=STAGES, default=None)
@click.option("--assignee", default=None)
@click.option("--enterprise", default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def list_(stage: str | None, assignee: str | None, enterprise: str | None, limit: int) -> None:
    """The cases that match, by id."""
    with _store() as store:
        found = store.list_cases(stage=stage, assignee=assignee, enterprise=enterprise, limit=limit)
    for c in found:
        click.echo(f"{c.id:<28} {LABELS[Stage(c.stage)]:<8} {c.assignee or '-':<16} {c.need}")
    click.echo(f"{len(found)} cases")


@cases.command("move")
@click.argument("case_id")
@click.argument("stage", type=STAGES)
@click.option("--reason", default="", help="needed to move back or reopen")
@click.option("--close-reason", type=click.Choice(list(CLOSE_REASONS)), default=None)
@EXPECTED
@click.pass_obj
def move_(actor: str, case_id: str, stage: str, reason: str, close_reason: str | None, expected: str | None) -> None:
    """Move a case to a stage (signing: `cases sign`)."""
    with _store() as store:
        token = expected_token(store, case_id, expected)
        show_case(move(store, case_id, Stage(stage), actor, token, reason, close_reason))


@cases.command("assign")
@click.argument("case_id")
@click.argument("assignee")
@click.option("--reason", default="")
@EXPECTED
@click.pass_obj
def assign_(actor: str, case_id: str, assignee: str, reason: str, expected: str | None) -> None:
    """Hand a case to another staff member."""
    with _store() as store:
        show_case(assign(store, case_id, assignee, actor, expected_token(store, case_id, expected), reason))


@cases.command("clarify")
@click.argument("case_id")
@click.option("--problem", required=True)
@click.option("--constraints", default="")
@click.option("--budget", type=float, default=None, help="万元")
@click.option("--confidential", multiple=True, help="what the enterprise keeps confidential (repeatable)")
@EXPECTED
@click.pass_obj
def clarify(actor: str, case_id: str, problem: str, constraints: str, budget: float | None,
            confidential: tuple[str, ...], expected: str | None) -> None:
    """Record the need as clarified with the enterprise."""
    with _store() as store:
        show_case(answers.clarify(store, case_id, actor, expected_token(store, case_id, expected), problem, constraints,
                              budget, list(confidential)))


@cases.command("shortlist")
@click.argument("case_id")
@click.argument("researchers", nargs=-1, required=True)
@EXPECTED
@click.pass_obj
def shortlist(actor: str, case_id: str, researchers: tuple[str, ...], expected: str | None) -> None:
    """Choose partners from the recommendations (each kept with the model's reasons)."""
    with open_service() as service:
        case = answers.shortlist(service.store, service.partner_recommender(), case_id, list(researchers), actor,
                                 expected_token(service.store, case_id, expected))
    show_case(case)
    for entry in case.detail["shortlist"]:
        click.echo(f"  {entry['id']:<16} score {entry['score']}  {'、'.join(entry['reasons'])}")


@cases.command("feedback")
@click.argument("case_id")
@click.argument("researcher")
@click.argument("verdict", type=click.Choice(list(answers.VERDICTS)))
@click.option("--reason", type=click.Choice(list(answers.DECLINE_REASONS)), default=None)
@click.option("--note", default="")
@click.pass_obj
def feedback(actor: str, case_id: str, researcher: str, verdict: str, reason: str | None, note: str) -> None:
    """The enterprise's answer to a suggested partner (declined ones are never suggested again for the need)."""
    with _store() as store:
        show_case(answers.feedback(store, case_id, researcher, verdict, actor, reason, note))


@cases.command("introduce")
@click.argument("case_id")
@click.argument("researcher")
@EXPECTED
@click.pass_obj
def introduce(actor: str, case_id: str, researcher: str, expected: str | None) -> None:
    """Ask an accepted partner whether they agree to meet."""
    with _store() as store:
        show_case(answers.introduce(store, case_id, researcher, actor, expected_token(store, case_id, expected)))


@cases.command("answer")
@click.argument("case_id")
@click.argument("researcher")
@click.argument("answer", type=click.Choice(["agree", "decline"]))
@click.option("--reason", default="")
@click.pass_obj
def answer(actor: str, case_id: str, researcher: str, answer: str, reason: str) -> None:
    """Record a researcher's answer to an introduction."""
    with _store() as store:
        show_case(answers.answer_introduction(store, case_id, researcher, answer == "agree", actor, reason))


@cases.command("log")
@click.argument("case_id")
@click.argument("kind", type=click.Choice(["note", "call", "meeting", "document"]))
@click.argument("text")
@click.pass_obj
def log_(actor: str, case_id: str, kind: str, text: str) -> None:
    """Append a call, note, meeting or document to the case's log."""
    with _store() as store:
        event = log(store, case_id, actor, kind, text)
    click.echo(f"logged #{event.seq} {event.kind}: {event.text}")


@cases.command("next")
@click.argument("case_id")
@click.argument("action")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), required=True)
@EXPECTED
@click.pass_obj
def next_(actor: str, case_id: str, action: str, due, expected: str | None) -> None:  # type: ignore[no-untyped-def]
    """Set the next action and its due date."""
    with _store() as store:
        show_case(plan_next(store, case_id, actor, expected_token(store, case_id, expected), action, due.date()))


for _command in BOARD_COMMANDS:
    cases.add_command(_command)
COMMANDS = [cases]
