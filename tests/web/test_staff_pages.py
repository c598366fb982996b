"""Staff pages over HTTP, on both stores: the board, a case's timeline, next action, log and stage moves
through forms, the dashboard with its charts; refusals for others."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from graph_service.cases.pipeline import open_case
from graph_service.projection import Hop
from graph_service.schema import RelType
from tests.web.test_pages import TOKEN, sign_in, site  # noqa: F401  # the fixture


def _a_case(site: TestClient) -> str:  # noqa: F811
    service = site.app.state.service  # type: ignore[attr-defined]
    need = service.projection.neighbours(site.firm, Hop([RelType.POSTED], "out")).nodes[0]  # type: ignore[attr-defined]
    return open_case(service.store, service.projection.ids[need], "staff-a", assignee="staff-a").id


def test_staff_follow_a_case_through_the_pages(site: TestClient) -> None:  # noqa: F811
    case_id = _a_case(site)
    sign_in(site, "staff-a")
    home = site.get("/")
    assert home.status_code == 200 and f"/cases/{case_id}" in home.text
    board = site.get("/cases")
    assert board.status_code == 200 and "新建" in board.text and f"/cases/{case_id}" in board.text
    page = site.get(f"/cases/{case_id}")
    token = TOKEN.search(page.text).group(1)
    expected = re.search(r'name="expected" value="([^"]+)"', page.text).group(1)
    done = site.post(f"/cases/{case_id}/next", data={"csrf_token": token, "expected": expected,
                                                      "action": "电话确认需求细节", "due": "2030-01-15"})
    assert done.status_code == 303
    page = site.get(f"/cases/{case_id}")
    assert "电话确认需求细节" in page.text and "2030-01-15" in page.text
    stale = site.post(f"/cases/{case_id}/next", data={"csrf_token": token, "expected": expected,
                                                       "action": "又一次", "due": "2030-01-16"})
    assert stale.status_code == 409 and "已被他人修改" in stale.text and "<html" in stale.text
    assert site.post(f"/cases/{case_id}/log", data={"csrf_token": token, "kind": "call",
                                                    "text": "与企业技术负责人通话"}).status_code == 303
    expected = re.search(r'name="expected" value="([^"]+)"', site.get(f"/cases/{case_id}").text).group(1)
    moved = site.post(f"/cases/{case_id}/move", data={"csrf_token": token, "expected": expected,
                                                       "stage": "clarified", "reason": "", "close_reason": ""})
    assert moved.status_code == 303
    page = site.get(f"/cases/{case_id}")
    assert "与企业技术负责人通话" in page.text and "需求已澄清" in page.text
    back = site.post(f"/cases/{case_id}/move", data={"csrf_token": token, "expected": re.search(
        r'name="expected" value="([^"]+)"', page.text).group(1), "stage": "new", "reason": "", "close_reason": ""})
    assert back.status_code == 422 and "原因" in back.text  # back only with a reason
    dashboard = site.get("/cases/dashboard")
    assert dashboard.status_code == 200 and "<svg" in dashboard.text and "需求已澄清" in dashboard.text


def test_others_cannot_use_the_staff_pages(site: TestClient) -> None:  # noqa: F811
    case_id = _a_case(site)
    for path in ("/cases", "/cases/dashboard", f"/cases/{case_id}"):
        assert site.get(path).headers["location"].startswith("/login")
    sign_in(site, "ent-a")
    for path in ("/cases", "/cases/dashboard", f"/cases/{case_id}"):
        assert site.get(path).status_code == 403
