"""Deterministic (seeded) synthetic regional science-and-technology market, written as import files."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from loaders.generator.actors import SIZES, TIERS, build_actors, coauthorship
from loaders.generator.deals import build_deals
from loaders.generator.posts import build_needs, build_offers, day, terms_of
from loaders.generator.world import build_fields, build_regions

# Node counts per tier; co-author pairs per researcher set the relationship total (~10 per node).
TIER_COUNTS: dict[str, dict[str, int]] = {
    "tiny": {"institutions": 40, "researchers": 500, "enterprises": 120, "needs": 150, "offers": 150, "deals": 250},
    "city": {"institutions": 1000, "researchers": 60_000, "enterprises": 9000, "needs": 12_000,
             "offers": 15_000, "deals": 3000},
    "province": {"institutions": 20_000, "researchers": 1_200_000, "enterprises": 180_000, "needs": 240_000,
                 "offers": 300_000, "deals": 60_000},
}
COAUTHORS_PER_RESEARCHER = {"tiny": 3.0, "city": 11.8, "province": 11.8}
_DEAL_NAME = {"development": "技术开发", "transfer": "技术转让", "licensing": "专利许可", "consulting": "技术咨询",
              "joint_lab": "共建联合实验室", "framework": "产学研合作框架协议"}


def _write(out: Path, name: str, header: list[str], rows: Iterable[Iterable]) -> int:
    n = 0
    with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def _ids(prefix: str, n: int, width: int) -> list[str]:
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def generate(tier: str, out: Path, seed: int = 7) -> dict[str, int]:
    """Write the tier's import files into `out`; returns rows per file (also in manifest.json)."""
    if tier not in TIER_COUNTS:
        raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIER_COUNTS)}")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    counts = TIER_COUNTS[tier]
    out.mkdir(parents=True, exist_ok=True)
    fields, regions = build_fields(), build_regions()
    a = build_actors(rng, fields, regions, counts)
    co_u, co_v = coauthorship(rng, a, int(counts["researchers"] * COAUTHORS_PER_RESEARCHER[tier]))
    keywords = [terms_of(rng, fields, fs, 3) for fs in a.res_fields]
    needs = build_needs(rng, fields, a, counts["needs"])
    offers = build_offers(rng, fields, a, counts["offers"])
    deals = build_deals(rng, regions, a, needs, keywords, (co_u, co_v), counts["deals"])

    fid, rid = fields.ids, regions.ids
    iid, eid = _ids("I", counts["institutions"], 6), _ids("E", counts["enterprises"], 6)
    pid = _ids("R", counts["researchers"], 7)
    nid, oid, did = _ids("N", counts["needs"], 7), _ids("O", counts["offers"], 7), _ids("D", counts["deals"], 7)
    actor_id = {"R": pid, "I": iid, "E": eid}
    signed = {int(x) for x in deals["need"] if x >= 0}
    rows: dict[str, int] = {}
    w = lambda name, header, it: rows.__setitem__(name, _write(out, name, header, it))  # noqa: E731

    w("fields", ["id", "name", "level", "code"], ((fid[i], fields.names[i], fields.levels[i], fid[i][1:])
                                                  for i in range(len(fid))))
    w("regions", ["id", "name", "level", "kind"], zip(rid, regions.names, regions.levels, regions.kinds))
    w("circles", ["id", "name", "kind"], zip(regions.circle_ids, regions.circle_names, regions.circle_kinds))
    w("institutions", ["id", "name", "kind"], zip(iid, a.inst_name, a.inst_kind))
    w("enterprises", ["id", "name", "tier", "industry", "size", "founded"],
      ((eid[i], a.ent_name[i], TIERS[a.ent_tier[i]], fields.names[a.ent_industry[i]], SIZES[a.ent_size[i]],
        a.ent_founded[i]) for i in range(len(eid))))
    w("researchers", ["id", "name", "title", "expertise", "keywords"],
      ((pid[i], a.res_name[i], a.res_title[i],
        f"主要从事{'、'.join(fields.names[f] for f in a.res_fields[i])}研究,专长{'、'.join(keywords[i])}",
        "|".join(keywords[i])) for i in range(len(pid))))
    w("needs", ["id", "name", "kind", "text", "budget", "deadline", "posted", "status"],
      ((nid[i], needs["name"][i], needs["kind"][i], needs["text"][i], needs["budget"][i],
        day(needs["day"][i] + 90 + i % 270), day(needs["day"][i]), "signed" if i in signed else needs["status"][i])
       for i in range(len(nid))))
    w("offers", ["id", "name", "kind", "text", "posted"],
      ((oid[i], offers["name"][i], offers["kind"][i], offers["text"][i], day(offers["day"][i]))
       for i in range(len(oid))))
    w("deals", ["id", "name", "kind", "date", "amount"],
      ((did[d], f"{a.ent_name[deals['parties'][d][0][1]]}{_DEAL_NAME[deals['kind'][d]]}合同", deals["kind"][d],
        day(deals["day"][d]), deals["amount"][d]) for d in range(len(did))))

    _write_relationships(w, rng, fields, regions, a, (co_u, co_v), needs, offers, deals,
                         {"F": fid, "RG": rid, "I": iid, "E": eid, "R": pid, "N": nid, "O": oid, "D": did},
                         actor_id)
    manifest = {"tier": tier, "seed": seed, "rows": rows, "seconds": round(time.perf_counter() - start, 1)}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return rows


def _field_rows(src_ids: list[str], field_lists: list[list[int]], fid: list[str], secondary) -> Iterable[tuple]:
    """(src, field, weight) rows: the first field of each list is primary (1.0), the k-th gets secondary(k)."""
    return ((src_ids[i], fid[f], 1.0 if k == 0 else secondary(k))
            for i, fs in enumerate(field_lists) for k, f in enumerate(fs))


def _write_relationships(w, rng, fields, regions, a, coauthors, needs, offers, deals, ids, actor_id) -> None:
    fid, rid, iid, eid, pid = ids["F"], ids["RG"], ids["I"], ids["E"], ids["R"]
    w("subfield_of", ["src", "dst"], ((fid[i], fid[p]) for i, p in enumerate(fields.parent) if p >= 0))
    w("part_of", ["src", "dst"], ((rid[i], rid[p]) for i, p in enumerate(regions.parent) if p >= 0))
    w("member_of", ["src", "dst"], ((rid[r], regions.circle_ids[c]) for r, c in regions.members))
    w("affiliated_with", ["src", "dst", "since", "primary"],
      ((pid[r], iid[a.res_inst[r]], 2000 + int(r * 7919 % 25), "true") for r in range(len(pid))))
    w("expert_in", ["src", "dst", "weight"], _field_rows(pid, a.res_fields, fid, lambda k: round(0.3 + 0.6 / k, 2)))
    w("active_in", ["src", "dst", "weight"], [*_field_rows(eid, a.ent_fields, fid, lambda k: 0.6),
                                              *_field_rows(iid, a.inst_fields, fid, lambda k: 0.6)])
    w("located_in", ["src", "dst"], [*((pid[r], rid[g]) for r, g in enumerate(a.res_region)),
                                     *((iid[i], rid[g]) for i, g in enumerate(a.inst_region)),
                                     *((eid[e], rid[g]) for e, g in enumerate(a.ent_region))])
    offer_posters = ((pid if r else iid)[p] for r, p in zip(offers["by_researcher"], offers["poster"]))
    w("posted", ["src", "dst"], [*((eid[e], ids["N"][i]) for i, e in enumerate(needs["ent"])),
                                 *((poster, ids["O"][i]) for i, poster in enumerate(offer_posters))])
    w("about", ["src", "dst", "weight"], [*_field_rows(ids["N"], needs["fields"], fid, lambda k: 0.5),
                                          *_field_rows(ids["O"], offers["fields"], fid, lambda k: 0.5)])
    w("party_to", ["src", "dst", "role"], ((actor_id[kind][x], ids["D"][d], role)
                                           for d, parties in enumerate(deals["parties"])
                                           for kind, x, role in dict.fromkeys(parties)))
    w("fulfils", ["src", "dst"], ((ids["D"][d], ids["N"][n]) for d, n in enumerate(deals["need"]) if n >= 0))
    u, v = coauthors
    papers = rng.geometric(0.45, size=len(u))  # joint works, at least one
    first = rng.integers(2008, 2025, size=len(u))
    last = np.minimum(first + rng.geometric(0.3, size=len(u)) - 1, 2026)
    w("co_author", ["src", "dst", "weight", "first_year", "last_year"],
      ((pid[x], pid[y], float(p), f, lst) for x, y, p, f, lst in
       zip(u.tolist(), v.tolist(), papers.tolist(), first.tolist(), last.tolist())))
