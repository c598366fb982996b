"""The synthetic market: realistic structure, and deals that follow the graph (signal for link prediction)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np


def _rows(d: Path, name: str) -> list[dict]:
    with (d / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_tiny_tier_is_about_a_thousand_nodes(tiny_dir: Path) -> None:
    nodes = sum(len(_rows(tiny_dir, n)) for n in ("fields", "regions", "circles", "institutions", "enterprises",
                                                  "researchers", "needs", "offers", "deals"))
    assert 1000 <= nodes <= 2000


def test_real_regions_hierarchy_and_circles(tiny_dir: Path) -> None:
    regions = {r["id"]: r for r in _rows(tiny_dir, "regions")}
    by_name = {r["name"]: i for i, r in regions.items()}
    parent = {r["src"]: r["dst"] for r in _rows(tiny_dir, "part_of")}
    assert regions[parent[by_name["武侯区"]]]["name"] == "成都市"
    assert regions[parent[by_name["成都市"]]]["name"] == "四川省"
    circles = {c["id"]: c["name"] for c in _rows(tiny_dir, "circles")}
    members = defaultdict(set)
    for m in _rows(tiny_dir, "member_of"):
        members[circles[m["dst"]]].add(regions[m["src"]]["name"])
    assert {"成都市", "渝中区", "内江市"} <= members["成渝地区双城经济圈"]
    assert {"松江区", "嘉兴市", "合肥市"} <= members["长三角G60科创走廊"]


def test_coauthor_degrees_are_heavy_tailed(tiny_dir: Path) -> None:
    degree = Counter()
    for r in _rows(tiny_dir, "co_author"):
        degree[r["src"]] += 1
        degree[r["dst"]] += 1
    d = np.array(list(degree.values()))
    assert d.max() >= 4 * d.mean()


def test_deals_follow_shared_fields_and_repeat_partners(tiny_dir: Path) -> None:
    expert = defaultdict(set)
    for r in _rows(tiny_dir, "expert_in"):
        expert[r["src"]].add(r["dst"])
    need_fields = defaultdict(set)
    for r in _rows(tiny_dir, "about"):
        need_fields[r["src"]].add(r["dst"])
    fulfils = {r["src"]: r["dst"] for r in _rows(tiny_dir, "fulfils")}
    providers = {r["dst"]: r["src"] for r in _rows(tiny_dir, "party_to")
                 if r["role"] == "provider" and r["src"].startswith("R")}
    matched = [bool(expert[providers[d]] & need_fields[n]) for d, n in fulfils.items() if d in providers]
    rng = np.random.default_rng(0)
    people = list(expert)
    chance = np.mean([bool(expert[people[rng.integers(len(people))]] & need_fields[n]) for n in fulfils.values()])
    assert len(matched) > 50
    assert np.mean(matched) > 0.6 > 3 * chance
    dates = [r["date"] for r in _rows(tiny_dir, "deals")]
    assert dates == sorted(dates)  # ids follow time, so a temporal split is a prefix
