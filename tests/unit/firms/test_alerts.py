"""Alerts fire once per crossing and re-arm only below their level minus the margin."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from firms.alerts import (
    REARM_MARGIN,
    Action,
    Fired,
    Severity,
    evaluate,
    fired_levels,
    floor_levels,
    floor_reading,
    used,
)

LEVELS = [Decimal("0.5"), Decimal("0.75"), Decimal("0.9")]


def test_fraction_used_is_of_the_anchor_distance() -> None:
    assert used(Decimal(5000), Decimal(1250)) == Decimal("0.75")
    assert used(Decimal(0), Decimal(0)) == 1


def test_levels_carry_graded_responses() -> None:
    levels = floor_levels(list(reversed(LEVELS)))
    assert [(lv.at, lv.action, lv.severity) for lv in levels] == [
        (Decimal("0.5"), Action.REDUCE_SIZE, Severity.INFO),
        (Decimal("0.75"), Action.CLOSE_ONLY, Severity.WARNING),
        (Decimal("0.9"), Action.FLATTEN_NOW, Severity.CRITICAL),
    ]


def test_a_jump_fires_every_level_passed_once() -> None:
    first = evaluate([floor_reading("max_loss", Decimal(10000), Decimal(500), LEVELS)], {})
    assert [c.level.at for c in first.crossings] == LEVELS
    again = evaluate([floor_reading("max_loss", Decimal(10000), Decimal(400), LEVELS)], first.fired)
    assert again.crossings == ()


def test_rearms_below_the_level_minus_the_margin_only() -> None:
    reading = floor_reading("max_loss", Decimal(100), Decimal(40), LEVELS)  # 0.6
    fired = evaluate([reading], {}).fired
    hover = floor_reading("max_loss", Decimal(100), Decimal(52), LEVELS)  # 0.48: within margin
    back = floor_reading("max_loss", Decimal(100), Decimal(49), LEVELS)  # 0.51
    assert evaluate([back], evaluate([hover], fired).fired).crossings == ()
    below = floor_reading("max_loss", Decimal(100), Decimal(56), LEVELS)  # 0.44: re-armed
    fired = evaluate([below], fired).fired
    assert [c.level.at for c in evaluate([back], fired).crossings] == [Decimal("0.5")]


def test_a_new_epoch_rearms_a_daily_floor() -> None:
    day1 = floor_reading("daily_loss", Decimal(100), Decimal(20), LEVELS, epoch="2026-12-01")
    fired = evaluate([day1], {}).fired
    day2 = floor_reading("daily_loss", Decimal(100), Decimal(20), LEVELS, epoch="2026-12-02")
    assert len(evaluate([day2], fired).crossings) == 2


def test_keys_not_read_keep_their_state() -> None:
    kept = {"time:stale_state": Fired("", frozenset({Decimal(1)}))}
    result = evaluate([floor_reading("max_loss", Decimal(100), Decimal(90), LEVELS)], kept)
    assert result.fired["time:stale_state"] == kept["time:stale_state"]


fractions = st.decimals(min_value=Decimal("-0.5"), max_value=Decimal("1.5"), places=3)


@given(st.lists(fractions, min_size=1, max_size=60))
def test_each_level_fires_at_most_once_between_rearms_and_never_below(
    path: list[Decimal],
) -> None:
    fired: dict[str, Fired] = {}
    armed = dict.fromkeys(LEVELS, True)
    for fraction in path:
        left = Decimal(100) - fraction * 100
        result = evaluate([floor_reading("max_loss", Decimal(100), left, LEVELS)], fired)
        fired = result.fired
        for level in LEVELS:
            if fraction < level - REARM_MARGIN:
                armed[level] = True
        crossed = [c.level.at for c in result.crossings]
        assert len(crossed) == len(set(crossed))
        for level in crossed:
            assert fraction >= level  # never fires while below its level
            assert armed[level]  # at most once between re-arms
            armed[level] = False
        for level in LEVELS:
            if fraction >= level and armed[level]:
                raise AssertionError(f"level {level} reached at {fraction} but did not fire")


def test_nothing_fired_means_the_same_in_any_epoch() -> None:
    assert fired_levels(None) == fired_levels(Fired("2026-12-01", frozenset()))
    assert fired_levels(Fired("a", frozenset({Decimal(1)}))) != fired_levels(None)
