"""Stage 5 of the pipeline: every limit as the most lots it allows, and what it rejects.

Limits are applied after everything else, so nothing before can break one. Each limit
either clips the size (its ``max_lots``) or, when it leaves no room at all, rejects with its
code. The firm's limits come from the rule set, the profile's own from the profile; the
worst-case-loss headroom of the account (DESIGN section 4) is one more limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from accounts.model import DayStart
from accounts.money import ZERO
from aria.sizing.decision import LimitCheck, RejectCode
from aria.sizing.exposure import Held
from aria.sizing.stops import Geometry
from aria.sizing.inputs import Reservation, TradeRequest
from aria.sizing.instruments import Instrument
from aria.sizing.profiles import Profile
from firms.floors import daily_anchor, lock_level
from firms.headroom import Headroom
from firms.model import DailyAnchor, PctOf, TrailBasis
from firms.ruleset import RuleSet

_EIGHT = Decimal("1e-8")
HEADROOM_CODES = {
    "daily_loss": RejectCode.DAILY_LOSS_HEADROOM,
    "max_loss": RejectCode.MAX_LOSS_HEADROOM,
    "floating_loss": RejectCode.FLOATING_LOSS_HEADROOM,
}


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


@dataclass(frozen=True, slots=True)
class LimitContext:
    """What the limits look at."""

    rules: RuleSet
    profile: Profile
    instrument: Instrument
    request: TradeRequest
    geometry: Geometry
    equity: Decimal
    balance: Decimal
    day_balance: Decimal
    held: Sequence[Held]
    headroom: Headroom
    leverage: Decimal
    day: DayStart | None = None
    reservations: Sequence[Reservation] = ()  # the live ones
    stress: Decimal = Decimal(1)  # exposure.conversion_stress of this trade


def _room(
    name: str, cap: Decimal, used: Decimal, per_lot: Decimal, unit: str, code: RejectCode
) -> Bound:
    left = max(cap - used, ZERO)
    return Bound(
        name,
        left / per_lot if per_lot > ZERO else ZERO,
        f"{unit} cap {cap:,.2f}, used {used:,.2f}",
        code,
    )


def _firm(ctx: LimitContext) -> list[Bound]:
    limits = ctx.rules.limits
    if limits is None:
        return []
    size, instrument, symbol = ctx.rules.size, ctx.instrument, ctx.request.symbol
    bounds: list[Bound] = []
    per_order = limits.max_lots_per_order.get(instrument.asset_class)
    if per_order is not None:
        bounds.append(
            Bound(
                "max_lots_per_order",
                per_order,
                f"{ctx.rules.firm} allows {per_order} lots per {instrument.asset_class} order",
            )
        )
    lot_caps = []
    if limits.max_total_lots is not None:
        lot_caps.append(limits.max_total_lots.resolve(size))
    if limits.lots_per_1k is not None:
        lot_caps.append(size / 1000 * limits.lots_per_1k)
    if lot_caps and instrument.kind != "future":
        held_lots = sum(
            (
                h.position.lots
                for h in ctx.held
                if h.instrument is None or h.instrument.kind != "future"
            ),
            ZERO,
        )
        bounds.append(
            _room(
                "max_total_lots",
                min(lot_caps),
                held_lots,
                Decimal(1),
                "open lots",
                RejectCode.MAX_TOTAL_LOTS,
            )
        )
    if instrument.kind == "future" and limits.max_contracts is not None:
        cap = limits.max_contracts.resolve(size)
        allowance = ctx.rules.contract_allowance(ctx.day_balance - size)
        if allowance is not None:
            cap = min(cap, Decimal(allowance))
        ratio = Decimal(limits.micros_per_contract)
        used = sum(
            (
                (
                    h.position.lots / ratio
                    if h.instrument is not None and h.instrument.is_micro
                    else h.position.lots
                )
                for h in ctx.held
                if h.instrument is None or h.instrument.kind == "future"
            ),
            ZERO,
        )
        per_lot = 1 / ratio if instrument.is_micro else Decimal(1)
        bounds.append(
            _room("max_contracts", cap, used, per_lot, "contracts", RejectCode.MAX_CONTRACTS)
        )
    if limits.max_positions_per_symbol is not None:
        same = sum(1 for h in ctx.held if h.position.symbol == symbol)
        if same >= limits.max_positions_per_symbol:
            bounds.append(
                Bound(
                    "max_positions_per_symbol",
                    ZERO,
                    f"{same} open on {symbol}, cap {limits.max_positions_per_symbol}",
                    RejectCode.MAX_POSITIONS_PER_SYMBOL,
                )
            )
    if limits.max_open_positions is not None and len(ctx.held) >= limits.max_open_positions:
        bounds.append(
            Bound(
                "max_open_positions",
                ZERO,
                f"{len(ctx.held)} open, cap {limits.max_open_positions}",
                RejectCode.MAX_OPEN_POSITIONS,
            )
        )
    if limits.max_exposure_multiple is not None:
        cap = ctx.balance * limits.max_exposure_multiple
        used = sum((h.notional for h in ctx.held if h.notional is not None), ZERO)
        bounds.append(
            _room(
                "max_exposure",
                cap,
                used,
                ctx.geometry.notional_per_lot,
                "exposure",
                RejectCode.MAX_EXPOSURE,
            )
        )
    if limits.max_risk_per_trade is not None:
        cap = limits.max_risk_per_trade.resolve(size, base=limits.risk_base(size, ctx.balance))
        bounds.append(
            Bound(
                "max_risk_per_trade",
                cap / ctx.geometry.loss_per_lot,
                f"{ctx.rules.firm} allows {cap:,.2f} of risk per trade",
            )
        )
    if limits.max_open_risk is not None:
        cap = limits.max_open_risk.resolve(size, base=limits.risk_base(size, ctx.balance))
        used = _open_risk(ctx)
        bounds.append(
            _room(
                "max_open_risk",
                cap,
                used,
                ctx.geometry.loss_per_lot,
                "open risk",
                RejectCode.MAX_OPEN_RISK,
            )
        )
    return bounds


def _open_risk(ctx: LimitContext) -> Decimal:
    return ctx.headroom.open_risk + ctx.headroom.reserved


def _profile(ctx: LimitContext) -> list[Bound]:
    limits = ctx.profile.limits
    g = ctx.geometry
    bounds: list[Bound] = []
    if limits.max_lots is not None:
        bounds.append(
            Bound("profile_max_lots", limits.max_lots, f"profile allows {limits.max_lots} lots")
        )
    if limits.max_notional is not None:
        bounds.append(
            Bound(
                "max_notional",
                limits.max_notional / g.notional_per_lot,
                f"profile allows a notional of {limits.max_notional:,}",
            )
        )
    if limits.max_positions is not None and len(ctx.held) >= limits.max_positions:
        bounds.append(
            Bound(
                "max_open_positions",
                ZERO,
                f"{len(ctx.held)} open, profile allows {limits.max_positions}",
                RejectCode.MAX_OPEN_POSITIONS,
            )
        )
    if limits.max_leverage is not None:
        used = sum((h.notional for h in ctx.held if h.notional is not None), ZERO)
        bounds.append(
            _room(
                "max_leverage",
                ctx.equity * limits.max_leverage,
                used,
                g.notional_per_lot,
                f"{limits.max_leverage}× equity",
                RejectCode.MAX_EXPOSURE,
            )
        )
    if limits.max_open_risk is not None:
        bounds.append(
            _room(
                "max_open_risk",
                ctx.balance * limits.max_open_risk,
                _open_risk(ctx),
                g.loss_per_lot,
                "profile open risk",
                RejectCode.MAX_OPEN_RISK,
            )
        )
    return bounds


def _margin(ctx: LimitContext) -> Bound:
    used = sum((h.margin for h in ctx.held if h.margin is not None), ZERO)
    free = max(ctx.equity - used, ZERO) * ctx.profile.limits.margin_buffer
    per_lot = ctx.geometry.notional_per_lot / ctx.leverage
    return Bound(
        "margin",
        free / per_lot,
        f"free margin {max(ctx.equity - used, ZERO):,.2f} × {ctx.profile.limits.margin_buffer}"
        f" at {ctx.leverage.normalize():f}:1",
        RejectCode.MARGIN,
    )


def _headroom(ctx: LimitContext) -> Bound:
    room = ctx.headroom
    code = HEADROOM_CODES[room.binding]
    parts = [f"{name} floor {level:,.2f}" for name, level in room.floors.named().items()]
    reason = (
        f"headroom {room.available:,.2f} = distance to the {room.binding.replace('_', '-')} floor"
        f" {room.distances[room.binding]:,.2f} − open risk {room.open_risk:,.2f} − reserved"
        f" {room.reserved:,.2f} − buffer {room.buffer:,.2f} ({'; '.join(parts)})"
    )
    if room.unbounded:
        reason += f"; unbounded loss on {', '.join(room.unbounded)}"
    per_lot = ctx.geometry.loss_per_lot
    if ctx.stress != 1:
        per_lot *= ctx.stress
        reason += f"; this trade's loss counted ×{ctx.stress} for the conversion of its currency"
    return Bound(f"{room.binding}_headroom", room.available / per_lot, reason, code)


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
    rules: RuleSet, day: DayStart | None, room: Headroom, held: Sequence[Held]
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
    take; an open position without a bounded loss leaves none.
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
    lock = lock_level(trail, rules.size)
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
        anchor = daily_anchor(daily, rules.size, day)
        assert anchor is not None
        assert daily.amount is not None
        base = anchor if daily.pct_of is PctOf.ANCHOR else rules.size
        found.append(
            budget(
                "daily_loss_next_day",
                daily.amount.resolve(rules.size, base),
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


def _carried(ctx: LimitContext) -> list[Bound]:
    per_lot = ctx.geometry.loss_per_lot * ctx.stress
    return [
        Bound(c.name, c.allowance / per_lot, c.reason, HEADROOM_CODES[c.floor])
        for c in carried(ctx.rules, ctx.day, ctx.headroom, ctx.held)
    ]


def swing_budgets(
    rules: RuleSet, day: DayStart | None, room: Headroom
) -> list[tuple[str, Decimal]]:
    """The floors that follow equity (by name) and the amount each lets a swing take."""
    budgets: list[tuple[str, Decimal]] = []
    daily = rules.daily_loss
    if daily.anchor in (DailyAnchor.RESET_BALANCE_OR_EQUITY, DailyAnchor.DAY_EQUITY_HIGH):
        anchor = daily_anchor(daily, rules.size, day)
        assert anchor is not None
        assert daily.amount is not None
        base = anchor if daily.pct_of is PctOf.ANCHOR else rules.size
        budgets.append(("daily_loss", daily.amount.resolve(rules.size, base)))
    trailing = rules.max_loss
    lock = lock_level(trailing, rules.size)
    locked = lock is not None and room.floors.max_loss >= lock
    if trailing.trail is TrailBasis.INTRADAY_EQUITY and not locked:
        budgets.append(("max_loss", trailing.amount.resolve(rules.size)))
    return budgets


def _swings(ctx: LimitContext) -> list[Bound]:
    """Floors that follow equity take back profit: the swing budget of each such floor.

    A floor that trails intraday equity rises with every gain, and a daily floor anchored on
    equity at the reset rises with the open profit carried into it; either way a trade that
    runs to just short of its take-profit and then back to its stop loses its whole swing
    against the floor. So the swings of all open trades, this one's included, must fit in
    the floor's amount (less the safety buffer): the rule holds whatever the path.
    """
    room = ctx.headroom
    budgets = swing_budgets(ctx.rules, ctx.day, room)
    if not budgets:
        return []
    open_ended = [h.position.symbol for h in ctx.held if h.swing is None]
    unknown = [r.decision_id for r in ctx.reservations if r.swing is None]
    used = sum((h.swing for h in ctx.held if h.swing is not None), ZERO) + sum(
        (r.swing for r in ctx.reservations if r.swing is not None), ZERO
    )
    per_lot = ctx.geometry.swing_per_lot
    if per_lot is not None:
        per_lot *= ctx.stress
    found = []
    for floor, amount in budgets:
        name, code = f"{floor}_swing", HEADROOM_CODES[floor]
        what = f"the {floor.replace('_', '-')} floor follows equity"
        if open_ended or unknown:
            whose = ", ".join([*open_ended, *(f"reservation {d}" for d in unknown)])
            found.append(
                Bound(
                    name,
                    ZERO,
                    f"{what}, and {whose} has no take-profit to bound the profit it can give back",
                    code,
                )
            )
            continue
        if per_lot is None:
            found.append(
                Bound(
                    name,
                    ZERO,
                    f"{what}, and this trade has no take-profit to bound the profit"
                    " it can give back",
                    code,
                )
            )
            continue
        budget = amount - room.buffer
        left = max(budget - used, ZERO)
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


def bounds(ctx: LimitContext) -> list[Bound]:
    """Every limit for this trade, in a stable order."""
    found = [
        Bound(
            "instrument_max_lot",
            ctx.instrument.max_lot,
            f"{ctx.instrument.symbol} trades at most {ctx.instrument.max_lot} lots",
        )
    ]
    found += _firm(ctx)
    found += _profile(ctx)
    found.append(_margin(ctx))
    found.append(_headroom(ctx))
    found += _carried(ctx)
    found += _swings(ctx)
    return found
