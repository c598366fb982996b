"""Journeys in a real browser: Debian's Chromium driven by Playwright (never a browser download), against
`techmatch serve` on each store. Each journey ends with a screenshot kept as a test artefact
(TECHMATCH_SCREENSHOTS, default test-results/screens)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.auth.accounts import add_user
from graph_service.projection import Hop, build_projection
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from tests.conftest import TEST_PASSWORD, Backend
from tests.servers import serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("TECHMATCH_SCREENSHOTS", "test-results/screens"))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = "browser tests need Debian's chromium (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("TECHMATCH_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        found = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield found
        found.close()


@pytest.fixture
def site(backend: Backend, tiny_backend: GraphStore, tiny_models: Path, tmp_path: Path) -> Iterator[str]:
    p = build_projection(tiny_backend)
    firm = next(p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE
                and len(p.neighbours(p.ids[i], Hop([RelType.POSTED], "out")).nodes))
    add_user(tiny_backend, "ent-a", "enterprise", firm, TEST_PASSWORD)
    with serving(backend, tiny_models, tmp_path / "serve.log") as base:
        yield base


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SHOTS / f"{re.sub(r'[^A-Za-z0-9_-]+', '_', request.node.name)}.png", full_page=True)
    context.close()


def sign_in(page, base: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/")
    assert page.url.endswith("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


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
