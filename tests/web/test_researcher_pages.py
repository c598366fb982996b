"""A researcher's pages over HTTP, on both stores: their home (profile, offers, needs that fit and
collaborators, each with reasons as sentences), their collaboration network drawn as SVG, the path to an
enterprise; nobody else's pages, and never a need's confidential part."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from graph_service.auth.accounts import add_user
from graph_service.models import Need
from graph_service.projection import Hop
from graph_service.recommend.needs import needs_for
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.web.researcher_network import MAX_NODES
from tests.conftest import TEST_PASSWORD
from tests.web.test_pages import sign_in, site  # noqa: F401  (site: the pages over both stores)

CO = Hop([RelType.CO_AUTHOR], "both")
SECRETS = {"budget": 98765.4, "contact": "机密联系人甲乙丙", "detail": "机密说明丁戊己"}


@dataclass(frozen=True)
class People:
    client: TestClient
    fit: str  # a researcher with offers, needs that fit and collaborators: account res-fit
    hub: str  # the researcher with the most co-authors: account res-hub
    other: str  # the researcher of account res-a (tests/web/test_pages.py)


@pytest.fixture
def people(site: TestClient) -> People:  # noqa: F811
    service: GraphService = site.app.state.service  # type: ignore[attr-defined]
    p, rec = service.projection, service.partner_recommender()
    ranked = sorted((p.ids[i] for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER),
                    key=lambda r: (-len(p.neighbours(r, CO).nodes), r))
    fit = next(r for r in ranked if len(p.neighbours(r, Hop([RelType.POSTED], "out"), [Label.OFFER]).nodes)
               and needs_for(rec, r, 3) and service.collaborators(r, 3))
    other = service.store.get_account("res-a").entity  # type: ignore[union-attr]
    add_user(service.store, "res-fit", "researcher", fit, TEST_PASSWORD)
    add_user(service.store, "res-hub", "researcher", ranked[0], TEST_PASSWORD)
    return People(site, fit, ranked[0], str(other))


def test_a_researcher_sees_their_home(people: People) -> None:
    client, service = people.client, people.client.app.state.service  # type: ignore[attr-defined]
    p = service.projection
    sign_in(client, "res-fit")
    home = client.get("/")
    assert home.status_code == 200, home.text
    assert f"{p.names[p.index[people.fit]]} 的主页" in home.text
    for t in (RelType.AFFILIATED_WITH, RelType.EXPERT_IN):  # institution and fields of expertise, by name
        for i in p.neighbours(people.fit, Hop([t], "out")).nodes.tolist():
            assert p.names[i] in home.text
    offers = p.neighbours(people.fit, Hop([RelType.POSTED], "out"), [Label.OFFER]).nodes.tolist()
    assert offers and all(p.names[i] in home.text for i in offers)
    assert "适合您的需求与揭榜挂帅" in home.text and "推荐理由" in home.text
    fits = needs_for(service.partner_recommender(), people.fit, 3)
    assert all(p.names[p.index[s.id]] in home.text for s in fits)
    assert re.search(r"<li>(您曾与|您与该企业|您的专长与需求|需求中的)", home.text), "reasons said to the researcher"
    assert "可能的合作者" in home.text
    assert re.search(r"<li>与您(有共同合作者|同在|有共同领域)", home.text), "collaborator reasons as sentences"
    assert "贵企业" not in home.text
    assert client.get("/me").text.count("推荐理由") == home.text.count("推荐理由")


def test_nobody_sees_another_researchers_pages(people: People) -> None:
    client = people.client
    pages = ("/me?researcher={}", "/me/network?researcher={}", "/me/connect?researcher={}&enterprise=成都")
    sign_in(client, "res-a")
    for path in pages:
        refused = client.get(path.format(people.fit))
        assert refused.status_code == 403 and "无权" in refused.text and "<html" in refused.text, path
        assert client.get(path.format(people.other)).status_code == 200  # their own, named
    client.cookies.clear()
    sign_in(client, "ent-a")
    for path in ("/me", "/me/network", "/me/connect", *(x.format(people.fit) for x in pages)):
        assert client.get(path).status_code == 403, path
    client.cookies.clear()
    assert client.get("/me/network").headers["location"] == "/login?next=/me/network"
    sign_in(client, "staff-a")
    chooser = client.get("/me/network")
    assert chooser.status_code == 200 and 'for="pick-researcher"' in chooser.text
    for path in pages:
        assert client.get(path.format(people.fit)).status_code == 200, path
    assert client.get("/me/network?researcher=R-none").status_code == 404


def test_the_network_page_draws_the_collaboration_network(people: People) -> None:
    client = people.client
    p = client.app.state.service.projection  # type: ignore[attr-defined]
    sign_in(client, "res-hub")
    page = client.get("/me/network")
    assert page.status_code == 200
    drawn = re.search(r'<svg class="network".*?</svg>', page.text, re.S)
    assert drawn is not None
    svg = drawn.group(0)
    assert 'role="img"' in svg and "aria-label=" in svg
    near = p.neighbours(people.hub, CO)
    coauthors = len(set(near.nodes.tolist()))
    if coauthors >= MAX_NODES - 1:  # the strongest ties drawn, the rest counted
        assert svg.count("<circle") == MAX_NODES and f"另有 {coauthors - (MAX_NODES - 1)} 位" in page.text
    else:  # co-authors' co-authors fill the picture
        assert 1 + coauthors <= svg.count("<circle") <= MAX_NODES
    assert svg.count("<line") >= min(coauthors, MAX_NODES - 1)  # a tie to each co-author drawn, at least
    first = p.names[int(near.nodes[near.weights.argmax()])]
    assert f"<title>{first}" in svg  # names on hover
    assert "您所在的圈子" in page.text and f"<td>{first}</td>" in page.text  # the list beside the picture


def _an_enterprise_of(service: GraphService, researcher: str) -> tuple[str, str]:
    """(id, name) of an enterprise the researcher's needs that fit name, else the first enterprise."""
    p = service.projection
    fits = needs_for(service.partner_recommender(), researcher, 1)
    eid = fits[0].enterprise if fits else next(p.ids[i] for i in range(p.base_nodes)
                                               if p.label_of(i) == Label.ENTERPRISE)
    return eid, p.names[p.index[eid]]


def test_the_connect_page_draws_the_path_to_an_enterprise(people: People) -> None:
    client, service = people.client, people.client.app.state.service  # type: ignore[attr-defined]
    sign_in(client, "res-fit")
    empty = client.get("/me/connect")
    assert empty.status_code == 200 and 'for="connect-enterprise"' in empty.text and "找到了" not in empty.text
    eid, name = _an_enterprise_of(service, people.fit)
    for asked in (name, eid, name[2:8]):
        page = client.get("/me/connect", params={"enterprise": asked})
        assert page.status_code == 200
        if asked != name[2:8]:  # a part of the name may match another enterprise first
            assert f"您与{name}之间最短相隔" in page.text, asked
        assert "找到了" in page.text
        assert '<svg class="connection across"' in page.text and 'role="img"' in page.text
        steps = re.search(r'<ol class="steps">(.*?)</ol>', page.text, re.S)
        assert steps is not None and steps.group(1).count("<li>") >= 1 and steps.group(1).startswith("<li>您")
        assert re.search(r"合作发表|任职于|签约|位于|专长|活跃于|发布|涉及|隶属于|属于|完成", page.text)
    narrow = client.get("/me/connect", params={"enterprise": eid, "via": "people"})
    assert narrow.status_code == 200 and ("找到了" in narrow.text or 'role="alert"' in narrow.text)
    unknown = client.get("/me/connect", params={"enterprise": "不存在的公司XYZ"})
    assert unknown.status_code == 200 and "没有找到名称或编号为“不存在的公司XYZ”的企业" in unknown.text
    assert client.get("/me/connect", params={"enterprise": eid, "via": "nonsense"}).status_code == 200
    hostile = client.get("/me/connect", params={"enterprise": "<script>alert(1)</script>"})
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text


def test_a_needs_confidential_part_never_shows(people: People) -> None:
    client, service = people.client, people.client.app.state.service  # type: ignore[attr-defined]
    fits = needs_for(service.partner_recommender(), people.fit, 3)
    need = service.get(fits[0].id)
    props = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in need.props.items()}
    service.put_node(Label.NEED, Need.model_validate_json(json.dumps({"id": need.id, **props, **SECRETS})),
                     create_only=False)
    assert service.get(need.id).props["contact"] == SECRETS["contact"]
    sign_in(client, "res-fit")
    home = client.get("/")
    assert home.status_code == 200 and service.projection.names[service.projection.index[need.id]] in home.text
    pages = [home, client.get("/me/connect", params={"enterprise": fits[0].enterprise}),
             client.get("/me/connect", params={"enterprise": fits[0].enterprise, "via": "people"}),
             client.get("/me/network")]
    for page in pages:
        assert page.status_code == 200
        for secret in (str(SECRETS["budget"]), "98765", SECRETS["contact"], SECRETS["detail"], "预算"):
            assert secret not in page.text
