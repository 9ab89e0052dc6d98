"""Accounts: list, open, read, change, state, cash-flow and trade pushes, headroom, promote,
reset, archive, unarchive, enable and disable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from accounts.model import Account, Identifier
from accounts.money import PositiveDecimal
from aria.api.deps import AccountId, Ctx, check_account_owner, check_owner
from aria.api.schemas import (
    ERRORS,
    CashFlowOut,
    ConsistencyOut,
    CountOut,
    DayOut,
    FloorsOut,
    HeadroomOut,
    NewsWindowOut,
    ObjectivesOut,
    RiskOut,
    SessionWindowOut,
    StateOut,
)
from aria.api.security import Admin, Reader, Sizer
from aria.service import accounts as service
from aria.service import calendar
from aria.service import sessions as session_service
from aria.service.commands import (
    CashFlowIn,
    Command,
    CreateAccount,
    Lifecycle,
    Promote,
    PushState,
    RecordCashFlow,
    RecordTrades,
    SetTrading,
    UpdateAccount,
)
from aria.service.context import Context
from aria.service.keys import Principal
from aria.service.sessions import SessionView
from firms.floors import Floors
from firms.headroom import Headroom
from firms.progress import Objectives

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


def _objectives(found: Objectives) -> ObjectivesOut:
    return ObjectivesOut(
        phase=found.phase,
        started=found.started,
        target=found.target,
        target_on=found.target_on,
        profit=found.profit,
        to_target=found.to_target,
        target_reached=found.target_reached,
        trading_days=found.trading_days,
        min_trading_days=found.min_trading_days,
        days_needed=found.days_needed,
        time_limit_days=found.time_limit_days,
        ends_at=found.ends_at,
        expired=found.expired,
        consistency=[
            ConsistencyOut(
                limit_pct=c.limit_pct,
                best_day=c.best_day,
                best_day_profit=c.best_day_profit,
                profit=c.profit,
                share_pct=c.share_pct,
                satisfied=c.satisfied,
                profit_needed=c.profit_needed,
                denominator=c.denominator,
                over_cap=c.over_cap,
                window_start=c.window_start,
                summary=c.summary,
            )
            for c in found.consistency
        ],
        passed=found.passed,
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
    """Change the account's label, profile, strategy, household, personality, what it may
    trade (``instruments``) or its checkout ``options``; each change is an audit event."""
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
    """Floors, headroom, trading state, as-of time, and progress towards the phase's
    objectives (profit target, trading days, time limit, best-day share)."""
    _owned(ctx, caller, account_id)
    risk = service.account_risk(ctx, account_id)
    progress = service.account_objectives(ctx, account_id)
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
        objectives=_objectives(progress),
        open_risk_cap=risk.open_risk_cap,
        risk_violations=risk.risk_violations,
        news_window=_news_window(ctx, risk.account),
        session=_session(session_service.account_sessions(ctx, account_id)),
    )


def _news_window(ctx: Context, account: Account) -> NewsWindowOut | None:
    found = calendar.next_window(ctx, account, ctx.clock.now())
    if found is None:
        return None
    return NewsWindowOut(
        event_id=found.event.id,
        title=found.event.title,
        currency=found.event.currency,
        impact=found.event.impact.value,
        at=found.event.at,
        start=found.start,
        end=found.end,
        actions=list(found.rule.actions),
        effect=found.rule.effect,
    )


def _session(view: SessionView) -> SessionWindowOut:
    blocked = view.blocked
    return SessionWindowOut(
        symbol=view.symbol,
        calendar=view.calendar,
        starts_at=blocked.start if blocked else None,
        codes=[c.value for c in blocked.codes] if blocked else [],
        reasons=list(blocked.reasons) if blocked else [],
    )


class TradingChange(Command):
    """Why an operator disables or re-enables an account."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]


class Enable(TradingChange):
    """Why an operator re-enables an account; ``force`` overrides a firm's failure."""

    force: bool = Field(
        default=False, description="re-enable an account its firm failed (recorded as forced)"
    )


class PromoteBody(TradingChange):
    """Why an account moves to its plan's next phase, and optionally its new size."""

    to_phase: Identifier | None = Field(
        default=None, description="the phase expected next; any other is refused"
    )
    size: PositiveDecimal | None = Field(
        default=None, description="the new phase's account size; default: the same"
    )


@router.post("/{account_id}/disable", response_model=Account)
def disable(account_id: AccountId, body: TradingChange, ctx: Ctx, caller: Admin) -> Account:
    """Halt an account by hand; recorded with the key's name and the reason."""
    _owned(ctx, caller, account_id)
    return service.set_trading(
        ctx, account_id, SetTrading(enabled=False, actor=caller.name, reason=body.reason)
    )


@router.post("/{account_id}/enable", response_model=Account)
def enable(account_id: AccountId, body: Enable, ctx: Ctx, caller: Admin) -> Account:
    """Re-enable an account; one its firm failed needs ``force`` (409 without it)."""
    _owned(ctx, caller, account_id)
    command = SetTrading(enabled=True, actor=caller.name, reason=body.reason, force=body.force)
    return service.set_trading(ctx, account_id, command)


@router.post("/{account_id}/promote", response_model=Account)
def promote(account_id: AccountId, body: PromoteBody, ctx: Ctx, caller: Admin) -> Account:
    """Move the account to its plan's next phase: that phase's rules, fresh anchors."""
    _owned(ctx, caller, account_id)
    command = Promote(actor=caller.name, reason=body.reason, to_phase=body.to_phase, size=body.size)
    return service.promote(ctx, account_id, command)


def _lifecycle(caller: Principal, body: TradingChange) -> Lifecycle:
    return Lifecycle(actor=caller.name, reason=body.reason)


@router.post("/{account_id}/reset", response_model=Account)
def reset(account_id: AccountId, body: TradingChange, ctx: Ctx, caller: Admin) -> Account:
    """The firm restarted the evaluation: fresh anchors, trading active again."""
    _owned(ctx, caller, account_id)
    return service.reset_evaluation(ctx, account_id, _lifecycle(caller, body))


@router.post("/{account_id}/archive", response_model=Account)
def archive(account_id: AccountId, body: TradingChange, ctx: Ctx, caller: Admin) -> Account:
    """Archive the account: history kept, sizing refuses it with ``account_archived``."""
    _owned(ctx, caller, account_id)
    return service.archive(ctx, account_id, _lifecycle(caller, body))


@router.post("/{account_id}/unarchive", response_model=Account)
def unarchive(account_id: AccountId, body: TradingChange, ctx: Ctx, caller: Admin) -> Account:
    """Bring an archived account back with the trading state it had when archived."""
    _owned(ctx, caller, account_id)
    return service.unarchive(ctx, account_id, _lifecycle(caller, body))
