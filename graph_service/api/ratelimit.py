"""Rate limits per caller on expensive routes: 429 with Retry-After past the limit.

    @router.post("/plan", dependencies=[rate_limit("expensive")])

The caller is the signed-in account, else the client address (behind a proxy, run uvicorn with
--proxy-headers so that it is the user's and not the proxy's). Limits come from the settings
(`rate_expensive`, `rate_recommend`, in the `limits` notation: "30/minute").

Counts are kept in the memory of each worker process (one moving window per caller and kind): with
N workers a caller may make up to N times the limit. Counts are per app (`app.state.rate_limiter`),
so apps in one process (tests) do not share them.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.params import Depends as DependsParam
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from graph_service.api.deps import current_actor
from graph_service.api.guards import settings_of
from graph_service.auth.actor import Actor

Kind = Literal["expensive", "recommend", "sign_in"]
_SETTING: dict[str, str] = {"expensive": "rate_expensive", "recommend": "rate_recommend", "sign_in": "rate_sign_in"}
_UNITS = {"second": "秒", "minute": "分钟", "hour": "小时", "day": "天", "month": "月", "year": "年"}


class RateLimiter:
    """Moving windows in this process's memory."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, kind: str, limit: str, caller: str) -> int | None:
        """Counts one request; None when allowed, else the seconds until the caller may ask again."""
        item = _parse(limit)
        if self._limiter.hit(item, kind, caller):
            return None
        reset = self._limiter.get_window_stats(item, kind, caller).reset_time
        return max(1, math.ceil(reset - time.time()))


def limiter_of(app: object) -> RateLimiter:
    state = app.state  # type: ignore[attr-defined]
    limiter = getattr(state, "rate_limiter", None)
    if limiter is None:  # no await between the look-up and the set: one per app
        limiter = state.rate_limiter = RateLimiter()
    return limiter


def rate_limit(kind: Kind) -> DependsParam:
    """The dependency a route declares, as `dependencies=[rate_limit("expensive")]` (it is already a
    Depends). It asks for the caller itself, so it needs no order among the route's dependencies."""
    setting = _SETTING[kind]

    async def check(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> None:
        limit = getattr(settings_of(request.app), setting)
        # sign-in attempts count per address whatever token comes along: a token must not buy more guesses
        by_account = actor.username and kind != "sign_in"
        caller = f"account:{actor.username}" if by_account else f"address:{_address(request)}"
        wait = limiter_of(request.app).hit(kind, limit, caller)
        if wait is not None:
            raise HTTPException(429, f"请求过于频繁：{_describe(_parse(limit))}，请 {wait} 秒后再试",
                                headers={"Retry-After": str(wait)})

    check.rate_limit = kind  # type: ignore[attr-defined]  # lets tests and docs find the limited routes
    return Depends(check)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@lru_cache(maxsize=32)
def _parse(limit: str) -> RateLimitItem:
    return parse(limit)


def _describe(item: RateLimitItem) -> str:
    unit = _UNITS.get(item.GRANULARITY.name, item.GRANULARITY.name)
    per = f" {item.multiples} {unit}" if item.multiples > 1 else unit
    return f"每{per}最多 {item.amount} 次"
