"""The pages over HTTP, on both stores: sign-in with the form's token, each role's home, an enterprise's need
with its recommendations as sentences, an answer that reaches the case, and refusals said to people."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.auth.accounts import add_user
from graph_service.schema import Label
from graph_service.service import GraphService
from graph_service.stores.base import GraphStore
from tests.conftest import TEST_PASSWORD, Backend
from tests.web.conftest import enterprise_with_needs

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture
def site(tiny_backend: GraphStore, tiny_models: Path, backend: Backend) -> Iterator[TestClient]:
    service = GraphService.open(tiny_backend, tiny_models)
    p = service.projection
    firm = enterprise_with_needs(p)
    add_user(tiny_backend, "ent-a", "enterprise", firm, TEST_PASSWORD)
    add_user(tiny_backend, "ent-b", "enterprise", next(p.ids[i] for i in range(p.base_nodes)
                                                       if p.label_of(i) == Label.ENTERPRISE and p.ids[i] != firm),
             TEST_PASSWORD)
    for role in ("staff", "admin", "organiser"):
        add_user(tiny_backend, f"{role}-a", role, None, TEST_PASSWORD)
    add_user(tiny_backend, "res-a", "researcher", next(p.ids[i] for i in range(p.base_nodes)
                                                       if p.label_of(i) == Label.RESEARCHER), TEST_PASSWORD)
    with TestClient(create_app(backend.settings, service), follow_redirects=False) as client:
        client.firm = firm  # type: ignore[attr-defined]
        yield client


def sign_in(client: TestClient, username: str, password: str = TEST_PASSWORD, back: str = "/") -> None:
    page = client.get(f"/login?next={back}")
    assert page.status_code == 200 and "登录" in page.text
    answer = client.post("/login", data={"username": username, "password": password, "next": back,
                                         "csrf_token": TOKEN.search(page.text).group(1)})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == back


def test_a_visitor_is_sent_to_sign_in_and_brought_back(site: TestClient) -> None:
    answer = site.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    need = "/needs/whatever"
    assert site.get(need).headers["location"] == f"/login?next={need}"
    page = site.get("/login")
    wrong = site.post("/login", data={"username": "ent-a", "password": "nope", "next": "/",
                                      "csrf_token": TOKEN.search(page.text).group(1)})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text and "nope" not in wrong.text
    sign_in(site, "ent-a")
    home = site.get("/")
    assert home.status_code == 200 and "我的需求" in home.text


def test_forms_without_the_token_do_nothing(site: TestClient) -> None:
    site.get("/login")
    answer = site.post("/login", data={"username": "ent-a", "password": TEST_PASSWORD, "next": "/"})
    assert answer.status_code == 403 and "请刷新页面后重试" in answer.text
    assert "techmatch_session" not in answer.cookies
    forged = site.post("/login", data={"username": "ent-a", "password": TEST_PASSWORD, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert site.post("/login", data={"username": "ent-a", "password": TEST_PASSWORD}, headers={
        "Origin": "https://evil.example"}).status_code == 403


def test_sign_in_never_sends_anyone_to_another_site(site: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        page = site.get("/login", params={"next": target})
        answer = site.post("/login", data={"username": "ent-a", "password": TEST_PASSWORD, "next": target,
                                           "csrf_token": TOKEN.search(page.text).group(1)})
        assert answer.headers["location"] == "/"


def test_an_enterprise_answers_a_recommendation_and_the_case_keeps_it(site: TestClient) -> None:
    sign_in(site, "ent-a")
    home = site.get("/")
    need = re.search(r'<td><a href="/needs/([^"]+)"', home.text).group(1)
    page = site.get(f"/needs/{need}")
    assert page.status_code == 200 and "推荐的合作专家" in page.text
    assert re.search(r"<li>(曾与|与贵企业|专长与需求|需求中的)", page.text), "reasons as sentences"
    assert "<svg" in page.text and 'role="img"' in page.text
    researcher = re.search(r'name="researcher" value="([^"]+)"', page.text).group(1)
    answer = site.post(f"/needs/{need}/answers", data={"researcher": researcher, "verdict": "decline",
                                                       "reason": "too_far", "csrf_token": TOKEN.search(page.text).group(1)})
    assert answer.status_code == 303
    case = site.app.state.service.store.case_for_need(need)  # type: ignore[attr-defined]
    assert case.detail["feedback"][researcher]["reason"] == "too_far"
    again = site.get(f"/needs/{need}")
    assert f'value="{researcher}"' not in again.text  # declined: never suggested again for this need


def test_another_enterprise_cannot_see_the_need(site: TestClient) -> None:
    sign_in(site, "ent-a")
    need = re.search(r'<td><a href="/needs/([^"]+)"', site.get("/").text).group(1)
    site.cookies.clear()
    sign_in(site, "ent-b")
    refused = site.get(f"/needs/{need}")
    assert refused.status_code == 403 and "无权" in refused.text and "<html" in refused.text


@pytest.mark.parametrize("username, shown", [("staff-a", "我负责的案件"), ("admin-a", "用户与角色"),
                                             ("organiser-a", "我的科创会"), ("res-a", "适合您的需求")])
def test_each_role_has_a_home(site: TestClient, username: str, shown: str) -> None:
    sign_in(site, username)
    home = site.get("/", follow_redirects=True)
    assert home.status_code == 200 and shown in home.text


def test_docs_are_served_without_a_cdn(site: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = site.get(path)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/") for a in assets), assets
        for asset in assets:
            assert site.get(asset).status_code == 200, asset


def test_every_page_declares_who_may_see_it(site: TestClient) -> None:
    from graph_service.api.declared import declared_action, every_route

    pages = [r for r in every_route(site.app) if not r.include_in_schema  # type: ignore[arg-type]
             and not r.path.startswith(("/docs", "/redoc"))]
    assert len(pages) >= 5 and all(declared_action(r) for r in pages), [r.path for r in pages]


def test_an_admin_manages_accounts_on_the_page(site: TestClient) -> None:
    sign_in(site, "admin-a")
    page = site.get("/admin/users")
    token = TOKEN.search(page.text).group(1)
    added = site.post("/admin/users", data={"csrf_token": token, "username": "staff-new", "role": "staff",
                                            "entity": "", "password": "a-long-password-1"})
    assert added.status_code == 303
    assert "staff-new" in site.get("/admin/users").text
    wrong = site.post("/admin/users", data={"csrf_token": token, "username": "ent-new", "role": "enterprise",
                                            "entity": "", "password": "a-long-password-1"})
    assert wrong.status_code == 422 and "须关联" in wrong.text
    assert site.post("/admin/users/staff-new", data={"csrf_token": token, "disabled": "true"}).status_code == 303
    store = site.app.state.service.store  # type: ignore[attr-defined]
    assert store.get_account("staff-new").disabled
    mine = site.post("/admin/users/admin-a", data={"csrf_token": token, "disabled": "true"})
    assert mine.status_code == 422 and not store.get_account("admin-a").disabled
    site.cookies.clear()
    sign_in(site, "staff-a")
    assert site.get("/admin/users").status_code == 403
