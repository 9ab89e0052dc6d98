"""What every limit is made of: its answer, what it looks at, and its form over a fan-out.

A limit is one object (:class:`Limit`) holding, in one place, its names and reject codes,
the room it leaves for the scalar pipeline (:meth:`Limit.bounds`, exact ``Decimal``), and —
next to it — the same room over the columns of a fan-out (:meth:`Limit.prepare` values the
part that does not depend on the signal, :meth:`Limit.columns` divides it by what one lot of
the signal uses). A limit without a fan-out form is scalar-only: :meth:`Limit.fallback` names
the accounts it applies to, and the fan-out hands them to the scalar pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, overload

import numpy as np
import numpy.typing as npt

from accounts.cash import NO_CASH, CashLedger
from accounts.model import AssetClass, DayStart, Trade
from accounts.money import ZERO
from aria.sizing.decision import LimitCheck, RejectCode
from aria.sizing.exposure import Held
from aria.sizing.inputs import BestDayWindow, MarketSnapshot, Reservation, TradeRequest
from aria.sizing.instruments import Instrument
from aria.sizing.profiles import Profile
from aria.sizing.stops import Geometry
from firms.headroom import Headroom
from firms.ruleset import RuleSet

Floats = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Indices = npt.NDArray[np.intp]
_EIGHT = Decimal("1e-8")


@dataclass(frozen=True, slots=True)
class Bound:
    """A limit's answer: the most lots it allows, and its code if it binds at zero."""

    name: str
    max_lots: Decimal
    reason: str
    code: RejectCode | None = None

    def check(self) -> LimitCheck:
        """As reported in the decision (lots floored to 8 places: a report never overstates)."""
        shown = self.max_lots.quantize(_EIGHT, rounding=ROUND_FLOOR)
        return LimitCheck(name=self.name, max_lots=shown, reason=self.reason)


_T = TypeVar("_T")


class _once(Generic[_T]):
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every first
    read): a view is read by the one decision that made it, so nothing races for the value."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    @overload
    def __get__(self, view: None, owner: Any = None) -> Self: ...
    @overload
    def __get__(self, view: object, owner: Any = None) -> _T: ...
    def __get__(self, view: object, owner: Any = None) -> _T | Self:
        if view is None:
            return self
        value = self.compute(view)
        view.__dict__[self.name] = value  # found before this descriptor from now on
        return value


@dataclass(frozen=True)
class AccountView:
    """What the limits look at that does not depend on the signal (sums taken once)."""

    rules: RuleSet
    profile: Profile
    equity: Decimal
    balance: Decimal
    day_balance: Decimal
    held: Sequence[Held]
    headroom: Headroom
    now: dt.datetime  # the request's time (``inputs.now``): limits that look back count from it
    day: DayStart | None = None
    reservations: Sequence[Reservation] = ()  # the live ones
    cash: CashLedger = NO_CASH  # what cash flows did: stepped daily amounts are net of them
    best_day_windows: Sequence[BestDayWindow] = ()  # one per best-day rule, when the cap is on
    # Trades closed within the firm's one-trade window: a loss among them is part of a new
    # entry's trade (``inputs.recent_closed_trades``).
    recent_closed_trades: Sequence[Trade] = ()
    risk_violations: int = 0  # of the firm's open-risk cap: an escalating firm lowers it

    @_once
    def open_used(self) -> Decimal:
        """The further loss of open positions plus live reservations."""
        return self.headroom.open_risk + self.headroom.reserved

    @_once
    def notional(self) -> Decimal:
        """The notional of the open positions that have one."""
        return sum((h.notional for h in self.held if h.notional is not None), ZERO)

    @_once
    def margin(self) -> Decimal:
        """The margin the open positions use."""
        return sum((h.margin for h in self.held if h.margin is not None), ZERO)


@dataclass(frozen=True, slots=True)
class LimitContext:
    """What the limits look at for one signal: the account's view and the trade."""

    account: AccountView
    instrument: Instrument
    request: TradeRequest
    geometry: Geometry
    leverage: Decimal
    stress: Decimal = Decimal(1)  # exposure.conversion_stress of this trade


@dataclass(frozen=True, slots=True)
class Room:
    """A cap and what is already used of it (both in the cap's own unit)."""

    cap: Decimal
    used: Decimal

    @property
    def left(self) -> Decimal:
        """What the cap still leaves, never negative."""
        return max(self.cap - self.used, ZERO)


def clip(name: str, room: Room, per_lot: Decimal, unit: str, code: RejectCode) -> Bound:
    """The bound of a cap whose room one lot of the trade uses ``per_lot`` of."""
    return Bound(
        name,
        room.left / per_lot if per_lot > ZERO else ZERO,
        f"{unit} cap {room.cap:,.2f}, used {room.used:,.2f}",
        code,
    )


class Row(Protocol):
    """One account's row of fan-out columns, written while the fan-out is prepared."""

    def put(self, key: str, value: Decimal | float | None) -> None:
        """A number (``None``: the account does not have it)."""

    def flag(self, key: str, value: bool) -> None:
        """A yes or no."""

    def put_class(self, key: str, values: Mapping[AssetClass, Decimal]) -> None:
        """A number per asset class."""

    def put_keyed(self, key: str, values: Mapping[str, Decimal]) -> None:
        """A number per key of the limit's choosing (absent: the account has none there)."""


@dataclass(frozen=True)
class Table:
    """The prepared columns of a fan-out's accounts, by key (NaN: the account has none)."""

    floats: dict[str, Floats]
    flags: dict[str, Mask]
    by_class: dict[str, dict[str, Floats]]
    keyed: dict[str, dict[str, Floats]] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    """One signal as a cohort of the fan-out sees it (one profile, one account currency)."""

    request: TradeRequest
    instrument: Instrument
    market: MarketSnapshot
    profile: Profile
    notional_per_lot: float
    loss_per_lot: float
    stress: float
    on_symbol: Indices  # per account of the fan-out: its open positions on the signal's symbol
    swing_per_lot: float | None = None  # take-profit to stop, a lot (None: no take-profit)


@dataclass(frozen=True)
class Column:
    """A limit over a cohort: the most lots it allows each member (+inf: it has no such limit).

    ``names`` and ``codes`` hold one entry, or the choices that ``pick`` selects per member.
    """

    values: Floats
    names: tuple[str, ...]
    codes: tuple[RejectCode | None, ...]
    pick: Indices | None = field(default=None)


def open_room(values: Floats, per_lot: float = 1.0) -> Floats:
    """Room in lots from a prepared room column (NaN, no such limit: unbounded)."""
    return np.where(np.isnan(values), np.inf, values) / per_lot


def full(flags: Mask) -> Floats:
    """No room where the flag is set, unbounded elsewhere."""
    return np.where(flags, 0.0, np.inf)


class Limit:
    """One limit: its names and codes, its room in ``Decimal``, and its fan-out form."""

    names: ClassVar[tuple[str, ...]]  # every name its bounds can carry, in order
    codes: ClassVar[tuple[RejectCode, ...]] = ()  # the codes it rejects with at zero room
    vectorised: ClassVar[bool] = True  # False: scalar-only, see ``fallback``

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        """The most lots it allows this trade (none when the account has no such limit)."""
        raise NotImplementedError

    def prepare(self, view: AccountView, row: Row) -> None:
        """Write the account's signal-independent part of the room into its row."""

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        """The room over a cohort, in the order of :meth:`bounds`."""
        return []

    def fallback(self, table: Table, instrument: Instrument) -> Mask | None:
        """For a scalar-only limit: the accounts it may apply to (the scalar pipeline decides)."""
        return None


class OpenRiskLimit(Limit):
    """A cap on the loss all open trades and live reservations may risk together.

    The firm's and the profile's caps differ only in where the cap comes from
    (:meth:`room`); how much of it one lot of the trade uses is the same for both.
    """

    names = ("max_open_risk",)
    codes = (RejectCode.MAX_OPEN_RISK,)
    key: ClassVar[str]  # the prepared column of the room left
    unit: ClassVar[str]  # how a reason names the cap

    def room(self, view: AccountView) -> Room | None:
        """The cap and the risk open against it (``None``: the account has no such cap)."""
        raise NotImplementedError

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        room = self.room(ctx.account)
        if room is None:
            return []
        per_lot = ctx.geometry.loss_per_lot
        return [clip(self.names[0], room, per_lot, self.unit, self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        room = self.room(view)
        row.put(self.key, room.left if room else None)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        values = open_room(table.floats[self.key][members], signal.loss_per_lot)
        return [Column(values, self.names, self.codes)]
