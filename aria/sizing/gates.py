"""Stage 0 of the pipeline: the rejections that do not depend on the size.

In order: an instrument the account may not trade (its firm's or plan's list, or its own
narrowing), the account's trading state, stale account state, stale market data, a hedge
against another account of the same owner, a hedge inside the account, and the fan-out's
cross-account rules (allocation caps and copy policies, in signal order). Each gate is a
function of the inputs, so the batch engine can take them apart.
"""

from __future__ import annotations

import datetime as dt

from accounts.model import Account, HaltKind, TradingStatus
from aria.sizing.decision import RejectCode
from aria.sizing.inputs import DecisionInputs, OtherAccount
from aria.sizing.instruments import Instrument
from firms import cross_account
from firms.ruleset import RuleSet

Gate = tuple[RejectCode, str]


def account_ref(inputs: DecisionInputs) -> cross_account.AccountRef:
    """The deciding account as the cross-account rules see it."""
    account = inputs.account
    return cross_account.AccountRef(
        account_id=account.id,
        owner=account.owner,
        firm=account.firm,
        phase_kind=inputs.rules.phase.kind,
        size=account.initial_balance,
        currency=account.currency,
        rules=inputs.rules.cross_account,
        strategy=inputs.request.strategy or account.strategy,
    )


def other_ref(inputs: DecisionInputs, other: OtherAccount) -> cross_account.AccountRef:
    """Another account of the owner; without rules of its own it has this account's firm's."""
    return cross_account.AccountRef(
        account_id=other.id,
        owner=inputs.account.owner,
        firm=other.firm,
        phase_kind=other.phase_kind,
        size=other.size,
        currency=other.currency,
        rules=other.rules
        if other.rules is not None
        else (inputs.rules.cross_account if other.firm == inputs.account.firm else None),
        strategy=other.strategy,
    )


def _order(other: OtherAccount) -> int:
    return other.signal_order if other.signal_order is not None else -1


def instrument_refusal(rules: RuleSet, account: Account, instrument: Instrument) -> str | None:
    """Why ``account`` may not trade ``instrument`` (its firm's or plan's list, or the account's
    own narrowing), or ``None`` when it may."""
    what = f"{instrument.symbol} ({instrument.kind}, {instrument.asset_class.value})"
    allowed = rules.instruments
    if allowed is not None and not allowed.allows(
        instrument.symbol, instrument.kind, instrument.asset_class
    ):
        return (
            f"{rules.firm_name} {rules.plan_name} does not allow {what};"
            f" it allows {allowed.describe()}"
        )
    own = account.instruments
    if own is not None and not own.allows(instrument.symbol, instrument.asset_class):
        return f"account {account.id} trades only {own.describe()}, not {what}"
    return None


def instrument_gates(inputs: DecisionInputs) -> list[Gate]:
    """The account may not trade the request's instrument."""
    reason = instrument_refusal(inputs.rules, inputs.account, inputs.instrument)
    return [] if reason is None else [(RejectCode.INSTRUMENT_NOT_ALLOWED, reason)]


def trading_gates(inputs: DecisionInputs) -> list[Gate]:
    """A halted account takes no trade; a reducing one only exits."""
    trading = inputs.account.trading.lifted(inputs.now)
    if trading.status is TradingStatus.HALTED:
        kind = trading.halt.value if trading.halt else "halted"
        until = (
            f" until {trading.until.isoformat()}"
            if trading.halt is HaltKind.DAILY and trading.until
            else ""
        )
        return [
            (
                RejectCode.HALTED,
                f"account is halted ({kind}){until}: {trading.reason or 'no reason given'}",
            )
        ]
    if trading.status is TradingStatus.REDUCING:
        return [
            (
                RejectCode.REDUCING_ONLY,
                f"account only reduces exposure: {trading.reason or 'no reason given'}",
            )
        ]
    return []


def state_gates(inputs: DecisionInputs) -> list[Gate]:
    """An account state older than the profile allows."""
    limit = inputs.profile.data.max_state_age_seconds
    age = inputs.now - inputs.state.as_of
    if age > dt.timedelta(seconds=limit):
        return [(RejectCode.STALE_DATA, f"account state is {age} old (limit {limit} s)")]
    return []


def market_gates(inputs: DecisionInputs) -> list[Gate]:
    """Market data older than the profile allows."""
    if inputs.market.as_of is None:
        return []
    limit = inputs.profile.data.max_market_age_seconds
    age = inputs.now - inputs.market.as_of
    if age > dt.timedelta(seconds=limit):
        return [(RejectCode.STALE_DATA, f"market data is {age} old (limit {limit} s)")]
    return []


def hedge_gates(inputs: DecisionInputs) -> list[Gate]:
    """The trade would oppose a position of the same owner at a firm that forbids it."""
    if not any(o.positions for o in inputs.others):
        return []
    me = account_ref(inputs)
    held = [
        cross_account.Exposure(other_ref(inputs, o), p.symbol, p.side)
        for o in inputs.others
        for p in o.positions
    ]
    candidate = cross_account.Exposure(me, inputs.request.symbol, inputs.request.side)
    return [
        (RejectCode.CROSS_ACCOUNT_HEDGE, f.detail)
        for f in cross_account.hedge_conflicts(candidate, held)
    ]


def within_gates(inputs: DecisionInputs) -> list[Gate]:
    """The trade would oppose a position of this account at a firm that forbids it."""
    rules, request = inputs.rules.cross_account, inputs.request
    if rules is None or rules.hedging_within_account.value not in ("forbidden", "unknown"):
        return []
    opposite = [
        p
        for p in inputs.state.positions
        if p.side is request.side.opposite
        and cross_account.same_instrument(p.symbol, request.symbol, rules)
    ]
    if not opposite:
        return []
    return [
        (
            RejectCode.HEDGING_WITHIN_ACCOUNT,
            f"{inputs.account.firm} forbids opposite positions in one account;"
            f" {opposite[0].symbol} is held {opposite[0].side.value}",
        )
    ]


def fanout_gates(inputs: DecisionInputs) -> list[Gate]:
    """Allocation caps and copy policies over the accounts that receive the same signal."""
    rules = inputs.rules.cross_account
    cap = rules.allocation_cap if rules is not None else None
    capped = cap is not None and inputs.rules.phase.kind in cap.phases
    if not capped and (rules is None or rules.copy_trading is None):
        return []  # only this account's own cap and copy policy can flag it
    me = account_ref(inputs)
    refs = {other.id: other_ref(inputs, other) for other in inputs.others}
    # Fan-out siblings count in signal order; one without an order counts before this account.
    siblings = sorted((o for o in inputs.others if o.same_signal), key=lambda o: (_order(o), o.id))
    before = [refs[o.id] for o in siblings if _order(o) < inputs.signal_order]
    after = [refs[o.id] for o in siblings if _order(o) >= inputs.signal_order]
    found: list[Gate] = [
        (RejectCode.ALLOCATION_CAP, finding.detail)
        for finding in cross_account.allocation_findings([*before, me, *after])
        if finding.account_id == me.account_id
    ]
    for source in before:
        if source.firm == me.firm:
            found += [
                (RejectCode.COPY_FORBIDDEN, f.detail)
                for f in cross_account.copy_findings(source, [me])
            ]
    return found


def gates(inputs: DecisionInputs) -> list[Gate]:
    """Every rejection that does not depend on the size, in the order a decision lists them."""
    return (
        instrument_gates(inputs)
        + trading_gates(inputs)
        + state_gates(inputs)
        + market_gates(inputs)
        + hedge_gates(inputs)
        + within_gates(inputs)
        + fanout_gates(inputs)
    )
