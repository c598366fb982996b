"""The researcher's journey in a real browser (Debian's Chromium through Playwright) against `techmatch serve`
on each store: their home, their collaboration network, and the drawn path to an enterprise. The final page's
screenshot is kept by the `page` fixture (TECHMATCH_SCREENSHOTS, default test-results/screens)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.auth.accounts import add_user
from graph_service.projection import Hop, build_projection
from graph_service.schema import Label, RelType
from graph_service.stores.base import GraphStore
from tests.conftest import TEST_PASSWORD, Backend
from tests.servers import serving
from tests.web.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(backend: Backend, tiny_backend: GraphStore, tiny_models: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, an enterprise's name): `techmatch serve` with a researcher account (res-a) for the researcher
    with the most co-authors, and the enterprise of one of their deals (else the first enterprise)."""
    p = build_projection(tiny_backend)
    co = Hop([RelType.CO_AUTHOR], "both")
    researcher = min((p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER),
                     key=lambda r: (-len(p.neighbours(r, co).nodes), r))
    deals = p.neighbours(researcher, Hop([RelType.PARTY_TO], "out")).nodes.tolist()
    firms = [int(i) for d in deals for i in p.neighbours(p.ids[d], Hop([RelType.PARTY_TO], "in"),
                                                         [Label.ENTERPRISE]).nodes.tolist()]
    firm = firms[0] if firms else next(i for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE)
    add_user(tiny_backend, "res-a", "researcher", researcher, TEST_PASSWORD)
    with serving(backend, tiny_models, tmp_path / "serve.log") as base:
        yield base, p.names[firm]


def test_a_researcher_sees_their_network_and_the_path_to_an_enterprise(served: tuple[str, str], page) -> None:  # noqa: ANN001, F811
    base, firm = served
    sign_in(page, base, "res-a")
    assert page.get_by_role("heading", level=1).inner_text().endswith("的主页")
    page.get_by_role("heading", name="个人档案").wait_for()
    page.get_by_role("heading", name="可能的合作者").wait_for()

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="合作网络").click()
    page.wait_for_url(f"{base}/me/network")
    picture = page.locator("svg.network")
    picture.wait_for()
    assert picture.get_attribute("role") == "img" and "合作网络图" in (picture.get_attribute("aria-label") or "")
    assert picture.locator("circle").count() > 1 and picture.locator("line").count() >= 1
    assert page.get_by_role("heading", name="合作圈子名单").is_visible()

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="关系路径").click()
    page.wait_for_url(f"{base}/me/connect")
    page.get_by_label("企业名称或编号").fill(firm)
    page.get_by_label("经由的关系").select_option("all")
    page.get_by_label("企业名称或编号").press("Enter")  # the form answers the keyboard
    status = page.get_by_role("status")
    status.wait_for()
    assert f"您与{firm}之间最短相隔" in status.inner_text()
    path = page.locator("svg.connection.across").first
    assert path.is_visible() and path.locator("circle").count() >= 2
    assert page.locator("ol.steps li").first.inner_text().startswith("您")
