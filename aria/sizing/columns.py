"""A book: the accounts of one fan-out as columns, valued once, for the batch engine.

Preparing a book values everything about the accounts that does not depend on the signal's
content: floors and headroom, open positions (at the book's conversion rates), the room
left under every limit, the drawdown, performance and concurrency factors, the trading
and stale-state gates, and the fan-out's allocation and copy rules (they depend on who
receives the signal, in which order, under which strategy label — not on what it says).
It does so with the scalar pipeline's own functions, so every amount is the exact
``Decimal`` the pipeline would use. What depends on the signal — the stop, the money per
lot, hedges against the symbol, correlation with it, limits by asset class — is left to
:func:`aria.sizing.batch.decide_batch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from accounts.model import AssetClass
from accounts.money import ZERO
from aria.sizing.adjusters import combine, concurrency_factor, drawdown_factor, performance_factor
from aria.sizing.decision import RejectCode
from aria.sizing.exposure import Held, value_book
from aria.sizing.gates import account_ref, fanout_gates, other_ref, state_gates, trading_gates
from aria.sizing.inputs import DecisionInputs, shared_part
from aria.sizing.limits import CARRIED, HEADROOM_CODES, carried, swing_budgets
from aria.sizing.pipeline import headroom_of
from aria.sizing.profiles import Method, Profile
from firms import cross_account
from firms.model import CrossAccountRules

Floats = npt.NDArray[np.float64]
# Kelly sizes from each account's own trade statistics; it stays with the scalar pipeline.
SUPPORTED_METHODS = frozenset(set(Method) - {Method.KELLY})
_NONE = float("nan")  # a limit the account does not have
HEADROOM_FLOORS = tuple(HEADROOM_CODES)  # floor names, in a fixed order


@dataclass(frozen=True)
class Cohort:
    """Accounts that share a profile and a currency, and so one stop and one money per lot."""

    profile: Profile
    currency: str
    members: npt.NDArray[np.intp]


@dataclass(frozen=True)
class Exposures:
    """Open positions as parallel columns: which account, which symbol, which side (±1).

    Symbols and cross-account rules (whose groups say which symbols are one instrument)
    are codes into the ``symbols`` and ``rules`` tables, so a signal is matched once per
    distinct pair, not once per position.
    """

    account: npt.NDArray[np.intp]
    symbol: npt.NDArray[np.intp]
    sign: npt.NDArray[np.int8]
    rule: npt.NDArray[np.intp]
    symbols: tuple[str, ...]
    rules: tuple[CrossAccountRules | None, ...]


@dataclass(frozen=True)
class Book:
    """The columns of a fan-out's accounts (see the module docstring for what is in them)."""

    inputs: tuple[DecisionInputs, ...]
    now: dt.datetime
    strategy: str | None
    rates: dict[str, Decimal]
    cohorts: tuple[Cohort, ...]
    scalar_only: npt.NDArray[np.bool_]  # decided by the scalar pipeline (features not in columns)
    early_codes: tuple[tuple[RejectCode, ...], ...]  # trading and stale-state gates
    fanout_codes: tuple[tuple[RejectCode, ...], ...]  # allocation and copy gates
    gated: npt.NDArray[np.bool_]  # has any of those codes
    equity: Floats
    balance: Floats
    personality: Floats
    pre_factor: Floats  # drawdown, performance and concurrency, combined (NaN: none enabled)
    open_used: Floats  # further loss of open positions plus live reservations
    headroom: Floats
    headroom_floor: npt.NDArray[np.intp]  # which floor binds: an index into HEADROOM_FLOORS
    carried: dict[str, Floats]  # limits.carried: allowance by limit name (NaN: not a limit)
    lot_room: Floats
    per_order: dict[str, Floats]
    symbol_cap: Floats
    firm_positions_full: npt.NDArray[np.bool_]
    exposure_room: Floats
    risk_cap: Floats
    firm_open_room: Floats
    profile_positions_full: npt.NDArray[np.bool_]
    leverage_room: Floats
    profile_open_room: Floats
    margin_free: Floats
    firm_leverage: dict[str, Floats]
    has_contract_cap: npt.NDArray[np.bool_]
    held: Exposures  # the account's own positions
    within: Exposures  # own positions where the firm forbids hedging in one account
    hedged: Exposures  # siblings' positions a hedge against would break a firm's rule

    @property
    def size(self) -> int:
        """How many accounts the book holds."""
        return len(self.inputs)


class _Columns:
    """Collects one row per account while a book is prepared."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.floats: dict[str, list[float]] = {}
        self.flags: dict[str, list[bool]] = {}
        self.by_class: dict[str, dict[str, list[float]]] = {"per_order": {}, "leverage": {}}
        self.exposures: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {
            name: ([], [], [], []) for name in ("held", "within", "hedged")
        }
        self.symbols: dict[str, int] = {}
        self.rules: dict[int, tuple[int, CrossAccountRules | None]] = {}

    def put(self, name: str, value: Decimal | float | None) -> None:
        self.floats.setdefault(name, []).append(_NONE if value is None else float(value))

    def flag(self, name: str, value: bool) -> None:
        self.flags.setdefault(name, []).append(value)

    def put_class(self, table: str, index: int, values: Mapping[AssetClass, Decimal]) -> None:
        for asset_class, value in values.items():
            column = self.by_class[table].setdefault(asset_class, [_NONE] * self.count)
            column[index] = float(value)

    def expose(
        self, name: str, index: int, symbol: str, sign: int, rules: CrossAccountRules | None = None
    ) -> None:
        accounts, symbols, signs, groups = self.exposures[name]
        accounts.append(index)
        symbols.append(self.symbols.setdefault(symbol, len(self.symbols)))
        signs.append(sign)
        groups.append(self.rules.setdefault(id(rules), (len(self.rules), rules))[0])

    def array(self, name: str) -> Floats:
        return np.array(self.floats[name], dtype=np.float64)

    def mask(self, name: str) -> npt.NDArray[np.bool_]:
        return np.array(self.flags[name], dtype=np.bool_)

    def exposed(self, name: str) -> Exposures:
        accounts, symbols, signs, groups = self.exposures[name]
        return Exposures(
            account=np.array(accounts, dtype=np.intp),
            symbol=np.array(symbols, dtype=np.intp),
            sign=np.array(signs, dtype=np.int8),
            rule=np.array(groups, dtype=np.intp),
            symbols=tuple(self.symbols),
            rules=tuple(rules for _, rules in sorted(self.rules.values(), key=lambda r: r[0])),
        )

    def by_asset_class(self, table: str) -> dict[str, Floats]:
        return {k: np.array(v, dtype=np.float64) for k, v in self.by_class[table].items()}


def prepare(inputs: list[DecisionInputs] | tuple[DecisionInputs, ...]) -> Book:
    """The book of a fan-out: every account's inputs, valued into columns.

    All inputs must be of one moment, one strategy label and one set of conversion rates.
    """
    items = tuple(inputs)
    if not items:
        raise ValueError("a book needs at least one account")
    first = items[0]
    for item in items[1:]:
        if item.now != first.now:
            raise ValueError("a book is valued at one moment: the inputs' 'now' differ")
        if item.request.strategy != first.request.strategy:
            raise ValueError("a book is one fan-out: the requests' strategy labels differ")
        if item.market.rates != first.market.rates:
            raise ValueError("a book is valued at one set of conversion rates")
    columns = _Columns(len(items))
    cohorts: dict[tuple[str, str], list[int]] = {}
    profiles: dict[tuple[str, str], Profile] = {}
    scalar_only: list[bool] = []
    early: list[tuple[RejectCode, ...]] = []
    fanout: list[tuple[RejectCode, ...]] = []
    floors: list[int] = []
    for index, item in enumerate(items):
        key = (shared_part(item.profile)[1], item.account.currency)
        cohorts.setdefault(key, []).append(index)
        profiles[key] = item.profile
        scalar_only.append(item.profile.method not in SUPPORTED_METHODS)
        early.append(tuple(code for code, _ in trading_gates(item) + state_gates(item)))
        fanout.append(tuple(code for code, _ in fanout_gates(item)))
        held = value_book(
            item.state.positions,
            item.instruments,
            item.market.rates,
            item.account.currency,
            item.rules,
            item.profile,
        )
        room = headroom_of(item, held)
        if swing_budgets(item.rules, item.day, room):
            scalar_only[-1] = True  # swing budgets (floors that follow equity) stay scalar
        floors.append(HEADROOM_FLOORS.index(room.binding))
        columns.put("headroom", room.available)
        allowances = {c.name: c.allowance for c in carried(item.rules, item.day, room, held)}
        for name in CARRIED:
            columns.put(name, allowances.get(name))
        columns.put("open_used", room.open_risk + room.reserved)
        _value(columns, index, item, held, room.open_risk + room.reserved)
        _expose(columns, index, item)
    return Book(
        inputs=items,
        now=first.now,
        strategy=first.request.strategy,
        rates=dict(first.market.rates),
        cohorts=tuple(
            Cohort(profiles[key], key[1], np.array(members, dtype=np.intp))
            for key, members in cohorts.items()
        ),
        scalar_only=np.array(scalar_only, dtype=np.bool_),
        early_codes=tuple(early),
        fanout_codes=tuple(fanout),
        gated=np.array([bool(a or b) for a, b in zip(early, fanout, strict=True)], dtype=np.bool_),
        equity=columns.array("equity"),
        balance=columns.array("balance"),
        personality=columns.array("personality"),
        pre_factor=columns.array("pre_factor"),
        open_used=columns.array("open_used"),
        headroom=columns.array("headroom"),
        headroom_floor=np.array(floors, dtype=np.intp),
        carried={name: columns.array(name) for name in CARRIED},
        lot_room=columns.array("lot_room"),
        per_order=columns.by_asset_class("per_order"),
        symbol_cap=columns.array("symbol_cap"),
        firm_positions_full=columns.mask("firm_positions_full"),
        exposure_room=columns.array("exposure_room"),
        risk_cap=columns.array("risk_cap"),
        firm_open_room=columns.array("firm_open_room"),
        profile_positions_full=columns.mask("profile_positions_full"),
        leverage_room=columns.array("leverage_room"),
        profile_open_room=columns.array("profile_open_room"),
        margin_free=columns.array("margin_free"),
        firm_leverage=columns.by_asset_class("leverage"),
        has_contract_cap=columns.mask("has_contract_cap"),
        held=columns.exposed("held"),
        within=columns.exposed("within"),
        hedged=columns.exposed("hedged"),
    )


def _room(cap: Decimal, used: Decimal) -> Decimal:
    return max(cap - used, ZERO)


def _value(
    columns: _Columns, index: int, item: DecisionInputs, held: list[Held], open_used: Decimal
) -> None:
    """The account's amounts, factors and the room under each limit (as ``limits`` has them)."""
    state, rules, profile = item.state, item.rules, item.profile
    columns.put("equity", state.equity)
    columns.put("balance", state.balance)
    columns.put("personality", item.account.personality.multiplier)
    adjusters, factors = profile.adjusters, []
    if adjusters.drawdown.enabled:
        factors.append(
            drawdown_factor(profile, state.equity, rules.size, item.peaks.intraday_equity).value
        )
    if adjusters.performance.enabled:
        factors.append(performance_factor(profile, item.trades).value)
    if adjusters.concurrency.enabled:
        pending = sum(
            1 for r in item.reservations if r.expires_at is None or item.now < r.expires_at
        )
        factors.append(concurrency_factor(len(state.positions), pending).value)
    # None when none of the three is enabled: it then takes no part in the combination.
    columns.put("pre_factor", combine(factors, adjusters.combine) if factors else None)

    limits, size = rules.limits, rules.size
    lot_caps: list[Decimal] = []
    if limits is not None and limits.max_total_lots is not None:
        lot_caps.append(limits.max_total_lots.resolve(size))
    if limits is not None and limits.lots_per_1k is not None:
        lot_caps.append(size / 1000 * limits.lots_per_1k)
    spot_lots = sum(
        (h.position.lots for h in held if h.instrument is None or h.instrument.kind != "future"),
        ZERO,
    )
    columns.put("lot_room", _room(min(lot_caps), spot_lots) if lot_caps else None)
    columns.put_class("per_order", index, dict(limits.max_lots_per_order) if limits else {})
    columns.put_class("leverage", index, dict(limits.leverage) if limits else {})
    columns.flag("has_contract_cap", limits is not None and limits.max_contracts is not None)
    columns.put(
        "symbol_cap",
        limits.max_positions_per_symbol
        if limits is not None and limits.max_positions_per_symbol is not None
        else None,
    )
    columns.flag(
        "firm_positions_full",
        limits is not None
        and limits.max_open_positions is not None
        and len(held) >= limits.max_open_positions,
    )
    notional = sum((h.notional for h in held if h.notional is not None), ZERO)
    columns.put(
        "exposure_room",
        _room(state.balance * limits.max_exposure_multiple, notional)
        if limits is not None and limits.max_exposure_multiple is not None
        else None,
    )
    columns.put(
        "risk_cap",
        limits.max_risk_per_trade.resolve(size, base=limits.risk_base(size, state.balance))
        if limits is not None and limits.max_risk_per_trade is not None
        else None,
    )
    columns.put(
        "firm_open_room",
        _room(
            limits.max_open_risk.resolve(size, base=limits.risk_base(size, state.balance)),
            open_used,
        )
        if limits is not None and limits.max_open_risk is not None
        else None,
    )
    own = profile.limits
    columns.flag(
        "profile_positions_full", own.max_positions is not None and len(held) >= own.max_positions
    )
    columns.put(
        "leverage_room",
        _room(state.equity * own.max_leverage, notional) if own.max_leverage is not None else None,
    )
    columns.put(
        "profile_open_room",
        _room(state.balance * own.max_open_risk, open_used)
        if own.max_open_risk is not None
        else None,
    )
    margin = sum((h.margin for h in held if h.margin is not None), ZERO)
    columns.put("margin_free", max(state.equity - margin, ZERO) * own.margin_buffer)


def _expose(columns: _Columns, index: int, item: DecisionInputs) -> None:
    """The account's positions, and those a hedge would break a rule against."""
    rules = item.rules.cross_account
    forbids_within = rules is not None and rules.hedging_within_account.value in (
        "forbidden",
        "unknown",
    )
    for position in item.state.positions:
        columns.expose("held", index, position.symbol, position.side.sign)
        if forbids_within:
            columns.expose("within", index, position.symbol, position.side.sign, rules)
    me = account_ref(item)
    for other in item.others:
        if not other.positions:
            continue
        if not cross_account.hedge_forbidden(me, other_ref(item, other)):  # as hedge_gates
            continue
        for exposure in other.positions:
            columns.expose("hedged", index, exposure.symbol, exposure.side.sign, rules)
