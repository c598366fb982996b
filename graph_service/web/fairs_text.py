"""The fair pages' words: Chinese names of the files' columns and values, and the fair services' error
messages (written in English for the API and the command line) said in Chinese where we know them; a
message we do not know is shown as it came, never dropped."""

from __future__ import annotations

import re

from pydantic import ValidationError

from graph_service.errors import Conflict, InvalidInput, TechMatchError

PARTS = {"participants": "参会者", "projects": "项目", "requests": "洽谈请求", "locked": "锁定的洽谈",
         "outcomes": "会后成果"}
KINDS = {"enterprise": "企业", "researcher": "科技工作者", "institution": "科研机构", "investor": "投资机构"}
PREFERENCES = {"must": "必见", "meet": "希望见", "no": "不见"}
PROJECT_KINDS = {"need": "需求", "challenge": "揭榜挂帅", "offer": "成果供给", "achievement": "科技成果"}
STATES = {"none": "尚未排程", "running": "排程中", "done": "排程完成", "failed": "排程失败"}
WHAT = {"meeting": "1:1 洽谈", "presenting": "项目路演", "invited": "受邀参加推介会"}
OUTCOMES = {"held": "已洽谈", "intention": "达成意向", "signed": "现场签约", "not_held": "未能洽谈"}
STALE_PARTS = {"participants": "参会者", "projects": "项目", "requests": "洽谈请求", "locked": "锁定的洽谈",
               "event": "活动安排"}
COLUMNS = {
    "id": "编号", "name": "名称", "kind": "类型", "region": "地区", "circles": "经济圈", "small": "小微企业",
    "specialised": "专精特新", "fields": "领域", "available": "可参会时段", "max_meetings": "洽谈上限",
    "node": "图谱节点", "title": "标题", "text": "简介", "presenter": "路演人", "a": "发起方", "b": "对方",
    "preference": "意愿", "status": "状态", "fit": "匹配度", "seq": "顺序", "recommended": "系统推荐",
    "fit_from": "匹配度来源", "slot": "时段", "table": "洽谈桌", "outcome": "成果", "project": "项目",
    "deal_kind": "合作类型", "amount": "金额（万元）", "date": "日期", "note": "备注", "start": "首日",
    "days": "天数", "sessions": "推介会场数", "expected_participants": "预计参会者", "expected_projects": "预计项目",
    "tables": "洽谈桌数", "participant": "参会者", "participants": "参会者", "cancel": "取消的参会者",
    "time_limit": "排程时限",
}
UNMET = {"marked 'no' by the asker": "发起方标记为不见", "pending by the one asked": "对方尚未答复",
         "declined by the one asked": "对方已拒绝", "no slot both are free in": "双方没有共同的空闲时段",
         "meeting limit reached": "已达洽谈上限",
         "tables and slots went to meetings worth more": "洽谈桌和时段已优先安排给价值更高的洽谈"}

_Q = r"'([^']*)'"
_MESSAGES: list[tuple[re.Pattern[str], str]] = [(re.compile(p), t) for p, t in [
    (rf"^unknown participant {_Q}$", "未登记的参会者“{0}”"),
    (rf"^no participant {_Q} in (?:fair \S+|this fair)$", "本科创会没有参会者“{0}”"),
    (rf"^no fair {_Q}$", "没有编号为“{0}”的科创会"),
    (rf"^participant {_Q} cancelled: .*$", "参会者“{0}”已取消参会"),
    (rf"^{_Q} is neither a slot id nor a day of the event$", "“{0}”既不是时段编号，也不是活动日期"),
    (rf"^id {_Q} already used on line (\d+)$", "编号“{0}”已在第 {1} 行使用"),
    (rf"^unknown slot {_Q}$", "没有时段“{0}”"),
    (r"^table (\d+) > the event's (\d+) tables$", "洽谈桌 {0} 超出了本活动的 {1} 张"),
    (r"^more values than columns$", "这一行的值比列多（可能多了逗号）"),
    (r"^not UTF-8 text.*$", "不是 UTF-8 文本：请另存为 UTF-8 编码的 CSV（Excel：“CSV UTF-8”）"),
    (r"^not a readable CSV record.*$", "不是可读的 CSV 记录（引号可能未闭合）"),
    (r"^a value longer than ([\d,]+) characters$", "有一个值超过 {0} 个字符"),
    (r"^Field required$", "缺少必填项"),
    (r"^Extra inputs are not permitted$", "不认识的列：请删除或改为规定的列名"),
    (r"^Input should be greater than or equal to (\S+)$", "须大于或等于 {0}"),
    (r"^Input should be less than or equal to (\S+)$", "须小于或等于 {0}"),
    (r"^Input should be greater than (\S+)$", "须大于 {0}"),
    (r"^Input should be a valid integer.*$", "须为整数"),
    (r"^Input should be a finite number$", "须为有限的数字"),
    (r"^Input should be a valid number.*$", "须为数字"),
    (r"^Input should be a valid boolean.*$", "须为 true 或 false"),
    (r"^Input should be a valid date.*$", "须为日期，如 2026-12-01"),
    (r"^Input should be a valid list.*$", "须为列表（以分号 ; 分隔）"),
    (r"^String should have at most (\d+) characters?$", "最多 {0} 个字符"),
    (r"^String should have at least (\d+) characters?$", "至少 {0} 个字符"),
    (r"^List should have at most (\d+) items.*$", "最多 {0} 项"),
    (r"^String should match pattern .*$", "不能含空格、逗号、分号或斜杠"),
    (r"^Value error, a meeting needs two different participants.*$", "洽谈需要两位不同的参会者"),
    (r"^Value error, (.*)$", "{0}"),
    (r"^letters, digits, '-' and '_', at most 64.*$", "只能用字母、数字、- 和 _，最多 64 个，以字母或数字开头"),
    (rf"^a fair with id {_Q} already exists$", "编号为“{0}”的科创会已存在"),
    (r"^fair \S+ is being planned.*$", "正在排程：请在排程完成后再修改"),
    (r"^fair \S+ is already being planned$", "已在排程中"),
    (r"^fair \S+ has no plan yet.*$", "尚未排程：请先排程"),
    (r"^the plan of fair \S+ no longer fits its layout.*$", "活动安排已改动，原排程不再适用：请重新排程"),
    (r"^already registered: (.*)$", "已登记过：{0}"),
    (r"^the locked meetings break a limit.*$", "锁定的洽谈超出了某项限制：无法全部保留"),
    (r"^no schedule found within the time limit of (\S+) s.*$", "在 {0} 秒的时限内未能排出日程：请放宽时限后重试"),
    (r"^give the first day \(start\) or a whole event$", "请填写首日"),
    (r"^(\S+) and (\S+) had no meeting in the plan.*$",
     "{0} 与 {1} 在排程中没有洽谈：请记为“未能洽谈”（not_held），或在备注中写明实际洽谈的情况"),
    (r"^(\S+) \((\w+)\) is not in the graph.*$", "{0} 不在图谱中：签约的各方须是图谱中的科技工作者、企业或机构"),
    (rf"^{_Q} is not a project presented by (\S+) or (\S+)$", "“{0}”不是 {1} 或 {2} 路演的项目"),
    (r"^already signed as deal (\S+).*$", "已签约（合作 {0}）：如需撤回，请先删除该合作"),
]]


_CHOICES = re.compile(r"^Input should be ((?:'[^']*'(?:, | or )?)+)$")


def say(message: str) -> str:
    """A fair service's message in Chinese when we know it; else as it came."""
    choices = _CHOICES.match(message)
    if choices:
        values = re.findall(r"'([^']*)'", choices.group(1))
        return f"取值须为 {'、'.join(values[:-1])} 或 {values[-1]}" if len(values) > 1 else f"取值须为 {values[0]}"
    for pattern, text in _MESSAGES:
        found = pattern.match(message)
        if found:
            return text.format(*found.groups())
    return message


def column(name: str | None) -> str:
    """A column or field as the file names it, with its Chinese name: "available（可参会时段）"."""
    if not name:
        return ""
    head = name.split(".")[-1]
    return f"{name}（{COLUMNS[head]}）" if head in COLUMNS else name


def problems(e: TechMatchError, given: str | None = None, known_as: str | None = None) -> list[dict]:
    """Rows of an error table for every problem `e` carries (a file's every bad line), the file the service
    called `given` named as the organiser knows it (`known_as`: the uploaded file's name)."""
    rows = [problem(x) for x in (e.every if isinstance(e, InvalidInput) else (e,))]
    for row in rows:
        if known_as and row["file"] == given:
            row["file"] = known_as
    return rows


def refusal_status(e: TechMatchError) -> int:
    """409 when the fair's state refuses (being planned, already there), else 422: what was sent is wrong."""
    return 409 if isinstance(e, Conflict) else 422


def problem(e: TechMatchError, file: str | None = None) -> dict:
    """One row of an error table: file, line, field, reason."""
    return {"file": getattr(e, "file", None) or file or "", "line": getattr(e, "line", None) or "",
            "field": column(getattr(e, "field", None)), "reason": say(getattr(e, "reason", None) or str(e))}


def form_problems(e: ValidationError) -> list[dict]:
    """A form's validation errors as rows: which field (in Chinese), and why."""
    rows = []
    for err in e.errors():
        loc = [str(x) for x in err.get("loc", ()) if not isinstance(x, int)]
        name = loc[-1] if loc else ""
        rows.append({"file": "", "line": "", "field": COLUMNS.get(name, name), "reason": say(str(err.get("msg", "")))})
    return rows
