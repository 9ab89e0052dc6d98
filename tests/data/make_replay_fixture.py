"""Make ``replay_e949a5f.sqlite``: a small ARIA database whose decisions must replay forever.

The fixture was made at commit ``e949a5f`` of ``main`` (sizing engine 3), by running this
script from the repository root::

    python tests/data/make_replay_fixture.py tests/data/replay_e949a5f.sqlite

It drives the public use cases only (the same ones the API and CLI call), under a clock
that steps through July 2017 so that the shipped EUR/USD bars are fresh: four accounts at
three firms, state pushes, trades, approved and rejected decisions, a fan-out, a reduce-only
close, an operator's disable and re-enable, a daily reset and a breach. Running it again on
that commit makes the same decisions, sizes, reasons and times; record ids are random UUIDs
drawn by storage, so ids and chain hashes differ from run to run.

``tests/integration/test_replay_fixture.py`` opens a copy with today's code and checks that
every decision still replays to itself. Never regenerate the fixture with newer code: its
point is to be made by the old one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import sqlite3
import sys
from pathlib import Path
from typing import Any

from aria.bootstrap import build
from aria.cli.market import parse_csv
from aria.service import accounts as account_service
from aria.service import maintenance
from aria.service import market as market_service
from aria.service.commands import (
    BarsBatch,
    CreateAccount,
    PushState,
    RecordTrades,
    SetTrading,
    SizeRequest,
)
from aria.service.sizing import size
from aria.settings import Settings

HERE = Path(__file__).resolve().parent
BARS = HERE / "eurusd_oanda_2017h1.csv"

# What the fixture holds; the replay test checks the database against these.
DECISIONS = 9
APPROVED_AT_LEAST = 5
REJECTED_AT_LEAST = 2


class SteppingClock:
    """A clock that moves only when told to."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start

    def now(self) -> dt.datetime:
        """The time the script has reached."""
        return self.at

    def to(self, at: dt.datetime) -> dt.datetime:
        """Move to ``at`` (never backwards) and return it."""
        assert at >= self.at
        self.at = at
        return at


def utc(*parts: int) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


def _counter_tokens() -> Any:
    # Tokens the use cases draw come from here rather than from the system's random source.
    counter = itertools.count(1)
    return lambda n=16: f"{next(counter):0{2 * n}x}"


def make(path: Path) -> dict[str, int]:
    """Write the fixture database at ``path``; return how many decisions it holds by status."""
    if path.exists():
        path.unlink()
    clock = SteppingClock(utc(2017, 7, 3, 7, 0))
    app = build(Settings(database_url=f"sqlite:///{path}"), migrate=True, clock=clock)
    ctx = app.context
    ctx = dataclasses.replace(app.context, tokens=_counter_tokens())

    # Market data from the shipped sample, then the volatility job over it.
    parsed = parse_csv(BARS, "EURUSD")
    assert not parsed.problems, parsed.problems
    market_service.ingest_bars(ctx, BarsBatch(symbol="EURUSD", bars=parsed.bars))
    maintenance.volatility(ctx)

    def open_account(account_id: str, **fields: Any) -> None:
        data = {"id": account_id, "owner": "alice", **fields}
        account_service.create_account(ctx, CreateAccount.model_validate(data))

    open_account("ftmo-1", firm="ftmo", plan="2-step", phase="challenge", size=100_000)
    open_account(
        "ftmo-2",
        firm="ftmo",
        plan="2-step",
        phase="challenge",
        size=100_000,
        personality={"seeded": True},
    )
    open_account("fp-1", firm="fundingpips", plan="2-step", size=50_000)
    open_account(
        "ts-1", owner="bob", firm="topstep", plan="trading-combine", phase="combine", size=50_000
    )

    def push(account_id: str, balance: str, equity: str, **extra: Any) -> None:
        command = PushState.model_validate(
            {"balance": balance, "equity": equity, "as_of": clock.now(), **extra}
        )
        account_service.push_state(ctx, account_id, command)

    def ask(request_id: str, accounts: list[str], **fields: Any) -> list[Any]:
        data = {
            "request_id": request_id,
            "accounts": accounts,
            "symbol": "EURUSD",
            "side": "long",
            "entry": "1.1420",
            "stop": "1.1370",
            **fields,
        }
        answered = list(size(ctx, SizeRequest.model_validate(data)).decisions)
        for one in answered:
            d = one.decision
            sys.stderr.write(f"{request_id} {d.account_id} {d.status} {d.lots} {d.reject_codes}\n")
        return answered

    clock.to(utc(2017, 7, 3, 8, 55))
    for account_id, amount in (("ftmo-1", "100000"), ("ftmo-2", "100000"), ("fp-1", "50000")):
        push(account_id, amount, amount)
    push("ts-1", "50000", "50000")

    # A fan-out of one signal to alice's three accounts: each answered on its own.
    clock.to(utc(2017, 7, 3, 9, 0))
    fanned = ask("signal-1", ["ftmo-1", "ftmo-2", "fp-1"], strategy="breakout")
    # A futures account asked for a spot FX pair its firm does not allow: rejected.
    ask("signal-2", ["ts-1"])
    # A short with a confidence, while the fan-out's long is reserved.
    clock.to(utc(2017, 7, 3, 9, 5))
    ask(
        "signal-3",
        ["ftmo-1"],
        side="short",
        entry="1.1420",
        stop="1.1460",
        confidence="0.7",
    )

    # The fan-out's trades are open: the broker reports them with their decision ids.
    clock.to(utc(2017, 7, 3, 10, 0))
    opened = next(one for one in fanned if one.decision.account_id == "ftmo-1")
    ftmo_1 = opened.decision
    push(
        "ftmo-1",
        "100000",
        "100120",
        positions=[
            {
                "symbol": "EURUSD",
                "side": "long",
                "lots": str(ftmo_1.lots),
                "entry": "1.1420",
                "stop": "1.1370",
                "price": "1.1430",
                "decision_id": opened.decision_id,
            }
        ],
    )

    # A reduce-only close of that position: never blocked.
    clock.to(utc(2017, 7, 3, 11, 0))
    ask("close-1", ["ftmo-1"], side="short", entry="1.1432", stop="1.1480", reduce_only=True)
    clock.to(utc(2017, 7, 3, 12, 0))
    push("ftmo-1", "100150", "100150")
    closed = {
        "symbol": "EURUSD",
        "side": "long",
        "lots": str(ftmo_1.lots),
        "entry": "1.1420",
        "exit": "1.1432",
        "pnl": "150",
        "opened_at": utc(2017, 7, 3, 9, 5),
        "closed_at": utc(2017, 7, 3, 11, 30),
        "decision_id": opened.decision_id,
    }
    account_service.record_trades(ctx, "ftmo-1", RecordTrades.model_validate({"trades": [closed]}))

    # An operator disables an account and enables it again; asked while disabled, rejected.
    clock.to(utc(2017, 7, 3, 13, 0))
    push("ftmo-2", "100000", "100000")
    account_service.set_trading(
        ctx, "ftmo-2", SetTrading(enabled=False, actor="ops", reason="news pause")
    )
    ask("signal-4", ["ftmo-2"])
    clock.to(utc(2017, 7, 3, 14, 0))
    account_service.set_trading(
        ctx, "ftmo-2", SetTrading(enabled=True, actor="ops", reason="news over")
    )

    # Past FTMO's midnight in Prague: the daily reset job rolls the day.
    clock.to(utc(2017, 7, 3, 22, 30))
    maintenance.daily_resets(ctx)

    # FundingPips reports equity below its maximum-loss floor: a hard breach.
    clock.to(utc(2017, 7, 3, 23, 0))
    push("fp-1", "45000", "44000")
    push("ftmo-1", "100150", "100150")
    ask("signal-5", ["fp-1", "ftmo-1"])

    app.close()
    connection = sqlite3.connect(path)
    counts = dict(
        connection.execute(
            "select status, count(*) from sizing_decisions group by status"
        ).fetchall()
    )
    connection.execute("VACUUM")
    connection.close()
    return counts


def main() -> None:
    """Write the fixture to the path given (default: beside this script)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "replay_e949a5f.sqlite"
    counts = make(target)
    sys.stderr.write(f"{target}: {sum(counts.values())} decisions {counts}\n")
    assert sum(counts.values()) == DECISIONS, counts
    assert counts.get("approved", 0) >= APPROVED_AT_LEAST, counts
    assert counts.get("rejected", 0) >= REJECTED_AT_LEAST, counts


if __name__ == "__main__":
    main()
