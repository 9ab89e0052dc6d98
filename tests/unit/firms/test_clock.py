from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from firms.clock import WallClock
from tests.builders import utc

PRAGUE = WallClock(time=dt.time(0, 0), zone="Europe/Prague")
CHICAGO = WallClock(time=dt.time(17, 0), zone="America/Chicago")


def test_ftmo_resets_move_with_central_european_summer_time() -> None:
    # Summer time starts in Prague on 2026-03-29.
    assert PRAGUE.instant_on(dt.date(2026, 3, 28)) == utc(2026, 3, 27, 23)
    assert PRAGUE.instant_on(dt.date(2026, 3, 29)) == utc(2026, 3, 28, 23)
    assert PRAGUE.instant_on(dt.date(2026, 3, 30)) == utc(2026, 3, 29, 22)
    assert PRAGUE.next(utc(2026, 3, 29, 12)) == utc(2026, 3, 29, 22)
    assert PRAGUE.last(utc(2026, 3, 29, 12)) == utc(2026, 3, 28, 23)


def test_topstep_resets_move_with_us_daylight_saving() -> None:
    # US daylight saving starts on 2026-03-08.
    assert CHICAGO.instant_on(dt.date(2026, 3, 6)) == utc(2026, 3, 6, 23)
    assert CHICAGO.instant_on(dt.date(2026, 3, 7)) == utc(2026, 3, 7, 23)
    assert CHICAGO.instant_on(dt.date(2026, 3, 8)) == utc(2026, 3, 8, 22)
    assert list(CHICAGO.between(utc(2026, 3, 6, 12), utc(2026, 3, 9, 12))) == [
        utc(2026, 3, 6, 23),
        utc(2026, 3, 7, 23),
        utc(2026, 3, 8, 22),
    ]


@pytest.mark.parametrize(
    "clock",
    [
        PRAGUE,
        CHICAGO,
        WallClock.parse("02:30 Europe/Prague"),
        WallClock.parse("01:30 America/New_York"),
    ],
)
@given(start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)))
def test_each_local_day_has_exactly_one_reset(clock: WallClock, start: dt.date) -> None:
    begin = dt.datetime.combine(start, dt.time(0), tzinfo=clock.tz)
    end = begin + dt.timedelta(days=3)
    resets = list(clock.between(begin.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    local_days = [instant.astimezone(clock.tz).date() for instant in resets]
    assert len(local_days) == len(set(local_days))
    assert set(local_days) >= {start + dt.timedelta(days=1), start + dt.timedelta(days=2)}
    for earlier, later in itertools.pairwise(resets):
        assert dt.timedelta(hours=22) <= later - earlier <= dt.timedelta(hours=26)


@given(
    now=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2035, 1, 1),
        timezones=st.just(dt.UTC),
    )
)
def test_last_and_next_bracket_now(now: dt.datetime) -> None:
    for clock in (PRAGUE, CHICAGO):
        assert clock.last(now) <= now < clock.next(now)
        assert clock.next(clock.last(now)) == clock.next(now)


def test_trading_day_labels() -> None:
    # Midnight reset: the day is named by its own date.
    assert PRAGUE.trading_day(utc(2026, 6, 2, 21, 59)) == dt.date(2026, 6, 2)
    assert PRAGUE.trading_day(utc(2026, 6, 2, 22, 0)) == dt.date(2026, 6, 3)
    # Evening reset: Sunday 17:00 CT opens Monday's session.
    assert CHICAGO.trading_day(utc(2026, 6, 7, 22, 30)) == dt.date(2026, 6, 8)
    assert CHICAGO.trading_day(utc(2026, 6, 8, 20, 0)) == dt.date(2026, 6, 8)


def test_unknown_zone_and_naive_now_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        WallClock(time=dt.time(0), zone="Mars/Olympus")
    with pytest.raises(ValueError, match="timezone-aware"):
        PRAGUE.next(dt.datetime(2026, 1, 1))


def test_a_reset_at_noon_names_the_day_after_it_and_one_before_noon_its_own() -> None:
    noon = WallClock.parse("12:00 Europe/London")
    morning = WallClock.parse("11:59 Europe/London")
    # 12:00 London on 2026-06-02 is 11:00 UTC (summer time).
    assert noon.trading_day(utc(2026, 6, 2, 11)) == dt.date(2026, 6, 3)
    assert noon.trading_day(utc(2026, 6, 2, 10, 59)) == dt.date(2026, 6, 2)
    assert morning.trading_day(utc(2026, 6, 2, 11)) == dt.date(2026, 6, 2)


def test_last_and_next_at_the_exact_reset_instant() -> None:
    reset = utc(2026, 6, 2, 22)  # midnight in Prague, summer time
    assert PRAGUE.last(reset) == reset
    assert PRAGUE.next(reset) == utc(2026, 6, 3, 22)
    assert list(PRAGUE.between(reset - dt.timedelta(days=1), reset)) == [reset]


class _NoOffset(dt.tzinfo):
    """A time zone that does not know its offset: a time in it is not aware."""

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, when: dt.datetime | None) -> str | None:
        return None


def test_a_time_with_a_zone_but_no_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PRAGUE.last(dt.datetime(2026, 1, 1, tzinfo=_NoOffset()))


def test_a_wall_clock_is_a_value_that_cannot_change_in_place() -> None:
    # The catalog's rule sets share their clocks: changing one in place would move every
    # account's reset.
    with pytest.raises(ValidationError, match="frozen"):
        PRAGUE.time = dt.time(1, 0)  # type: ignore[misc]
    assert hash(WallClock.parse("00:00 Europe/Prague")) == hash(PRAGUE)
    assert {PRAGUE: "ftmo"}[WallClock.parse("00:00 Europe/Prague")] == "ftmo"
