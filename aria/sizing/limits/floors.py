"""The loss floors as limits: headroom, floors that rise under open positions, swing budgets.

The worst-case-loss headroom of the account (DESIGN section 4) is one limit; a floor that
open positions can see rise before they stop out leaves a smaller allowance (``carried``);
a floor that follows equity bounds the take-profit-to-stop swings (``swing_budgets``).
Each is one class: its room in ``Decimal`` and, next to it, its form over a fan-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from accounts.cash import NO_CASH, CashLedger
from accounts.model import DayStart
from accounts.money import ZERO
from aria.sizing.decision import RejectCode
from aria.sizing.exposure import Held
from aria.sizing.limits.base import (
    AccountView,
    Bound,
    Column,
    Indices,
    Limit,
    LimitContext,
    Row,
    Signal,
    Table,
    open_room,
)
from firms.floors import day_amount, lock_level
from firms.headroom import Headroom
from firms.model import DailyAnchor, TrailBasis
from firms.ruleset import RuleSet

HEADROOM_CODES = {
    "daily_loss": RejectCode.DAILY_LOSS_HEADROOM,
    "max_loss": RejectCode.MAX_LOSS_HEADROOM,
    "floating_loss": RejectCode.FLOATING_LOSS_HEADROOM,
}
HEADROOM_FLOORS = tuple(HEADROOM_CODES)  # floor names, in a fixed order


class FloorHeadroom(Limit):
    """The loss the account can still take before the nearest floor, this trade's included."""

    names = tuple(f"{floor}_headroom" for floor in HEADROOM_FLOORS)
    codes = tuple(HEADROOM_CODES.values())

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        room = ctx.account.headroom
        code = HEADROOM_CODES[room.binding]
        parts = [f"{name} floor {level:,.2f}" for name, level in room.floors.named().items()]
        reason = (
            f"headroom {room.available:,.2f} = distance to the"
            f" {room.binding.replace('_', '-')} floor"
            f" {room.distances[room.binding]:,.2f} − open risk {room.open_risk:,.2f} − reserved"
            f" {room.reserved:,.2f} − buffer {room.buffer:,.2f} ({'; '.join(parts)})"
        )
        if room.unbounded:
            reason += f"; unbounded loss on {', '.join(room.unbounded)}"
        per_lot = ctx.geometry.loss_per_lot
        if ctx.stress != 1:
            per_lot *= ctx.stress
            reason += (
                f"; this trade's loss counted ×{ctx.stress} for the conversion of its currency"
            )
        return [Bound(f"{room.binding}_headroom", room.available / per_lot, reason, code)]

    def prepare(self, view: AccountView, row: Row) -> None:
        row.put("headroom", view.headroom.available)
        row.put("headroom_floor", HEADROOM_FLOORS.index(view.headroom.binding))

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        available = table.floats["headroom"][members]
        stress, lpl = signal.stress, signal.loss_per_lot
        values = available / (lpl * stress) if stress != 1 else available / lpl
        pick = table.floats["headroom_floor"][members].astype(np.intp)
        return [Column(values, self.names, self.codes, pick)]


# The limits of ``carried``, in its order, with the floor each guards.
CARRIED = {
    "max_loss_after_profits": "max_loss",
    "daily_loss_next_day": "daily_loss",
    "floating_loss_after_profits": "floating_loss",
}


@dataclass(frozen=True, slots=True)
class Carried:
    """The loss a trade may still take from a floor that can rise under open positions."""

    floor: str  # the floor it guards, as in HEADROOM_CODES
    name: str  # the limit's name
    allowance: Decimal  # never negative
    reason: str


def carried(
    rules: RuleSet,
    day: DayStart | None,
    room: Headroom,
    held: Sequence[Held],
    cash: CashLedger = NO_CASH,
) -> list[Carried]:
    """Floors that open positions can see rise before they stop out, and what is left of each.

    - A maximum-loss floor that trails closed balance (or end-of-day balance, when positions
      may be held past the reset) rises with every profit realised: a position whose stop or
      target locks in a profit can fill first, and the others then stop out against the
      raised floor. Whatever the order of fills, the losses from entry to stop must fit in the
      trailing distance (unless the floor is locked, or the loss fits above the lock anyway).
    - A daily floor anchored on the balance at the reset re-anchors on it: profit realised
      today lifts tomorrow's floor, so a position held past the reset must fit its loss from
      entry in the daily amount too (equity anchors are bounded by the swing budgets).
    - A floating-loss cap bounds the open loss of the positions still open: a winner closed
      first takes its open profit with it, so the losers' losses from entry must fit the cap.
    Each allowance is what the new trade's loss (costs and conversion margin included) may
    take; an open position without a bounded loss leaves none. A daily amount that steps with
    profit is the floor's own (:func:`firms.floors.day_amount`, net of ``cash`` flows).
    """
    unbounded = room.unbounded or any(h.entry_loss is None for h in held)
    losses = sum((h.entry_loss for h in held if h.entry_loss is not None), ZERO)
    taken = room.reserved + room.buffer
    spent = (
        f"the losses from entry to stop {losses:,.2f} + reserved {room.reserved:,.2f}"
        f" + buffer {room.buffer:,.2f}"
    )

    def budget(name: str, amount: Decimal, why: str, floor: Decimal | None = None) -> Carried:
        if unbounded:
            return Carried(CARRIED[name], name, ZERO, f"{why}, and an open loss is unbounded")
        allowance = amount - losses - taken
        reason = f"{why}: {spent} must fit in {amount:,.2f}"
        if floor is not None and floor > allowance:
            allowance, reason = floor, f"{why}, but the loss fits above its lock"
        return Carried(CARRIED[name], name, max(allowance, ZERO), reason)

    found: list[Carried] = []
    held_over = not rules.flat_before_reset
    trail = rules.max_loss
    lock = lock_level(trail, rules.start)
    if (
        trail.trail is TrailBasis.CLOSED_BALANCE
        or (trail.trail is TrailBasis.END_OF_DAY_BALANCE and held_over)
    ) and not (lock is not None and room.floors.max_loss >= lock):
        above = None
        if lock is not None:  # the floor never rises past its lock
            above = room.distances["max_loss"] + room.floors.max_loss - lock
            above -= room.open_risk + taken
        basis = "closed" if trail.trail is TrailBasis.CLOSED_BALANCE else "end-of-day"
        found.append(
            budget(
                "max_loss_after_profits",
                trail.amount.resolve(rules.size),
                f"the max-loss floor trails {basis} balance and rises with profit realised first",
                above,
            )
        )
    daily = rules.daily_loss
    anchored = daily.anchor in (DailyAnchor.RESET_BALANCE, DailyAnchor.RESET_BALANCE_OR_EQUITY)
    if anchored and held_over:
        amount = day_amount(rules, day, cash)
        if amount is not None:
            found.append(
                budget(
                    "daily_loss_next_day",
                    amount,
                    "held past the reset, the daily floor re-anchors on the balance",
                )
            )
    if rules.floating_loss is not None:
        found.append(
            budget(
                "floating_loss_after_profits",
                rules.floating_loss.amount.resolve(rules.size),
                "open profit leaves with its position, and the floating-loss cap stays",
            )
        )
    return found


class CarriedFloors(Limit):
    """Floors that rise under open positions: what a trade may still lose from entry."""

    names = tuple(CARRIED)
    codes = tuple(dict.fromkeys(HEADROOM_CODES[floor] for floor in CARRIED.values()))

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        view = ctx.account
        per_lot = ctx.geometry.loss_per_lot * ctx.stress
        return [
            Bound(c.name, c.allowance / per_lot, c.reason, HEADROOM_CODES[c.floor])
            for c in carried(view.rules, view.day, view.headroom, view.held, view.cash)
        ]

    def prepare(self, view: AccountView, row: Row) -> None:
        found = carried(view.rules, view.day, view.headroom, view.held, view.cash)
        allowances = {c.name: c.allowance for c in found}
        for name in CARRIED:
            row.put(name, allowances.get(name))

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        per_lot = signal.loss_per_lot * signal.stress
        return [
            Column(
                open_room(table.floats[name][members], per_lot), (name,), (HEADROOM_CODES[floor],)
            )
            for name, floor in CARRIED.items()
        ]


def swing_budgets(
    rules: RuleSet, day: DayStart | None, room: Headroom, cash: CashLedger = NO_CASH
) -> list[tuple[str, Decimal]]:
    """The floors that follow equity (by name) and the amount each lets a swing take; a daily
    amount is the floor's own, net of ``cash`` flows (:func:`firms.floors.day_amount`)."""
    budgets: list[tuple[str, Decimal]] = []
    daily = rules.daily_loss
    if daily.anchor in (DailyAnchor.RESET_BALANCE_OR_EQUITY, DailyAnchor.DAY_EQUITY_HIGH):
        amount = day_amount(rules, day, cash)
        if amount is not None:
            budgets.append(("daily_loss", amount))
    trailing = rules.max_loss
    lock = lock_level(trailing, rules.start)
    locked = lock is not None and room.floors.max_loss >= lock
    if trailing.trail is TrailBasis.INTRADAY_EQUITY and not locked:
        budgets.append(("max_loss", trailing.amount.resolve(rules.size)))
    return budgets


SWING_FLOORS = ("daily_loss", "max_loss")  # the floors that can follow equity, in order


@dataclass(frozen=True, slots=True)
class SwingRoom:
    """What the swing budgets of an account leave, before the trade's own swing."""

    budgets: list[tuple[str, Decimal]]  # as ``swing_budgets``
    open_ended: list[str]  # what the account holds or reserved without a bounded swing
    used: Decimal  # the swings of its open trades and live reservations

    def left(self, amount: Decimal, buffer: Decimal) -> Decimal:
        """What a budget of ``amount`` leaves this trade's swing (less the safety buffer)."""
        return max(amount - buffer - self.used, ZERO)


def swing_room(view: AccountView) -> SwingRoom:
    """The account's swing budgets and what its open trades and reservations use of them."""
    budgets = swing_budgets(view.rules, view.day, view.headroom, view.cash)
    open_ended = [h.position.symbol for h in view.held if h.swing is None]
    open_ended += [f"reservation {r.decision_id}" for r in view.reservations if r.swing is None]
    used = sum((h.swing for h in view.held if h.swing is not None), ZERO) + sum(
        (r.swing for r in view.reservations if r.swing is not None), ZERO
    )
    return SwingRoom(budgets, open_ended, used)


class Swings(Limit):
    """Floors that follow equity take back profit: the swing budget of each such floor.

    A floor that trails intraday equity rises with every gain, and a daily floor anchored on
    equity at the reset rises with the open profit carried into it; either way a trade that
    runs to just short of its take-profit and then back to its stop loses its whole swing
    against the floor. So the swings of all open trades, this one's included, must fit in
    the floor's amount (less the safety buffer): the rule holds whatever the path.
    Over a fan-out, what each budget leaves is valued in ``Decimal`` when the fan-out is
    prepared (none where something open has no bounded swing) and divided by the signal's
    swing per lot.
    """

    names = tuple(f"{floor}_swing" for floor in SWING_FLOORS)
    codes = tuple(HEADROOM_CODES[floor] for floor in SWING_FLOORS)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        view = ctx.account
        room = view.headroom
        found_room = swing_room(view)
        if not found_room.budgets:
            return []
        used = found_room.used
        per_lot = ctx.geometry.swing_per_lot
        if per_lot is not None:
            per_lot *= ctx.stress
        found = []
        for floor, amount in found_room.budgets:
            name, code = f"{floor}_swing", HEADROOM_CODES[floor]
            what = f"the {floor.replace('_', '-')} floor follows equity"
            if found_room.open_ended:
                whose = ", ".join(found_room.open_ended)
                reason = (
                    f"{what}, and {whose} has no take-profit to bound the profit it can give back"
                )
                found.append(Bound(name, ZERO, reason, code))
                continue
            if per_lot is None:
                reason = (
                    f"{what}, and this trade has no take-profit to bound the profit"
                    " it can give back"
                )
                found.append(Bound(name, ZERO, reason, code))
                continue
            budget = amount - room.buffer
            left = found_room.left(amount, room.buffer)
            found.append(
                Bound(
                    name,
                    left / per_lot if per_lot > ZERO else ZERO,
                    f"{what}: open take-profit-to-stop swings {used:,.2f} of {budget:,.2f}"
                    f" (its amount {amount:,.2f} less the buffer); this trade swings"
                    f" {per_lot:,.2f} a lot",
                    code,
                )
            )
        return found

    def prepare(self, view: AccountView, row: Row) -> None:
        found = swing_room(view)
        budgets = dict(found.budgets)
        for name, floor in zip(self.names, SWING_FLOORS, strict=True):
            amount = budgets.get(floor)
            if amount is None:
                row.put(name, None)  # no such budget: no such bound
            elif found.open_ended:
                row.put(name, ZERO)
            else:
                row.put(name, found.left(amount, view.headroom.buffer))

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        per_lot = signal.swing_per_lot
        columns = []
        for name, code in zip(self.names, self.codes, strict=True):
            left = table.floats[name][members]
            if per_lot is None or per_lot <= 0:  # the trade's swing is unbounded: no room
                values = np.where(np.isnan(left), np.inf, 0.0)
            else:
                values = open_room(left, per_lot * signal.stress)
            columns.append(Column(values, (name,), (code,)))
        return columns


FLOORS: tuple[Limit, ...] = (FloorHeadroom(), CarriedFloors(), Swings())
