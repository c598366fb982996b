"""The browser's fixtures, shared by every browser test module (one Playwright per test session): Debian's
Chromium driven by Playwright, never a browser download; a tab whose final page is kept as a screenshot."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.projection import Hop, Projection
from graph_service.schema import Label, RelType

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
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SHOTS / f"{re.sub(r'[^A-Za-z0-9_-]+', '_', request.node.name)}.png", full_page=True)
    context.close()


def enterprise_with_needs(p: Projection) -> str:
    """The first enterprise that posted a need: the pages' enterprise member speaks for it."""
    return next(p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE
                and len(p.neighbours(p.ids[i], Hop([RelType.POSTED], "out")).nodes))
