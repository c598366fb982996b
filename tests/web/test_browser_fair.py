"""The fair organiser's journey in a real browser (Debian's Chromium through Playwright) against `techmatch serve`
on each store: sign in, create a fair, import its files, plan it while the page shows the progress, see the
grid filtered by a participant; at a phone's width the grid scrolls inside its box, not the page. The final
page's screenshot is kept (the `page` fixture), with one at phone width beside it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.auth.accounts import add_user
from graph_service.projection import build_projection
from graph_service.schema import Label
from graph_service.stores.base import GraphStore
from tests.conftest import TEST_PASSWORD, Backend
from tests.servers import serving
from tests.web.conftest import SHOTS
from tests.web.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def fair_site(backend: Backend, tiny_backend: GraphStore, tiny_models: Path, tmp_path: Path
              ) -> Iterator[tuple[str, Path]]:
    """The served app with an organiser account, and a directory of the fair's CSV files."""
    p = build_projection(tiny_backend)
    firms = [p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE][:6]
    experts = [p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER][:10]
    files = tmp_path / "files"
    files.mkdir()
    people = ["id,name,kind,region,small,specialised,fields,node"]
    people += [f"E{k},企业{k},enterprise,{'成都市' if k % 2 else '重庆市'},{str(k < 3).lower()},false,氢能,{node}"
               for k, node in enumerate(firms)]
    people += [f"R{k},专家{k},researcher,成都市,false,false,氢能,{node}" for k, node in enumerate(experts)]
    (files / "participants.csv").write_text("\n".join(people) + "\n", encoding="utf-8")
    (files / "projects.csv").write_text("id,title,kind,fields,presenter\n" + "".join(
        f"P{k},项目{k},need,{'氢能' if k % 2 else '储能'},E{k}\n" for k in range(4)), encoding="utf-8")
    (files / "requests.csv").write_text("a,b,preference,status,fit\n" + "".join(
        f"E{k},R{(k * 3 + j) % 10},meet,accepted,0.5\n" for k in range(6) for j in range(4)), encoding="utf-8")
    add_user(tiny_backend, "org-a", "organiser", None, TEST_PASSWORD)
    with serving(backend, tiny_models, tmp_path / "serve.log") as base:
        yield base, files


def test_an_organiser_plans_a_fair_and_sees_the_grid(fair_site: tuple[str, Path], page,  # noqa: ANN001, F811
                                                     request: pytest.FixtureRequest) -> None:
    base, files = fair_site
    sign_in(page, base, "org-a")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="新建科创会").click()
    page.get_by_label("编号").fill("bf1")
    page.get_by_label("名称").fill("浏览器测试科创会")
    page.get_by_label("首日").fill("2026-12-01")
    page.get_by_label("天数").fill("1")
    page.get_by_label("推介会场数").fill("2")
    page.get_by_label("预计参会者（人）").fill("30")
    page.get_by_label("预计项目（个）").fill("4")
    page.get_by_label("1:1 洽谈桌数").fill("4")
    page.get_by_role("button", name="创建科创会").click()
    page.wait_for_url(f"{base}/fairs/bf1?done=created")
    assert "科创会已创建" in page.get_by_role("status").first.inner_text()

    for part, label in (("participants", "参会者"), ("projects", "项目"), ("requests", "洽谈请求")):
        page.get_by_label(f"{label}文件（{part}.csv）").set_input_files(files / f"{part}.csv")
        page.get_by_role("button", name=f"导入{label}", exact=True).click()
        page.wait_for_url(f"{base}/fairs/bf1?done=imported&part={part}*")
        assert f"已导入{label}" in page.locator("p.notice").inner_text()
    assert "16" in page.locator(".stats").inner_text()

    # requests waiting for an answer, and a search of the graph for projects to bring in (keyboard: Enter)
    page.get_by_role("link", name="请求与项目").click()
    page.get_by_role("heading", name="洽谈请求").wait_for()
    page.get_by_label("关键词").fill("氢能")
    page.get_by_label("关键词").press("Enter")
    page.wait_for_url(f"{base}/fairs/bf1/requests?*q=*")
    assert page.get_by_role("heading", name="从图谱引入").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    page.get_by_role("link", name="概览与导入").click()

    page.get_by_label("求解时限（秒）").fill("3")
    page.get_by_role("button", name="开始排程").click()
    status = page.locator("#plan-status")
    # running: the progress box polls and the page comes back when the job is done
    status.get_by_text("排程完成").wait_for(timeout=90_000)
    page.get_by_role("link", name="查看日程与洽谈安排").click()
    page.get_by_role("heading", name="1:1 洽谈安排（2026-12-01）").wait_for()
    meetings = page.locator("table.meetings tbody td:not(.empty)")
    assert meetings.count() > 10

    # at a phone's width, the grid scrolls in its box and the page itself does not
    page.set_viewport_size({"width": 390, "height": 844})
    box = page.locator(".grid-wrap").last
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 400
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name) + "_phone.png"
    page.screenshot(path=SHOTS / phone, full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # filter by a participant (keyboard: type and press Enter): only their meetings, their agenda, downloads
    who = page.get_by_label("参会者（编号或名称）")
    who.fill("E0")
    who.press("Enter")
    page.get_by_role("heading", name="参会者：E0").wait_for()
    shown = page.locator("table.meetings tbody td:not(.empty)").all_inner_texts()
    assert shown and all("企业0" in t for t in shown)
    assert page.get_by_role("link", name="日历文件（.ics）").get_attribute("href").endswith("/agendas/E0?format=ics")
    with page.expect_download() as download:
        page.get_by_role("link", name="表格（CSV）").click()
    assert download.value.suggested_filename == "E0.csv"
