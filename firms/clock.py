"""Wall-clock times in an IANA zone: daily resets and session closes, daylight saving included.

Firms reset at a local wall time (midnight in Prague for FTMO, 17:00 in Chicago for
Topstep), so the UTC instant of a reset moves twice a year. Everything here is pure: the
caller passes ``now``.

Times that do not exist on a spring-forward day (e.g. 02:30 in Prague) resolve with the
offset before the change, i.e. to the first instant after the gap; times that happen twice
on a fall-back day resolve to the first occurrence. Either way each local day has exactly
one reset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, WithJsonSchema, field_validator

_ONE_DAY = dt.timedelta(days=1)
_NOON = dt.time(12, 0)


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise ``ValueError`` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (expected an IANA name such as 'Europe/Prague')"
        ) from None


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times must be timezone-aware")


class WallClock(BaseModel):
    """A local wall time in an IANA zone, e.g. 00:00 Europe/Prague."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # JSON Schema's "time" format requires an offset, which a wall time must not have.
    time: Annotated[
        dt.time,
        WithJsonSchema(
            {
                "type": "string",
                "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
                "description": "local wall time HH:MM[:SS], without an offset",
            }
        ),
    ]
    zone: str

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("time")
    @classmethod
    def _naive_minute(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("give the wall time without an offset; the zone says where it is")
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The zone as a ``ZoneInfo``."""
        return zone(self.zone)

    def instant_on(self, day: dt.date) -> dt.datetime:
        """The UTC instant of this wall time on local date ``day``."""
        local = dt.datetime.combine(day, self.time, tzinfo=self.tz)
        return local.astimezone(dt.UTC)

    def last(self, now: dt.datetime) -> dt.datetime:
        """The latest instant of this wall time at or before ``now``."""
        _require_aware(now)
        day = now.astimezone(self.tz).date()
        candidate = self.instant_on(day)
        while candidate > now:
            day -= _ONE_DAY
            candidate = self.instant_on(day)
        return candidate

    def next(self, now: dt.datetime) -> dt.datetime:
        """The earliest instant of this wall time strictly after ``now``."""
        _require_aware(now)
        day = now.astimezone(self.tz).date()
        candidate = self.instant_on(day)
        while candidate <= now:
            day += _ONE_DAY
            candidate = self.instant_on(day)
        return candidate

    def between(self, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
        """Every instant of this wall time in ``(start, end]``, in order."""
        instant = self.next(start)
        while instant <= end:
            yield instant
            instant = self.next(instant)

    def trading_day(self, now: dt.datetime) -> dt.date:
        """The trading day ``now`` belongs to, named by its local calendar date.

        A day that starts before noon (a midnight reset) is named by the date it starts on;
        one that starts in the afternoon or evening (Topstep's 17:00) is named by the next
        date, the one most of its session falls on.
        """
        start_local = self.last(now).astimezone(self.tz)
        return start_local.date() + (_ONE_DAY if self.time >= _NOON else dt.timedelta(0))

    def describe(self) -> str:
        """E.g. ``00:00 Europe/Prague``."""
        return f"{self.time.strftime('%H:%M')} {self.zone}"

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``"HH:MM Zone/Name"``."""
        time_text, _, zone_name = text.strip().partition(" ")
        return cls(time=dt.time.fromisoformat(time_text), zone=zone_name.strip())
