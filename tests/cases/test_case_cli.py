"""`techmatch cases`: a staff member takes a need from its case's opening to a signed deal from the command
line, on each store; reminders, the lead's list, the dashboard and staff profiles read the same cases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph_service.auth.accounts import add_user
from graph_service.cli import main
from graph_service.schema import Label, RelType
from graph_service.settings import get_settings
from tests.conftest import TEST_PASSWORD, Backend
from tests.fair.conftest import cli_ok


@pytest.fixture
def market(backend: Backend, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    backend.use(monkeypatch)
    cli_ok("load", tiny_dir)
    yield backend
    get_settings.cache_clear()


def _open_need(backend: Backend) -> tuple[str, str]:
    """An open need of the tiny market and a region of its enterprise."""
    with backend.open() as store:
        for batch in store.scan_nodes(Label.NEED, ()):
            for row in batch:
                posters = [r.src for r in store.relationships(row[1], [RelType.POSTED], "in")]
                regions = [r.dst for p in posters for r in store.relationships(p, [RelType.LOCATED_IN], "out")]
                if regions and not store.relationships(row[1], [RelType.FULFILS], "in"):
                    return row[1], regions[0]
    raise AssertionError("no open need with a located enterprise")


def _suggested(out: str) -> list[str]:
    """The researchers of `techmatch partners`, best first ("  1. 陈鸣磊 (R0000023)  score ...")."""
    return re.findall(r"^\s*\d+\. .*?\((\S+)\)  score", out, re.M)


def test_a_staff_member_takes_a_need_to_signature_from_the_cli(market: Backend) -> None:
    need, region = _open_need(market)
    with market.open() as store:
        for name in ("zhang", "li"):
            add_user(store, name, "staff", None, TEST_PASSWORD)
    assert "zhang" in cli_ok("cases", "staff", "zhang", "--region", region, "--capacity", "3", "--lead", "li")
    bad = CliRunner().invoke(main, ["cases", "staff", "zhang", "--region", "not-a-region"])
    assert bad.exit_code == 2 and "不是图谱中的地区" in bad.output
    case = f"case-{need}"
    assert "负责人 zhang" in cli_ok("cases", "--as", "zhang", "open", need)  # the patch it falls in
    cli_ok("cases", "--as", "zhang", "clarify", case, "--problem", "提高良率", "--budget", "50",
           "--confidential", "budget")
    researchers = _suggested(cli_ok("partners", "--need", need, "--top-k", "3"))[:2]
    assert len(researchers) == 2
    out = cli_ok("cases", "--as", "zhang", "shortlist", case, *researchers)
    assert "已选定候选" in out and researchers[0] in out
    cli_ok("cases", "--as", "zhang", "feedback", case, researchers[0], "decline", "--reason", "too_expensive")
    cli_ok("cases", "--as", "zhang", "feedback", case, researchers[1], "accept")
    again = _suggested(cli_ok("partners", "--need", need, "--top-k", "50"))
    assert researchers[0] not in again and researchers[1] in again  # the declined one never again for this need
    cli_ok("cases", "--as", "zhang", "introduce", case, researchers[1])
    assert "已引荐" in cli_ok("cases", "--as", "zhang", "answer", case, researchers[1], "agree")
    refused = CliRunner().invoke(main, ["cases", "move", case, "signed"])
    assert refused.exit_code == 2 and "签约" in refused.output
    for stage in ("meeting", "negotiating"):
        cli_ok("cases", "--as", "zhang", "move", case, stage)
    cli_ok("cases", "--as", "zhang", "log", case, "meeting", "双方确认技术路线")
    cli_ok("cases", "--as", "zhang", "next", case, "起草合同", "--due", "2015-12-01")
    assert "zhang" in cli_ok("cases", "reminders", "--today", "2016-01-10")  # overdue by then
    assert "zhang" in cli_ok("cases", "lead", "li", "--today", "2016-01-10")
    out = cli_ok("cases", "--as", "zhang", "sign", case, "--amount", "45", "--date", "2016-01-08")
    assert "已签约" in out and f"DL-{case}" in out
    shown = cli_ok("cases", "show", case)
    assert "双方确认技术路线" in shown and "商务谈判 → 已签约" in shown
    with market.open() as store:
        assert store.get_node(need).props["status"] == "signed"
        assert {r.src for r in store.relationships(f"DL-{case}", [RelType.PARTY_TO], "in")} >= {researchers[1]}
    assert "1 cases" in cli_ok("cases", "list", "--stage", "signed")
    board = cli_ok("cases", "dashboard", "--today", "2016-01-10")
    assert "已签约" in board and "to_signature: 1 cases" in board
