"""The staff team of a grown case history: who covers which cities and level-1 fields, with what capacity,
under which lead; their hidden responsiveness (how fast their cases move, how often they lie idle); their
accounts and profiles; and the assignment rule of graph_service.cases.assign replayed through time.

Cities with enough needs get staff of their own, as many as their volume asks; the small cities of a
province share one member. The busiest city's first member (or the demo's staff account) leads everyone.
"""

from __future__ import annotations

import heapq
import math
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from graph_service.auth.accounts import add_user
from graph_service.cases.assign import fit
from graph_service.stores.base import GraphStore
from graph_service.stores.cases import StaffProfile
from graph_service.stores.records import cli_audit
from loaders.generator.case_market import Market

__all__ = ["DEMO_STAFF", "Assigner", "Member", "plan_team", "save_team"]

DEMO_STAFF = "demo-staff"  # the demo's staff account (graph_service.auth.demo_accounts), given a patch too
CASES_PER_STAFF_YEAR = 30  # needs a year one member follows, when the team is sized by volume
FIELDS_EACH = 3  # level-1 fields per member
# Short ASCII names of the places the generator knows, for user names such as staff-cd-01 (other places
# are named by their region id).
ABBREV = {
    "四川省": "sc", "重庆市": "cq", "北京市": "bj", "上海市": "sh", "浙江省": "zj", "江苏省": "js", "安徽省": "ah",
    "湖南省": "hn", "广东省": "gd", "成都市": "cd", "绵阳市": "my", "德阳市": "dy", "宜宾市": "yb", "泸州市": "lz",
    "南充市": "nc", "乐山市": "ls", "自贡市": "zg", "内江市": "nj", "眉山市": "ms", "遂宁市": "sn", "达州市": "dz",
    "广安市": "ga", "资阳市": "zy", "攀枝花市": "pzh", "雅安市": "ya", "广元市": "gy", "巴中市": "bz",
    "凉山彝族自治州": "lsz", "阿坝藏族羌族自治州": "ab", "甘孜藏族自治州": "gz", "渝中区": "cqyz", "渝北区": "cqyb",
    "江北区": "cqjb", "沙坪坝区": "cqspb", "九龙坡区": "cqjlp", "南岸区": "cqna", "北碚区": "cqbb", "巴南区": "cqbn",
    "永川区": "cqyc", "璧山区": "cqbs", "涪陵区": "cqfl", "万州区": "cqwz", "合川区": "cqhc", "大足区": "cqdz",
    "荣昌区": "cqrc", "潼南区": "cqtn", "海淀区": "bjhd", "朝阳区": "bjcy", "昌平区": "bjcp", "松江区": "shsj",
    "浦东新区": "shpd", "徐汇区": "shxh", "杭州市": "hz", "嘉兴市": "jx", "金华市": "jh", "湖州市": "huz",
    "苏州市": "suz", "南京市": "nkg", "合肥市": "hf", "芜湖市": "wh", "宣城市": "xc", "长沙市": "cs",
    "深圳市": "sz", "广州市": "gzh",
}


@dataclass
class Member:
    profile: StaffProfile
    speed: float  # hidden: multiplies every wait of their cases (below 1: faster than usual)
    stall: float  # hidden: the chance an open case of theirs lies idle for weeks
    convert: float  # hidden: multiplies the chance a case of theirs moves on to the next stage
    province: int = -1  # projection index of the province of their patch (leads are per province)
    new_account: bool = True

    @property
    def username(self) -> str:
        return self.profile.username


@dataclass
class _Patch:
    key: str  # the ASCII name part
    cities: list[int]
    needs: int
    fields: list[int] = field(default_factory=list)  # level-1 fields by the patch's volume


def _hidden(rng: np.random.Generator, quality: float | None = None) -> tuple[float, float, float]:
    """(speed, stall, convert) from one latent quality: good staff are fast, rarely idle and convert more."""
    q = float(rng.normal()) if quality is None else quality
    speed = float(np.clip(math.exp(-0.35 * q + 0.1 * rng.normal()), 0.45, 2.5))
    stall = 1.0 / (1.0 + math.exp(1.5 + 0.9 * q))
    return speed, stall, float(np.clip(1.0 + 0.08 * q, 0.8, 1.2))


def _patches(market: Market, staff_per_city: int | None) -> list[tuple[_Patch, int]]:
    """(patch, how many members) from the busiest down: big cities alone, small ones by province."""
    p = market.p
    per_city: Counter[int] = Counter(int(market.city[n.enterprise]) for n in market.needs)
    per_field: dict[int, Counter[int]] = defaultdict(Counter)
    for n in market.needs:
        for f in n.fields:
            per_field[int(market.city[n.enterprise])][market.top_field.get(f, f)] += 1
    days = (market.needs[-1].posted - market.needs[0].posted).days if market.needs else 0
    years = max(days / 365.25, 1.0)
    top = max(per_city.values(), default=1)

    def members(count: int) -> int:
        if staff_per_city is None:
            return round(count / years / CASES_PER_STAFF_YEAR)
        return round(staff_per_city * count / top)

    out: list[tuple[_Patch, int]] = []
    small: dict[int, list[int]] = defaultdict(list)
    for c, count in sorted(per_city.items(), key=lambda kv: (-kv[1], p.ids[kv[0]] if kv[0] >= 0 else "")):
        if c >= 0 and members(count) >= 1:
            out.append((_Patch(ABBREV.get(p.names[c], p.ids[c].lower()), [c], count), members(count)))
        else:
            small[market.province.get(c, c)].append(c)
    for prov, cities in sorted(small.items(), key=lambda kv: -sum(per_city[c] for c in kv[1])):
        cities = [c for c in cities if c >= 0]
        if cities:
            key = ABBREV.get(p.names[prov], p.ids[prov].lower()) if prov >= 0 else "other"
            out.append((_Patch(key, cities, sum(per_city[c] for c in cities)), 1))
    for patch, _ in out:
        volume = sum((per_field[c] for c in patch.cities), Counter())
        patch.fields = [f for f, _ in sorted(volume.items(), key=lambda kv: (-kv[1], kv[0]))]
    return out


def plan_team(store: GraphStore, market: Market, rng: np.random.Generator,
              staff_per_city: int | None = None) -> list[Member]:
    """The members, with patches, capacities, leads and hidden responsiveness (nothing written yet)."""
    p = market.p
    team: list[Member] = []
    demo = store.get_account(DEMO_STAFF)
    chief = DEMO_STAFF if demo is not None and demo.role == "staff" else None
    names = {a.username for a in store.list_accounts() if a.role != "staff"}  # taken by other roles: skipped
    for patch, count in _patches(market, staff_per_city):
        province = market.province.get(patch.cities[0], -1)
        for j in range(count):
            k, name = 1, ""
            while not name or name in names:  # two places with one abbreviation still get distinct names
                name, k = f"staff-{patch.key}-{k + j:02d}", k + 1
            names.add(name)
            # consecutive blocks of the fields by volume, wrapping round: every field has its members
            fields = dict.fromkeys(patch.fields[(j * FIELDS_EACH + i) % len(patch.fields)]
                                   for i in range(FIELDS_EACH)) if patch.fields else {}
            profile = StaffProfile(name, tuple(p.ids[c] for c in patch.cities), tuple(p.ids[f] for f in fields),
                                   int(rng.integers(30, 51)))
            team.append(Member(profile, *_hidden(rng), province=province))
    if not team:
        return team
    chief = chief or team[0].username
    leads: dict[int, str] = {}
    for m in team:  # the first member of each province leads it; the chief leads the province leads
        leads.setdefault(m.province, m.username)
    for m in team:
        lead: str | None = leads[m.province]
        if lead == m.username:
            lead = chief if chief != m.username else None
        m.profile = StaffProfile(m.username, m.profile.regions, m.profile.fields, m.profile.capacity, lead)
    if chief == DEMO_STAFF:  # the demo's account works the busiest city's two biggest fields, and is quick
        first = team[0].profile
        profile = StaffProfile(DEMO_STAFF, first.regions, first.fields[:2], 30, None)
        team.insert(0, Member(profile, *_hidden(rng, quality=1.0), new_account=False))
    return team


def save_team(store: GraphStore, team: list[Member]) -> int:
    """Accounts (role staff, random passwords: people set their own with `users set-password`) and
    profiles; an account that exists already keeps its password. The number of accounts created."""
    made = 0
    for m in team:
        if m.new_account and store.get_account(m.username) is None:
            add_user(store, m.username, "staff", None, secrets.token_urlsafe(18))
            store.append_audit(cli_audit("users add", m.username, role="staff", case_history=True))
            made += 1
    for m in team:  # profiles after every account: a lead must exist first (set_profile's rule)
        store.put_staff(m.profile)
    return made


class Assigner:
    """choose_assignee's order - best fit (region 2, field 1), then not full, then lightest load for the
    capacity, then name - with each member's load as it stood when the case was opened."""

    def __init__(self, team: list[Member]) -> None:
        self.team = sorted(team, key=lambda m: m.username)
        self._ends: dict[str, list[int]] = {m.username: [] for m in self.team}  # heaps of closing times
        self._fits: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}

    def choose(self, regions: frozenset[str], fields: frozenset[str], at: int) -> Member:
        fits = self._fits.get((regions, fields))
        if fits is None:
            fits = self._fits[regions, fields] = [fit(m.profile, set(regions), set(fields)) for m in self.team]

        best = max(fits)

        def order(k: int) -> tuple:
            m = self.team[k]
            ends = self._ends[m.username]
            while ends and ends[0] <= at:
                heapq.heappop(ends)
            load, cap = len(ends), m.profile.capacity
            return load >= cap, load / max(cap, 1), m.username

        # fit decides first: only the best fitting members' loads are compared
        return self.team[min((k for k, f in enumerate(fits) if f == best), key=order)]

    def hold(self, member: Member, until: int | None) -> None:
        """The member holds the case until `until` (None: still open today)."""
        heapq.heappush(self._ends[member.username], until if until is not None else 1 << 62)
