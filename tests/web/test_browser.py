"""Journeys in a real browser: Debian's Chromium driven by Playwright (never a browser download), against
`techmatch serve` on each store. Each journey ends with a screenshot kept as a test artefact
(TECHMATCH_SCREENSHOTS, default test-results/screens)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.auth.accounts import add_user
from graph_service.cases.pipeline import open_case
from graph_service.projection import Hop, build_projection
from graph_service.schema import RelType
from graph_service.stores.base import GraphStore
from tests.conftest import TEST_PASSWORD, Backend
from tests.servers import serving
from tests.web.conftest import SHOTS, enterprise_with_needs

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def site(backend: Backend, tiny_backend: GraphStore, tiny_models: Path, tmp_path: Path) -> Iterator[str]:
    p = build_projection(tiny_backend)
    firm = enterprise_with_needs(p)
    add_user(tiny_backend, "ent-a", "enterprise", firm, TEST_PASSWORD)
    for role in ("staff", "admin"):
        add_user(tiny_backend, f"{role}-a", role, None, TEST_PASSWORD)
    need = p.ids[int(p.neighbours(firm, Hop([RelType.POSTED], "out")).nodes[0])]
    open_case(tiny_backend, need, "staff-a", assignee="staff-a")
    with serving(backend, tiny_models, tmp_path / "serve.log") as base:
        yield base


def sign_in(page, base: str, username: str, landing: str = "/") -> None:  # noqa: ANN001
    page.goto(f"{base}/")
    assert page.url.endswith("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{landing}")


def test_an_enterprise_declines_a_suggested_partner(site: str, page) -> None:  # noqa: ANN001
    sign_in(page, site, "ent-a")
    assert page.get_by_role("heading", level=1).inner_text().endswith("我的需求")
    page.locator("table a").first.click()
    page.get_by_role("heading", name="推荐的合作专家").wait_for()
    first = page.locator("article.suggestion").first
    name = first.get_by_role("heading").inner_text().split(" 匹配度")[0]
    assert first.locator("ul.reasons li").count() >= 1
    first.get_by_label("不考虑的原因").select_option(label="距离太远")
    first.get_by_role("button", name="不考虑").click()
    page.get_by_role("status").wait_for()
    assert "已记录您的意见" in page.get_by_role("status").inner_text()
    shown = page.locator("article.suggestion h3").all_inner_texts()
    assert shown and not any(t.startswith(name + " ") for t in shown)


def test_an_enterprise_posts_a_need(site: str, page) -> None:  # noqa: ANN001
    sign_in(page, site, "ent-a")
    page.get_by_role("link", name="发布需求").click()
    page.get_by_label("标题").fill("数控机床热变形补偿")
    page.get_by_label("公开摘要").fill("工业机器人 数控机床 精度 热变形 补偿")
    page.get_by_label("预算（万元）").fill("80")
    page.get_by_role("button", name="根据描述推荐领域").click()
    page.get_by_role("status").wait_for()
    assert page.locator('input[name="fields"]:checked').count() >= 1
    page.get_by_role("button", name="发布", exact=True).click()
    page.get_by_role("heading", name="推荐的合作专家").wait_for()
    assert "需求已发布" in page.get_by_role("status").inner_text()
    assert "80" in page.locator("dl").inner_text()


def test_staff_plan_the_next_action_of_a_case(site: str, page) -> None:  # noqa: ANN001
    sign_in(page, site, "staff-a")
    page.locator("table a").first.click()
    page.get_by_label("下一步行动").fill("电话确认技术指标")
    page.get_by_label("截止日期").fill("2030-01-15")
    page.get_by_role("button", name="保存下一步").click()
    page.get_by_role("status").wait_for()
    assert "电话确认技术指标" in page.locator("ol.timeline").inner_text()
    page.get_by_role("link", name="服务漏斗").click()
    page.get_by_role("heading", name="各阶段").wait_for()
    assert page.locator("svg.chart").count() >= 1


def test_an_admin_adds_an_account(site: str, page) -> None:  # noqa: ANN001
    sign_in(page, site, "admin-a", landing="/admin/users")
    page.get_by_label("用户名").fill("staff-b")
    page.get_by_label("角色").select_option(label="科服专员")
    page.get_by_label("初始密码").fill("a-long-password-1")
    page.get_by_role("button", name="添加").click()
    page.get_by_role("status").wait_for()
    assert "staff-b" in page.locator("table").inner_text()


UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name || e.id)"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.mark.parametrize("width", [1280, 375])
def test_every_page_labels_its_controls_and_fits_the_screen(site: str, browser, width: int) -> None:  # noqa: ANN001
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
    tab = context.new_page()
    try:
        for username, landing, paths in (("ent-a", "/", ["/", "/needs/new"]),
                                         ("staff-a", "/", ["/", "/cases", "/cases/dashboard"]),
                                         ("admin-a", "/admin/users", ["/admin/users"])):
            context.clear_cookies()
            sign_in(tab, site, username, landing)
            if username == "ent-a":
                paths.append(tab.locator("table a").first.get_attribute("href"))
            if username == "staff-a":
                paths.append(tab.locator("table a").first.get_attribute("href"))
            for path in paths:
                tab.goto(f"{site}{path}")
                assert tab.evaluate(UNLABELLED) == [], path
                assert tab.evaluate(OVERFLOW) <= 1, (path, width)
                tab.keyboard.press("Tab")  # the first stop is the skip link, visible when focused
                assert tab.evaluate("() => document.activeElement.className") == "skip", path
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=SHOTS / f"labels_and_width_{width}.png", full_page=True)
    finally:
        context.close()
