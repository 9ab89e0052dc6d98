"""Alerts fire once per crossing and re-arm only below their level minus the margin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accounts.model import HaltKind, TradingState, TradingStatus
from firms.alerts import (
    REARM_MARGIN,
    Acted,
    Action,
    Fired,
    Level,
    Reading,
    Severity,
    act,
    consistency_reading,
    evaluate,
    fired_levels,
    floor_levels,
    floor_reading,
    is_alert_reducing,
    stale_reading,
    target_reading,
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


# The readings, the active levels and what acting does, each with its worked numbers.

NOON = dt.datetime(2026, 6, 2, 12, 0, tzinfo=dt.UTC)


def test_a_floor_reading_names_its_share_and_distances() -> None:
    reading = floor_reading("daily_loss", Decimal(5000), Decimal(1250), LEVELS, epoch="d1")
    assert reading.key == "floor:daily_loss"
    assert reading.fraction == Decimal("0.75")
    assert reading.message == "daily loss floor: 75 % of its 5,000.00 distance used (1,250.00 left)"
    assert reading.epoch == "d1"
    assert reading.detail == {"floor": "daily_loss", "distance_left": "1250"}


def test_more_levels_than_responses_repeat_the_last_response() -> None:
    four = floor_levels([Decimal("0.25"), *LEVELS])
    assert [lv.action for lv in four] == [
        Action.REDUCE_SIZE,
        Action.CLOSE_ONLY,
        Action.FLATTEN_NOW,
        Action.FLATTEN_NOW,
    ]


def test_the_consistency_reading_is_the_share_of_its_cap() -> None:
    reading = consistency_reading(Decimal(40), Decimal(50), Decimal("0.8"))
    assert reading.fraction == Decimal("0.8")
    assert [(lv.at, lv.action) for lv in reading.levels] == [(Decimal("0.8"), Action.REDUCE_SIZE)]
    assert reading.message == "best day is 40.00 % of the profit (cap 50 %)"
    assert consistency_reading(Decimal(40), Decimal(0), Decimal("0.8")).fraction == 0


def test_the_target_reading_fires_at_the_target() -> None:
    reading = target_reading(Decimal(2500), Decimal(10000))
    assert reading.fraction == Decimal("0.25")
    assert reading.levels[0].at == 1
    assert reading.message == "profit target reached: 2,500.00 of 10,000.00"
    assert target_reading(Decimal(2500), Decimal(0)).fraction == 0
    assert evaluate([target_reading(Decimal(10000), Decimal(10000))], {}).crossings
    assert not evaluate([target_reading(Decimal(9999), Decimal(10000))], {}).crossings


def test_a_stale_reading_is_its_age_against_what_is_allowed() -> None:
    reading = stale_reading("time:stale_state", Decimal(1800), Decimal(900), "state")
    assert reading.fraction == 2
    assert reading.message == "state: 30 minutes old"
    assert reading.detail == {"age_seconds": "1800"}
    assert reading.levels[0].at == 1
    assert stale_reading("k", Decimal(5), Decimal(0), "bars").fraction == 1


def test_active_is_the_highest_level_reached_per_reading() -> None:
    readings = [
        floor_reading("daily_loss", Decimal(100), Decimal(20), LEVELS),  # 0.8 used
        floor_reading("max_loss", Decimal(100), Decimal(90), LEVELS),  # 0.1 used
        floor_reading("floating_loss", Decimal(100), Decimal(50), LEVELS),  # exactly 0.5
    ]
    active = evaluate(readings, {}).active(readings)
    assert {key: lv.at for key, lv in active.items()} == {
        "floor:daily_loss": Decimal("0.75"),
        "floor:floating_loss": Decimal("0.5"),
    }


def _level(at: str, action: Action) -> Level:
    return Level(Decimal(at), action, Severity.WARNING)


def test_a_close_only_level_puts_an_active_account_in_reducing() -> None:
    active = {
        "floor:max_loss": _level("0.75", Action.CLOSE_ONLY),
        "floor:daily_loss": _level("0.9", Action.FLATTEN_NOW),
        "floor:floating_loss": _level("0.5", Action.REDUCE_SIZE),
    }
    acted = act(TradingState(), active, NOON)
    assert acted.kind == "alert_reducing"
    assert acted.trading.status is TradingStatus.REDUCING
    assert acted.trading.since == NOON
    assert acted.trading.reason == "alert: floor:daily_loss, floor:max_loss at flatten now"
    assert is_alert_reducing(acted.trading)


def test_a_reduce_size_level_alone_does_not_act() -> None:
    active = {"floor:max_loss": _level("0.5", Action.REDUCE_SIZE)}
    assert act(TradingState(), active, NOON) == Acted(TradingState())


def test_reducing_set_by_an_alert_lifts_once_no_level_acts() -> None:
    reducing = act(TradingState(), {"floor:max_loss": _level("0.75", Action.CLOSE_ONLY)}, NOON)
    later = NOON + dt.timedelta(minutes=5)
    still = act(reducing.trading, {"floor:max_loss": _level("0.75", Action.CLOSE_ONLY)}, later)
    assert still == Acted(reducing.trading)
    lifted = act(reducing.trading, {"floor:max_loss": _level("0.5", Action.REDUCE_SIZE)}, later)
    assert lifted.kind == "alert_lifted"
    assert lifted.trading.status is TradingStatus.ACTIVE
    assert lifted.trading.since == later


def test_a_state_an_alert_did_not_set_is_left_alone() -> None:
    operator = TradingState(status=TradingStatus.REDUCING, reason="operator: news day", since=NOON)
    assert not is_alert_reducing(operator)
    assert act(operator, {}, NOON) == Acted(operator)
    no_reason = TradingState(status=TradingStatus.REDUCING, since=NOON)
    assert not is_alert_reducing(no_reason)
    halted = TradingState(
        status=TradingStatus.HALTED, halt=HaltKind.OPERATOR, reason="alert: by hand", since=NOON
    )
    assert not is_alert_reducing(halted)
    closing = {"floor:max_loss": _level("0.75", Action.CLOSE_ONLY)}
    assert act(halted, closing, NOON) == Acted(halted)
    assert act(operator, closing, NOON) == Acted(operator)


def test_a_fraction_exactly_the_margin_below_does_not_rearm() -> None:
    def at(left: int) -> list[Reading]:
        return [floor_reading("max_loss", Decimal(100), Decimal(left), [Decimal("0.5")])]

    fired = evaluate(at(50), {}).fired  # 0.5 used: fires
    fired = evaluate(at(55), fired).fired  # 0.45: exactly 0.5 − 0.05, still armed-off
    assert not evaluate(at(50), fired).crossings
    fired = evaluate(at(56), fired).fired  # 0.44: re-armed
    assert evaluate(at(50), fired).crossings


def test_a_stale_reading_counts_whole_minutes() -> None:
    assert stale_reading("k", Decimal(3000), Decimal(900), "state").message == (
        "state: 50 minutes old"
    )
