"""Posting a need through the page, on both stores: fields suggested from the text, the confidential part
kept, the case opened; a form with a mistake comes back filled in, naming what is wrong."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from graph_service.schema import RelType
from tests.web.test_pages import TOKEN, sign_in, site  # noqa: F401  # the fixture


def test_an_enterprise_posts_a_need_with_suggested_fields(site: TestClient) -> None:  # noqa: F811
    sign_in(site, "ent-a")
    form = site.get("/needs/new")
    assert form.status_code == 200 and "保密信息" in form.text
    token = TOKEN.search(form.text).group(1)
    values = {"csrf_token": token, "name": "数控机床热变形补偿", "kind": "need", "deadline": "2031-06-30",
              "text": "工业机器人 数控机床 精度 热变形 补偿 算法", "budget": "80", "contact": "王工", "detail": "现有产线型号保密"}
    suggested = site.post("/needs/new", data={**values, "action": "suggest"})
    assert suggested.status_code == 200 and "已根据描述推荐技术领域" in suggested.text
    checked = re.findall(r'name="fields" value="([^"]+)" checked', suggested.text)
    assert 1 <= len(checked) <= 3
    posted = site.post("/needs/new", data={**values, "action": "post", "fields": checked})
    assert posted.status_code == 303
    need = posted.headers["location"].split("/needs/")[1].split("?")[0]
    page = site.get(posted.headers["location"])
    assert "需求已发布" in page.text and "80" in page.text and "现有产线型号保密" in page.text
    store = site.app.state.service.store  # type: ignore[attr-defined]
    assert store.case_for_need(need) is not None
    assert {r.dst for r in store.relationships(need, [RelType.ABOUT], "out")} == set(checked)


def test_a_form_with_a_mistake_comes_back_filled_in(site: TestClient) -> None:  # noqa: F811
    sign_in(site, "ent-a")
    token = TOKEN.search(site.get("/needs/new").text).group(1)
    answer = site.post("/needs/new", data={"csrf_token": token, "name": "只写了标题", "text": "", "budget": "很多",
                                           "action": "post"})
    assert answer.status_code == 422 and "只写了标题" in answer.text and "预算" in answer.text
