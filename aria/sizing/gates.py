"""Stage 0 of the pipeline: the rejections that do not depend on the size.

In order: an instrument the account may not trade (its firm's or plan's list, or its own
narrowing), the account's trading state, stale account state, stale market data, a hedge
against another account of the same owner, a hedge inside the account, a product's mini and
micro held together in the account where the firm forbids it, and the fan-out's
cross-account rules (allocation caps, identical-trading caps, copy policies and copy-capital
caps, in signal order), the firm's news windows (:mod:`aria.sizing.news`), and the session
gate (a closed market, the plan's flat-by, weekend and overnight windows:
:mod:`aria.sizing.sessions`). ``GATES`` is the one table of them, in that order: each gate's
check is a function of the inputs, and beside it is its form over a fan-out (decided per
signal over the columns, or once when the fan-out is prepared, for a gate that does not look
at what the signal says).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from accounts.model import Account, HaltKind, TradingStatus
from aria.sizing import news
from aria.sizing import sessions as session_rules
from aria.sizing.decision import RejectCode
from aria.sizing.inputs import DecisionInputs, MarketSnapshot, OtherAccount, TradeRequest
from aria.sizing.instruments import Instrument
from aria.sizing.profiles import Profile
from firms import cross_account
from firms.cross_account import AccountRef
from firms.model import CrossAccountRules
from firms.ruleset import RuleSet

if TYPE_CHECKING:  # the fan-out's columns are built from these gates
    from aria.sizing.columns import Exposures, FanOut

Gate = tuple[RejectCode, str]
Mask = npt.NDArray[np.bool_]


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


# The refs of an owner's accounts as one of them sees them (its owner, firm and rules): every
# account of the owner in a fan-out sees its siblings alike, so each is built once, not once
# per account, with its counted form beside it (``counted``). Bounded: forgotten wholesale
# when it holds too many viewpoints or accounts (a later request's accounts are new objects,
# so what an earlier one left is never read).
_Built = dict[int, tuple[OtherAccount, AccountRef, AccountRef]]
_refs_by_view: dict[tuple[str, str, int], tuple[CrossAccountRules | None, _Built]] = {}
_VIEWS = 64
_ENTRIES = 40_000
_held = [0]  # the accounts held over every viewpoint


def _remembered(
    inputs: DecisionInputs, others: Iterable[OtherAccount]
) -> list[tuple[OtherAccount, AccountRef, AccountRef]]:
    rules = inputs.rules.cross_account
    view = (inputs.account.owner, inputs.account.firm, id(rules))
    if len(_refs_by_view) >= _VIEWS or _held[0] >= _ENTRIES:
        _refs_by_view.clear()
        _held[0] = 0
    remembered = _refs_by_view.get(view)
    if remembered is None or remembered[0] is not rules:  # held, so its id is not reused
        remembered = _refs_by_view[view] = (rules, {})
    built = remembered[1]
    found = []
    for other in others:
        entry = built.get(id(other))
        if entry is None or entry[0] is not other:
            ref = other_ref(inputs, other)
            entry = built[id(other)] = (other, ref, counted(ref))
            _held[0] += 1
        found.append(entry)
    return found


def sibling_refs(inputs: DecisionInputs, others: Iterable[OtherAccount]) -> list[AccountRef]:
    """``other_ref`` of each of ``others``, built once per viewpoint and account."""
    return [entry[1] for entry in _remembered(inputs, others)]


def counted_sibling_refs(
    inputs: DecisionInputs, others: Iterable[OtherAccount]
) -> list[AccountRef]:
    """``counted(other_ref(...))`` of each of ``others``, built once per viewpoint and account."""
    return [entry[2] for entry in _remembered(inputs, others)]


def counted(ref: AccountRef) -> AccountRef:
    """``ref`` as the fan-out's counts read it: its strategy label only where a cap counts it.

    An account sees itself under the signal's label and its siblings see it under its own;
    where no cap reads the label, both views compare equal, so one owner's accounts share
    one counted list (``owner_findings``) instead of each counting its own.
    """
    if ref.strategy is None or (ref.strategy and cross_account.counts_strategy(ref)):
        return ref
    # Built field by field: ``dataclasses.replace`` costs several times as much per account.
    return AccountRef(
        ref.account_id,
        ref.owner,
        ref.firm,
        ref.phase_kind,
        ref.size,
        ref.currency,
        ref.rules,
        None,
        ref.household,
    )


def _order(other: OtherAccount) -> int:
    return other.signal_order if other.signal_order is not None else -1


def instrument_refusal(rules: RuleSet, account: Account, instrument: Instrument) -> str | None:
    """Why ``account`` may not trade ``instrument`` (its firm's or plan's list, or the account's
    own narrowing), or ``None`` when it may."""
    allowed = rules.instruments
    if allowed is not None and not allowed.allows(
        instrument.symbol, instrument.kind, instrument.asset_class
    ):
        return (
            f"{rules.firm_name} {rules.plan_name} does not allow {_what(instrument)};"
            f" it allows {allowed.describe()}"
        )
    own = account.instruments
    if own is not None and not own.allows(instrument.symbol, instrument.asset_class):
        return f"account {account.id} trades only {own.describe()}, not {_what(instrument)}"
    return None


def _what(instrument: Instrument) -> str:
    """How a refusal names the instrument (worded only when it is refused)."""
    return f"{instrument.symbol} ({instrument.kind}, {instrument.asset_class.value})"


def instrument_gates(inputs: DecisionInputs) -> list[Gate]:
    """The account may not trade the request's instrument."""
    reason = instrument_refusal(inputs.rules, inputs.account, inputs.instrument)
    return [] if reason is None else [(RejectCode.INSTRUMENT_NOT_ALLOWED, reason)]


def trading_gates(inputs: DecisionInputs) -> list[Gate]:
    """A halted account takes no trade, nor a closed or archived one; a reducing one only exits."""
    trading = inputs.account.trading.lifted(inputs.now)
    if trading.halt is HaltKind.ARCHIVED:
        reason = f"account is archived: {trading.reason or 'no reason given'}"
        return [(RejectCode.ACCOUNT_ARCHIVED, reason)]
    if trading.halt is HaltKind.CLOSED:
        return [
            (
                RejectCode.ACCOUNT_CLOSED,
                f"account is closed by its firm: {trading.reason or 'no reason given'}",
            )
        ]
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


def too_old(now: dt.datetime, as_of: dt.datetime | None, seconds: int) -> dt.timedelta | None:
    """The age of data taken at ``as_of`` when it is older than ``seconds`` at ``now``."""
    if as_of is None:
        return None
    age = now - as_of
    return age if age > dt.timedelta(seconds=seconds) else None


def market_stale(now: dt.datetime, market: MarketSnapshot, profile: Profile) -> bool:
    """True when the market data is older than the profile allows."""
    return too_old(now, market.as_of, profile.data.max_market_age_seconds) is not None


# The time the service gives the state of an account no state was ever pushed for. Decisions
# recorded before it said so stored 1970-01-01 and keep the reason they were answered with
# (an age in days), so they replay unchanged.
NO_STATE_YET = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def state_gates(inputs: DecisionInputs) -> list[Gate]:
    """An account state older than the profile allows, or none pushed yet."""
    limit = inputs.profile.data.max_state_age_seconds
    age = too_old(inputs.now, inputs.state.as_of, limit)
    if age is not None and inputs.state.as_of <= NO_STATE_YET:
        return [
            (
                RejectCode.STALE_DATA,
                "no state pushed yet for this account: push its balance and equity first"
                " (aria state push, or PUT /v1/accounts/{id}/state)",
            )
        ]
    if age is not None:
        return [(RejectCode.STALE_DATA, f"account state is {age} old (limit {limit} s)")]
    return []


def market_gates(inputs: DecisionInputs) -> list[Gate]:
    """Market data older than the profile allows."""
    limit = inputs.profile.data.max_market_age_seconds
    age = too_old(inputs.now, inputs.market.as_of, limit)
    if age is not None:
        return [(RejectCode.STALE_DATA, f"market data is {age} old (limit {limit} s)")]
    return []


def hedge_gates(inputs: DecisionInputs) -> list[Gate]:
    """The trade would oppose a position of the same owner at a firm that forbids it."""
    if not any(o.positions for o in inputs.others):
        return []
    me = account_ref(inputs)
    holding = [o for o in inputs.others if o.positions]
    held = [
        cross_account.Exposure(ref, p.symbol, p.side)
        for o, ref in zip(holding, sibling_refs(inputs, holding), strict=True)
        for p in o.positions
    ]
    candidate = cross_account.Exposure(me, inputs.request.symbol, inputs.request.side)
    return [
        (RejectCode.CROSS_ACCOUNT_HEDGE, f.detail)
        for f in cross_account.hedge_conflicts(candidate, held)
    ]


def forbids_within(rules: CrossAccountRules | None) -> bool:
    """True when the firm forbids (or may forbid) opposite positions in one account."""
    return rules is not None and rules.hedging_within_account.value in ("forbidden", "unknown")


def within_gates(inputs: DecisionInputs) -> list[Gate]:
    """The trade would oppose a position of this account at a firm that forbids it."""
    rules, request = inputs.rules.cross_account, inputs.request
    if rules is None or not forbids_within(rules):
        return []
    opposite = [
        p
        for p in inputs.state.positions
        if p.side is request.side.opposite
        and cross_account.correlated(p.symbol, request.symbol, rules)
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


def contract_of(symbol: str, instruments: Mapping[str, Instrument]) -> cross_account.Contract:
    """A symbol as the mini-and-micro rule sees it: the product its specification says it is
    a micro of, or itself (a symbol without a specification is taken as its own product)."""
    spec = instruments.get(symbol)
    return cross_account.Contract(symbol, spec.micro_of if spec and spec.micro_of else symbol)


def mini_micro_refusal(inputs: DecisionInputs, instrument: Instrument) -> str | None:
    """Why trading ``instrument`` would hold a product's mini and micro at once in an account
    whose firm forbids it, or ``None``."""
    rules = inputs.rules.cross_account
    if not cross_account.forbids_mini_and_micro(rules) or not inputs.state.positions:
        return None
    candidate = cross_account.Contract(instrument.symbol, instrument.micro_of or instrument.symbol)
    held = cross_account.mini_micro_conflict(
        candidate, (contract_of(p.symbol, inputs.instruments) for p in inputs.state.positions)
    )
    if held is None:
        return None
    return (
        f"{inputs.account.firm} forbids holding a product's mini and micro together in one"
        f" account; {held.symbol} ({held.product}) is held and {candidate.symbol} is"
        f" {'its micro' if candidate.is_micro else 'its full-size contract'}"
    )


def mini_micro_gates(inputs: DecisionInputs) -> list[Gate]:
    """The trade would hold a product's mini and micro at once where the firm forbids it."""
    reason = mini_micro_refusal(inputs, inputs.instrument)
    return [] if reason is None else [(RejectCode.MINI_MICRO_MIX, reason)]


def fanout_gates(inputs: DecisionInputs) -> list[Gate]:
    """Allocation caps, identical-trading caps, copy policies and copy-capital caps over the
    accounts that receive the same signal."""
    rules = inputs.rules.cross_account
    cap = rules.allocation_cap if rules is not None else None
    capped = cap is not None and inputs.rules.phase.kind in cap.phases
    identical = rules is not None and rules.identical_trading_cap is not None
    if not capped and not identical and (rules is None or rules.copy_trading is None):
        return []  # only this account's own caps and copy policy can flag it
    # Counted forms (``counted``): the findings are the same, and the lists of one owner's
    # accounts compare equal, so the owner's list is counted once.
    me = counted(account_ref(inputs))
    # Fan-out siblings count in signal order; one without an order counts before this account.
    siblings = sorted((o for o in inputs.others if o.same_signal), key=lambda o: (_order(o), o.id))
    refs = (
        dict(zip((o.id for o in siblings), counted_sibling_refs(inputs, siblings), strict=True))
        if siblings
        else {}  # an account alone: no viewpoint to remember
    )
    before = [refs[o.id] for o in siblings if _order(o) < inputs.signal_order]
    after = [refs[o.id] for o in siblings if _order(o) >= inputs.signal_order]
    if me.account_id in refs:  # listed among its own siblings: counted alone, as it asks
        return _fanout_alone(me, before, after)
    flagged, copied = owner_findings((*before, me, *after)).get(me.account_id, ((), ()))
    found = list(flagged)
    # One signal on several accounts is a copy of the first of them at the firm.
    for source in before:
        if source.firm == me.firm:
            found += [
                (RejectCode.COPY_FORBIDDEN, f.detail)
                for f in cross_account.copy_findings(source, [me])
            ]
    return found + list(copied)


def _fanout_alone(
    me: cross_account.AccountRef,
    before: list[cross_account.AccountRef],
    after: list[cross_account.AccountRef],
) -> list[Gate]:
    found: list[Gate] = [
        (RejectCode.ALLOCATION_CAP, finding.detail)
        for finding in cross_account.allocation_findings([*before, me, *after])
        if finding.account_id == me.account_id
    ]
    found += [
        (RejectCode.IDENTICAL_TRADING_CAP, finding.detail)
        for finding in cross_account.identical_findings([*before, me])
        if finding.account_id == me.account_id
    ]
    for source in before:
        if source.firm == me.firm:
            found += [
                (RejectCode.COPY_FORBIDDEN, f.detail)
                for f in cross_account.copy_findings(source, [me])
            ]
    found += [
        (RejectCode.COPY_FORBIDDEN, finding.detail)
        for finding in cross_account.copy_cap_findings([*before, me])
        if finding.account_id == me.account_id
    ]
    return found


OwnerGates = dict[str, tuple[tuple[Gate, ...], tuple[Gate, ...]]]
# The last ordered lists of owners' accounts receiving a signal, and what they flag: every
# account of an owner in a fan-out sees the same list, so it is counted once, not per account.
# A few are kept, as a fan-out's owners come interleaved; lists of other owners differ at
# their first account, so looking through them costs little.
_last_owners: list[tuple[tuple[cross_account.AccountRef, ...], OwnerGates]] = []
_OWNERS = 16


def owner_findings(accounts: tuple[cross_account.AccountRef, ...]) -> OwnerGates:
    """Per account of ``accounts`` (one owner's accounts taking one signal, in signal order):
    its allocation and identical-trading findings, and then its copy-capital findings.

    Each account's findings depend only on the accounts counted before it (the accounts after
    it do not change what it is counted after), so one pass over the whole list answers for
    all of them; the answers for the last few lists asked are kept.
    """
    first, count = accounts[0].account_id if accounts else None, len(accounts)
    for listed, answer in list(_last_owners):  # a copy: another thread may change the list
        # Equal lists have equal lengths and first accounts: a list that differs is passed
        # over on them, without comparing every field of every account.
        if len(listed) != count or (count and listed[0].account_id != first):
            continue
        if listed == accounts:
            return answer
    counted: dict[str, list[Gate]] = {}
    for finding in cross_account.allocation_findings(accounts):
        counted.setdefault(finding.account_id, []).append(
            (RejectCode.ALLOCATION_CAP, finding.detail)
        )
    for finding in cross_account.identical_findings(accounts):
        counted.setdefault(finding.account_id, []).append(
            (RejectCode.IDENTICAL_TRADING_CAP, finding.detail)
        )
    copied: dict[str, list[Gate]] = {}
    for finding in cross_account.copy_cap_findings(accounts):
        copied.setdefault(finding.account_id, []).append(
            (RejectCode.COPY_FORBIDDEN, finding.detail)
        )
    found = {
        account_id: (tuple(counted.get(account_id, ())), tuple(copied.get(account_id, ())))
        for account_id in counted.keys() | copied.keys()
    }
    _last_owners[:] = [(accounts, found), *_last_owners[: _OWNERS - 1]]
    return found


def opposed(exposures: Exposures, count: int, symbol: str, side: int) -> Mask:
    """Accounts of a fan-out with an exposure on the other side of ``symbol`` (by their
    firm's groups of symbols that are one instrument, or correlated)."""
    found = np.zeros(count, dtype=np.bool_)
    if not len(exposures.account):
        return found
    same = np.array(
        [
            [cross_account.correlated(held, symbol, rules) for held in exposures.symbols]
            for rules in exposures.rules
        ],
        dtype=np.bool_,
    )
    match = same[exposures.rule, exposures.symbol] & (exposures.sign == -side)
    found[exposures.account[match]] = True
    return found


def _refused_over(
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> Mask:
    return fan.each_alike(
        "instrument", lambda i: instrument_refusal(i.rules, i.account, instrument) is not None
    )


def _instrument_lists(inputs: DecisionInputs) -> tuple[object, ...]:
    # What decides the refusal; the rest of the reason (names, the account's id) does not.
    return (inputs.rules.instruments, inputs.account.instruments)


def _stale_over(
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> Mask:
    found = np.zeros(fan.size, dtype=np.bool_)
    for cohort in fan.cohorts:
        found[cohort.members] = market_stale(fan.now, market, cohort.profile)
    return found


def _hedge_over(
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> Mask:
    return opposed(fan.hedged, fan.size, request.symbol, request.side.sign)


def _within_over(
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> Mask:
    return opposed(fan.within, fan.size, request.symbol, request.side.sign)


def _mini_micro_over(
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> Mask:
    # Few accounts forbid the mix and hold a position: each is decided by the scalar check
    # itself, with the signal's instrument, so both engines give one answer.
    return fan.each_alike("mini_micro", lambda i: mini_micro_refusal(i, instrument) is not None)


def _mini_micro_holdings(inputs: DecisionInputs) -> tuple[object, ...]:
    rules = inputs.rules.cross_account
    if not cross_account.forbids_mini_and_micro(rules) or not inputs.state.positions:
        return (None,)  # refused nothing, whatever the signal
    return (rules, inputs.state.positions, inputs.instruments)


@dataclass(frozen=True)
class GateRule:
    """One gate: its name, the codes it rejects with, its check, and its form over a fan-out.

    ``over_signal`` decides it for every account of a fan-out at once from the signal; a gate
    without one does not depend on what the signal says and is decided, with its codes, when
    the fan-out is prepared. A ``final`` gate stops its account: nothing after it is sized.
    ``alike`` names what of an account the fan-out form reads: accounts holding the very same
    objects there answer alike, so the form decides one of them per group
    (:meth:`~aria.sizing.columns.FanOut.each_alike`).
    """

    name: str
    codes: tuple[RejectCode, ...]
    check: Callable[[DecisionInputs], list[Gate]]
    over_signal: Callable[[FanOut, TradeRequest, Instrument, MarketSnapshot], Mask] | None = None
    final: bool = False
    alike: Callable[[DecisionInputs], tuple[object, ...]] | None = None


GATES: tuple[GateRule, ...] = (
    GateRule(
        "instrument",
        (RejectCode.INSTRUMENT_NOT_ALLOWED,),
        instrument_gates,
        _refused_over,
        final=True,
        alike=_instrument_lists,
    ),
    GateRule(
        "trading",
        (
            RejectCode.ACCOUNT_CLOSED,
            RejectCode.HALTED,
            RejectCode.ACCOUNT_ARCHIVED,
            RejectCode.REDUCING_ONLY,
        ),
        trading_gates,
    ),
    GateRule("state_age", (RejectCode.STALE_DATA,), state_gates),
    GateRule("market_age", (RejectCode.STALE_DATA,), market_gates, _stale_over),
    GateRule("hedge", (RejectCode.CROSS_ACCOUNT_HEDGE,), hedge_gates, _hedge_over),
    GateRule("within", (RejectCode.HEDGING_WITHIN_ACCOUNT,), within_gates, _within_over),
    GateRule(
        "mini_micro",
        (RejectCode.MINI_MICRO_MIX,),
        mini_micro_gates,
        _mini_micro_over,
        alike=_mini_micro_holdings,
    ),
    GateRule(
        "fanout",
        (
            RejectCode.ALLOCATION_CAP,
            RejectCode.IDENTICAL_TRADING_CAP,
            RejectCode.COPY_FORBIDDEN,
        ),
        fanout_gates,
    ),
    GateRule(
        "news", (RejectCode.NEWS_WINDOW,), news.news_gates, news.news_over, alike=news.news_read
    ),
    # Decided per account when a fan-out is prepared: it reads the account's rules and the
    # instrument's calendar at the fan-out's one moment, not what the signal says.
    GateRule("session", session_rules.CODES, session_rules.session_gates),
)
