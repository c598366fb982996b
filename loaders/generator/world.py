"""The fixed backbone of every synthetic market: fields, regions, circles (same in every tier)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from loaders.generator.geography import CIRCLES, PROVINCES, ZONES
from loaders.generator.taxonomy import TAXONOMY


@dataclass
class Fields:
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)  # -1 for industries
    terms: list[tuple[str, ...]] = field(default_factory=list)  # technology fields only
    leaves: list[int] = field(default_factory=list)  # indices of level-2 fields
    industry_leaves: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class Regions:
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    city_of: list[int] = field(default_factory=list)  # the level-2 region above (itself for cities)
    cities: list[int] = field(default_factory=list)
    city_weight: list[float] = field(default_factory=list)
    places: dict[int, list[int]] = field(default_factory=dict)  # city -> regions to place entities in
    circle_ids: list[str] = field(default_factory=list)
    circle_names: list[str] = field(default_factory=list)
    circle_kinds: list[str] = field(default_factory=list)
    members: list[tuple[int, int]] = field(default_factory=list)  # (region, circle)

    def by_name(self, name: str) -> int:
        return self.names.index(name)

    def place(self, rng: np.random.Generator, cities: np.ndarray) -> np.ndarray:
        """A concrete region (district, or the city itself) inside each given city."""
        out = np.empty(len(cities), dtype=np.int64)
        for c in np.unique(cities):
            mask = cities == c
            options = self.places[int(c)]
            out[mask] = np.asarray(options)[rng.integers(0, len(options), size=int(mask.sum()))]
        return out

    def pick_cities(self, rng: np.random.Generator, n: int, concentration: float = 1.0) -> np.ndarray:
        w = np.asarray(self.city_weight) ** concentration
        return np.asarray(self.cities)[rng.choice(len(self.cities), size=n, p=w / w.sum())]


def build_fields() -> Fields:
    f = Fields()
    for i, (industry, techs) in enumerate(TAXONOMY.items(), 1):
        top = len(f.ids)
        f.ids.append(f"F{i:02d}")
        f.names.append(industry)
        f.levels.append(1)
        f.parent.append(-1)
        f.terms.append(())
        f.industry_leaves[top] = []
        for j, (tech, terms) in enumerate(techs.items(), 1):
            f.industry_leaves[top].append(len(f.ids))
            f.leaves.append(len(f.ids))
            f.ids.append(f"F{i:02d}{j:02d}")
            f.names.append(tech)
            f.levels.append(2)
            f.parent.append(top)
            f.terms.append(terms)
    return f


def _add_region(r: Regions, name: str, level: int, kind: str, parent: int) -> int:
    r.ids.append(f"RG{len(r.ids) + 1:04d}")
    r.names.append(name)
    r.levels.append(level)
    r.kinds.append(kind)
    r.parent.append(parent)
    r.city_of.append(len(r.ids) - 1 if level == 2 else (r.city_of[parent] if parent >= 0 else -1))
    return len(r.ids) - 1


def build_regions() -> Regions:
    r = Regions()
    for province, (pkind, cities) in PROVINCES.items():
        p = _add_region(r, province, 1, pkind, -1)
        for city, (weight, districts) in cities.items():
            ckind = "district" if pkind == "municipality" else "city"
            c = _add_region(r, city, 2, ckind, p)
            r.cities.append(c)
            r.city_weight.append(weight)
            r.places[c] = [c]
            if districts:
                r.places[c] = [_add_region(r, d, 3, "county" if d.endswith("县") else "district", c)
                               for d in districts]
    for zone, (host, kind) in ZONES.items():
        _add_region(r, zone, 4, kind, r.by_name(host))
    for k, (circle, (kind, members)) in enumerate(CIRCLES.items(), 1):
        r.circle_ids.append(f"C{k:02d}")
        r.circle_names.append(circle)
        r.circle_kinds.append(kind)
        r.members.extend((r.by_name(m), k - 1) for m in members)
    return r
