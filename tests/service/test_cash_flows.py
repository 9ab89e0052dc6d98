"""Cash flows through the service, on the in-memory store: recorded, chained, never a loss."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.cash import CashLedger
from accounts.model import HaltKind
from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import audit as audit_service
from aria.service.commands import PushState
from aria.service.context import Context
from aria.service.errors import Conflict, InvalidInput, NotFound
from tests.builders import ask, cash, open_account, push, utc
from tests.clocks import SettableClock
from tests.fakes import FakeStore

D = Decimal


def ftmo_funded_at_110k(ctx: Context, clock: SettableClock) -> None:
    """An FTMO funded 100k account whose day of 2 June starts at 110,000 (floor 105,000)."""
    clock.move_to("2026-06-01T15:00:00Z")
    open_account(ctx, "ftmo", phase="funded")
    push(ctx, "ftmo", 110_000, 110_000, utc(2026, 6, 1, 15))
    clock.move_to("2026-06-02T09:00:00Z")
    push(ctx, "ftmo", 110_000, 110_000, utc(2026, 6, 2, 9))


def kinds(ctx: Context, account_id: str) -> list[str]:
    page = audit_service.query_events(ctx, EventFilter(account=account_id))
    return [event.kind for event in page.items]


def test_an_ftmo_payout_at_noon_is_no_breach_and_is_in_the_chain(
    ctx: Context, clock: SettableClock
) -> None:
    ftmo_funded_at_110k(ctx, clock)
    clock.move_to("2026-06-02T12:00:00Z")
    result = cash(ctx, "ftmo", "payout", 8_000, reference="FTMO-PAY-1", actor="ops")
    assert result.cash == CashLedger(net=D(-8_000), payouts=1)
    assert result.balance == 102_000
    assert result.floors is not None
    assert (result.floors.daily, result.floors.max_loss) == (97_000, 90_000)
    assert result.events == ("cash_flow",)
    clock.move_to("2026-06-02T12:01:00Z")
    pushed = push(ctx, "ftmo", 102_000, 102_000, utc(2026, 6, 2, 12, 1))
    assert pushed.breaches == ()
    assert pushed.account.trading.halt is None
    assert pushed.floors.daily == 97_000
    (event,) = audit_service.query_events(ctx, EventFilter(account="ftmo", kind="cash_flow")).items
    assert (event.actor, event.reason) == ("ops", "payout of 8,000.00")
    assert event.detail["reference"] == "FTMO-PAY-1"
    assert event.detail["floors"] == {"daily_loss": "97000", "max_loss": "90000"}
    assert audit_service.verify(ctx, "ftmo").ok
    risk = account_service.account_risk(ctx, "ftmo")
    assert risk.daily is not None
    assert (risk.daily.floor, risk.daily.pnl) == (97_000, 0)  # the payout is no day's loss


def test_a_push_that_reports_its_payout_is_no_breach(ctx: Context, clock: SettableClock) -> None:
    ftmo_funded_at_110k(ctx, clock)
    clock.move_to("2026-06-02T12:01:00Z")
    command = PushState.model_validate(
        {
            "balance": 102_000,
            "equity": 102_000,
            "as_of": "2026-06-02T12:01:00Z",
            "cash_flows": [{"kind": "payout", "amount": 8_000, "at": "2026-06-02T12:00:00Z"}],
        }
    )
    result = account_service.push_state(ctx, "ftmo", command)
    assert result.breaches == ()
    assert result.events == ("cash_flow",)
    assert result.floors.daily == 97_000
    assert kinds(ctx, "ftmo")[0] == "cash_flow"  # newest first
    assert audit_service.verify(ctx, "ftmo").ok


def test_a_push_whose_flow_is_newer_than_itself_is_refused_whole(
    ctx: Context, clock: SettableClock, store: FakeStore
) -> None:
    ftmo_funded_at_110k(ctx, clock)
    clock.move_to("2026-06-02T12:01:00Z")
    before = kinds(ctx, "ftmo")
    command = PushState.model_validate(
        {
            "balance": 102_000,
            "equity": 102_000,
            "as_of": "2026-06-02T12:01:00Z",
            "cash_flows": [{"kind": "payout", "amount": 8_000, "at": "2026-06-02T12:02:00Z"}],
        }
    )
    with pytest.raises(InvalidInput, match=r"cash_flows\.0: a flow of .* is newer than the state"):
        account_service.push_state(ctx, "ftmo", command)
    assert kinds(ctx, "ftmo") == before


def test_an_xfa_starts_at_zero_and_may_go_negative(ctx: Context) -> None:
    open_account(
        ctx, "xfa", firm="topstep", plan="express-funded", phase="express-funded", size=50_000
    )
    result = push(ctx, "xfa", -1_999, -1_999, utc(2026, 6, 2, 8, 59))
    assert result.breaches == ()
    assert (result.floors.daily, result.floors.max_loss) == (None, -2_000)
    risk = account_service.account_risk(ctx, "xfa")
    assert risk.headroom is not None
    assert risk.headroom.distances == {"max_loss": 1}
    assert risk.headroom.available == 1


def test_the_first_xfa_payout_sets_the_floor_to_zero(ctx: Context, clock: SettableClock) -> None:
    open_account(
        ctx, "xfa", firm="topstep", plan="express-funded", phase="express-funded", size=50_000
    )
    push(ctx, "xfa", 1_200, 1_200, utc(2026, 6, 2, 8))
    clock.move_to("2026-06-03T09:00:00Z")  # after the 17:00 CT reset: the MLL trails to -800
    push(ctx, "xfa", 1_200, 1_200, utc(2026, 6, 3, 9))
    assert account_service.account_risk(ctx, "xfa").floors.max_loss == -800  # type: ignore[union-attr]
    result = cash(ctx, "xfa", "payout", 600)
    assert result.cash == CashLedger(net=D(-600), payouts=1, max_loss_floor=D(0))
    assert result.floors is not None
    assert result.floors.max_loss == 0
    assert result.balance == 600


def test_withdrawing_all_e8_one_profit_closes_the_account_and_sizing_refuses(
    ctx: Context,
) -> None:
    open_account(ctx, "e8", firm="e8", plan="one", phase="funded")
    push(ctx, "e8", 103_000, 103_000, utc(2026, 6, 2, 8, 59))
    result = cash(ctx, "e8", "payout", 3_000)
    assert result.events == ("cash_flow", "account_closed")
    assert result.account.trading.halt is HaltKind.CLOSED
    assert account_service.get_account(ctx, "e8").trading.halt is HaltKind.CLOSED
    (sized,) = ask(ctx, "after-close", ["e8"]).decisions
    assert not sized.decision.approved
    assert sized.decision.reject_codes == ["account_closed"]


def test_bad_cash_flows_are_refused_and_change_nothing(
    ctx: Context, clock: SettableClock, store: FakeStore
) -> None:
    open_account(ctx, "a", phase="funded")
    push(ctx, "a", 100_500, 100_500, utc(2026, 6, 2, 8, 59))
    before = (account_service.account_risk(ctx, "a").floors, kinds(ctx, "a"))
    with pytest.raises(NotFound, match="unknown account 'ghost'"):
        cash(ctx, "ghost", "deposit", 1)
    with pytest.raises(InvalidInput, match=r"a payout of 100,500\.01 is more than the balance"):
        cash(ctx, "a", "payout", D("100500.01"))
    with pytest.raises(InvalidInput, match="is in the future"):
        cash(ctx, "a", "deposit", 1, at=clock.now() + dt.timedelta(hours=1))
    with pytest.raises(InvalidInput, match="older than the latest state"):
        cash(ctx, "a", "deposit", 1, at=utc(2026, 6, 2, 8))
    with pytest.raises(ValueError, match="must be greater than zero"):
        cash(ctx, "a", "payout", -5)
    assert (account_service.account_risk(ctx, "a").floors, kinds(ctx, "a")) == before


def test_the_ledger_is_kept_with_the_tracker(ctx: Context) -> None:
    open_account(ctx, "a", phase="funded")
    push(ctx, "a", 100_500, 100_500, utc(2026, 6, 2, 8, 59))
    cash(ctx, "a", "deposit", 250)
    cash(ctx, "a", "fee", 50)
    cash(ctx, "a", "payout_requested", 100)
    with ctx.unit() as uow:
        tracker = uow.accounts.trackers(["a"])["a"]
    assert tracker.cash == CashLedger(net=D(200), requests=1)
    assert tracker.state is not None
    assert tracker.state.balance == 100_700
    assert audit_service.verify(ctx).ok


def test_an_xfa_at_zero_is_sized_on_the_capital_of_its_size(
    ctx: Context, clock: SettableClock
) -> None:
    clock.move_to("2026-06-02T14:00:00Z")
    open_account(
        ctx, "xfa", firm="topstep", plan="express-funded", phase="express-funded", size=50_000
    )
    push(ctx, "xfa", 0, 0, utc(2026, 6, 2, 13, 59))
    (sized,) = ask(ctx, "es", ["xfa"], symbol="ES", entry="5000", stop="4990").decisions
    decision = sized.decision
    assert decision.approved
    assert decision.lots == 1  # 1% of a 50,000 capital at 500 a contract to the stop
    limits = {check.name: check.max_lots for check in decision.limits}
    # Margin is on the 50,000 of capital, not on the balance of 0; the MLL 2,000 below
    # leaves 4 contracts; the Scaling Plan allows 2 at no profit yet.
    assert limits == {
        "instrument_max_lot": 100,
        "max_contracts": 2,
        "margin": D("3.2"),
        "max_loss_headroom": 4,
    }


def test_a_scaling_is_stored_with_the_new_size(ctx: Context) -> None:
    open_account(ctx, "a", phase="funded")
    push(ctx, "a", 110_000, 110_000, utc(2026, 6, 2, 8, 59))
    result = cash(ctx, "a", "scaling", 25_000, note="scaling plan: +25%")
    assert result.account.initial_balance == 125_000
    assert account_service.get_account(ctx, "a").initial_balance == 125_000
    assert result.floors is not None
    assert result.floors.max_loss == 112_500
    assert account_service.account_risk(ctx, "a").rules.size == 125_000
    assert audit_service.verify(ctx).ok


def test_a_scaling_to_a_size_the_plan_has_no_amounts_for_is_refused(ctx: Context) -> None:
    open_account(ctx, "t", firm="topstep", plan="trading-combine", phase="combine", size=50_000)
    push(ctx, "t", 50_000, 50_000, utc(2026, 6, 2, 8, 59))
    with pytest.raises(
        InvalidInput, match=r"scaling to 60,000: .* no amount for an account of 60,000"
    ):
        cash(ctx, "t", "scaling", 10_000)
    assert account_service.get_account(ctx, "t").initial_balance == 50_000


def test_a_flow_whose_reference_is_recorded_is_not_taken_twice(ctx: Context) -> None:
    open_account(ctx, "a", phase="funded")
    push(ctx, "a", 110_000, 110_000, utc(2026, 6, 2, 8, 59))
    cash(ctx, "a", "payout", 8_000, reference="PAY-7")
    with pytest.raises(Conflict, match="reference 'PAY-7' is already recorded for 'a'"):
        cash(ctx, "a", "payout", 8_000, reference="PAY-7")
    with ctx.unit() as uow:
        assert uow.accounts.trackers(["a"])["a"].cash == CashLedger(net=D(-8_000), payouts=1)
    open_account(ctx, "b", phase="funded")
    push(ctx, "b", 110_000, 110_000, utc(2026, 6, 2, 8, 59))
    assert cash(ctx, "b", "payout", 8_000, reference="PAY-7").cash.payouts == 1  # its own
