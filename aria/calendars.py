"""Trading calendars for the service: the FX week built here, the CME product groups read from
``pandas_market_calendars``.

Sizing must not pay for importing pandas on every request, so the sessions of the library's
calendars for the years in ``calendar_sessions.json`` are shipped precomputed (rebuild it with
``python -m aria.calendars``); only a year outside it imports the library, once per calendar
and year. The pure core sees only :class:`firms.sessions.Calendar` values.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from firms.sessions import (
    ALWAYS_OPEN,
    FX_24_5,
    LIBRARY_CALENDARS,
    Calendar,
    Session,
    always_open,
    fx_24_5,
)

_DATA = "calendar_sessions.json"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MINUTE = dt.timedelta(minutes=1)
_BUILT_YEARS = range(2025, 2029)


class CalendarUnavailable(Exception):
    """A calendar's sessions cannot be read (unknown name, or the library is missing)."""


def calendar(name: str, start: dt.datetime, end: dt.datetime) -> Calendar:
    """The sessions of calendar ``name`` that overlap ``start`` to ``end``."""
    if name == FX_24_5:
        return fx_24_5(start, end)
    if name == ALWAYS_OPEN:
        return always_open(start, end)
    if name not in LIBRARY_CALENDARS:
        raise CalendarUnavailable(f"unknown calendar {name!r}")
    low, high = _minutes(start), _minutes(end)
    rows: dict[int, tuple[int, int, int]] = {}
    zone_name = ""
    for year in range(start.year - 1, end.year + 1):
        zone_name, found = _year(name, year)
        # Filtered as numbers: building a session only for the few that overlap the span.
        rows.update({row[0]: row for row in found if row[1] > low and row[0] < high})
    sessions = tuple(
        Session(open=_instant(o), close=_instant(c), early_close=bool(e))
        for o, c, e in (rows[key] for key in sorted(rows))
    )
    return Calendar(name=name, zone=zone_name, start=start, end=end, sessions=sessions)


def around(name: str, now: dt.datetime, days: int = 3) -> Calendar:
    """The calendar ``name`` from a day before ``now`` to ``days`` days after."""
    return calendar(name, now - dt.timedelta(days=1), now + dt.timedelta(days=days))


@cache
def _shipped() -> dict[str, Any]:
    text = (resources.files("aria") / _DATA).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _year(name: str, year: int) -> tuple[str, tuple[tuple[int, int, int], ...]]:
    """The zone and sessions (open, close, early) of ``name`` in ``year``, in minutes since
    1970: shipped, else from the library."""
    entry = _shipped()["calendars"].get(name)
    if entry is not None and str(year) in entry["years"]:
        rows = entry["years"][str(year)]
        return entry["zone"], tuple((int(o), int(c), int(e)) for o, c, e in rows)
    zone_name, built = _library_rows(name, year)
    return zone_name, tuple(built)


def _instant(minutes: int) -> dt.datetime:
    return _EPOCH + minutes * _MINUTE


def _minutes(instant: dt.datetime) -> int:
    return int((instant - _EPOCH) // _MINUTE)


def _library_rows(name: str, year: int) -> tuple[str, list[tuple[int, int, int]]]:
    """(zone, [(open, close, early) in minutes since 1970]) of a year, from the library."""
    try:
        import pandas_market_calendars as mcal  # heavy: only for a year not shipped
    except ImportError:  # pragma: no cover - a dependency of the package
        raise CalendarUnavailable(
            f"calendar {name!r} for {year} needs pandas_market_calendars, which is not installed"
        ) from None
    library = mcal.get_calendar(LIBRARY_CALENDARS[name])
    schedule = library.schedule(f"{year}-01-01", f"{year}-12-31")
    early = set(library.early_closes(schedule).index)
    rows = [
        (
            _minutes(row.market_open.to_pydatetime()),
            _minutes(row.market_close.to_pydatetime()),
            int(day in early),
        )
        for day, row in schedule.iterrows()
    ]
    return str(library.tz), rows


def build(path: Path) -> None:
    """Write the shipped sessions of every library calendar for the built years."""
    data: dict[str, Any] = {
        "note": "CME sessions from pandas_market_calendars; rebuild: python -m aria.calendars",
        "calendars": {},
    }
    for name in sorted(LIBRARY_CALENDARS):
        years: dict[str, list[tuple[int, int, int]]] = {}
        zone_name = ""
        for year in _BUILT_YEARS:
            zone_name, rows = _library_rows(name, year)
            years[str(year)] = rows
        data["calendars"][name] = {"zone": zone_name, "years": years}
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name(_DATA))
