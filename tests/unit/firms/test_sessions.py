"""Trading calendars as values: the FX week, weekend closes, holidays and early closes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from firms.sessions import (
    Calendar,
    Session,
    closed_reason,
    fx_24_5,
    is_holiday,
    is_open,
    market_name,
    next_close,
    next_open,
    weekend_close,
)
from tests.builders import utc


def test_the_fx_week_follows_new_york_across_the_dst_change() -> None:
    # Sunday 2026-03-01 17:00 EST = 22:00 UTC opens the week; Friday 2026-03-06 17:00 EST =
    # 22:00 UTC closes it; the next week opens Sunday 2026-03-08 17:00 EDT = 21:00 UTC.
    week = fx_24_5(utc(2026, 3, 2), utc(2026, 3, 12))
    assert [(s.open, s.close) for s in week.sessions] == [
        (utc(2026, 3, 1, 22), utc(2026, 3, 6, 22)),
        (utc(2026, 3, 8, 21), utc(2026, 3, 13, 21)),
    ]
    assert is_open(week, utc(2026, 3, 6, 21, 59))
    assert not is_open(week, utc(2026, 3, 6, 22))
    assert next_open(week, utc(2026, 3, 7)) == utc(2026, 3, 8, 21)
    assert next_close(week, utc(2026, 3, 9)) == utc(2026, 3, 13, 21)


def test_a_weekend_close_is_a_close_followed_by_a_long_break() -> None:
    # Two sessions a day apart by a one-hour break (not a weekend) then a 49-hour weekend.
    calendar = Calendar(
        name="test",
        zone="America/Chicago",
        start=utc(2026, 3, 1),
        end=utc(2026, 3, 10),
        sessions=(
            Session(open=utc(2026, 3, 4, 23), close=utc(2026, 3, 5, 22)),
            Session(open=utc(2026, 3, 5, 23), close=utc(2026, 3, 6, 22)),
            Session(open=utc(2026, 3, 8, 22), close=utc(2026, 3, 9, 21)),
        ),
    )
    assert weekend_close(calendar, utc(2026, 3, 5, 12)) == (
        utc(2026, 3, 6, 22),
        utc(2026, 3, 8, 22),
    )
    # Past the last known session the break is unknown: counted long when the calendar
    # reaches at least two hours past that close (here 2026-03-10 00:00 vs 03-09 21:00).
    assert weekend_close(calendar, utc(2026, 3, 9, 12)) == (utc(2026, 3, 9, 21), None)


def test_a_weekday_without_a_session_is_a_holiday_and_says_so() -> None:
    # Thursday 2026-11-26 (Thanksgiving): no session trades that day.
    calendar = Calendar(
        name="cme_agriculture",
        zone="America/Chicago",
        start=utc(2026, 11, 24),
        end=utc(2026, 11, 29),
        sessions=(
            Session(open=utc(2026, 11, 25, 1), close=utc(2026, 11, 25, 19, 20)),
            Session(open=utc(2026, 11, 27, 1), close=utc(2026, 11, 27, 18), early_close=True),
        ),
    )
    thursday = utc(2026, 11, 26, 16)
    assert is_holiday(calendar, thursday)
    assert not is_holiday(calendar, utc(2026, 11, 25, 20))  # after Wednesday's close
    assert closed_reason(calendar, thursday) == (
        "the CME agricultural futures market is closed for a holiday on Thursday 2026-11-26;"
        " it reopens 2026-11-26 19:00 America/Chicago"
    )
    assert closed_reason(calendar, utc(2026, 11, 27, 18, 30)) == (
        "the CME agricultural futures market closed early at 2026-11-27 12:00 America/Chicago"
        " (holiday hours)"
    )


def test_a_closed_market_says_whether_it_is_the_weekend_or_the_daily_break() -> None:
    # CME equity futures, CST (UTC−6): Friday 2026-12-04 closes 16:00 CT (22:00 UTC); the week
    # opens Sunday 17:00 CT (23:00 UTC); Monday closes 16:00 CT and reopens 17:00 CT, a
    # one-hour break (≤ 2 hours: a daily break, not a weekend).
    calendar = Calendar(
        name="cme_equity",
        zone="America/Chicago",
        start=utc(2026, 12, 3),
        end=utc(2026, 12, 9),
        sessions=(
            Session(open=utc(2026, 12, 3, 23), close=utc(2026, 12, 4, 22)),
            Session(open=utc(2026, 12, 6, 23), close=utc(2026, 12, 7, 22)),
            Session(open=utc(2026, 12, 7, 23), close=utc(2026, 12, 8, 22)),
        ),
    )
    assert closed_reason(calendar, utc(2026, 12, 5, 12)) == (
        "the CME equity futures market is closed for the weekend since 2026-12-04 16:00"
        " America/Chicago; it reopens 2026-12-06 17:00 America/Chicago"
    )
    assert closed_reason(calendar, utc(2026, 12, 7, 22, 5)) == (
        "the CME equity futures market is closed for its daily break since 2026-12-07 16:00"
        " America/Chicago; it reopens 2026-12-07 17:00 America/Chicago"
    )
    assert market_name("user_calendar") == "the user_calendar market"  # a user's own calendar


def test_sessions_must_be_ordered_and_open_before_they_close() -> None:
    with pytest.raises(ValidationError, match="closes after it opens"):
        Session(open=utc(2026, 1, 2), close=utc(2026, 1, 1))
    with pytest.raises(ValidationError, match="overlap"):
        Calendar(
            name="x",
            zone="UTC",
            start=utc(2026, 1, 1),
            end=utc(2026, 1, 9),
            sessions=(
                Session(open=utc(2026, 1, 2), close=utc(2026, 1, 4)),
                Session(open=utc(2026, 1, 3), close=utc(2026, 1, 5)),
            ),
        )


@given(st.integers(min_value=0, max_value=2 * 366 * 24 * 60))
def test_the_fx_week_is_open_exactly_from_sunday_to_friday_17_00_new_york(minutes: int) -> None:
    """Invariant: open iff the New York wall clock is not between Friday 17:00 and Sunday
    17:00."""
    now = utc(2026, 1, 1) + dt.timedelta(minutes=minutes)
    week = fx_24_5(now - dt.timedelta(days=8), now + dt.timedelta(days=8))
    local = now.astimezone(ZoneInfo("America/New_York"))
    minute_of_week = ((local.weekday() + 1) % 7) * 1440 + local.hour * 60 + local.minute
    # Sunday 00:00 is 0; Sunday 17:00 is 1020; Friday 17:00 is 5 × 1440 + 1020 = 8220.
    assert is_open(week, now) == (1020 <= minute_of_week < 8220)
