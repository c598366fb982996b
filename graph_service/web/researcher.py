"""A researcher's pages: their home (profile, offers and achievements, needs and 揭榜挂帅 that fit with each
reason as a sentence, collaborators to write with next), their collaboration network and its circles, and
"how am I connected to this enterprise". A researcher sees their own; staff any researcher's (?researcher=ID).
They call the same services as the API under the same rule (recommend.researcher) and show public parts only:
needs by name, public text and deadline, never their confidential part."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from graph_service.api.deps import ServiceDep
from graph_service.api.ratelimit import rate_limit
from graph_service.auth.actor import Actor, Role
from graph_service.auth.ownership import owners_in
from graph_service.auth.permissions import require
from graph_service.errors import InvalidInput, NotFound
from graph_service.projection import Hop, Projection
from graph_service.recommend.needs import needs_for
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.stores.base import StoredNode
from graph_service.web import researcher_connect as linking
from graph_service.web.reasons import sentences
from graph_service.web.render import render
from graph_service.web.researcher_network import network
from graph_service.web.session import page

router = APIRouter(include_in_schema=False)
SHOWN_NEEDS, SHOWN_PEOPLE = 10, 8
ForResearcher = Annotated[Actor, page("recommend.researcher")]
Id = Annotated[str, Query(max_length=64)]
OFFER_KINDS = {"capability": "技术能力", "achievement": "科技成果", "service": "技术服务"}
# The enterprise-facing sentences of reasons.py, said to the researcher instead: (prefix, replacements).
_TO_RESEARCHER = {"past_deal": ("您", ()), "partner_coauthor": ("您", ()), "peer_deal": ("您", ()),
                  "shared_field": ("您的", ()), "same_city": ("您", ()), "same_circle": ("您", ()),
                  "matched_words": ("", (("与其专长匹配", "与您的专长匹配"),))}


def whose(service: GraphService, actor: Actor, researcher: str = "") -> str | None:
    """The researcher a page is about: the one asked for (staff: anyone; a researcher: only themselves),
    else the actor's own; None when neither names one (staff are then asked to choose)."""
    rid = researcher.strip() or (str(actor.entity) if actor.role == Role.RESEARCHER and actor.entity else "")
    if not rid:
        return None
    p = service.projection
    i = p.index.get(rid)
    if i is None or not p.alive[i] or p.label_of(i) != Label.RESEARCHER:
        raise NotFound(f"科技工作者 {rid} 不存在")
    require(actor, "recommend.researcher", owners_in(p, rid, Label.RESEARCHER))
    return rid


def home(request: Request, service: GraphService, actor: Actor, researcher: str = "") -> HTMLResponse:
    rid = whose(service, actor, researcher)
    if rid is None:
        return _choose(request, actor, "我的主页", "/me")
    p = service.projection
    offers = [p.ids[i] for i in _out(p, rid, RelType.POSTED, Label.OFFER)]
    nodes = service.store.get_nodes([rid, *offers])  # the profile and its offers in one read
    node = nodes.get(rid)
    if node is None:
        raise NotFound(f"科技工作者 {rid} 不存在")
    notice = None
    try:
        needs, people = _needs(service, node), _collaborators(service, rid)
    except InvalidInput:  # a researcher added since the projection was built: recommendations after a rebuild
        needs, people, notice = [], [], "您的档案刚刚建立，推荐将在系统下次更新后出现。"
    return render(request, "researcher_home.html", actor, title=f"{node.props.get('name', rid)} 的主页",
                  researcher=rid, query=_query(actor, rid), profile=_profile(p, node.props, rid),
                  offers=_offers(nodes, offers), needs=needs, people=people, notice=notice)


@router.get("/me", response_class=HTMLResponse, dependencies=[rate_limit("recommend")])
def me_page(request: Request, service: ServiceDep, actor: ForResearcher, researcher: Id = "") -> HTMLResponse:
    return home(request, service, actor, researcher)


@router.get("/me/network", response_class=HTMLResponse)
def network_page(request: Request, service: ServiceDep, actor: ForResearcher, researcher: Id = "") -> HTMLResponse:
    rid = whose(service, actor, researcher)
    if rid is None:
        return _choose(request, actor, "合作网络", "/me/network")
    p = service.projection
    return render(request, "researcher_network.html", actor, title="我的合作网络", researcher=rid,
                  query=_query(actor, rid), person=p.names[p.index[rid]], net=network(p, rid))


@router.get("/me/connect", response_class=HTMLResponse, dependencies=[rate_limit("recommend")])
def connect_page(request: Request, service: ServiceDep, actor: ForResearcher, researcher: Id = "",
                 enterprise: Annotated[str, Query(max_length=100)] = "",
                 via: Annotated[str, Query(max_length=20)] = "all") -> HTMLResponse:
    rid = whose(service, actor, researcher)
    if rid is None:
        return _choose(request, actor, "关系路径", "/me/connect")
    p, text = service.projection, enterprise.strip()
    via = via if via in linking.VIA else "all"
    context: dict = {"asked": text, "via": via, "choices": {k: v[0] for k, v in linking.VIA.items()},
                     "firm": None, "others": [], "paths": [], "missing": None, "why_not": None}
    if text:
        found = linking.find_enterprise(service, text)
        context["others"] = [{"id": n.id, "name": n.props.get("name", n.id)} for n in found.others]
        if found.enterprise is None:
            context["missing"] = (f"没有找到名称或编号为“{text}”的企业。"
                                  "请检查输入，或只输入企业名称中的一部分（如“成都”）。")
        else:
            eid = found.enterprise
            context["firm"] = {"id": eid, "name": p.names[p.index[eid]]}
            c = linking.search(p, rid, eid, via)
            if c.shortest:
                shown = [("最短路径", c.shortest, c.shortest_steps)]
                if linking.cost(c.strongest_steps) < linking.cost(c.shortest_steps) - 1e-9:  # truly stronger
                    shown.append(("最紧密的路径（合作次数多、专长强的关系优先）", c.strongest, c.strongest_steps))
                context["paths"] = [{"title": title, "hops": len(said),
                                     "across": linking.picture(p, rid, nodes, said, str(k)),
                                     "down": linking.picture(p, rid, nodes, said, str(k), vertical=True),
                                     "steps": linking.steps(p, rid, nodes, said)}
                                    for k, (title, nodes, said) in enumerate(shown)]
            else:
                context["why_not"] = linking.why_not(p, c, rid)
    return render(request, "researcher_connect.html", actor, title="我与企业的关系路径", researcher=rid,
                  query=_query(actor, rid), **context)


def _choose(request: Request, actor: Actor, title: str, action: str) -> HTMLResponse:
    """Staff (or an account tied to no researcher) choose whose page to see."""
    return render(request, "researcher_choose.html", actor, title=title, action=action,
                  unlinked=actor.role == Role.RESEARCHER)


def _query(actor: Actor, rid: str) -> str:
    """What links between these pages carry: staff keep the researcher they look at."""
    return "" if actor.role == Role.RESEARCHER else urlencode({"researcher": rid})


def _out(p: Projection, node_id: str, t: RelType, label: Label | None = None) -> list[int]:
    nb = p.neighbours(node_id, Hop([t], "out"), [label] if label else None)
    order = np.lexsort((nb.nodes, -nb.weights))  # strongest first
    return list(dict.fromkeys(nb.nodes[order].tolist()))


def _profile(p: Projection, props: dict, rid: str) -> dict:
    places: list[str] = []
    region = _out(p, rid, RelType.LOCATED_IN)[:1]
    while region and len(places) < 5:  # the city, its province...
        places.append(str(p.names[region[0]]))
        region = _out(p, p.ids[region[0]], RelType.PART_OF)[:1]
    keywords = props.get("keywords") or []
    return {"name": props.get("name", rid), "title": props.get("title", ""),
            "institutions": [str(p.names[i]) for i in _out(p, rid, RelType.AFFILIATED_WITH)],
            "fields": [str(p.names[i]) for i in _out(p, rid, RelType.EXPERT_IN)],
            "region": " · ".join(reversed(places)), "expertise": props.get("expertise", ""),
            "keywords": keywords if isinstance(keywords, list) else [str(keywords)]}


def _offers(nodes: dict[str, StoredNode], ids: list[str]) -> list[dict]:
    rows = [{"name": n.props.get("name", n.id), "kind": OFFER_KINDS.get(str(n.props.get("kind")), "成果"),
             "text": n.props.get("text", ""), "posted": str(n.props.get("posted") or "")}
            for n in (nodes.get(i) for i in ids) if n is not None]
    return sorted(rows, key=lambda r: (r["posted"], r["name"]), reverse=True)


def _needs(service: GraphService, node: StoredNode) -> list[dict]:
    """Open needs and challenges that fit, best first (one scoring: a second one for challenges alone would
    double the page's time on the city tier), with their public summaries only."""
    rec, p = service.partner_recommender(), service.projection
    out = []
    for s in needs_for(rec, node.id, SHOWN_NEEDS, stored=node):
        out.append({"id": s.id, "name": p.names[p.index[s.id]], "challenge": s.kind == "challenge",
                    "enterprise": {"id": s.enterprise, "name": p.names[p.index[s.enterprise]]},
                    "text": s.text, "state": s.state.label,
                    "deadline": s.state.deadline.isoformat() if s.state.deadline else "",
                    "reasons": _said_to_researcher(sentences(p, s.paths, s.matched_words))})
    return out


def _said_to_researcher(reasons: list) -> list[str]:
    out = []
    for r in reasons:
        prefix, swaps = _TO_RESEARCHER.get(r.kind, ("", ()))
        text = r.text.replace("贵企业", "该企业")
        for old, new in swaps:
            text = text.replace(old, new)
        out.append(prefix + text)
    return out


def _collaborators(service: GraphService, rid: str) -> list[dict]:
    p = service.projection
    mine = set(_out(p, rid, RelType.AFFILIATED_WITH))
    rows = []
    for s in service.collaborators(rid, SHOWN_PEOPLE):
        theirs = _out(p, s.id, RelType.AFFILIATED_WITH)
        reasons = []
        if s.common_coauthors:
            names = "、".join(str(p.names[p.index[c]]) for c in s.common_coauthors[:3])
            more = f"等 {len(s.common_coauthors)} 位" if len(s.common_coauthors) > 3 else ""
            reasons.append(f"与您有共同合作者{names}{more}")
        if s.same_institution:
            shared = [str(p.names[i]) for i in theirs if i in mine]
            reasons.append(f"与您同在{shared[0]}" if shared else "与您同在一个机构")
        if s.shared_fields:
            reasons.append("与您有共同领域" + "、".join(f"“{p.names[p.index[f]]}”" for f in s.shared_fields[:3]))
        rows.append({"id": s.id, "name": p.names[p.index[s.id]],
                     "institution": str(p.names[theirs[0]]) if theirs else "",
                     "reasons": reasons or ["在合作网络中与您相近"]})
    return rows
