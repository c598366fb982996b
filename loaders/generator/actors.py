"""Institutions, researchers, enterprises and co-authorship of a synthetic regional market.

Degrees are heavy-tailed (Pareto activity); people cluster by institution and field, so
co-authorship has communities and deals later have graph structure to follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loaders.generator.geography import REAL_INSTITUTIONS
from loaders.generator.names import ENTERPRISE_SUFFIX, brand_names, person_names, titles, unique
from loaders.generator.world import Fields, Regions

INSTITUTION_KINDS = ("university", "research_institute", "laboratory", "society", "platform")
_KIND_W = np.array([0.15, 0.35, 0.25, 0.10, 0.15])
_KIND_SUFFIX = {"university": "学院", "research_institute": "研究院", "laboratory": "重点实验室",
                "society": "学会", "platform": "技术转移中心"}
TIERS = ("科技型中小企业", "高新技术企业", "专精特新", "专精特新小巨人", "领军企业")
_TIER_W = np.array([0.50, 0.30, 0.12, 0.05, 0.03])
SIZES = ("micro", "small", "medium", "large")


@dataclass
class Actors:
    inst_name: list[str]
    inst_kind: list[str]
    inst_region: np.ndarray
    inst_fields: list[list[int]]
    res_name: list[str]
    res_title: list[str]
    res_inst: np.ndarray
    res_region: np.ndarray
    res_fields: list[list[int]]  # first = primary
    res_activity: np.ndarray
    ent_name: list[str]
    ent_tier: np.ndarray
    ent_size: np.ndarray
    ent_industry: np.ndarray
    ent_region: np.ndarray
    ent_fields: list[list[int]]
    ent_activity: np.ndarray
    ent_founded: np.ndarray


def _pick_fields(rng: np.random.Generator, fields: Fields, industry: int, k: int, prefer: list[int] | None = None,
                 p_prefer: float = 0.8) -> list[int]:
    leaves = fields.industry_leaves[industry]
    out: list[int] = []
    for _ in range(k):
        pool = prefer if prefer and rng.random() < p_prefer else leaves
        f = pool[int(rng.integers(len(pool)))]
        if f not in out:
            out.append(f)
    return out


def _institutions(rng: np.random.Generator, fields: Fields, regions: Regions, n: int):
    real = REAL_INSTITUTIONS[: min(len(REAL_INSTITUTIONS), max(5, n // 4))]
    synth = n - len(real)
    kinds = [k for _, k, _ in real] + [INSTITUTION_KINDS[i] for i in rng.choice(5, size=synth, p=_KIND_W)]
    real_cities = np.array([regions.by_name(c) for _, _, c in real], dtype=np.int64)
    cities = np.concatenate([real_cities, regions.pick_cities(rng, synth)])
    industries = list(fields.industry_leaves)
    inds = rng.integers(0, len(industries), size=n)
    names = [name for name, _, _ in real]
    for i in range(len(real), n):
        city = regions.names[int(cities[i])].removesuffix("市")
        tech = fields.names[fields.industry_leaves[industries[inds[i]]][0]]
        prefix = "四川省" if kinds[i] == "society" else city
        names.append(f"{prefix}{fields.names[industries[inds[i]]] if kinds[i] != 'laboratory' else tech}"
                     f"{_KIND_SUFFIX[kinds[i]]}")
    inst_fields = [_pick_fields(rng, fields, industries[inds[i]], int(rng.integers(2, 6))) for i in range(n)]
    return unique(names), kinds, regions.place(rng, cities), inst_fields


def _researchers(rng: np.random.Generator, fields: Fields, inst_kind: list[str], inst_fields, inst_region, n: int):
    size_w = rng.pareto(1.3, size=len(inst_kind)) + 1.0
    size_w *= np.array([6.0 if k == "university" else 2.0 if k == "research_institute" else 0.6 for k in inst_kind])
    res_inst = rng.choice(len(inst_kind), size=n, p=size_w / size_w.sum())
    res_fields = []
    n_fields = rng.integers(1, 5, size=n)
    for i in range(n):
        home = inst_fields[res_inst[i]]
        industry = fields.parent[home[0]]
        res_fields.append(_pick_fields(rng, fields, industry, int(n_fields[i]), prefer=home))
    activity = rng.pareto(1.6, size=n) + 1.0
    return res_inst, inst_region[res_inst], res_fields, activity


def _enterprises(rng: np.random.Generator, fields: Fields, regions: Regions, n: int):
    tier = rng.choice(len(TIERS), size=n, p=_TIER_W)
    size = np.clip(tier // 2 + rng.integers(0, 2, size=n), 0, 3)  # higher tiers are larger
    industries = list(fields.industry_leaves)
    ind_w = np.linspace(2.0, 0.6, len(industries))  # 电子信息, 装备制造 and 材料 lead in Sichuan
    industry = np.asarray(industries)[rng.choice(len(industries), size=n, p=ind_w / ind_w.sum())]
    cities = regions.pick_cities(rng, n, concentration=1.1)
    ent_fields = [_pick_fields(rng, fields, int(industry[i]), int(rng.integers(1, 4))) for i in range(n)]
    activity = (rng.pareto(1.4, size=n) + 1.0) * (1.0 + tier)
    names = []
    for i, brand in enumerate(brand_names(rng, n)):
        city = regions.names[int(cities[i])].removesuffix("市").removesuffix("区")
        tech = fields.names[ent_fields[i][0]]
        names.append(f"{city}{brand}{tech}{ENTERPRISE_SUFFIX[int(rng.integers(len(ENTERPRISE_SUFFIX)))]}")
    founded = 2024 - np.minimum(rng.geometric(0.08, size=n), 40)
    return unique(names), tier, size, industry, regions.place(rng, cities), ent_fields, activity, founded


def build_actors(rng: np.random.Generator, fields: Fields, regions: Regions, counts: dict[str, int]) -> Actors:
    inst_name, inst_kind, inst_region, inst_fields = _institutions(rng, fields, regions, counts["institutions"])
    res_inst, res_region, res_fields, res_activity = _researchers(
        rng, fields, inst_kind, inst_fields, inst_region, counts["researchers"])
    ent = _enterprises(rng, fields, regions, counts["enterprises"])
    return Actors(inst_name, inst_kind, inst_region, inst_fields,
                  person_names(rng, counts["researchers"]), titles(rng, counts["researchers"]),
                  res_inst, res_region, res_fields, res_activity, *ent)


def coauthorship(rng: np.random.Generator, a: Actors, n_edges: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique undirected pairs (u < v): mostly within institution and field, some across the field."""
    n = len(a.res_inst)
    primary = np.array([f[0] for f in a.res_fields], dtype=np.int64)
    p = a.res_activity / a.res_activity.sum()
    draws = int(n_edges * 1.25)  # duplicates are dropped below
    u = rng.choice(n, size=draws, p=p)
    group = a.res_inst * 1000 + primary  # team = institution x field
    v = np.empty(draws, dtype=np.int64)
    r = rng.random(draws)
    for key, share in ((group, r < 0.7), (primary, (r >= 0.7) & (r < 0.92))):
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        start = np.searchsorted(sorted_key, key[u[share]], side="left")
        end = np.searchsorted(sorted_key, key[u[share]], side="right")
        v[share] = order[start + (rng.random(int(share.sum())) * (end - start)).astype(np.int64)]
    rest = r >= 0.92
    v[rest] = rng.choice(n, size=int(rest.sum()), p=p)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    pairs = np.unique(lo[keep] * n + hi[keep])
    if len(pairs) > n_edges:
        pairs = np.sort(rng.choice(pairs, size=n_edges, replace=False))
    return pairs // n, pairs % n
