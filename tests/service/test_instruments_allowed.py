"""What an account may trade: a fan-out skips, holding nothing, what an account cannot trade."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aria.service import accounts as account_service
from aria.service import sizing as sizing_service
from aria.service.commands import UpdateAccount
from aria.service.context import Context
from aria.service.errors import InvalidInput
from aria.sizing.decision import RejectCode
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

D = Decimal
NOW = "2026-06-02T14:00:00Z"
NOT_ALLOWED = [RejectCode.INSTRUMENT_NOT_ALLOWED]


@pytest.fixture
def clock() -> SettableClock:
    """The afternoon of 2 June."""
    return SettableClock(NOW)


def _alice(ctx: Context) -> None:
    """Alice: an FTMO CFD account, a FundingPips CFD account and a Topstep futures account."""
    open_account(ctx, "ftmo-1")
    open_account(ctx, "fp-1", firm="fundingpips", plan="2-step", phase="phase-1")
    open_account(ctx, "ts-1", firm="topstep", plan="trading-combine", phase="combine", size=50_000)
    for account_id, size in (("ftmo-1", 100_000), ("fp-1", 100_000), ("ts-1", 50_000)):
        push(ctx, account_id, size, size, utc(2026, 6, 2, 13, 59))


def _live(ctx: Context, account_id: str) -> list[object]:
    with ctx.unit() as uow:
        return list(uow.sizing.live_reservations([account_id], utc(2026, 6, 2, 14))[account_id])


def _mes(ctx: Context, request_id: str, accounts: object) -> dict[str, object]:
    result = ask(ctx, request_id, accounts, symbol="MES", side="long", entry="5000", stop="4990")
    return {d.decision.account_id: d.decision for d in result.decisions}


def test_micro_futures_fanned_out_by_owner_skip_the_cfd_accounts(ctx: Context) -> None:
    _alice(ctx)
    decisions = _mes(ctx, "mes-1", {"owner": "alice"})
    for cfd in ("ftmo-1", "fp-1"):
        decision = decisions[cfd]
        assert not decision.approved
        assert decision.reject_codes == NOT_ALLOWED
        assert decision.lots == 0
        assert decision.reasons
        assert _live(ctx, cfd) == []  # holds nothing
    assert decisions["ts-1"].approved
    assert decisions["ts-1"].lots > 0


def test_fx_on_a_futures_account_holds_nothing_and_never_clips_its_real_trades(
    ctx: Context,
) -> None:
    _alice(ctx)
    alone = _mes(ctx, "mes-alone", ["ts-1"])["ts-1"]
    for decision_id in _ids(ctx, "mes-alone"):  # release it: the next sizing starts clean
        sizing_service.cancel(ctx, decision_id)

    fx = {d.decision.account_id: d.decision for d in ask(ctx, "fx-1", {"owner": "alice"}).decisions}
    assert fx["ts-1"].reject_codes == NOT_ALLOWED
    assert fx["ts-1"].reasons
    assert fx["ftmo-1"].approved
    assert fx["fp-1"].approved
    assert _live(ctx, "ts-1") == []

    after = _mes(ctx, "mes-after", ["ts-1"])["ts-1"]
    assert after.approved
    assert after.lots == alone.lots  # no bogus reservation from the GBPUSD fan-out
    assert after.headroom is not None
    assert after.headroom.reserved == 0


def _ids(ctx: Context, request_id: str) -> list[str]:
    with ctx.unit() as uow:
        return [stored.id for stored in uow.sizing.for_request(request_id)]


def test_an_account_narrows_what_its_firm_allows_and_is_stored_with_it(ctx: Context) -> None:
    open_account(ctx, "gold", instruments={"symbols": ["XAUUSD"]})
    open_account(ctx, "fx", instruments={"asset_classes": ["fx"]})
    for account_id in ("gold", "fx"):
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 13, 59))
    stored = account_service.get_account(ctx, "gold")
    assert stored.instruments is not None
    assert stored.instruments.symbols == ("XAUUSD",)

    decisions = {
        d.decision.account_id: d.decision for d in ask(ctx, "n-1", {"owner": "alice"}).decisions
    }
    assert decisions["gold"].reject_codes == NOT_ALLOWED
    assert decisions["gold"].reasons
    assert decisions["fx"].approved
    assert _live(ctx, "gold") == []

    account_service.update_account(
        ctx, "gold", UpdateAccount(instruments=None, actor="ops", reason="lifted")
    )
    assert account_service.get_account(ctx, "gold").instruments is None
    assert ask(ctx, "n-2", ["gold"]).decisions[0].decision.approved


def test_unknown_symbols_in_an_allow_list_are_refused(ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="unknown symbol NOPE"):
        open_account(ctx, "typo", instruments={"symbols": ["NOPE"]})


def test_e8_one_percentages_are_chosen_per_account_and_stored(ctx: Context) -> None:
    open_account(
        ctx, "e8-4", firm="e8", plan="one", phase="evaluation", options={"daily_loss_pct": 4}
    )
    open_account(ctx, "e8-default", firm="e8", plan="one", phase="evaluation")
    assert account_service.get_account(ctx, "e8-4").options == {"daily_loss_pct": D(4)}
    assert account_service.get_account(ctx, "e8-default").options == {}
    with pytest.raises(InvalidInput, match="choose one of"):
        open_account(
            ctx, "e8-9", firm="e8", plan="one", phase="evaluation", options={"daily_loss_pct": 9}
        )
    with pytest.raises(InvalidInput, match="has no option"):
        open_account(ctx, "ftmo-x", options={"daily_loss_pct": 4})
    for account_id in ("e8-4", "e8-default"):
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 13, 59))
    risk = {a: account_service.account_risk(ctx, a) for a in ("e8-4", "e8-default")}
    assert risk["e8-4"].floors.daily == D("96000")
    assert risk["e8-default"].floors.daily == D("97000")

    account_service.update_account(ctx, "e8-default", UpdateAccount(options={"daily_loss_pct": 2}))
    assert account_service.account_risk(ctx, "e8-default").floors.daily == D("98000")
