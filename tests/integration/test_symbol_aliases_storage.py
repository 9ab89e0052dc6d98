"""An account's symbol aliases through storage, on SQLite and PostgreSQL: stored, read back,
changed (never served stale from the row cache), and used to size and to value positions."""

from __future__ import annotations

from sqlalchemy import Engine

from aria.service import accounts as account_service
from aria.service.commands import UpdateAccount
from storage.uow import SqlUnitOfWork
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context


def test_aliases_are_stored_changed_and_used(engine: Engine) -> None:
    clock = SettableClock("2026-06-02T14:00:00Z")
    ctx = make_context(engine, clock=clock)
    open_account(ctx, "a", symbol_aliases={"CABLE.Z": "GBPUSD"})
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 13, 58))
    assert ask(ctx, "r-1", ["a"], symbol="cable.z").decisions[0].decision.symbol == "GBPUSD"
    account_service.update_account(
        ctx, "a", UpdateAccount(symbol_aliases={"CABLE.Z": "EURUSD", "GOLDY": "XAUUSD"})
    )
    # Sizing reads accounts through the row cache: the change must be seen at once.
    decision = ask(ctx, "r-2", ["a"], symbol="cable.z", entry="1.10", stop="1.09")
    assert decision.decisions[0].decision.symbol == "EURUSD"
    position = {"symbol": "goldy", "side": "long", "lots": "1", "entry": "2000", "stop": "1990"}
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 13, 59), positions=[position])
    with ctx.unit() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        account = uow.accounts.get("a")
        tracker = uow.accounts.trackers(["a"])["a"]
    assert account is not None
    assert account.symbol_aliases == {"CABLE.Z": "EURUSD", "GOLDY": "XAUUSD"}
    assert tracker.state is not None
    assert [p.symbol for p in tracker.state.positions] == ["XAUUSD"]
