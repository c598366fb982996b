"""Whether a need is still open: its stored status read against its deadline and today's date.

Every place that offers or shows a need asks `need_state`, so a need past its deadline is never offered
as open anywhere and is labelled the same way everywhere.

>>> need_state({"status": "open", "deadline": "2020-12-28"}, today=date(2026, 1, 1)).effective
'expired'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from graph_service.models import Need
from graph_service.schema import Label
from graph_service.stores.base import GraphReader

__all__ = ["LABELS", "OPEN", "NeedState", "day", "need_state", "status_moves", "today"]

OPEN = ("open", "matching")  # stored statuses under which a need is offered, until its deadline passes
LABELS = {"open": "开放中", "matching": "对接中", "signed": "已签约", "closed": "已关闭", "expired": "已过期"}
clock: Callable[[], date] = date.today  # the day comes from here; tests pin it


def today() -> date:
    return clock()


@dataclass(frozen=True)
class NeedState:
    status: str  # as stored: open, matching, signed or closed
    effective: str  # the stored status, or expired when an open or matching need's deadline has passed
    deadline: date | None

    @property
    def label(self) -> str:
        return LABELS.get(self.effective, self.effective)

    @property
    def offered(self) -> bool:
        return self.effective in OPEN


def need_state(props: Mapping[str, object], today: date | None = None) -> NeedState:
    """A need's status as of `today` (default: the clock). The deadline day itself is still open."""
    status = str(props.get("status") or "open")  # the Need model's default
    deadline = day(props.get("deadline"))
    now = today or clock()
    expired = status in OPEN and deadline is not None and deadline < now
    return NeedState(status, "expired" if expired else status, deadline)


def day(value: object) -> date | None:
    """Stores keep dates as ISO text; a driver may hand back its own date type. Unreadable: no deadline."""
    if hasattr(value, "to_native"):  # neo4j.time.Date / DateTime
        value = value.to_native()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def status_moves(store: GraphReader, status: dict[str, str]) -> list[tuple[Label, Need]]:
    """The needs whose stored status moves forward to the one given (open -> matching -> signed; never
    back), as nodes to write."""
    order = ["open", "matching", "signed", "closed"]
    found = store.get_nodes(list(status))
    out: list[tuple[Label, Need]] = []
    for need_id, new in status.items():
        node = found.get(need_id)
        if node is None or node.label != Label.NEED:
            continue
        old = node.props.get("status", "open")
        if order.index(new) > order.index(old):
            props = {k: v for k, v in node.props.items() if k != "name"}
            out.append((Label.NEED, Need.model_validate({**props, "id": need_id, "name": node.props["name"],
                                                         "status": new})))
    return out
