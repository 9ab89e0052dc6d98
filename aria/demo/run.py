"""The demo: a fresh ARIA on real bars — six accounts at three firms for two traders.

It creates a new SQLite database, loads the catalog, opens the accounts, imports the shipped
bars, replays three weeks of account states (positions marked to the real closes), runs the
jobs once, fans three signals out, and writes one compliance report. Time is the demo's own
clock, walked through December 2018, so the same run prints the same decisions every time.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from aria.bootstrap import App, build
from aria.reports.compliance import compliance_report
from aria.service import accounts as account_service
from aria.service import audit, maintenance
from aria.service import market as market_service
from aria.service.audit import VerifyReport
from aria.service.commands import BarsBatch, CreateAccount, PushState, RecordTrades, SizeRequest
from aria.service.sizing import SizedDecision, size
from aria.settings import Settings

D = Decimal
UTC = dt.UTC
SYMBOLS = ("EURUSD", "GBPUSD", "NZDUSD", "EURGBP", "XAUUSD")
NOW = dt.datetime(2019, 1, 2, 8, 0, tzinfo=UTC)  # the morning after the last bar
REPLAY_FROM = dt.date(2018, 12, 10)


@dataclass
class DemoClock:
    """The demo's clock: it moves only when the demo moves it."""

    current: dt.datetime

    def now(self) -> dt.datetime:
        """The demo's present."""
        return self.current


# id, owner, firm, plan, phase, size, personality, strategy
ACCOUNTS: tuple[tuple[str, str, str, str, str, int, dict[str, Any] | None, str], ...] = (
    ("alice-ftmo-100k", "alice", "ftmo", "2-step", "challenge", 100_000, {"seeded": True}, "trend"),
    (
        "alice-ftmo-200k",
        "alice",
        "ftmo",
        "2-step",
        "verification",
        200_000,
        {"seeded": True},
        "trend",
    ),
    (
        "alice-fp-100k",
        "alice",
        "fundingpips",
        "2-step",
        "phase-1",
        100_000,
        {"multiplier": "0.9"},
        "trend",
    ),
    ("alice-topstep-50k", "alice", "topstep", "trading-combine", "combine", 50_000, None, "index"),
    (
        "bob-ftmo-100k",
        "bob",
        "ftmo",
        "1-step",
        "challenge",
        100_000,
        {"multiplier": "1.1"},
        "trend",
    ),
    ("bob-topstep-150k", "bob", "topstep", "trading-combine", "combine", 150_000, None, "index"),
)

# Positions held through the replay: account → (symbol, side, lots, stop distance in price).
HOLDINGS = {
    "alice-ftmo-100k": ("EURUSD", "long", D("2"), D("0.0100")),
    "alice-fp-100k": ("GBPUSD", "short", D("1"), D("0.0150")),
    "bob-ftmo-100k": ("XAUUSD", "long", D("0.5"), D("25")),
}
# Futures accounts close their trades each day: realised P&L per replayed day.
FUTURES_PNL = {
    "alice-topstep-50k": (150, -80, 220, 60, -140, 310, 90, -60, 180, 40, 120, -200, 75, 130, 20),
    "bob-topstep-150k": (-300, 450, 120, -90, 610, 80, -240, 330, 150, -70, 260, 90, -120, 400, 50),
}


@dataclass
class DemoResult:
    """What the demo did."""

    folder: Path
    database: Path
    report: Path
    signals: list[tuple[str, list[SizedDecision]]] = field(default_factory=list)
    verified: VerifyReport | None = None
    bars: int = 0


def _bars(symbol: str) -> list[tuple[dt.datetime, Decimal, Decimal, Decimal, Decimal, None]]:
    text = (resources.files("aria.demo") / "data" / f"{symbol.lower()}.csv").read_text(
        encoding="utf-8"
    )
    return [
        (
            dt.datetime.fromisoformat(r["date"]).replace(tzinfo=UTC),
            D(r["open"]),
            D(r["high"]),
            D(r["low"]),
            D(r["close"]),
            None,
        )
        for r in csv.DictReader(text.splitlines())
    ]


def _open_accounts(app: App) -> None:
    for account_id, owner, firm, plan, phase, size_, personality, strategy in ACCOUNTS:
        account_service.create_account(
            app.context,
            CreateAccount.model_validate(
                {
                    "id": account_id,
                    "owner": owner,
                    "firm": firm,
                    "plan": plan,
                    "phase": phase,
                    "size": size_,
                    "personality": personality,
                    "strategy": strategy,
                }
            ),
        )


def _replay(app: App, clock: DemoClock, closes: dict[str, dict[dt.date, Decimal]]) -> None:
    """Three weeks of daily states: positions marked to the real closes, futures P&L realised."""
    days = sorted(d for d in closes["EURUSD"] if d >= REPLAY_FROM)
    entries = {a: closes[h[0]][days[0]] for a, h in HOLDINGS.items()}
    balances = {a[0]: D(a[5]) for a in ACCOUNTS}
    contract = {"EURUSD": D(100_000), "GBPUSD": D(100_000), "XAUUSD": D(100)}
    last: dict[str, dict[str, Any]] = {}
    for index, day in enumerate(days):
        clock.current = dt.datetime.combine(day, dt.time(21, 30), tzinfo=UTC)
        maintenance.daily_resets(app.context)
        for account_id, *_ in ACCOUNTS:
            positions, equity = [], balances[account_id]
            if account_id in HOLDINGS:
                symbol, side, lots, distance = HOLDINGS[account_id]
                sign = 1 if side == "long" else -1
                entry, mark = entries[account_id], closes[symbol][day]
                equity += sign * (mark - entry) * lots * contract[symbol]
                positions.append(
                    {
                        "id": f"{account_id}-1",
                        "symbol": symbol,
                        "side": side,
                        "lots": str(lots),
                        "entry": str(entry),
                        "price": str(mark),
                        "stop": str(entry - sign * distance),
                        "take_profit": str(entry + sign * 2 * distance),
                    }
                )
            if account_id in FUTURES_PNL and index < len(FUTURES_PNL[account_id]):
                pnl = D(FUTURES_PNL[account_id][index])
                balances[account_id] += pnl
                equity = balances[account_id]
                opened = clock.current - dt.timedelta(hours=3)
                account_service.record_trades(
                    app.context,
                    account_id,
                    RecordTrades.model_validate(
                        {
                            "trades": [
                                {
                                    "id": f"{account_id}-{day.isoformat()}",
                                    "symbol": "MES",
                                    "side": "long",
                                    "lots": 2,
                                    "entry": "2500",
                                    "exit": str(D(2500) + pnl / 10),
                                    "pnl": str(pnl),
                                    "opened_at": opened.isoformat(),
                                    "closed_at": clock.current.isoformat(),
                                }
                            ]
                        }
                    ),
                )
            last[account_id] = {
                "balance": str(balances[account_id]),
                "equity": str(equity),
                "positions": positions,
            }
            account_service.push_state(
                app.context,
                account_id,
                PushState.model_validate({**last[account_id], "as_of": clock.current.isoformat()}),
            )
    # The brokers' latest states, a minute before the signals: sizing refuses stale states.
    clock.current = NOW
    for account_id, state in last.items():
        account_service.push_state(
            app.context,
            account_id,
            PushState.model_validate(
                {**state, "as_of": (NOW - dt.timedelta(minutes=1)).isoformat()}
            ),
        )


SIGNALS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "EURUSD short, stop at 2 ATR",
        {
            "accounts": ["alice-ftmo-100k", "alice-ftmo-200k", "alice-fp-100k", "bob-ftmo-100k"],
            "symbol": "EURUSD",
            "side": "short",
            "entry": "1.1460",
            "stop_atr_multiple": "2",
            "strategy": "trend",
        },
    ),
    (
        "XAUUSD long, stop at 1.5 ATR",
        {
            "accounts": ["alice-ftmo-100k", "alice-fp-100k", "bob-ftmo-100k"],
            "symbol": "XAUUSD",
            "side": "long",
            "entry": "1284.00",
            "stop_atr_multiple": "1.5",
            "confidence": "0.8",
            "strategy": "trend",
        },
    ),
    (
        "MES long, 20-point stop",
        {
            "accounts": ["alice-topstep-50k", "bob-topstep-150k"],
            "symbol": "MES",
            "side": "long",
            "entry": "2510.00",
            "stop": "2490.00",
            "strategy": "index",
        },
    ),
)


def run(folder: Path) -> DemoResult:
    """Run the demo in ``folder`` (a new database is created there) and return what it did."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "aria.db"
    for leftover in folder.glob("aria.db*"):
        leftover.unlink()
    clock = DemoClock(dt.datetime.combine(REPLAY_FROM, dt.time(8), tzinfo=UTC))
    app = build(Settings(database_url=f"sqlite:///{database}"), migrate=True, clock=clock)
    result = DemoResult(
        folder=folder, database=database, report=folder / "report-alice-ftmo-100k.html"
    )
    try:
        _open_accounts(app)
        closes: dict[str, dict[dt.date, Decimal]] = {}
        history = {symbol: _bars(symbol) for symbol in SYMBOLS}
        # The demo knows its whole history before replaying it; only closed bars are stored,
        # so they are stored as of the day after the last one.
        replay_from = clock.current
        clock.current = max(b[0] for bars in history.values() for b in bars) + dt.timedelta(days=1)
        for symbol, bars in history.items():
            result.bars += market_service.ingest_bars(
                app.context, BarsBatch(symbol=symbol, bars=bars)
            ).stored
            closes[symbol] = {b[0].date(): b[4] for b in bars}
        clock.current = replay_from
        _replay(app, clock, closes)
        for job in (
            maintenance.daily_resets,
            maintenance.volatility,
            maintenance.correlations,
            maintenance.compliance_scan,
            maintenance.expire_reservations,
        ):
            job(app.context)
        for number, (title, signal) in enumerate(SIGNALS, start=1):
            request = SizeRequest.model_validate({"request_id": f"demo-signal-{number}", **signal})
            result.signals.append((title, size(app.context, request).decisions))
        result.report.write_text(
            compliance_report(app.context, "alice-ftmo-100k"), encoding="utf-8"
        )
        result.verified = audit.verify(app.context)
    finally:
        app.close()
    return result
