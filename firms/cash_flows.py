"""What a cash flow does to an account under its firm's rules: the one place it is written.

A deposit, payout or fee is never trading P&L. Taking one:

1. checks it (:func:`check`): a payout may not exceed the balance, dig into the plan's
   payout buffer, nor exceed the plan's cap on its payout number (:func:`payout_cap`); a
   flow older than the latest state is refused (push it with the state that first shows it);
2. moves the latest state's balance and equity by the flow, and re-anchors the peaks (always:
   in trading terms they stay) and the day anchor (when the daily floor re-anchors);
3. counts it in the ledger, and applies the plan's payout rule to the maximum-loss floor
   (lock at the starting balance, or set to a value) once the rule's payout is reached;
4. closes the account when the plan closes it on a payout that leaves no profit.

A scaling grows the account: its size (and so its starting balance and every amount resolved
by size) rises by the amount, with its balance, peaks and day anchor; its profit is kept.

State pushes, the CLI and API, and the simulation reach it through
:func:`firms.lifecycle.cash_flow`; floors read the ledger through :func:`firms.floors.floors`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.cash import CashFlow, CashFlowKind, CashLedger
from accounts.events import AccountEvent
from accounts.model import Account, HaltKind, TradingState, TradingStatus
from accounts.tracker import Tracker
from firms.breaches import apply, detect
from firms.errors import InvalidCashFlow
from firms.floors import floors, reactions
from firms.model import FloorReaction, PayoutFloor
from firms.ruleset import RuleSet

CASH_FLOW = "cash_flow"  # the kind of the account event a cash flow writes
CLOSED = "account_closed"  # the kind of the event of an account a payout closed


def balance_of(rules: RuleSet, tracker: Tracker) -> Decimal:
    """The balance now: the latest state's, or the starting balance moved by the net flow."""
    if tracker.state is not None:
        return tracker.state.balance
    return rules.start + tracker.cash.net


def check(rules: RuleSet, tracker: Tracker, flow: CashFlow) -> None:
    """Raise :class:`InvalidCashFlow` when ``flow`` cannot be taken; change nothing."""
    state = tracker.state
    if state is not None and flow.at < state.as_of:
        raise InvalidCashFlow(
            f"a cash flow of {flow.at.isoformat()} is older than the latest state of"
            f" {state.as_of.isoformat()}; send it with the state that first shows it"
        )
    if flow.kind not in (CashFlowKind.PAYOUT, CashFlowKind.PAYOUT_REQUESTED):
        return
    balance = balance_of(rules, tracker)
    if flow.amount > balance:
        raise InvalidCashFlow(
            f"a payout of {flow.amount:,.2f} is more than the balance of {balance:,.2f}"
        )
    buffer = rules.cash_flows.payout_buffer if rules.cash_flows else None
    if buffer is not None:
        keep = rules.start + buffer.resolve(rules.size)
        if balance - flow.amount < keep:
            raise InvalidCashFlow(
                f"a payout of {flow.amount:,.2f} would leave a balance of"
                f" {balance - flow.amount:,.2f}, below the {keep:,.2f} the firm's payout"
                f" buffer of {buffer.describe()} keeps; at most"
                f" {max(balance - keep, Decimal(0)):,.2f} may be paid out"
            )
    number = payout_number(tracker.cash, flow.kind)
    cap = payout_cap(rules, number)
    if cap is not None and flow.amount > cap:
        asked = "a payout request" if flow.kind is CashFlowKind.PAYOUT_REQUESTED else "a payout"
        raise InvalidCashFlow(
            f"{asked} of {flow.amount:,.2f} is above the firm's cap of {cap:,.2f} on payout"
            f" {number}; at most {cap:,.2f} may be paid out"
        )


def payout_number(cash: CashLedger, kind: CashFlowKind) -> int:
    """The number (from 1) the next flow of ``kind`` takes among the account's payouts, or
    among its payout requests: each is capped by its own count."""
    return (cash.requests if kind is CashFlowKind.PAYOUT_REQUESTED else cash.payouts) + 1


def payout_cap(rules: RuleSet, number: int) -> Decimal | None:
    """The most payout ``number`` (from 1) may be under ``rules`` (``None``: not capped)."""
    flows = rules.cash_flows
    return flows.payout_cap(number, rules.size) if flows is not None else None


def _fixed_floor(rules: RuleSet, cash: CashLedger, flow: CashFlow) -> Decimal | None:
    """The maximum-loss floor the plan's payout rule fixes with ``flow``, if it does now."""
    rule = rules.cash_flows
    if rule is None or rule.on_payout is PayoutFloor.KEEP or cash.max_loss_floor is not None:
        return cash.max_loss_floor
    count = cash.payouts if rule.trigger == CashFlowKind.PAYOUT.value else cash.requests
    if flow.kind.value != rule.trigger or count < rule.after_payouts:
        return None
    return rules.start if rule.on_payout is PayoutFloor.LOCK_AT_INITIAL else rule.floor_value


@dataclass(frozen=True, slots=True)
class Flowed:
    """An account and its tracker after a cash flow, and the events to record, in order."""

    account: Account
    tracker: Tracker
    records: tuple[AccountEvent, ...]
    account_changed: bool


def _scaled(rules: RuleSet, flow: CashFlow, scaled: RuleSet | None) -> RuleSet:
    """The rule set a scaling moves the account to, checked against the flow."""
    if scaled is None:
        raise InvalidCashFlow("a scaling needs the rule set of the account's new size")
    if rules.start != rules.size:
        raise InvalidCashFlow(
            f"the balance of a {rules.plan_name} account starts at {rules.start:,}, not at its"
            " size: a scaling would move no balance"
        )
    if scaled.size != rules.size + flow.amount:
        raise InvalidCashFlow(
            f"a scaling of {flow.amount:,.2f} takes a size of {rules.size:,} to"
            f" {rules.size + flow.amount:,}, not {scaled.size:,}"
        )
    return scaled


def take(
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    flow: CashFlow,
    now: dt.datetime,
    actor: str,
    scaled: RuleSet | None = None,
) -> Flowed:
    """Take ``flow`` on a tracker rolled to its time; ``now`` stamps the events.

    A scaling needs ``scaled``, the rule set of the new size; the account comes back with it.
    """
    check(rules, tracker, flow)
    original = account
    if flow.kind is CashFlowKind.SCALING:
        rules = _scaled(rules, flow, scaled)
        account = account.model_copy(update={"initial_balance": rules.size})
    daily, max_loss = reactions(rules)
    amount = flow.signed
    state = tracker.state.moved(amount) if tracker.state is not None else None
    day = tracker.day
    # A scaling moves the whole account, the day's anchor with it, whatever the reaction.
    if day is not None and (daily is FloorReaction.RE_ANCHOR or flow.kind is CashFlowKind.SCALING):
        day = day.moved(amount)
    cash = tracker.cash.after(flow)
    cash = cash.model_copy(update={"max_loss_floor": _fixed_floor(rules, cash, flow)})
    moved = tracker.evolve(state=state, peaks=tracker.peaks.moved(amount), day=day, cash=cash)
    balance = balance_of(rules, moved)
    found = floors(rules, moved.day, moved.peaks, state, cash) if state is not None else None
    detail: dict[str, Any] = {
        "kind": flow.kind.value,
        "amount": str(flow.amount),
        "balance_change": str(amount),
        "occurred_at": flow.at.isoformat(),
        "reference": flow.reference,
        "note": flow.note,
        "balance": str(balance),
        "net_cash_flow": str(cash.net),
        "payouts": cash.payouts,
        "payout_requests": cash.requests,
        "reactions": {"daily": daily.value, "max_loss": max_loss.value},
        "size": str(rules.size),
        "floors": None if found is None else {k: str(v) for k, v in found.named().items()},
    }
    reason = f"{flow.kind.value.replace('_', ' ')} of {flow.amount:,.2f}"
    if flow.note:
        reason += f": {flow.note}"
    records = [AccountEvent(account.id, CASH_FLOW, actor, reason, now, detail)]
    trading = account.trading
    rule = rules.cash_flows
    if (
        rule is not None
        and rule.close_when_profit_withdrawn
        and flow.kind is CashFlowKind.PAYOUT
        and balance <= rules.start
        and trading.halt is not HaltKind.CLOSED
    ):
        why = (
            f"all profit withdrawn: a payout left a balance of {balance:,.2f}, not above the"
            f" starting balance of {rules.start:,.2f}, and the firm closes the account"
        )
        trading = TradingState(
            status=TradingStatus.HALTED, halt=HaltKind.CLOSED, reason=why, since=now
        )
        was = {"was": account.trading.model_dump(mode="json"), "balance": str(balance)}
        records.append(AccountEvent(account.id, CLOSED, actor, why, now, was))
    elif state is not None and found is not None:
        judged = apply(trading, detect(rules, found, state), rules, now)
        if judged != trading and judged.status is TradingStatus.HALTED:
            trading = judged
            breaches = {"breaches": [b.describe() for b in detect(rules, found, state)]}
            records.append(
                AccountEvent(account.id, "breach", actor, trading.reason or "", now, breaches)
            )
    if trading != account.trading:
        account = account.model_copy(update={"trading": trading})
    return Flowed(account, moved, tuple(records), account != original)
