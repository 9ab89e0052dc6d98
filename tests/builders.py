"""Builders shared by the tests: aware times, sizing scenarios decided through the real
pipeline (documents as dicts, as a client writes them), and the use cases called with sane
defaults (an account opened, a state pushed, a size asked, a trade recorded)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from aria.service import accounts as account_service
from aria.service.commands import CreateAccount, PushState, RecordCashFlow, SizeRequest
from aria.service.context import Context
from aria.service.sizing import SizingResult, size
from aria.sizing.decision import Decision
from aria.sizing.inputs import DecisionInputs
from aria.sizing.instruments import InstrumentCatalog, load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from firms.catalog import load_catalog

# Loaded once for the whole run: both are immutable.
CATALOG = load_catalog()
INSTRUMENTS = load_instruments()

# An instrument file trading GBPUSD (``ask``'s symbol) around the clock. Sizing refuses entries
# while a market is closed, so a test whose time is the real one (a server process's, or the
# database's on PostgreSQL) loads it to answer the same on a Saturday or in a daily break.
ALWAYS_OPEN_GBPUSD = """[[instruments]]
symbol = "GBPUSD"
group = "fx"
base = "GBP"
quote = "USD"
calendar = "always"
"""


def always_open_instruments(path: Path) -> Path:
    """Write :data:`ALWAYS_OPEN_GBPUSD` to ``path`` (for ``ARIA_INSTRUMENT_FILES``); ``path``."""
    path.write_text(ALWAYS_OPEN_GBPUSD, encoding="utf-8")
    return path


def always_open_catalog(path: Path) -> InstrumentCatalog:
    """The built-in instruments with GBPUSD trading around the clock (the file at ``path``)."""
    return load_instruments([always_open_instruments(path)])


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


# A crypto-like instrument with a fine lot step, so that notional amounts are not rounded away
# and the seed documents' worked numbers can be checked exactly.
FINE = {
    "symbol": "FINE",
    "kind": "spot",
    "asset_class": "crypto",
    "quote": "USD",
    "contract_size": 1,
    "tick_size": 0.01,
    "lot_step": 0.00000001,
    "min_lot": 0.00000001,
    "max_lot": 1000000,
    "margin_rate": 1,
    "min_stop_ticks": 1,
}

NOW = "2026-06-01T12:00:00Z"


def scenario(**overrides: Any) -> dict[str, Any]:
    """A minimal valid scenario with no firm limits; keyword arguments replace top-level keys."""
    base: dict[str, Any] = {
        "profile": "aria",
        "rules": {"name": "No firm limits"},
        "account": {"balance": 10000, "as_of": NOW},
        "instrument": copy.deepcopy(FINE),
        "market": {},
        "request": {"symbol": "FINE", "side": "long", "entry": 100, "stop": 95},
    }
    base.update(copy.deepcopy(overrides))
    return base


def inputs_of(document: dict[str, Any]) -> DecisionInputs:
    """Build the pipeline's inputs from a scenario document."""
    return load_scenario(document, CATALOG, INSTRUMENTS)


def run(document: dict[str, Any]) -> Decision:
    """Decide a scenario document."""
    return decide(inputs_of(document))


# -- the use cases, with sane defaults --------------------------------------------------


def open_account(ctx: Context, account_id: str, **overrides: Any) -> None:
    """Open an FTMO 2-Step 100k challenge account unless told otherwise."""
    data: dict[str, Any] = {
        "id": account_id,
        "owner": "alice",
        "firm": "ftmo",
        "plan": "2-step",
        "phase": "challenge",
        "size": 100_000,
    }
    data.update(overrides)
    account_service.create_account(ctx, CreateAccount.model_validate(data))


def push(
    ctx: Context,
    account_id: str,
    balance: Any,
    equity: Any,
    at: dt.datetime,
    positions: list[dict[str, Any]] | None = None,
) -> account_service.StateResult:
    """Push a broker state."""
    return account_service.push_state(
        ctx,
        account_id,
        PushState.model_validate(
            {"balance": balance, "equity": equity, "as_of": at, "positions": positions or []}
        ),
    )


def cash(
    ctx: Context,
    account_id: str,
    kind: str,
    amount: Any,
    at: dt.datetime | None = None,
    **more: Any,
) -> account_service.CashFlowResult:
    """Record a cash flow (at the clock's time unless ``at`` is given)."""
    data: dict[str, Any] = {"kind": kind, "amount": amount, **more}
    if at is not None:
        data["at"] = at
    return account_service.record_cash_flow(ctx, account_id, RecordCashFlow.model_validate(data))


def ask(ctx: Context, request_id: str, accounts: Any, **overrides: Any) -> SizingResult:
    """Ask for a size: a GBPUSD long with a 100-pip stop (1,000 per lot) unless told otherwise."""
    data: dict[str, Any] = {
        "request_id": request_id,
        "accounts": accounts,
        "symbol": "GBPUSD",
        "side": "long",
        "entry": "1.2700",
        "stop": "1.2600",
    }
    data.update(overrides)
    return size(ctx, SizeRequest.model_validate(data))


# A closed EURUSD trade, as a broker reports it.
TRADE = {
    "id": "T-1",
    "symbol": "EURUSD",
    "side": "long",
    "lots": "1",
    "entry": "1.1",
    "exit": "1.2",
    "pnl": "100",
    "opened_at": "2026-06-01T08:00:00Z",
    "closed_at": "2026-06-01T09:00:00Z",
}


def short_two_lots(ctx: Context, account_id: str) -> None:
    """Open an account holding 2 lots of GBPUSD short, pushed a minute before 09:00 on 2 June."""
    open_account(ctx, account_id)
    push(
        ctx,
        account_id,
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 59),
        positions=[
            {"symbol": "GBPUSD", "side": "short", "lots": 2, "entry": "1.27", "stop": "1.28"}
        ],
    )


def close(ctx: Context, request_id: str, account_id: str) -> Decimal:
    """Ask to reduce the account's GBPUSD position; the lots approved (0 when nothing is left)."""
    (sized,) = ask(ctx, request_id, [account_id], reduce_only=True).decisions
    decision = sized.decision
    assert decision.approved or decision.reject_codes == ["nothing_to_reduce"]
    return decision.lots
