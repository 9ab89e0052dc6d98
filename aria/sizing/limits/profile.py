"""The instrument's own maximum, the profile's limits and free margin, in order.

Each limit is one class: its room in ``Decimal`` for the scalar pipeline and, next to it,
the same room over a fan-out's columns.
"""

from __future__ import annotations

import numpy as np

from accounts.money import ZERO
from aria.sizing.decision import RejectCode
from aria.sizing.limits.base import (
    AccountView,
    Bound,
    Column,
    Floats,
    Indices,
    Limit,
    LimitContext,
    OpenRiskLimit,
    Room,
    Row,
    Signal,
    Table,
    clip,
    full,
    open_room,
)


class InstrumentMaxLot(Limit):
    """The most lots the instrument trades in one order."""

    names = ("instrument_max_lot",)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        instrument = ctx.instrument
        reason = f"{instrument.symbol} trades at most {instrument.max_lot} lots"
        return [Bound(self.names[0], instrument.max_lot, reason)]

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        values = np.full(len(members), float(signal.instrument.max_lot))
        return [Column(values, self.names, (None,))]


class ProfileMaxLots(Limit):
    """The profile's own lot cap."""

    names = ("profile_max_lots",)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        cap = ctx.account.profile.limits.max_lots
        if cap is None:
            return []
        return [Bound(self.names[0], cap, f"profile allows {cap} lots")]

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        cap = signal.profile.limits.max_lots
        if cap is None:
            return []
        return [Column(np.full(len(members), float(cap)), self.names, (None,))]


class MaxNotional(Limit):
    """The profile's cap on one trade's notional."""

    names = ("max_notional",)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        cap = ctx.account.profile.limits.max_notional
        if cap is None:
            return []
        reason = f"profile allows a notional of {cap:,}"
        return [Bound(self.names[0], cap / ctx.geometry.notional_per_lot, reason)]

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        cap = signal.profile.limits.max_notional
        if cap is None:
            return []
        values = np.full(len(members), float(cap) / signal.notional_per_lot)
        return [Column(values, self.names, (None,))]


class ProfilePositions(Limit):
    """The profile's cap on open positions."""

    names = ("max_open_positions",)
    codes = (RejectCode.MAX_OPEN_POSITIONS,)
    key = "profile_positions_full"

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        cap, count = ctx.account.profile.limits.max_positions, len(ctx.account.held)
        if cap is None or count < cap:
            return []
        reason = f"{count} open, profile allows {cap}"
        return [Bound(self.names[0], ZERO, reason, self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        cap = view.profile.limits.max_positions
        row.flag(self.key, cap is not None and len(view.held) >= cap)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        return [Column(full(table.flags[self.key][members]), self.names, self.codes)]


def _leverage(view: AccountView) -> Room | None:
    multiple = view.profile.limits.max_leverage
    return None if multiple is None else Room(view.equity * multiple, view.notional)


class MaxLeverage(Limit):
    """Open notional as a multiple of equity, the profile's cap."""

    names = ("max_leverage",)
    codes = (RejectCode.MAX_EXPOSURE,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        room, multiple = _leverage(ctx.account), ctx.account.profile.limits.max_leverage
        if room is None:
            return []
        unit = f"{multiple}× equity"
        return [clip(self.names[0], room, ctx.geometry.notional_per_lot, unit, self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        room = _leverage(view)
        row.put(self.names[0], room.left if room else None)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        values = open_room(table.floats[self.names[0]][members], signal.notional_per_lot)
        return [Column(values, self.names, self.codes)]


class ProfileOpenRisk(OpenRiskLimit):
    """The loss all open trades and live reservations may risk, as a share of the balance."""

    key = "profile_open_room"
    unit = "profile open risk"

    def room(self, view: AccountView) -> Room | None:
        share = view.profile.limits.max_open_risk
        return None if share is None else Room(view.balance * share, view.open_used)


class Margin(Limit):
    """Free margin (less the profile's buffer) at the instrument's leverage."""

    names = ("margin",)
    codes = (RejectCode.MARGIN,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        view = ctx.account
        free = max(view.equity - view.margin, ZERO)
        usable = free * view.profile.limits.margin_buffer
        per_lot = ctx.geometry.notional_per_lot / ctx.leverage
        reason = (
            f"free margin {free:,.2f} × {view.profile.limits.margin_buffer}"
            f" at {ctx.leverage.normalize():f}:1"
        )
        return [Bound(self.names[0], usable / per_lot, reason, self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        free = max(view.equity - view.margin, ZERO)
        row.put(self.names[0], free * view.profile.limits.margin_buffer)
        limits = view.rules.limits
        row.put_class("leverage", dict(limits.leverage) if limits else {})

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        usable = table.floats[self.names[0]][members]
        per_lot = signal.notional_per_lot / self._leverage(table, members, signal)
        return [Column(usable / per_lot, self.names, self.codes)]

    @staticmethod
    def _leverage(table: Table, members: Indices, signal: Signal) -> Floats:
        """``exposure.leverage_for``: the firm's, else the profile's, else the spec's."""
        own, instrument = signal.profile.limits.max_leverage, signal.instrument
        fallback = float(own) if own is not None else float(1 / instrument.margin_rate)
        firm = table.by_class["leverage"].get(instrument.asset_class)
        if firm is None:
            return np.full(len(members), fallback)
        return np.where(np.isnan(firm[members]), fallback, firm[members])


PROFILE: tuple[Limit, ...] = (
    ProfileMaxLots(),
    MaxNotional(),
    ProfilePositions(),
    MaxLeverage(),
    ProfileOpenRisk(),
    Margin(),
)
