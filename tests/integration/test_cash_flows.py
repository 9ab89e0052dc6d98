"""Cash flows on SQLite and PostgreSQL: the ledger is kept with the tracker, the flows are
chained account events, and revision 0009 keeps the trails chained before it verifying."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from accounts.cash import NO_CASH, CashLedger
from accounts.model import HaltKind
from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import audit
from aria.service.context import Context
from aria.service.errors import Conflict
from storage.schema import current_revision, downgrade, head_revision, upgrade
from tests.builders import ask, cash, open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context

D = Decimal


def test_an_ftmo_payout_is_stored_chained_and_no_breach(ctx: Context, clock: SettableClock) -> None:
    clock.move_to("2026-06-01T15:00:00Z")
    open_account(ctx, "ftmo", phase="funded")
    push(ctx, "ftmo", 110_000, 110_000, utc(2026, 6, 1, 15))
    clock.move_to("2026-06-02T09:00:00Z")
    push(ctx, "ftmo", 110_000, 110_000, utc(2026, 6, 2, 9))
    clock.move_to("2026-06-02T12:00:00Z")
    result = cash(ctx, "ftmo", "payout", "8000.00", note="monthly split", reference="P-1")
    assert result.floors is not None
    assert result.floors.daily == 97_000
    clock.move_to("2026-06-02T12:01:00Z")
    pushed = push(ctx, "ftmo", 102_000, 102_000, utc(2026, 6, 2, 12, 1))
    assert pushed.breaches == ()
    assert pushed.floors.daily == 97_000
    with ctx.unit() as uow:
        tracker = uow.accounts.trackers(["ftmo"])["ftmo"]
    assert tracker.cash == CashLedger(net=D(-8_000), payouts=1)
    (event,) = audit.query_events(ctx, EventFilter(account="ftmo", kind="cash_flow")).items
    assert event.reason == "payout of 8,000.00: monthly split"
    assert (event.detail["amount"], event.detail["balance"]) == ("8000.00", "102000.00")
    report = audit.verify(ctx, "ftmo")
    assert report.ok, report.problem
    with pytest.raises(Conflict, match="already recorded"):
        cash(ctx, "ftmo", "payout", "8000.00", reference=event.detail["reference"])


def test_an_xfa_keeps_a_negative_balance_and_a_floor_a_payout_set(
    ctx: Context, clock: SettableClock
) -> None:
    open_account(
        ctx, "xfa", firm="topstep", plan="express-funded", phase="express-funded", size=50_000
    )
    pushed = push(ctx, "xfa", "-1999.00", "-1999.00", utc(2026, 6, 2, 8, 59))
    assert pushed.floors.max_loss == -2_000
    risk = account_service.account_risk(ctx, "xfa")
    assert risk.state is not None
    assert risk.state.balance == D("-1999.00")
    assert risk.headroom is not None
    assert risk.headroom.available == 1
    clock.move_to("2026-06-02T10:00:00Z")
    push(ctx, "xfa", 800, 800, utc(2026, 6, 2, 10))
    result = cash(ctx, "xfa", "payout", 300)
    assert result.floors is not None
    assert result.floors.max_loss == 0
    with ctx.unit() as uow:
        tracker = uow.accounts.trackers(["xfa"])["xfa"]
    assert tracker.cash == CashLedger(net=D(-300), payouts=1, max_loss_floor=D(0))
    report = audit.verify(ctx)
    assert report.ok, report.problem


def test_a_closed_account_is_stored_closed_and_refused(ctx: Context) -> None:
    open_account(ctx, "e8", firm="e8", plan="one", phase="funded")
    push(ctx, "e8", 101_000, 101_000, utc(2026, 6, 2, 8, 59))
    cash(ctx, "e8", "payout", 1_000)
    assert account_service.get_account(ctx, "e8").trading.halt is HaltKind.CLOSED
    (sized,) = ask(ctx, "closed", ["e8"]).decisions
    assert sized.decision.reject_codes == ["account_closed"]
    report = audit.verify(ctx)
    assert report.ok, report.problem


def test_revision_0009_adds_the_ledger_and_keeps_older_trails_verifying(
    blank_engine: Engine, clock: SettableClock
) -> None:
    upgrade(blank_engine)
    ctx = make_context(blank_engine, clock=clock)
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    downgrade(blank_engine, "0008")
    columns = {c["name"] for c in sa.inspect(blank_engine).get_columns("account_trackers")}
    assert "cash_net" not in columns
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head_revision()
    with ctx.unit() as uow:
        tracker = uow.accounts.trackers(["a"])["a"]
    assert tracker.cash is NO_CASH  # every tracker stored before starts with no cash flow
    report = audit.verify(ctx)
    assert report.ok, report.problem
    cash(ctx, "a", "deposit", 500)
    report = audit.verify(ctx)
    assert report.ok, report.problem
