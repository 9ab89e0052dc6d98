"""The firm's per-trade and per-account limits (DESIGN section 3, research 15.F), in order.

Each limit is one class: its room in ``Decimal`` for the scalar pipeline and, next to it,
the same room over a fan-out's columns. Adding a firm limit means one class here and one
entry in ``FIRM``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from accounts.model import Side
from accounts.money import ZERO
from aria.sizing.decision import RejectCode
from aria.sizing.exposure import Held
from aria.sizing.instruments import Instrument
from aria.sizing.limits.base import (
    AccountView,
    Bound,
    Column,
    Floats,
    Indices,
    Limit,
    LimitContext,
    Mask,
    OpenRiskLimit,
    Room,
    Row,
    Signal,
    Table,
    clip,
    full,
    open_room,
)
from aria.sizing.stops import risk_to_reward_refusal


class MaxLotsPerOrder(Limit):
    """The most lots one order of an asset class may have."""

    names = ("max_lots_per_order",)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        limits, asset_class = ctx.account.rules.limits, ctx.instrument.asset_class
        per_order = limits.max_lots_per_order.get(asset_class) if limits else None
        if per_order is None:
            return []
        firm = ctx.account.rules.firm
        reason = f"{firm} allows {per_order} lots per {asset_class} order"
        return [Bound(self.names[0], per_order, reason)]

    def prepare(self, view: AccountView, row: Row) -> None:
        limits = view.rules.limits
        row.put_class(self.names[0], dict(limits.max_lots_per_order) if limits else {})

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        per_order = table.by_class[self.names[0]].get(signal.instrument.asset_class)
        if per_order is None:
            return []
        return [Column(open_room(per_order[members]), self.names, (None,))]


def _spot_lots(view: AccountView) -> Room | None:
    """The cap on open lots of everything but futures, and the lots open."""
    limits, size = view.rules.limits, view.rules.size
    if limits is None:
        return None
    caps = []
    if limits.max_total_lots is not None:
        caps.append(limits.max_total_lots.resolve(size))
    if limits.lots_per_1k is not None:
        caps.append(size / 1000 * limits.lots_per_1k)
    if not caps:
        return None
    used = sum(
        (
            h.position.lots
            for h in view.held
            if h.instrument is None or h.instrument.kind != "future"
        ),
        ZERO,
    )
    return Room(min(caps), used)


class MaxTotalLots(Limit):
    """Open lots in total (futures count as contracts instead)."""

    names = ("max_total_lots",)
    codes = (RejectCode.MAX_TOTAL_LOTS,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        room = _spot_lots(ctx.account)
        if room is None or ctx.instrument.kind == "future":
            return []
        return [clip(self.names[0], room, Decimal(1), "open lots", self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        room = _spot_lots(view)
        row.put(self.names[0], room.left if room else None)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        if signal.instrument.kind == "future":
            return []
        values = open_room(table.floats[self.names[0]][members])
        return [Column(values, self.names, self.codes)]


def contract_room(view: AccountView) -> Room | None:
    """The firm's cap on open futures contracts and what the account holds of it, each
    product by its weight (``None``: the plan has no such cap)."""
    rules = view.rules
    limits = rules.limits
    if limits is None or limits.max_contracts is None:
        return None
    cap = limits.max_contracts.resolve(rules.size)
    # The firm's plan counts the balance (a payout lowers the tier); a deposit is not
    # profit either: the lower of the two readings.
    profit = view.day_balance - rules.size
    allowance = rules.contract_allowance(min(profit, profit - view.cash.net))
    if allowance is not None:
        cap = min(cap, Decimal(allowance))
    used = sum(
        (
            h.position.lots
            * limits.contract_weight(
                h.position.symbol, h.instrument is not None and h.instrument.is_micro
            )
            for h in view.held
            if h.instrument is None or h.instrument.kind == "future"
        ),
        ZERO,
    )
    return Room(cap, used)


class MaxContracts(Limit):
    """Open contracts of futures, each product by its weight (micros by the firm's ratio).

    Over a fan-out, the contracts left are valued when the fan-out is prepared, with the
    firm's weights by symbol and a micro's weight, so a signal's weight is looked up per
    account (:meth:`firms.model.Limits.contract_weight`, the same rule).
    """

    names = ("max_contracts",)
    codes = (RejectCode.MAX_CONTRACTS,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        view, instrument = ctx.account, ctx.instrument
        limits = view.rules.limits
        room = contract_room(view)
        if limits is None or instrument.kind != "future" or room is None:
            return []
        per_lot = limits.contract_weight(instrument.symbol, instrument.is_micro)
        return [clip(self.names[0], room, per_lot, "contracts", self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        limits = view.rules.limits
        room = contract_room(view)
        if room is None or limits is None:
            row.put(self.names[0], None)
            row.put("micro_contract_weight", None)
            row.put_keyed("contract_weights", {})
            return
        row.put(self.names[0], room.left)
        # No symbol is empty: this is the weight of a micro the firm does not list by name.
        row.put("micro_contract_weight", limits.contract_weight("", True))
        row.put_keyed("contract_weights", limits.contract_weights)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        instrument = signal.instrument
        if instrument.kind != "future":
            return []
        left = table.floats[self.names[0]][members]
        weights = table.keyed.get("contract_weights", {}).get(instrument.symbol)
        weight = np.full(len(members), np.nan) if weights is None else weights[members]
        default = table.floats["micro_contract_weight"][members] if instrument.is_micro else 1.0
        weight = np.where(np.isnan(weight), default, weight)
        values = np.where(
            np.isnan(left), np.inf, np.where(weight > 0, left / np.where(weight > 0, weight, 1), 0)
        )
        return [Column(values, self.names, self.codes)]


class MaxPositionsPerSymbol(Limit):
    """Open positions on one symbol: a full symbol takes no new one."""

    names = ("max_positions_per_symbol",)
    codes = (RejectCode.MAX_POSITIONS_PER_SYMBOL,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        limits, symbol = ctx.account.rules.limits, ctx.request.symbol
        if limits is None or limits.max_positions_per_symbol is None:
            return []
        same = sum(1 for h in ctx.account.held if h.position.symbol == symbol)
        if same < limits.max_positions_per_symbol:
            return []
        reason = f"{same} open on {symbol}, cap {limits.max_positions_per_symbol}"
        return [Bound(self.names[0], ZERO, reason, self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        limits = view.rules.limits
        row.put(self.names[0], limits.max_positions_per_symbol if limits else None)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        caps = table.floats[self.names[0]][members]
        known = ~np.isnan(caps)
        crowded = known & (signal.on_symbol[members] >= np.where(known, caps, 0))
        return [Column(full(crowded), self.names, self.codes)]


class MaxOpenPositions(Limit):
    """Open positions in total: a full account takes no new one."""

    names = ("max_open_positions",)
    codes = (RejectCode.MAX_OPEN_POSITIONS,)
    key = "firm_positions_full"

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        limits, count = ctx.account.rules.limits, len(ctx.account.held)
        if limits is None or limits.max_open_positions is None:
            return []
        if count < limits.max_open_positions:
            return []
        reason = f"{count} open, cap {limits.max_open_positions}"
        return [Bound(self.names[0], ZERO, reason, self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        limits = view.rules.limits
        cap = limits.max_open_positions if limits else None
        row.flag(self.key, cap is not None and len(view.held) >= cap)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        return [Column(full(table.flags[self.key][members]), self.names, self.codes)]


def _exposure(view: AccountView) -> Room | None:
    limits = view.rules.limits
    if limits is None or limits.max_exposure_multiple is None:
        return None
    return Room(view.balance * limits.max_exposure_multiple, view.notional)


class MaxExposure(Limit):
    """Open notional as a multiple of the balance."""

    names = ("max_exposure",)
    codes = (RejectCode.MAX_EXPOSURE,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        room = _exposure(ctx.account)
        if ctx.account.rules.limits is None or room is None:
            return []
        per_lot = ctx.geometry.notional_per_lot
        return [clip(self.names[0], room, per_lot, "exposure", self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        room = _exposure(view)
        row.put(self.names[0], room.left if room else None)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        values = open_room(table.floats[self.names[0]][members], signal.notional_per_lot)
        return [Column(values, self.names, self.codes)]


def _risk_cap(view: AccountView) -> Decimal | None:
    limits, size = view.rules.limits, view.rules.size
    if limits is None or limits.max_risk_per_trade is None:
        return None
    return limits.max_risk_per_trade.resolve(size, base=limits.risk_base(size, view.balance))


@dataclass(frozen=True, slots=True)
class _Group:
    """What a new trade is one trade with: the risk to the stops of those, and their names."""

    risk: Decimal | None  # None: one of them has no bounded loss to its stop
    names: tuple[str, ...]

    def left(self, cap: Decimal) -> Decimal:
        """What the per-trade cap leaves the new entry, never negative."""
        return ZERO if self.risk is None else max(cap - self.risk, ZERO)

    def used(self) -> str:
        """How a reason names what the group already risks."""
        return "an unbounded loss" if self.risk is None else f"{self.risk:,.2f}"


@dataclass(frozen=True, slots=True)
class _Grouping:
    """Which trades the firm counts as one with a new entry.

    ``window``: entries on one symbol and side opened within it, and losses on them closed
    within it (``None``: neither). ``across``: every open position and pending entry,
    whatever its symbol, side or opening time, and (within ``window``) every closed loss.
    """

    window: dt.timedelta | None
    across: bool
    closed: bool = True  # False: only what is open counts, never a closed loss

    def describe(self) -> str:
        """Why the grouped trades are one with the new entry, as a reason says it."""
        if self.across:
            return "positions that can be stopped out together are one trade"
        assert self.window is not None  # a grouping has a window or is across symbols
        return f"same symbol and side within {int(self.window.total_seconds())} s"


def _grouping(view: AccountView) -> _Grouping | None:
    """How the firm groups entries into one trade (``None``: it does not)."""
    limits = view.rules.limits
    if limits is None:
        return None
    seconds = limits.one_trade_within_seconds
    window = None if seconds is None else dt.timedelta(seconds=seconds)
    if window is None and not limits.one_trade_across_symbols:
        return None
    return _Grouping(window, limits.one_trade_across_symbols)


def _within(at: dt.datetime | None, now: dt.datetime, window: dt.timedelta) -> bool:
    """True when a position opened (or a trade closed) at ``at`` is one trade with an entry
    at ``now``.

    The window is inclusive: a position opened exactly its length before still counts. A
    position whose opening time is not known may be part of the same idea, and one opened
    after ``now`` (the broker's clock ahead of the request's) is nearer than the window, so
    both count: the cap then errs on the side of the firm's rule.
    """
    if at is None:
        return True
    return now - at <= window


def _describe(held: Held) -> str:
    """How a decision's reason names a grouped position: its id, or what it holds."""
    position = held.position
    name = position.id or f"{position.side.value} {position.lots} {position.symbol}"
    if position.opened_at is None:
        return f"{name} (opened at an unknown time)"
    return f"{name} (opened {position.opened_at:%Y-%m-%d %H:%M:%S})"


def _on(symbol: str | None, side: Side | None, held_symbol: str, held_side: Side) -> bool:
    return held_symbol == symbol and held_side is side


def _group(view: AccountView, symbol: str | None, side: Side | None, grouping: _Grouping) -> _Group:
    """The open positions, live reservations and closed losses a new ``side`` entry on
    ``symbol`` joins.

    A position joins when it is on the same symbol and side and opened within the window of
    the request's time (across symbols: always); its risk is its loss from the entry to the
    stop, the loss the firm books if the combined trade is stopped out. A live reservation
    is an approved entry not yet shown by the broker, so it is as recent as can be: it joins
    when it is on the same symbol and side, or when it was recorded without them (or with
    only one of them: what it holds is then not known well enough to leave it out). A trade
    closed at a loss within the window on the same symbol and side (across symbols: on any)
    is a re-entry's first leg: its realised loss is already booked against the trade.
    """
    risk: Decimal | None = ZERO
    names: list[str] = []
    window, across = grouping.window, grouping.across
    for held in view.held:
        position = held.position
        if not across:
            if not _on(symbol, side, position.symbol, position.side):
                continue
            if window is None or not _within(position.opened_at, view.now, window):
                continue
        names.append(_describe(held))
        loss = held.entry_loss
        risk = None if risk is None or loss is None else risk + loss
    for reservation in view.reservations:
        if reservation.reduce_only:
            continue  # it closes lots: no risk
        known = reservation.symbol is not None and reservation.side is not None
        if not across and known and (reservation.symbol != symbol or reservation.side is not side):
            continue
        names.append(f"reservation {reservation.decision_id}")
        risk = None if risk is None else risk + reservation.amount
    for trade in view.recent_closed_trades:
        if not grouping.closed or trade.pnl >= ZERO or window is None:
            continue
        if not _within(trade.closed_at, view.now, window):
            continue
        if not across and not _on(symbol, side, trade.symbol, trade.side):
            continue
        name = trade.id or f"{trade.side.value} {trade.lots} {trade.symbol}"
        names.append(
            f"{name} (closed {trade.closed_at:%Y-%m-%d %H:%M:%S} at a loss of {-trade.pnl:,.2f})"
        )
        risk = None if risk is None else risk - trade.pnl
    return _Group(risk, tuple(names))


def _key(symbol: str, side: Side) -> str:
    """The fan-out column of the room an entry on ``symbol`` and ``side`` has left."""
    return f"{symbol} {side.value}"


def _pairs(view: AccountView, grouping: _Grouping) -> set[tuple[str, Side]]:
    """The symbols and sides a new entry may join something on."""
    return (
        {(h.position.symbol, h.position.side) for h in view.held}
        | {
            (r.symbol, r.side)
            for r in view.reservations
            if r.symbol is not None and r.side is not None and not r.reduce_only
        }
        | {
            (t.symbol, t.side)
            for t in view.recent_closed_trades
            if grouping.closed and t.pnl < ZERO
        }
    )


class MaxRiskPerTrade(Limit):
    """The loss one trade may risk: it clips, never rejects.

    Where the firm counts several entries as one trade — on one symbol and side within a
    window (``Limits.one_trade_within_seconds``), with a loss closed within it, or every
    open position together (``Limits.one_trade_across_symbols``) — what the new entry joins
    uses the cap first. The fan-out holds the room left per symbol and side the account
    already has such entries on, and the room of any other entry.
    """

    names = ("max_risk_per_trade",)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        view = ctx.account
        cap = _risk_cap(view)
        if cap is None:
            return []
        reason = f"{view.rules.firm} allows {cap:,.2f} of risk per trade"
        alone = [Bound(self.names[0], cap / ctx.geometry.loss_per_lot, reason)]
        grouping = _grouping(view)
        if grouping is None:
            return alone
        group = _group(view, ctx.request.symbol, ctx.request.side, grouping)
        if not group.names:
            return alone
        reason += (
            f"; {group.used()} of it is risked by {', '.join(group.names)}, one trade with this"
            f" entry ({grouping.describe()})"
        )
        return [Bound(self.names[0], group.left(cap) / ctx.geometry.loss_per_lot, reason)]

    def prepare(self, view: AccountView, row: Row) -> None:
        cap = _risk_cap(view)
        grouping = _grouping(view)
        if cap is None or grouping is None:
            row.put(self.names[0], cap)
            return
        _put_grouped(row, self.names[0], view, cap, grouping)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        room = _grouped_room(table, self.names[0], members, signal)
        return [Column(open_room(room, signal.loss_per_lot), self.names, (None,))]


def _put_grouped(row: Row, name: str, view: AccountView, cap: Decimal, grouping: _Grouping) -> None:
    """The room ``cap`` leaves to an entry on a symbol and side nothing is held on, and keyed
    by each held symbol and side, the room its group leaves."""
    # Reservations recorded without a symbol join every entry: they lower the room of all.
    row.put(name, _group(view, None, None, grouping).left(cap))
    row.put_keyed(
        name,
        {
            _key(symbol, side): _group(view, symbol, side, grouping).left(cap)
            for symbol, side in _pairs(view, grouping)
        },
    )


def _grouped_room(table: Table, name: str, members: Indices, signal: Signal) -> Floats:
    """Each member's room for the signal's symbol and side (see :func:`_put_grouped`)."""
    room = table.floats[name][members]
    joined = table.keyed.get(name, {}).get(_key(signal.request.symbol, signal.request.side))
    if joined is not None:
        # NaN: the account has no entry on this symbol and side to join.
        room = np.where(np.isnan(joined[members]), room, joined[members])
    return room


def _trade_loss(view: AccountView) -> tuple[Decimal, str] | None:
    """The most one trade may be down while open and how the plan words it (``None``: the
    plan has no such cap)."""
    limits, size = view.rules.limits, view.rules.size
    if limits is None or limits.max_trade_loss is None:
        return None
    rule = limits.max_trade_loss
    return rule.resolve(size, view.day_balance - size), rule.describe()


# Its loss is the open loss: a loss closed before is not part of it.
_SAME_POSITION = _Grouping(dt.timedelta.max, across=False, closed=False)


class MaxTradeLoss(Limit):
    """The most one trade may be down while open (Apex's MAE rule, Blue Guardian's
    "Guardian Shield"): its loss to the stop, with what it adds to on its symbol and side.

    It rejects with ``max_trade_loss`` when what is already open there leaves no room.
    """

    names = ("max_trade_loss",)
    codes = (RejectCode.MAX_TRADE_LOSS,)

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        view = ctx.account
        found = _trade_loss(view)
        if found is None:
            return []
        cap, rule = found
        group = _group(view, ctx.request.symbol, ctx.request.side, _SAME_POSITION)
        reason = f"{view.rules.firm} allows a trade to be down {cap:,.2f} ({rule})"
        if group.names:
            reason += f"; {group.used()} of it is risked by {', '.join(group.names)}"
        room = group.left(cap) / ctx.geometry.loss_per_lot
        return [Bound(self.names[0], room, reason, self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        found = _trade_loss(view)
        if found is None:
            row.put(self.names[0], None)
            return
        _put_grouped(row, self.names[0], view, found[0], _SAME_POSITION)

    def columns(self, table: Table, members: Indices, signal: Signal) -> list[Column]:
        room = _grouped_room(table, self.names[0], members, signal)
        return [Column(open_room(room, signal.loss_per_lot), self.names, self.codes)]


class RewardToRisk(Limit):
    """The firm's risk-reward cap (Apex legacy PA: the stop at most 5× as far as the target):
    a trade whose geometry breaks it, or that has no take-profit to show it holds, gets no
    room. Scalar-only: it is rare, and it looks at the trade's stop and target."""

    names = ("reward_to_risk",)
    codes = (RejectCode.REWARD_TO_RISK,)
    vectorised = False

    def bounds(self, ctx: LimitContext) -> list[Bound]:
        limits = ctx.account.rules.limits
        cap = limits.max_risk_to_reward if limits else None
        if cap is None:
            return []
        refusal = risk_to_reward_refusal(ctx.geometry, cap)
        if refusal is None:
            return []
        return [Bound(self.names[0], ZERO, f"{ctx.account.rules.firm}: {refusal}", self.codes[0])]

    def prepare(self, view: AccountView, row: Row) -> None:
        limits = view.rules.limits
        row.flag(self.names[0], limits is not None and limits.max_risk_to_reward is not None)

    def fallback(self, table: Table, instrument: Instrument) -> Mask | None:
        return table.flags[self.names[0]]


class MaxOpenRisk(OpenRiskLimit):
    """The loss all open trades and live reservations may risk together (after repeated
    violations, the lower cap an escalating firm holds the account to)."""

    key = "firm_open_room"
    unit = "open risk"

    def room(self, view: AccountView) -> Room | None:
        limits = view.rules.limits
        if limits is None:
            return None
        # The cap in force: an escalating firm's lower one once the account has violated it.
        cap = limits.open_risk_cap(view.rules.size, view.balance, view.risk_violations)
        return None if cap is None else Room(cap, view.open_used)


FIRM: tuple[Limit, ...] = (
    MaxLotsPerOrder(),
    MaxTotalLots(),
    MaxContracts(),
    MaxPositionsPerSymbol(),
    MaxOpenPositions(),
    MaxExposure(),
    MaxRiskPerTrade(),
    MaxTradeLoss(),
    MaxOpenRisk(),
    RewardToRisk(),
)
