"""Needs (所需, including 揭榜挂帅 challenges) and offers (所能) with Chinese texts from field vocabularies."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from loaders.generator.actors import Actors
from loaders.generator.taxonomy import CHALLENGE_TEMPLATES, NEED_TEMPLATES, OFFER_TEMPLATES
from loaders.generator.world import Fields

EPOCH = date(2016, 1, 1)
LAST_DAY = date(2026, 10, 31)
SPAN_DAYS = (LAST_DAY - EPOCH).days
OFFER_KINDS = ("capability", "achievement", "service")
_OFFER_NAME = {"capability": "研发能力", "achievement": "科技成果", "service": "技术服务"}


def day(d: int) -> date:
    return EPOCH + timedelta(days=int(d))


def terms_of(rng: np.random.Generator, fields: Fields, of: list[int], k: int) -> tuple[str, ...]:
    pool = [t for f in of for t in fields.terms[f]]
    idx = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
    return tuple(pool[i] for i in idx)


def _subset(rng: np.random.Generator, options: list[int], k: int) -> list[int]:
    k = min(k, len(options))
    return [options[i] for i in rng.choice(len(options), size=k, replace=False)]


def build_needs(rng: np.random.Generator, fields: Fields, a: Actors, n: int) -> dict:
    w = a.ent_activity ** 0.8
    ent = rng.choice(len(w), size=n, p=w / w.sum())
    challenge = rng.random(n) < 0.05 + 0.03 * a.ent_tier[ent]  # leading firms post more 揭榜挂帅
    out: dict = {"ent": ent, "fields": [], "terms": [], "kind": [], "name": [], "text": []}
    for i in range(n):
        fs = _subset(rng, a.ent_fields[ent[i]], int(rng.integers(1, 3)))
        terms = terms_of(rng, fields, fs, 3)
        t = dict(zip(("t1", "t2", "t3"), terms + terms))
        templates = CHALLENGE_TEMPLATES if challenge[i] else NEED_TEMPLATES
        out["fields"].append(fs)
        out["terms"].append(terms)
        out["kind"].append("challenge" if challenge[i] else "need")
        out["name"].append(f"{'揭榜挂帅:' if challenge[i] else ''}{terms[0]}技术{'攻关' if challenge[i] else '需求'}")
        out["text"].append(templates[int(rng.integers(len(templates)))].format(**t))
    out["budget"] = np.round(rng.lognormal(np.log(40), 0.9, size=n) * np.where(challenge, 8, 1), 1)
    out["day"] = rng.integers(0, SPAN_DAYS - 60, size=n)
    out["status"] = [("open", "matching", "closed")[i] for i in rng.choice(3, size=n, p=[0.5, 0.3, 0.2])]
    return out


def build_offers(rng: np.random.Generator, fields: Fields, a: Actors, n: int) -> dict:
    by_res = rng.random(n) < 0.85
    rw = a.res_activity / a.res_activity.sum()
    poster = np.where(by_res, rng.choice(len(rw), size=n, p=rw), rng.integers(0, len(a.inst_kind), size=n))
    kinds = [OFFER_KINDS[i] for i in rng.choice(3, size=n, p=[0.45, 0.35, 0.20])]
    out: dict = {"by_researcher": by_res, "poster": poster, "fields": [], "kind": kinds, "name": [], "text": []}
    for i in range(n):
        own = a.res_fields[poster[i]] if by_res[i] else a.inst_fields[poster[i]]
        fs = _subset(rng, own, int(rng.integers(1, 3)))
        terms = terms_of(rng, fields, fs, 3)
        t = dict(zip(("t1", "t2", "t3"), terms + terms))
        templates = OFFER_TEMPLATES[kinds[i]]
        out["fields"].append(fs)
        out["name"].append(f"{terms[0]}{_OFFER_NAME[kinds[i]]}")
        out["text"].append(templates[int(rng.integers(len(templates)))].format(**t))
    out["day"] = rng.integers(0, SPAN_DAYS, size=n)
    return out
