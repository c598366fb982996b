"""Benchmark: the server time of every page on the city tier (issue 15's target: at most 150 ms p95 for
any page; the JavaScript and CSS of a page at most 300 KB together).

    python bench/page_timings.py --store bench/out/city-cases.sqlite [--models DIR] [--repeats 30]

The store (a city tier with a case history: bench/case_dashboard.py grows one) is copied; accounts for
each role are added to the copy (the enterprise with the most needs, the staff member holding the most
cases, a researcher with co-authors, an admin). The app runs in process (FastAPI's TestClient, the whole
middleware stack); each page is asked for once to warm, then --repeats times with varying ids where the
page takes one (median, p95, max of the server time, measured around the request). The assets a page links
(`<link rel=stylesheet>`, `<script src>`) are fetched and their sizes added up.
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.auth.accounts import add_user, set_password
from graph_service.projection import Hop, build_projection
from graph_service.schema import Label, RelType
from graph_service.service import GraphService
from graph_service.settings import Settings
from graph_service.stores.sqlite_store import SqliteStore

TARGET_MS, ASSET_BUDGET = 150.0, 300 * 1024
PASSWORD = "bench-password-1"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def accounts(store: SqliteStore) -> dict[str, list[str]]:
    """Add one account per role; the ids each role's pages take."""
    p = build_projection(store)
    posted = Hop([RelType.POSTED], "out")
    firms = [i for i in range(p.base_nodes) if p.label_of(i) == Label.ENTERPRISE]
    firm = max(firms, key=lambda i: len(p.neighbours(p.ids[i], posted).nodes))
    needs = [p.ids[n] for n in p.neighbours(p.ids[firm], posted).nodes.tolist() if p.label_of(n) == Label.NEED]
    staff, held = Counter(c.assignee for c in store.changed_cases() if c.assignee).most_common(1)[0]
    cases = [c.id for c in store.list_cases(assignee=staff, limit=200)]
    people = [i for i in range(p.base_nodes) if p.label_of(i) == Label.RESEARCHER]
    researcher = max(people[:5000], key=lambda i: len(p.neighbours(p.ids[i], Hop([RelType.CO_AUTHOR], "out")).nodes))
    add_user(store, "bench-ent", "enterprise", p.ids[firm], PASSWORD)
    if store.get_account(staff) is None:
        add_user(store, staff, "staff", None, PASSWORD)
    else:  # the case history's staff have accounts of their own
        set_password(store, staff, PASSWORD)
    add_user(store, "bench-res", "researcher", p.ids[researcher], PASSWORD)
    add_user(store, "bench-admin", "admin", None, PASSWORD)
    print(f"  enterprise {p.ids[firm]} with {len(needs)} needs; staff {staff} holding {held} cases; "
          f"researcher {p.ids[researcher]}")
    return {"bench-ent": needs, staff: cases, "bench-res": [], "bench-admin": []}


def enterprise_of(store: SqliteStore, need: str) -> str:
    return next(r.src for r in store.relationships(need, [RelType.POSTED], "in"))


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    form = client.get("/login")
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                         "csrf_token": TOKEN.search(form.text).group(1)})
    assert answer.status_code == 303, answer.text


def measure(client: TestClient, name: str, paths: list[str], repeats: int) -> tuple[str, list[float], int]:
    first = client.get(paths[0])
    assert first.status_code == 200, (name, first.status_code, first.text[:500])
    assets = sum(len(client.get(a).content) for a in ASSET.findall(first.text))
    times = []
    for k in range(repeats):
        started = time.perf_counter()
        answer = client.get(paths[k % len(paths)])
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (name, answer.status_code)
    return name, times, assets


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--models", type=Path, help="saved models for this store (trained into it when missing)")
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "store.sqlite"
        shutil.copy(args.store, path)
        store = SqliteStore(path)
        store.ensure_schema()
        ids = accounts(store)
        models = args.models or Path(work) / "models"
        started = time.perf_counter()
        service = GraphService.open(store, models)
        service.partner_recommender()
        print(f"  service ready in {time.perf_counter() - started:.1f} s")
        settings = Settings(store="sqlite", sqlite_path=path, model_dir=models, fairs_dir=Path(work) / "fairs",
                            data_dir=Path(work) / "data", secret_key=secrets.token_urlsafe(32))
        rows = []
        with TestClient(create_app(settings, service), follow_redirects=False) as client:
            (enterprise, needs), (staff, cases) = list(ids.items())[:2]
            sign_in(client, enterprise)
            rows += [measure(client, "企业首页 /", ["/"], args.repeats),
                     measure(client, "需求与推荐 /needs/{id}", [f"/needs/{n}" for n in needs], args.repeats),
                     measure(client, "发布需求 /needs/new", ["/needs/new"], args.repeats)]
            sign_in(client, staff)
            rows += [measure(client, "专员首页 /", ["/"], args.repeats),
                     measure(client, "案件看板 /cases", ["/cases"], args.repeats),
                     measure(client, "案件 /cases/{id}", [f"/cases/{c}" for c in cases], args.repeats),
                     measure(client, "服务漏斗 /cases/dashboard", ["/cases/dashboard"], args.repeats)]
            sign_in(client, "bench-res")
            firms = [f"/me/connect?enterprise={e}" for e in needs and [enterprise_of(store, n) for n in needs[:5]]]
            rows += [measure(client, "科技工作者首页 /", ["/"], args.repeats),
                     measure(client, "合作网络 /me/network", ["/me/network"], args.repeats),
                     measure(client, "关系路径 /me/connect", firms, args.repeats)]
            sign_in(client, "bench-admin")
            rows.append(measure(client, "用户与角色 /admin/users", ["/admin/users"], args.repeats))
        print(f"  {'page':<28} {'median':>8} {'p95':>8} {'max':>8}   assets")
        worst = 0.0
        for name, times, assets in rows:
            p95 = float(np.percentile(times, 95))
            worst = max(worst, p95)
            print(f"  {name:<28} {statistics.median(times):7.1f}ms {p95:7.1f}ms {max(times):7.1f}ms   "
                  f"{assets / 1024:.1f} KB{'' if assets <= ASSET_BUDGET else '  OVER BUDGET'}")
        print(f"  worst p95 {worst:.1f} ms (target <= {TARGET_MS:.0f} ms: {'met' if worst <= TARGET_MS else 'MISSED'})")


if __name__ == "__main__":
    main()
