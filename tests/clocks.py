"""Clocks for tests, typed as the service's ``Clock`` port: time moves only when a test says so.

Code that takes a clock (the use cases, the API and jobs built by ``aria.bootstrap.build``)
gets one of these instead of freezing the interpreter's time; freezegun stays only where
the code under test reads the wall clock itself.
"""

from __future__ import annotations

import datetime as dt

# Where a test's clock stands unless it says otherwise: a Tuesday morning, mid-session.
START = "2026-06-02T09:00:00Z"


def _aware(at: dt.datetime | str) -> dt.datetime:
    value = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else at
    # Naive times in tests are UTC, as freezegun took them.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class FixedClock:
    """A clock that always says ``at`` (an aware datetime, or ISO text; naive means UTC)."""

    def __init__(self, at: dt.datetime | str) -> None:
        self._at = _aware(at)

    def now(self) -> dt.datetime:
        """The fixed time."""
        return self._at


class SettableClock(FixedClock):
    """A fixed clock a test can move: to a time, or on by a step."""

    def move_to(self, at: dt.datetime | str) -> None:
        """Stand still at ``at`` from now on."""
        self._at = _aware(at)

    def tick(self, delta: dt.timedelta | float = 1.0) -> None:
        """Move on by ``delta`` (seconds when a number)."""
        step = delta if isinstance(delta, dt.timedelta) else dt.timedelta(seconds=delta)
        self._at += step
