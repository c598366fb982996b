"""Benchmark: the server time of every page on the city tier, on SQLite and on a real Neo4j 5 (issue 15's
target: at most 150 ms p95 for any page; the JavaScript and CSS of a page at most 300 KB together).

    python bench/page_timings.py [--store bench/out/city-cases.sqlite] [--neo4j-data bench/out/neo4j-city-cases]
                                 [--models DIR] [--neo4j-models DIR] [--fair DIR] [--repeats 30]

--store: a city tier with a case history (bench/case_dashboard.py grows one); it is copied.
--neo4j-data: a Neo4j data directory holding the same (bench/case_dashboard.py --neo4j-data loads and grows
  it); the bench's accounts are added to it (their passwords reset on later runs).
--fair: a planned fair's directory as the app keeps it (fairs_dir/<id>: instance/, plan/, status.json), for
  example the full-size fair of bench/fair_organiser.py; copied and given to the bench's organiser.
Accounts for each role are added (the enterprise with the most needs, the staff member holding the most
cases, RESEARCHERS researchers with co-authors, an organiser, an admin). The app runs in process (FastAPI's
TestClient, the whole middleware stack); each page is asked for once to warm, then --repeats times with
varying ids, or varying signed-in researchers for their home (median, p95, max of the server time,
measured around the request). The assets a page links (`<link rel=stylesheet>`, `<script src>`) are
fetched and their sizes added up.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import statistics
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.auth.accounts import add_user, set_password
from graph_service.projection import Hop, build_projection
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.settings import Settings
from graph_service.stores.base import GraphStore
from graph_service.stores.sqlite_store import SqliteStore

TARGET_MS, ASSET_BUDGET = 150.0, 300 * 1024
PASSWORD = "bench-password-1"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


RESEARCHERS = 20


def account(store: GraphStore, username: str, role: str, entity: str | None) -> None:
    """The account with the bench's password, whether this store already had it or not."""
    if store.get_account(username) is None:
        add_user(store, username, role, entity, PASSWORD)
    else:
        set_password(store, username, PASSWORD)


def accounts(store: GraphStore) -> dict[str, list[str]]:
    """One account per role (RESEARCHERS researchers); the ids each role's pages take."""
    p = build_projection(store)
    posted, co = Hop([RelType.POSTED], "out"), Hop([RelType.CO_AUTHOR], "out")
    firms = [i for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE]
    firm = max(firms, key=lambda i: len(p.neighbours(p.ids[i], posted).nodes))
    needs = [p.ids[n] for n in p.neighbours(p.ids[firm], posted).nodes.tolist() if p.label_of(n) == Label.NEED]
    staff, held = Counter(c.assignee for c in store.changed_cases() if c.assignee).most_common(1)[0]
    cases = [c.id for c in store.list_cases(assignee=staff, limit=200)]
    people = [i for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER
              and len(p.neighbours(p.ids[i], co).nodes)]
    busiest = max(people[:5000], key=lambda i: len(p.neighbours(p.ids[i], co).nodes))
    chosen = [busiest] + people[:: max(1, len(people) // (RESEARCHERS - 1))][:RESEARCHERS - 1]  # spread out
    account(store, "bench-ent", "enterprise", p.ids[firm])
    account(store, staff, "staff", None)  # the case history's staff may have accounts of their own
    for k, r in enumerate(chosen):
        account(store, f"bench-res-{k}", "researcher", p.ids[r])
    account(store, "bench-org", "organiser", None)
    account(store, "bench-admin", "admin", None)
    print(f"  enterprise {p.ids[firm]} with {len(needs)} needs; staff {staff} holding {held} cases; "
          f"{len(chosen)} researchers from {p.ids[busiest]} ({len(p.neighbours(p.ids[busiest], co).nodes)} "
          f"co-authors) on")
    return {"enterprise": needs, "staff": [staff, *cases], "researchers": [f"bench-res-{k}" for k in
                                                                            range(len(chosen))]}


def enterprise_of(store: GraphStore, need: str) -> str:
    return next(r.src for r in store.relationships(need, [RelType.POSTED], "in"))


def sign_in(client: TestClient, username: str) -> dict[str, str]:
    """Sign in; the session's cookies, to sign in as this account again without the form."""
    client.cookies.clear()
    form = client.get("/login")
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                         "csrf_token": TOKEN.search(form.text).group(1)})
    assert answer.status_code == 303, answer.text
    return dict(client.cookies)


def measure(client: TestClient, name: str, paths: list[str], repeats: int,
            sessions: list[dict[str, str]] | None = None) -> tuple[str, list[float], int]:
    """`paths` in turn, and with `sessions`, signed in as each in turn (only the request is timed)."""
    def use(k: int) -> None:
        if sessions:
            client.cookies.clear()
            client.cookies.update(sessions[k % len(sessions)])

    use(0)
    first = client.get(paths[0])
    assert first.status_code == 200, (name, first.status_code, first.text[:500])
    assets = sum(len(client.get(a).content) for a in ASSET.findall(first.text))
    times = []
    for k in range(repeats):
        use(k)
        started = time.perf_counter()
        answer = client.get(paths[k % len(paths)])
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (name, answer.status_code)
    return name, times, assets


def fair_pages(client: TestClient, fair: str, repeats: int) -> list[tuple[str, list[float], int]]:
    summary = client.app.state.fairs.get(fair).summary()
    who = sorted(client.app.state.fairs.get(fair).instance().participants, key=lambda x: x.id)[0].id
    print(f"  fair {fair}: {summary['participants']} participants, {sum(summary['requests'].values())} requests")
    base = f"/fairs/{fair}"
    return [measure(client, "展会 /fairs/{id}", [base], repeats),
            measure(client, "日程网格 …/schedule", [base + "/schedule"], repeats),
            measure(client, "按参会方筛选 ?who=", [f"{base}/schedule?who={who}"], repeats),
            measure(client, "公平报告 …/report", [base + "/report"], repeats),
            measure(client, "变更 …/changes", [base + "/changes"], repeats),
            measure(client, "桌位表 …/table-plan.csv", [base + "/table-plan.csv"], repeats),
            measure(client, "日程 .ics", [f"{base}/agendas/{who}?format=ics"], repeats)]


def pages(store: GraphStore, settings: Settings, models: Path, fair: Path | None, repeats: int
          ) -> list[tuple[str, list[float], int]]:
    ids = accounts(store)
    started = time.perf_counter()
    service = GraphService.open(store, models)
    service.partner_recommender()
    print(f"  service ready in {time.perf_counter() - started:.1f} s")
    if fair is not None:
        shutil.copytree(fair, settings.fairs_dir / fair.name)
        (settings.fairs_dir / fair.name / "owner.json").write_text(json.dumps({"owner": "bench-org"}))
    rows = []
    with TestClient(create_app(settings, service), follow_redirects=False) as client:
        needs, (staff, *cases) = ids["enterprise"], ids["staff"]
        sign_in(client, "bench-ent")
        rows += [measure(client, "企业首页 /", ["/"], repeats),
                 measure(client, "需求与推荐 /needs/{id}", [f"/needs/{n}" for n in needs], repeats),
                 measure(client, "发布需求 /needs/new", ["/needs/new"], repeats)]
        sign_in(client, staff)
        rows += [measure(client, "专员首页 /", ["/"], repeats),
                 measure(client, "案件看板 /cases", ["/cases"], repeats),
                 measure(client, "案件 /cases/{id}", [f"/cases/{c}" for c in cases], repeats),
                 measure(client, "服务漏斗 /cases/dashboard", ["/cases/dashboard"], repeats)]
        researchers = [sign_in(client, r) for r in ids["researchers"]]
        firms = [f"/me/connect?enterprise={e}" for e in [enterprise_of(store, n) for n in needs[:5]]]
        rows += [measure(client, "科技工作者首页 /", ["/"], repeats, researchers),
                 measure(client, "合作网络 /me/network", ["/me/network"], repeats, researchers),
                 measure(client, "关系路径 /me/connect", firms, repeats, researchers[:1])]
        sign_in(client, "bench-org")
        rows.append(measure(client, "组织者首页 /", ["/"], repeats))
        if fair is not None:
            rows += fair_pages(client, fair.name, repeats)
        sign_in(client, "bench-admin")
        rows.append(measure(client, "用户与角色 /admin/users", ["/admin/users"], repeats))
    return rows


def report(name: str, rows: list[tuple[str, list[float], int]]) -> None:
    print(f"  {name}: {'page':<26} {'median':>8} {'p95':>8} {'max':>8}   assets")
    worst = 0.0
    for page, times, assets in rows:
        p95 = float(np.percentile(times, 95))
        worst = max(worst, p95)
        print(f"  {' ' * len(name)}  {page:<26} {statistics.median(times):7.1f}ms {p95:7.1f}ms {max(times):7.1f}ms   "
              f"{assets / 1024:.1f} KB{'' if assets <= ASSET_BUDGET else '  OVER BUDGET'}")
    print(f"  {name}: worst p95 {worst:.1f} ms (target <= {TARGET_MS:.0f} ms: "
          f"{'met' if worst <= TARGET_MS else 'MISSED'})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, help="a city-tier embedded store with cases (copied)")
    ap.add_argument("--neo4j-data", type=Path, help="a Neo4j data directory holding the same")
    ap.add_argument("--models", type=Path, help="saved models for --store (trained into it when missing)")
    ap.add_argument("--neo4j-models", type=Path, help="saved models for --neo4j-data (default: beside it)")
    ap.add_argument("--fair", type=Path, help="a planned fair's directory (fairs_dir/<id>)")
    ap.add_argument("--heap", default="6g", help="the Neo4j JVM's heap")
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    if not (args.store or args.neo4j_data):
        ap.error("give --store PATH and/or --neo4j-data DIR")
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        dirs = {"fairs_dir": work / "fairs", "data_dir": work / "data", "secret_key": secrets.token_urlsafe(32),
                "rate_sign_in": "1000/minute", "rate_recommend": "10000/minute"}  # one address signs in all
        if args.store:
            print(f"SQLite ({args.store}, a copy)")
            path = work / "store.sqlite"
            shutil.copy(args.store, path)
            store: GraphStore = stack.enter_context(SqliteStore(path))
            store.ensure_schema()
            models = args.models or work / "models"
            settings = Settings(store="sqlite", sqlite_path=path, model_dir=models, **dirs)
            report("SQLite", pages(store, settings, models, args.fair, args.repeats))
        if args.neo4j_data:
            from graph_service.stores import neo4j_local
            from graph_service.stores.neo4j_store import Neo4jStore

            print(f"Neo4j ({args.neo4j_data})")
            server = stack.enter_context(neo4j_local.start(args.neo4j_data, heap=args.heap))
            neo4j: GraphStore = stack.enter_context(Neo4jStore(server.uri, server.user, server.password))
            neo4j.ensure_schema()
            models = args.neo4j_models or args.neo4j_data.with_name(args.neo4j_data.name + "-models")
            dirs["fairs_dir"] = work / "fairs-neo4j"
            settings = Settings(store="neo4j", neo4j_uri=server.uri, neo4j_user=server.user,
                                neo4j_password=server.password, model_dir=models, **dirs)
            report("Neo4j", pages(neo4j, settings, models, args.fair, args.repeats))


if __name__ == "__main__":
    main()
