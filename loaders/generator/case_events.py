"""A grown case as records: the case and its log, every event at a time of the working clock, every detail
(clarified need, shortlist, verdicts, introductions) built from the events' own times, the texts in Chinese.

The clock counts working minutes (09:00-18:00 Beijing: WORK minutes from 01:00 UTC make a day), so that a
case's events are strictly increasing by construction: each lies on its own minute between two moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from graph_service.cases.partners import DECLINE_REASONS, VERDICTS
from graph_service.cases.stages import CLOSE_REASONS, LABELS, ORDER, Stage
from graph_service.stores.cases import CaseEvent, CaseRecord
from loaders.generator.case_market import Market, NeedInfo
from loaders.generator.case_partners import REFUSALS, Pick
from loaders.generator.case_staff import Member

__all__ = ["WORK", "Life", "Writer", "day_of", "minute_of"]

WORK = 540  # working minutes a day, from 01:00 UTC
CLOSE_NOTES = {"no_partner": "候选专家均未能对接，暂无合适合作方", "withdrawn": "企业表示暂缓该需求",
               "solved_elsewhere": "企业已通过其他渠道解决", "budget": "企业预算未获批准",
               "no_response": "多次联系企业未获回复", "duplicate": "与企业另一条需求合并跟进",
               "other": "企业内部调整，需求搁置"}
LOGS = (  # what staff log while a case waits at each stage
    (("call", "电话联系企业，了解需求背景"), ("call", "与企业技术负责人沟通需求细节"),
     ("note", "企业补充了现有工艺和设备情况"), ("document", "收到企业提供的需求说明材料")),
    (("note", "根据推荐结果初筛候选专家"), ("call", "电话确认企业对合作方式的偏好"),
     ("document", "整理需求摘要，准备推荐")),
    (("call", "电话征询候选专家意向"), ("note", "企业正在评估候选名单"),
     ("call", "回访企业，收集对候选的意见")),
    (("call", "协调双方时间，安排首次洽谈"), ("document", "向双方发送对接说明与保密提示"),
     ("note", "双方已互换联系方式")),
    (("meeting", "陪同企业到专家团队实地考察"), ("document", "收到专家团队的技术方案"),
     ("meeting", "组织双方第二轮技术交流"), ("note", "企业内部评审技术方案")),
    (("document", "合同草案已发双方审阅"), ("call", "协调知识产权归属条款"), ("meeting", "组织商务谈判会"),
     ("note", "企业法务审核合同条款")),
)
NEXT = ("电话联系企业澄清需求", "从推荐结果中选定候选专家", "跟进候选专家的引荐答复", "安排双方首次洽谈",
        "跟进洽谈纪要并推动技术方案", "推动合同条款谈定")
CONSTRAINTS = ("希望六个月内完成样机验证", "优先考虑成渝地区团队", "需签订保密协议", "要求具备中试条件", "")
SECRETS = ("预算金额", "现有工艺参数", "客户与供应商信息", "产品配方")


@dataclass
class Life:
    """One case before it becomes records: the time each stage was reached, how it ended, its partners."""
    need: NeedInfo
    member: Member
    times: list[int]  # working minute each stage of ORDER was reached, in order
    closed: tuple[int, str] | None = None  # (when, reason)
    last: int = 0  # an open case's last activity
    picks: list[Pick] = field(default_factory=list)
    asked: list[int] = field(default_factory=list)
    agrees: dict[int, bool] = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.closed[0] if self.closed else self.times[-1] if self.signed else self.last

    @property
    def signed(self) -> bool:
        return len(self.times) == len(ORDER)


def minute_of(day: date, minute: int) -> int:
    return day.toordinal() * WORK + minute


def day_of(t: int) -> date:
    return date.fromordinal(t // WORK)


@lru_cache(maxsize=8192)
def _date_text(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _iso(t: int) -> str:
    """The time as UTC ISO text like records.now() writes it (01:00 UTC + the working minute)."""
    minute = t % WORK + 60
    return f"{_date_text(t // WORK)}T{minute // 60:02d}:{minute % 60:02d}:00.000000+00:00"


def _slots(rng: np.random.Generator, lo: int, hi: int, n: int) -> list[int]:
    """n distinct working minutes strictly between lo and hi, in order (fewer when there is no room)."""
    room = hi - lo - 1
    n = max(0, min(n, room))
    if n == 0:
        return []
    if room <= 4 * n:
        return sorted(int(x) for x in rng.choice(np.arange(lo + 1, hi), size=n, replace=False))
    found: set[int] = set()
    while len(found) < n:
        found.update(int(x) for x in rng.integers(lo + 1, hi, size=n - len(found)))
    return sorted(found)


class Writer:
    """A life as a CaseRecord and its events: details are built from the events' own times."""

    def __init__(self, life: Life, market: Market, rng: np.random.Generator) -> None:
        self.life, self.rng, self.market = life, rng, market
        self.ids, self.names = market.p.ids, market.p.names
        self.events: list[tuple[int, str, str, dict]] = []
        self.next_action: tuple[str | None, str | None] = (None, None)

    def add(self, t: int, kind: str, text: str, detail: dict | None = None) -> None:
        self.events.append((t, kind, text, detail or {}))

    def gap(self, lo: int, hi: int, stage: int, structural: list[tuple[str, str, dict]]) -> None:
        """The structural events (in their order) between two moves, and logs of the stage among them: about
        one a week, at most four."""
        n_logs = min(4, int((hi - lo) / WORK / 7) + int(self.rng.random() < 0.5))
        slots = _slots(self.rng, lo, hi, len(structural) + n_logs)
        n_logs = len(slots) - len(structural)
        logs = set(self.rng.permutation(len(slots))[:n_logs].tolist()) if n_logs > 0 else set()
        queue = iter(structural)
        for k, t in enumerate(slots):
            if k in logs:
                kind, text = LOGS[min(stage, 5)][int(self.rng.integers(len(LOGS[min(stage, 5)])))]
                self.add(t, kind, text)
            else:
                kind, text, detail = next(queue)
                self.add(t, kind, text, detail)

    def move(self, t: int, frm: int, to: int, extra: dict | None = None) -> None:
        self.add(t, "stage", f"{LABELS[ORDER[frm]]} → {LABELS[ORDER[to]]}",
                 {"from": ORDER[frm].value, "to": ORDER[to].value, **(extra or {})})

    def partner_events(self, upto: int | None = None) -> tuple[list, list]:
        """(events before the stage `introduced` - verdicts, asks, refusals, the first agreement - and later
        agreements); `upto` verdicts only, for a case still waiting for them."""
        life, by = self.life, self.life.member.username
        picks = life.picks if upto is None else life.picks[:upto]
        before = [("feedback", f"{VERDICTS[p.verdict]}候选 {self.ids[p.researcher]}"
                   + (f"：{DECLINE_REASONS[p.reason]}" if p.reason else ""),
                   {"researcher": self.ids[p.researcher], "verdict": p.verdict, "reason": p.reason, "note": p.note,
                    "by": by}) for p in picks]
        given = {p.researcher for p in picks}
        asked = [r for r in life.asked if r in given]
        if upto is not None:
            asked = [r for r in asked if self.rng.random() < 0.5]
        before += [("introduce", f"向 {self.ids[r]} 发出引荐邀请", {"researcher": self.ids[r]}) for r in asked]
        answers = [] if upto is not None else sorted(asked, key=lambda r: life.agrees[r])
        first = next((k for k, r in enumerate(answers) if life.agrees[r]), len(answers))
        said = [("introduction", f"{self.ids[r]} {'同意' if life.agrees[r] else '谢绝'}对接",
                 {"researcher": self.ids[r], "agree": life.agrees[r],
                  "reason": "" if life.agrees[r] else REFUSALS[int(self.rng.integers(len(REFUSALS)))]})
                for r in answers]
        return before + said[:first + 1], said[first + 1:]

    def write(self) -> tuple[CaseRecord, list[CaseEvent]]:
        life, rng, need = self.life, self.rng, self.life.need
        times, last_stage = life.times, len(life.times) - 1
        self.add(times[0], "stage", "案件已建立", {"to": Stage.NEW.value, "assignee": life.member.username})
        clarified = {"problem": need.text or need.name, "constraints": CONSTRAINTS[int(rng.integers(len(CONSTRAINTS)))],
                     "budget": need.budget if rng.random() < 0.85 else None,
                     "confidential": sorted(str(x) for x in rng.choice(SECRETS, size=int(rng.integers(0, 3)),
                                                                       replace=False))}
        later: list = []
        for k in range(last_stage):  # the gaps between two moves
            if k == 0:
                structural = [("clarify", "需求已澄清", {"confidential": clarified["confidential"]})]
            elif k == 1:
                structural = [("shortlist", f"选定 {len(life.picks)} 位候选合作者",
                               {"researchers": [self.ids[p.researcher] for p in life.picks]})]
            elif k == 2:
                structural, later = self.partner_events()
            else:
                structural = later + [[("meeting", f"组织企业与{self._partner_name()}首次洽谈", {})],
                                      [("document", "收到专家团队报价与实施方案", {})],
                                      [("document", "合同文本定稿，双方签字", {})]][k - 3]
                later = []
            self.gap(times[k], times[k + 1], k, structural)
            extra = {"deals": sorted(self.ids[d] for d in need.deals)} if k + 1 == 6 else None
            self.move(times[k + 1], k, k + 1, extra)
        self._tail(later)
        return self._record(clarified)

    def _partner_name(self) -> str:
        agreed = [r for r in self.life.asked if self.life.agrees.get(r)]
        return self.names[agreed[0]] if agreed else "候选专家"

    def _tail(self, later: list) -> None:
        """After the last move: waiting (open), or the close; an open case's next action is its last event."""
        life, rng, stage = self.life, self.rng, len(self.life.times) - 1
        if life.signed:
            return
        structural = list(later)
        if stage == 2 and life.closed:
            structural = self.partner_events()[0]
        elif stage == 2:
            structural = self.partner_events(upto=int(rng.integers(0, len(life.picks) + 1)))[0]
        if life.closed:
            when, reason = life.closed
            self.gap(life.times[-1], when, stage, [*structural, ("note", CLOSE_NOTES[reason], {})])
            extra = {"close_reason": reason, **({"reason": CLOSE_NOTES[reason]} if reason == "other" else {})}
            self.add(when, "stage", f"{LABELS[ORDER[stage]]} → {LABELS[Stage.CLOSED]}（{CLOSE_REASONS[reason]}）",
                     {"from": ORDER[stage].value, "to": Stage.CLOSED.value, **extra})
            return
        if life.last > life.times[-1]:
            self.gap(life.times[-1], life.last, stage, structural)
            if rng.random() < 0.7:
                due = day_of(life.last) + timedelta(days=int(rng.integers(3, 22)))
                self.next_action = (NEXT[stage], due.isoformat())
                self.add(life.last, "action", f"下一步：{NEXT[stage]}（{due.isoformat()} 前）")
            else:
                kind, text = LOGS[stage][int(rng.integers(len(LOGS[stage])))]
                self.add(life.last, kind, text)

    def _record(self, clarified: dict) -> tuple[CaseRecord, list[CaseEvent]]:
        life, need = self.life, self.life.need
        case_id, actor = f"case-{need.id}", life.member.username
        events = [CaseEvent(case_id, kind, actor, text, detail, at=_iso(t)) for t, kind, text, detail in self.events]
        detail: dict = {}
        reached: dict[str, str] = {}
        for e in events:
            kind, d = e.kind, e.detail
            if kind == "stage":
                reached.setdefault(d["to"], e.at)
            elif kind == "clarify":
                detail["clarified"] = clarified
            elif kind == "shortlist":
                detail["shortlist"] = [{"id": self.ids[p.researcher], "score": p.score, "reasons": p.reasons,
                                        "words": p.words, "by_staff": p.score is None} for p in life.picks]
            elif kind == "feedback":
                answer = {k: v for k, v in d.items() if k != "researcher"}
                detail.setdefault("feedback", {})[d["researcher"]] = answer | {"at": e.at}
            elif kind == "introduce":
                detail.setdefault("introductions", {})[d["researcher"]] = {"asked": e.at, "answer": None}
            elif kind == "introduction":
                detail["introductions"][d["researcher"]] |= {"answer": "agree" if d["agree"] else "decline",
                                                             "reason": d["reason"], "at": e.at}
        if life.signed:
            dates = self.market.deal_date
            detail["deal"] = self.ids[min((d for d in need.deals if d in dates), key=lambda d: (dates[d], d))]
        stage = Stage.CLOSED.value if life.closed else ORDER[len(life.times) - 1].value
        action, due = self.next_action
        record = CaseRecord(case_id, need.id, self.ids[need.enterprise], stage, actor, events[0].at, events[-1].at,
                            action, due, life.closed[1] if life.closed else None, detail, need.posted.isoformat(),
                            reached, tuple(detail.get("introductions", {})), events[-1].at)
        return record, events
