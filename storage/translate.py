"""Pure translation between ``…Row`` objects and domain values, in both directions."""

from __future__ import annotations

import datetime as dt
import json
import operator
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from accounts.cash import NO_CASH, CashLedger
from accounts.model import (
    Account,
    AccountState,
    DayStart,
    HaltKind,
    InstrumentFilter,
    Position,
    Side,
    Trade,
    TradingState,
    TradingStatus,
)
from accounts.money import ZERO
from accounts.peaks import Peaks
from accounts.personality import Personality
from accounts.tracker import Tracker
from aria.audit.chain import ACCOUNT_STATE, TRACKER_STATE
from aria.audit.inputs import reassemble
from aria.audit.records import Replayable, StoredDecision, StoredEvent
from aria.sizing.decision import Decision
from aria.sizing.inputs import Reservation

_POSITIONS = TypeAdapter(tuple[Position, ...])


def account_values(account: Account, at: dt.datetime) -> dict[str, Any]:
    """An account as its row's column values (all but ``created_at``)."""
    trading = account.trading
    return {
        "id": account.id,
        "label": account.label,
        "owner": account.owner,
        "household": account.household,
        "firm": account.firm,
        "plan": account.plan,
        "phase": account.phase,
        "rulebook_version": account.rulebook_version or "",
        "currency": account.currency,
        "initial_balance": account.initial_balance,
        "profile": account.profile,
        "strategy": account.strategy,
        "personality": account.personality.model_dump(mode="json"),
        "instruments": (
            account.instruments.model_dump(mode="json") if account.instruments is not None else None
        ),
        "options": {name: str(value) for name, value in account.options.items()},
        "trading_status": trading.status.value,
        "halt_kind": trading.halt.value if trading.halt else None,
        "halt_reason": trading.reason,
        "halt_since": trading.since,
        "halt_until": trading.until,
        "updated_at": at,
        "symbol_aliases": dict(account.symbol_aliases),
    }


def account_from_row(row: Any) -> Account:
    """The domain account of a row."""
    return Account(
        id=row.id,
        label=row.label,
        owner=row.owner,
        household=row.household,
        firm=row.firm,
        plan=row.plan,
        phase=row.phase,
        rulebook_version=row.rulebook_version or None,
        currency=row.currency,
        initial_balance=row.initial_balance,
        profile=row.profile,
        strategy=row.strategy,
        personality=Personality.model_validate(row.personality),
        instruments=(
            InstrumentFilter.model_validate(row.instruments)
            if row.instruments is not None
            else None
        ),
        options={name: Decimal(value) for name, value in (row.options or {}).items()},
        trading=TradingState(
            status=TradingStatus(row.trading_status),
            halt=HaltKind(row.halt_kind) if row.halt_kind else None,
            reason=row.halt_reason,
            since=row.halt_since,
            until=row.halt_until,
        ),
        symbol_aliases=row.symbol_aliases or {},
    )


class RowCache:
    """Domain values translated from rows, kept by the rows' exact content (bounded, LRU).

    Translating validates every field; a fan-out re-reads the same unchanged accounts again
    and again, so the value is kept under the row's content — any change to the row is a
    different key, never a stale answer.
    """

    def __init__(self, translate: Callable[[Any], Any], columns: Sequence[str], size: int) -> None:
        self._translate, self._columns, self._size = translate, tuple(columns), size
        self._values = operator.attrgetter(*self._columns)  # one call for every column
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, row: Any) -> Any:
        values = self._values(row)
        key = tuple(map(_keyed, values)) if len(self._columns) > 1 else (_keyed(values),)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        value = self._translate(row)
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


def _keyed(value: Any) -> Any:
    # Exact text for amounts (1.0 and 1.00 are equal but not the same record), and for
    # documents the repr of the decoded value: hashable, exact (it tells 1 from 1.0, True and
    # "1", and keeps key order, which the translated value keeps too) and far cheaper than
    # encoding JSON again. Tagged, so a document never shares a key with a text column.
    if isinstance(value, Decimal):
        return ("d", str(value))
    if isinstance(value, dict | list):
        return ("j", repr(value))
    return value


def positions_to_json(positions: tuple[Position, ...]) -> list[Any]:
    """Positions as JSON."""
    return [p.model_dump(mode="json", exclude_none=True) for p in positions]


def tracker_values(tracker: Tracker, at: dt.datetime) -> dict[str, Any]:
    """A tracker as its row's column values (all but the account id and the chain head)."""
    state, peaks, day = tracker.state, tracker.peaks, tracker.day
    return {
        "balance": state.balance if state else None,
        "equity": state.equity if state else None,
        "state_as_of": state.as_of if state else None,
        "positions": positions_to_json(state.positions) if state else [],
        "peak_intraday_equity": peaks.intraday_equity,
        "peak_eod_balance": peaks.end_of_day_balance,
        "peak_closed_balance": peaks.closed_balance,
        "peaks_as_of": peaks.as_of,
        "day_starts_at": day.starts_at if day else None,
        "day_balance": day.balance if day else None,
        "day_equity": day.equity if day else None,
        "day_equity_high": day.equity_high if day else None,
        "near_floor_streak": tracker.near_floor_streak,
        "cash_net": tracker.cash.net,
        "cash_payouts": tracker.cash.payouts,
        "cash_requests": tracker.cash.requests,
        "cash_max_loss_floor": tracker.cash.max_loss_floor,
        "risk_violations": tracker.risk_violations,
        "over_risk_cap": tracker.over_risk_cap,
        "updated_at": at,
    }


def tracker_from_row(row: Any) -> Tracker:
    """The domain tracker of a row."""
    state = None
    if row.state_as_of is not None and row.balance is not None and row.equity is not None:
        state = AccountState(
            balance=row.balance,
            equity=row.equity,
            as_of=row.state_as_of,
            positions=_POSITIONS.validate_python(row.positions or []),
        )
    day = None
    if row.day_starts_at is not None and row.day_balance is not None:
        equity = row.day_equity if row.day_equity is not None else row.day_balance
        day = DayStart(
            starts_at=row.day_starts_at,
            balance=row.day_balance,
            equity=equity,
            equity_high=row.day_equity_high if row.day_equity_high is not None else equity,
        )
    peaks = Peaks(
        intraday_equity=row.peak_intraday_equity,
        end_of_day_balance=row.peak_eod_balance,
        closed_balance=row.peak_closed_balance,
        as_of=row.peaks_as_of,
    )
    cash = NO_CASH
    net = getattr(row, "cash_net", None)
    if net or getattr(row, "cash_payouts", 0) or getattr(row, "cash_requests", 0):
        cash = CashLedger(
            net=net or ZERO,
            payouts=row.cash_payouts,
            requests=row.cash_requests,
            max_loss_floor=row.cash_max_loss_floor,
        )
    elif getattr(row, "cash_max_loss_floor", None) is not None:
        cash = CashLedger(max_loss_floor=row.cash_max_loss_floor)
    return Tracker(
        state=state,
        peaks=peaks,
        day=day,
        near_floor_streak=row.near_floor_streak,
        cash=cash,
        # Rows stored before violations were counted have none.
        risk_violations=getattr(row, "risk_violations", 0) or 0,
        over_risk_cap=bool(getattr(row, "over_risk_cap", False)),
    )


def trade_from_row(row: Any) -> Trade:
    """The domain trade of a row."""
    return Trade(
        id=row.external_id or row.id,
        symbol=row.symbol,
        side=row.side,
        lots=row.lots,
        entry=row.entry,
        exit=row.exit,
        pnl=row.pnl,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        decision_id=row.decision_id,
    )


def reservation_from_row(row: Any) -> Reservation:
    """The pipeline's reservation of a row (or a selected row) of ``reservations``."""
    return Reservation(
        decision_id=row.decision_id,
        amount=row.amount,
        expires_at=row.expires_at,
        swing=row.swing,
        symbol=row.symbol,
        side=Side(row.side),
        lots=row.lots,
        reduce_only=row.reduce_only,
    )


def decision_from_row(row: Any) -> StoredDecision:
    """The stored decision of a row."""
    decision = (
        Decision.model_validate(json.loads(row.decision))
        if row.record_format == 1
        else Decision.model_validate_json(row.decision)
    )
    return StoredDecision(
        id=row.id,
        request_id=row.request_id,
        account_id=row.account_id,
        seq=row.seq,
        decision=decision,
        created_at=row.created_at,
        hash=row.hash,
    )


def replayable_from_row(row: Any, parts: Mapping[str, str]) -> Replayable:
    """A decision row with its inputs rebuilt from its own text and the shared parts."""
    return reassemble(decision_from_row(row), row.record_format, row.inputs, parts)


def event_from_values(values: Mapping[str, Any]) -> StoredEvent:
    """The stored event of a row's values (read, or just written)."""
    return StoredEvent(
        id=values["id"],
        account_id=values["account_id"],
        seq=values["seq"],
        kind=values["kind"],
        detail=values["detail"],
        actor=values["actor"],
        reason=values["reason"],
        at=values["at"],
    )


# A row's cache key covers what its chained copy covers (the chain's lists, one place).
# Plus the columns that are not chained but still make the account another value.
_ACCOUNT_COLUMNS = (
    *(c for c in ACCOUNT_STATE if c != "created_at"),
    "household",
    "symbol_aliases",
)
_TRACKER_COLUMNS = TRACKER_STATE
cached_account = RowCache(account_from_row, _ACCOUNT_COLUMNS, 50_000)
cached_tracker = RowCache(tracker_from_row, _TRACKER_COLUMNS, 50_000)
