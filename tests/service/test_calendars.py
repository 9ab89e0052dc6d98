"""The calendar adapter: the shipped CME sessions are the calendar library's, and a year not
shipped is read from the library."""

from __future__ import annotations

import pytest

from aria import calendars
from tests.builders import utc


def test_the_shipped_sessions_are_what_the_library_gives() -> None:
    # 2026 for the equity group: 252 CME trading days with their early closes, e.g. the day
    # after Thanksgiving closing at 12:00 CST (18:00 UTC).
    zone, rows = calendars._library_rows("cme_equity", 2026)
    assert calendars._year("cme_equity", 2026) == (zone, tuple(rows))
    black_friday = [r for r in rows if calendars._instant(r[1]) == utc(2026, 11, 27, 18)]
    assert [r[2] for r in black_friday] == [1]


def test_a_year_not_shipped_comes_from_the_library() -> None:
    found = calendars.calendar("cme_equity", utc(2031, 3, 3), utc(2031, 3, 5))
    # Monday 2031-03-03 closes 16:00 CST = 22:00 UTC; Tuesday's session opens 17:00 CST.
    assert [(s.open, s.close) for s in found.sessions] == [
        (utc(2031, 3, 2, 23), utc(2031, 3, 3, 22)),
        (utc(2031, 3, 3, 23), utc(2031, 3, 4, 22)),
        (utc(2031, 3, 4, 23), utc(2031, 3, 5, 22)),
    ]


def test_an_unknown_calendar_is_refused() -> None:
    with pytest.raises(calendars.CalendarUnavailable, match="unknown calendar 'lse'"):
        calendars.calendar("lse", utc(2026, 1, 5), utc(2026, 1, 6))
