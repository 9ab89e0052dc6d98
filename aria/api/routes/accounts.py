"""Accounts: list, open, read, state, cash-flow and trade pushes, headroom, enable and disable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from accounts.model import Account, Identifier
from aria.api.deps import AccountId, Ctx, check_account_owner, check_owner
from aria.api.schemas import (
    ERRORS,
    CashFlowOut,
    CountOut,
    DayOut,
    FloorsOut,
    HeadroomOut,
    RiskOut,
    StateOut,
)
from aria.api.security import Admin, Reader, Sizer
from aria.service import accounts as service
from aria.service.commands import (
    CashFlowIn,
    Command,
    CreateAccount,
    PushState,
    RecordCashFlow,
    RecordTrades,
    SetTrading,
    UpdateAccount,
)
from aria.service.keys import Principal
from firms.floors import Floors
from firms.headroom import Headroom

router = APIRouter(prefix="/v1/accounts", responses=ERRORS, tags=["accounts"])


def _floors(found: Floors) -> FloorsOut:
    return FloorsOut(daily_loss=found.daily, max_loss=found.max_loss, floating_loss=found.floating)


def _headroom(room: Headroom) -> HeadroomOut:
    return HeadroomOut(
        available=room.available,
        binding=room.binding,
        distances=room.distances,
        open_risk=room.open_risk,
        reserved=room.reserved,
        buffer=room.buffer,
        unbounded=list(room.unbounded),
    )


@router.get("", response_model=list[Account])
def list_accounts(
    ctx: Ctx,
    caller: Reader,
    owner: Annotated[Identifier | None, Query()] = None,
    firm: Annotated[Identifier | None, Query()] = None,
    strategy: Annotated[Identifier | None, Query()] = None,
) -> list[Account]:
    """Accounts, filtered by owner, firm and strategy."""
    if caller.owner is not None:
        if owner is not None:
            check_owner(caller, owner)
        owner = caller.owner
    return service.list_accounts(ctx, owner=owner, firm=firm, strategy=strategy)


@router.post("", response_model=Account, status_code=201)
def open_account(body: CreateAccount, ctx: Ctx, caller: Admin) -> Account:
    """Open an account under a firm's plan (its rules are pinned to the plan's rulebook)."""
    check_owner(caller, body.owner)
    return service.create_account(ctx, body)


def _owned(ctx: Ctx, caller: Principal, account_id: str) -> Account:
    account = service.get_account(ctx, account_id)
    check_account_owner(caller, account.owner, account_id)
    return account


@router.patch("/{account_id}", response_model=Account)
def update_account(account_id: AccountId, body: UpdateAccount, ctx: Ctx, caller: Admin) -> Account:
    """Change what the account may trade (``instruments``) or its checkout ``options``."""
    _owned(ctx, caller, account_id)
    return service.update_account(ctx, account_id, body)


@router.get("/{account_id}", response_model=Account)
def get_account(account_id: AccountId, ctx: Ctx, caller: Reader) -> Account:
    """One account."""
    return _owned(ctx, caller, account_id)


@router.put("/{account_id}/state", response_model=StateOut)
def push_state(account_id: AccountId, body: PushState, ctx: Ctx, caller: Sizer) -> StateOut:
    """The broker's balance, equity and open positions; must be newer than the last one."""
    _owned(ctx, caller, account_id)
    result = service.push_state(ctx, account_id, body)
    breaches = [
        {
            "type": b.type.value,
            "severity": b.severity.value,
            "code": b.code,
            "floor": str(b.floor),
            "value": str(b.value),
        }
        for b in result.breaches
    ]
    return StateOut(
        account_id=account_id,
        trading=result.account.trading,
        floors=_floors(result.floors),
        breaches=breaches,
        events=list(result.events),
        reservations_matched=result.reservations_matched,
    )


@router.post("/{account_id}/cash-flows", response_model=CashFlowOut, status_code=201)
def record_cash_flow(
    account_id: AccountId, body: CashFlowIn, ctx: Ctx, caller: Sizer
) -> CashFlowOut:
    """A deposit, payout (requested or paid), fee or scaling: never a trading loss or profit;
    the firm's rule says what it does to the floors. Recorded with the key's name."""
    _owned(ctx, caller, account_id)
    command = RecordCashFlow(**body.model_dump(exclude_unset=True), actor=caller.name)
    result = service.record_cash_flow(ctx, account_id, command)
    return CashFlowOut(
        account_id=account_id,
        trading=result.account.trading,
        balance=result.balance,
        net_cash_flow=result.cash.net,
        payouts=result.cash.payouts,
        payout_requests=result.cash.requests,
        fixed_max_loss_floor=result.cash.max_loss_floor,
        floors=_floors(result.floors) if result.floors else None,
        events=list(result.events),
    )


@router.post("/{account_id}/trades", response_model=CountOut)
def record_trades(account_id: AccountId, body: RecordTrades, ctx: Ctx, caller: Sizer) -> CountOut:
    """Closed trades; one already stored (same id) is skipped."""
    _owned(ctx, caller, account_id)
    return CountOut(stored=service.record_trades(ctx, account_id, body))


@router.get("/{account_id}/headroom", response_model=RiskOut)
def headroom(account_id: AccountId, ctx: Ctx, caller: Reader) -> RiskOut:
    """Floors, headroom, trading state and as-of time."""
    _owned(ctx, caller, account_id)
    risk = service.account_risk(ctx, account_id)
    state = risk.state
    return RiskOut(
        account_id=account_id,
        rulebook=risk.rules.label,
        trading=risk.account.trading,
        as_of=state.as_of if state else None,
        balance=state.balance if state else None,
        equity=state.equity if state else None,
        floors=_floors(risk.floors) if risk.floors else None,
        headroom=_headroom(risk.headroom) if risk.headroom else None,
        day=DayOut(
            trading_day=risk.daily.trading_day,
            started_at=risk.daily.started_at,
            ends_at=risk.daily.ends_at,
            floor=risk.daily.floor,
            pnl=risk.daily.pnl,
        )
        if risk.daily
        else None,
    )


class TradingChange(Command):
    """Why an operator disables or re-enables an account."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]


@router.post("/{account_id}/disable", response_model=Account)
def disable(account_id: AccountId, body: TradingChange, ctx: Ctx, caller: Admin) -> Account:
    """Halt an account by hand; recorded with the key's name and the reason."""
    _owned(ctx, caller, account_id)
    return service.set_trading(
        ctx, account_id, SetTrading(enabled=False, actor=caller.name, reason=body.reason)
    )


@router.post("/{account_id}/enable", response_model=Account)
def enable(account_id: AccountId, body: TradingChange, ctx: Ctx, caller: Admin) -> Account:
    """Re-enable an account (also after a failure); recorded with the key's name and the reason."""
    _owned(ctx, caller, account_id)
    return service.set_trading(
        ctx, account_id, SetTrading(enabled=True, actor=caller.name, reason=body.reason)
    )
