"""Headroom: the further loss an account can still take without touching any floor.

``headroom = min(equity − floor, for each floor) − further loss of open positions to their
stops − live reservations − safety buffer`` (DESIGN section 4). Equity already holds the
floating P&L, so only the loss *beyond* the current price counts. The distance is measured
from equity even for a rule checked on balance: if every stop fills, the balance ends where
equity minus the further loss is, so equity is the cautious measure. A position without a
stop has an unbounded further loss and leaves no headroom.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from accounts.money import ZERO
from firms.floors import Floors


@dataclass(frozen=True, slots=True)
class OpenRisk:
    """The further loss of one open position if it runs to its stop (``None``: no stop)."""

    position: str
    further_loss: Decimal | None

    def __post_init__(self) -> None:
        if self.further_loss is not None and self.further_loss < ZERO:
            raise ValueError(f"further loss of {self.position} cannot be negative")


@dataclass(frozen=True, slots=True)
class Reservation:
    """Risk held for an approved decision whose position the broker has not shown yet."""

    decision_id: str
    amount: Decimal
    expires_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.amount < ZERO:
            raise ValueError(f"reservation {self.decision_id} cannot be negative")

    def live(self, now: dt.datetime) -> bool:
        """True until the reservation's time-to-live passes."""
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class Headroom:
    """The loss still available, and what it is made of."""

    equity: Decimal
    floors: Floors
    distances: dict[str, Decimal]  # floor name → equity − floor
    open_risk: Decimal
    reserved: Decimal
    buffer: Decimal
    unbounded: tuple[str, ...]  # positions without a stop
    available: Decimal  # never negative
    binding: str  # the floor nearest to equity

    @property
    def exhausted(self) -> bool:
        """True when no further loss at all can be taken."""
        return self.available <= ZERO


def headroom(
    floors: Floors,
    equity: Decimal,
    *,
    open_risk: Sequence[OpenRisk] = (),
    reservations: Sequence[Reservation] = (),
    now: dt.datetime,
    buffer: Decimal = ZERO,
) -> Headroom:
    """The headroom at ``now`` of an account at ``equity`` under ``floors``."""
    if buffer < ZERO:
        raise ValueError("the safety buffer cannot be negative")
    distances = {name: equity - level for name, level in floors.named().items()}
    binding = min(distances, key=lambda name: (distances[name], name))
    unbounded = tuple(r.position for r in open_risk if r.further_loss is None)
    further = sum((r.further_loss for r in open_risk if r.further_loss is not None), ZERO)
    reserved = sum((r.amount for r in reservations if r.live(now)), ZERO)
    raw = distances[binding] - further - reserved - buffer
    available = raw if raw > ZERO and not unbounded else ZERO  # an exact zero, not 0E-7
    return Headroom(
        equity=equity,
        floors=floors,
        distances=distances,
        open_risk=further,
        reserved=reserved,
        buffer=buffer,
        unbounded=unbounded,
        available=available,
        binding=binding,
    )
