"""The stage rules, every pair of stages."""

from __future__ import annotations

import itertools

import pytest

from graph_service.cases.stages import CLOSE_REASONS, ORDER, Stage, check_move, rank
from graph_service.errors import InvalidInput


def _refused(current: Stage, target: Stage, **kw: str | None) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        check_move(current, target, **kw)  # type: ignore[arg-type]
    return err.value


def test_forward_is_free_and_may_skip_but_signing_needs_negotiation() -> None:
    for a, b in itertools.combinations(ORDER[:-1], 2):  # every forward move short of signing
        check_move(a, b)
    check_move(Stage.NEGOTIATING, Stage.SIGNED)
    for stage in ORDER[:-2]:
        assert "商务谈判" in str(_refused(stage, Stage.SIGNED))


def test_back_only_with_a_reason() -> None:
    for a, b in itertools.combinations(ORDER[:-1], 2):
        err = _refused(b, a)
        assert err.field == "reason" and "须写明原因" in err.reason
        check_move(b, a, reason="企业补充了新的技术指标")
    assert _refused(Stage.MEETING, Stage.NEW, reason="   ").field == "reason"  # blank is no reason


def test_closing_needs_a_listed_reason_and_reopening_a_reason() -> None:
    for stage in ORDER[:-1]:
        assert _refused(stage, Stage.CLOSED).field == "close_reason"
        assert _refused(stage, Stage.CLOSED, close_reason="bored").field == "close_reason"
        check_move(stage, Stage.CLOSED, close_reason="no_response")
    assert _refused(Stage.NEW, Stage.CLOSED, close_reason="other").field == "reason"
    check_move(Stage.NEW, Stage.CLOSED, reason="企业已被并购", close_reason="other")
    assert "重新打开" in _refused(Stage.CLOSED, Stage.CLARIFIED).reason
    check_move(Stage.CLOSED, Stage.CLARIFIED, reason="企业重新提出需求")
    assert _refused(Stage.NEW, Stage.CLARIFIED, close_reason="budget").field == "close_reason"


def test_nothing_moves_a_signed_case_and_no_move_stays_put() -> None:
    for stage in Stage:
        assert _refused(stage, stage).field == "stage"
        if stage != Stage.SIGNED:
            assert _refused(Stage.SIGNED, stage, reason="x", close_reason="budget" if stage == Stage.CLOSED
                            else None).field == "stage"
    assert rank(Stage.CLOSED) > rank(Stage.SIGNED) and len(CLOSE_REASONS) >= 5
