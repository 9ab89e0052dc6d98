"""Cross-account checks: what a firm forbids across one trader's accounts.

- **Hedging**: an opposite position on the same instrument (or an equivalent one, e.g. ES
  and MES), or on a product the firm lists as correlated with it (Apex: ES and NQ), in another
  account of the same owner *at the same firm*, when that firm forbids it. Accounts at
  different firms are not the firm's business.
- **Mini and micro together** (Tradeify): a product's full-size future and its micro held at
  once in one account. Which product a micro belongs to comes from the instrument's
  specification (``micro_of``), passed in as a :class:`Contract`.
- **Allocation cap**: the capital one trader (or one strategy) runs at a firm. Accounts are
  counted in the order given (the caller passes them oldest first); those that push the
  total past the cap are flagged. Accounts in different currencies are counted as a share
  of the cap in their own currency, using the firm's listed equivalents.
- **Account-count cap**, counted per owner, and where the firm counts per household also per
  household (an account without a household is in its owner's own), and the **copy-trading
  matrix**.
- **Capital caps on one trade taken by several accounts**: the identical-trading cap (The5ers:
  no identical trades across accounts above 500,000) and the copy-capital cap (FundedNext:
  copying may cover at most 300,000). The accounts taking the trade are counted in the order
  given (signal order), the first one (the trade itself, or the copy source) included; those
  that push the total past the cap are flagged. A single account is never flagged: alone it
  is not trading identically, nor copying. Accounts in another currency count by the firm's
  listed equivalents; one without a listed equivalent cannot be counted and is flagged.
  Where the firms do not say, the stricter reading: accounts of every phase count, at their
  account size; the copy source counts towards the copy cap ("the total" of the copied
  Challenges); an account another gate refuses (halted, stale) still counts for those after
  it. A total exactly at the cap is allowed ("above", "does not exceed").
- **Identical trades found after the fact** (the compliance scan): open positions of one owner
  at one firm on one instrument (by the firm's equivalent symbols) and one side, opened within
  :data:`IDENTICAL_WINDOW` of one another (chained: each within the window of the previous
  one), are one trade taken by several accounts, counted in the order they were opened, the
  first being the copy source. A position without an opening time cannot be shown to be
  apart from the others, so it is taken as part of every such trade (the stricter reading).

An ``unknown`` permission is enforced as forbidden: when a firm does not say, ARIA does not
assume it may.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from accounts.model import Side
from accounts.money import ONE, ZERO
from firms.model import CapScope, CopyPolicy, CrossAccountRules, Permission, PhaseKind

HEDGE = "cross_account_hedge"
ALLOCATION = "allocation_cap"
ACCOUNT_COUNT = "account_cap"
COPY = "copy_forbidden"
IDENTICAL = "identical_trading_cap"
MINI_MICRO = "mini_micro_mix"

# Positions on one instrument and side opened this close together are one trade taken by
# several accounts. The firms do not say how close: five minutes is the widest window a firm
# uses to join entries into one trade (FundingPips' re-entries), so the stricter reading.
IDENTICAL_WINDOW = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class AccountRef:
    """What the cross-account checks need to know of an account."""

    account_id: str
    owner: str
    firm: str
    phase_kind: PhaseKind
    size: Decimal
    currency: str
    rules: CrossAccountRules | None
    strategy: str | None = None
    household: str | None = None

    @property
    def household_key(self) -> str:
        """The household the account is counted in: its own, or its owner's alone."""
        return self.household if self.household is not None else f"owner:{self.owner}"


@dataclass(frozen=True, slots=True)
class Exposure:
    """A position held, or an order intended, on an account."""

    account: AccountRef
    symbol: str
    side: Side
    opened_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """A futures contract as the mini-and-micro rule sees it: its symbol and the full-size
    product it is (``product == symbol``) or is a micro of."""

    symbol: str
    product: str

    @property
    def is_micro(self) -> bool:
        """True for a micro of another product."""
        return self.symbol.upper() != self.product.upper()


@dataclass(frozen=True, slots=True)
class Finding:
    """A cross-account pattern the firm forbids, with a stable code."""

    code: str
    account_id: str
    firm: str
    others: tuple[str, ...]
    detail: str


def _forbids(permission: Permission) -> bool:
    return permission in (Permission.FORBIDDEN, Permission.UNKNOWN)


def same_instrument(first: str, second: str, rules: CrossAccountRules | None) -> bool:
    """True when the two symbols are one instrument for the firm (ES and MES, say)."""
    a, b = first.upper(), second.upper()
    if a == b:
        return True
    groups = rules.equivalent_symbols if rules else []
    return any(a in {s.upper() for s in g} and b in {s.upper() for s in g} for g in groups)


def correlated(first: str, second: str, rules: CrossAccountRules | None) -> bool:
    """True when opposite positions on the two symbols are a hedge for the firm: one instrument,
    or two products it lists as correlated (ES and NQ at Apex)."""
    if same_instrument(first, second, rules):
        return True
    a, b = first.upper(), second.upper()
    groups = rules.correlated_groups if rules else []
    return any(a in {s.upper() for s in g} and b in {s.upper() for s in g} for g in groups)


def hedge_forbidden(a: AccountRef, b: AccountRef) -> bool:
    """True when a hedge between these two accounts breaks a rule of their (common) firm."""
    if a.account_id == b.account_id or a.owner != b.owner or a.firm != b.firm:
        return False
    return any(r is not None and _forbids(r.hedging_across_accounts) for r in (a.rules, b.rules))


def hedge_conflicts(candidate: Exposure, held: Iterable[Exposure]) -> tuple[Finding, ...]:
    """Opposite exposure elsewhere that makes ``candidate`` a forbidden cross-account hedge."""
    others = sorted(
        {
            e.account.account_id
            for e in held
            if e.side is candidate.side.opposite
            and hedge_forbidden(candidate.account, e.account)
            and correlated(candidate.symbol, e.symbol, candidate.account.rules)
        }
    )
    if not others:
        return ()
    detail = (
        f"{candidate.side.value} {candidate.symbol} on {candidate.account.account_id} opposes"
        f" {candidate.side.opposite.value} positions of the same owner on {', '.join(others)}"
        f" at {candidate.account.firm}, which forbids hedging across accounts"
    )
    return (
        Finding(HEDGE, candidate.account.account_id, candidate.account.firm, tuple(others), detail),
    )


def scan_hedges(exposures: Sequence[Exposure]) -> tuple[Finding, ...]:
    """Every exposure that opposes another of the same owner at a firm that forbids it."""
    found: list[Finding] = []
    for index, exposure in enumerate(exposures):
        rest = [*exposures[:index], *exposures[index + 1 :]]
        found.extend(hedge_conflicts(exposure, rest))
    return tuple(found)


def _allocation_groups(
    accounts: Sequence[AccountRef],
) -> dict[tuple[str, str, str], list[AccountRef]]:
    groups: dict[tuple[str, str, str], list[AccountRef]] = defaultdict(list)
    for account in accounts:
        cap = account.rules.allocation_cap if account.rules else None
        if cap is None or account.phase_kind not in cap.phases:
            continue
        if cap.scope in (CapScope.TRADER, CapScope.TRADER_OR_STRATEGY):
            groups[(account.firm, "trader", account.owner)].append(account)
        if counts_strategy(account) and account.strategy:
            groups[(account.firm, "strategy", account.strategy)].append(account)
    return groups


def counts_strategy(account: AccountRef) -> bool:
    """True when an allocation cap by strategy covers the account's phase: only then is its
    strategy label counted (no other check here reads it)."""
    cap = account.rules.allocation_cap if account.rules else None
    return (
        cap is not None
        and account.phase_kind in cap.phases
        and cap.scope in (CapScope.STRATEGY, CapScope.TRADER_OR_STRATEGY)
    )


def allocation_findings(accounts: Sequence[AccountRef]) -> tuple[Finding, ...]:
    """Accounts that push a trader's (or strategy's) capital at a firm past its cap."""
    flagged: dict[str, Finding] = {}
    for (firm, scope, key), members in _allocation_groups(accounts).items():
        used = ZERO
        for position, account in enumerate(members):
            cap = account.rules.allocation_cap if account.rules else None
            assert cap is not None
            limit = cap.in_currency(account.currency)
            share = account.size / limit if limit else None
            used = used + share if share is not None else used
            if share is not None and used <= ONE:
                continue
            if account.account_id in flagged:
                continue
            before = tuple(m.account_id for m in members[:position])
            detail = (
                f"{firm} lists no allocation cap in {account.currency}"
                if share is None
                else f"{scope} {key!r} would run {used:.0%} of {firm}'s {cap.amount:,}"
                f" {cap.currency} cap with {account.account_id}"
                f" (after {', '.join(before) or 'no other account'})"
            )
            flagged[account.account_id] = Finding(
                ALLOCATION, account.account_id, firm, before, detail
            )
    return tuple(flagged[a.account_id] for a in accounts if a.account_id in flagged)


def _count_groups(account: AccountRef, per: str) -> tuple[str, ...]:
    # Per household is the stricter count: the owner's own accounts are counted too, so
    # accounts labelled with different households (or none) never split one person's count.
    if per == "household" and account.household is not None:
        return (f"owner:{account.owner}", account.household_key)
    return (f"owner:{account.owner}",)


def account_count_findings(accounts: Sequence[AccountRef]) -> tuple[Finding, ...]:
    """Accounts beyond a firm's cap on how many accounts one trader (or, where the firm says
    so, one household) may hold, counted in the order given."""
    counted: dict[tuple[str, str], list[AccountRef]] = defaultdict(list)
    found: list[Finding] = []
    for account in accounts:
        cap = account.rules.account_cap if account.rules else None
        if cap is None or account.phase_kind not in cap.phases:
            continue
        over: list[AccountRef] = []
        for key in _count_groups(account, cap.per):
            group = counted[(account.firm, key)]
            group.append(account)
            if len(group) > cap.count and len(group) - 1 > len(over):
                over = group[:-1]
        if not over:
            continue
        who = (
            f"household {account.household!r}"
            if account.household is not None and any(a.owner != account.owner for a in over)
            else account.owner
        )
        detail = (
            f"{who} would hold {len(over) + 1} {'/'.join(cap.phases)} accounts at"
            f" {account.firm}, which allows {cap.count} per {cap.per}"
        )
        others = tuple(a.account_id for a in over)
        found.append(Finding(ACCOUNT_COUNT, account.account_id, account.firm, others, detail))
    return tuple(found)


def copy_permission(source: AccountRef, target: AccountRef, policy: CopyPolicy) -> Permission:
    """Whether copying trades from ``source`` to ``target`` is allowed by ``policy``."""
    if source.owner != target.owner:
        return policy.other_person
    funded = {PhaseKind.FUNDED, PhaseKind.LIVE}
    from_funded, to_funded = source.phase_kind in funded, target.phase_kind in funded
    if from_funded and to_funded:
        return policy.funded_to_funded
    if from_funded:
        return policy.funded_to_evaluation
    if to_funded:
        return policy.evaluation_to_funded
    return policy.evaluation_to_evaluation


def copy_findings(source: AccountRef, targets: Sequence[AccountRef]) -> tuple[Finding, ...]:
    """Targets that ``source`` may not be copied to under their firm's copy policy."""
    found: list[Finding] = []
    for target in targets:
        policy = target.rules.copy_trading if target.rules else None
        if policy is None or target.account_id == source.account_id:
            continue
        permission = copy_permission(source, target, policy)
        if _forbids(permission):
            detail = (
                f"copying {source.account_id} ({source.phase_kind.value}) to {target.account_id}"
                f" ({target.phase_kind.value}) is {permission.value} at {target.firm}"
            )
            found.append(
                Finding(COPY, target.account_id, target.firm, (source.account_id,), detail)
            )
    return tuple(found)


def _capital_findings(
    accounts: Sequence[AccountRef],
    cap_of: Callable[[CrossAccountRules], Decimal | None],
    code: str,
    describe: Callable[[tuple[str, ...], AccountRef, str, str], str],
) -> tuple[Finding, ...]:
    """Accounts that push the capital of one owner's accounts at a firm, counted in order,
    past the cap ``cap_of`` reads from their rules. ``describe(before, account, counted, cap)``
    words a finding: ``before`` are the accounts counted first, ``counted`` the capital counted
    (or why it cannot be), ``cap`` the cap with its currency."""
    groups: dict[tuple[str, str], list[AccountRef]] = defaultdict(list)
    for account in accounts:
        if account.rules is not None and cap_of(account.rules) is not None:
            groups[(account.firm, account.owner)].append(account)
    flagged: dict[str, Finding] = {}
    for (firm, _), members in groups.items():
        total = ZERO
        uncounted: AccountRef | None = None
        for position, account in enumerate(members):
            rules = account.rules
            assert rules is not None
            cap = cap_of(rules)
            assert cap is not None
            capital = rules.capital(account.size, account.currency)
            if capital is None:
                uncounted = uncounted or account
            else:
                total += capital
            # An account that cannot be counted leaves the total unknown, and an unknown
            # total is never taken to be within the cap.
            if position == 0 or (uncounted is None and total <= cap):
                continue
            counted = (
                f"{total:,.2f} {rules.cap_currency}"
                if uncounted is None
                else f"capital that cannot be counted ({firm} lists no equivalent of its"
                f" {rules.cap_currency} caps in {uncounted.currency}, the currency of"
                f" {uncounted.account_id})"
            )
            before = tuple(m.account_id for m in members[:position])
            detail = describe(before, account, counted, f"{cap:,} {rules.cap_currency}")
            flagged[account.account_id] = Finding(code, account.account_id, firm, before, detail)
    return tuple(flagged[a.account_id] for a in accounts if a.account_id in flagged)


def identical_findings(accounts: Sequence[AccountRef]) -> tuple[Finding, ...]:
    """Accounts taking one identical trade, in order, that push the capital of one owner's
    accounts taking it at a firm past the firm's identical-trading cap."""

    def describe(before: tuple[str, ...], account: AccountRef, counted: str, cap: str) -> str:
        return (
            f"{account.owner}'s accounts at {account.firm} taking this same trade would count"
            f" {counted} with {account.account_id} (after {', '.join(before)}), above"
            f" {account.firm}'s identical-trading cap of {cap}"
        )

    return _capital_findings(accounts, lambda r: r.identical_trading_cap, IDENTICAL, describe)


def copy_cap(rules: CrossAccountRules) -> Decimal | None:
    """The most capital copied trades may cover at the firm, if it caps it."""
    return rules.copy_trading.cap if rules.copy_trading is not None else None


def copy_cap_findings(accounts: Sequence[AccountRef]) -> tuple[Finding, ...]:
    """Accounts a trade is copied to, in order after its source (the first account of the
    owner at the firm), that push the capital copying covers past the firm's copy cap."""

    def describe(before: tuple[str, ...], account: AccountRef, counted: str, cap: str) -> str:
        return (
            f"copying {before[0]} to {account.account_id} would have copied trades cover"
            f" {counted} of {account.owner}'s accounts at {account.firm} (with"
            f" {', '.join(before)}), above {account.firm}'s copy-capital cap of {cap}"
        )

    return _capital_findings(accounts, copy_cap, COPY, describe)


def forbids_mini_and_micro(rules: CrossAccountRules | None) -> bool:
    """True when the firm forbids (or may forbid) a product's mini and micro in one account."""
    return rules is not None and _forbids(rules.mini_and_micro_together)


def mini_micro_conflict(candidate: Contract, held: Iterable[Contract]) -> Contract | None:
    """A held contract of the candidate's product on the other scale (the mini when the
    candidate is its micro, or the micro when it is the mini), or ``None``."""
    product = candidate.product.upper()
    for contract in held:
        if contract.product.upper() == product and contract.is_micro is not candidate.is_micro:
            return contract
    return None


def mini_micro_findings(account: AccountRef, held: Sequence[Contract]) -> tuple[Finding, ...]:
    """The account holds a product's mini and micro at once where its firm forbids it."""
    if not forbids_mini_and_micro(account.rules):
        return ()
    for index, contract in enumerate(held):
        other = mini_micro_conflict(contract, held[:index])
        if other is not None:
            detail = (
                f"{account.account_id} holds {other.symbol} and {contract.symbol}, the"
                f" full-size and micro contracts of {contract.product}, which {account.firm}"
                " forbids together in one account"
            )
            return (Finding(MINI_MICRO, account.account_id, account.firm, (), detail),)
    return ()


def _instrument_key(symbol: str, rules: CrossAccountRules | None) -> str:
    """One name for the symbols the firm counts as one instrument (the first of its group)."""
    upper = symbol.upper()
    for group in rules.equivalent_symbols if rules else []:
        names = [s.upper() for s in group]
        if upper in names:
            return names[0]
    return upper


@dataclass(frozen=True, slots=True)
class IdenticalTrade:
    """Open positions of several accounts that are one trade: the instrument, the side, and
    the accounts in the order they opened it."""

    symbol: str
    side: Side
    accounts: tuple[AccountRef, ...]


def identical_trades(
    exposures: Sequence[Exposure], window: dt.timedelta = IDENTICAL_WINDOW
) -> tuple[IdenticalTrade, ...]:
    """Open positions that are one trade taken by several accounts of one owner at one firm
    (see the module docstring); only trades taken by two accounts or more."""
    keyed: dict[tuple[str, str, str, Side], list[Exposure]] = defaultdict(list)
    for exposure in exposures:
        ref = exposure.account
        key = (ref.firm, ref.owner, _instrument_key(exposure.symbol, ref.rules), exposure.side)
        keyed[key].append(exposure)
    trades: list[IdenticalTrade] = []
    for (_, _, symbol, side), members in keyed.items():
        timed = sorted(
            (e for e in members if e.opened_at is not None),
            key=lambda e: (e.opened_at, e.account.account_id),
        )
        untimed = [e for e in members if e.opened_at is None]
        runs: list[list[Exposure]] = []
        for exposure in timed:
            last = runs[-1][-1].opened_at if runs else None
            assert exposure.opened_at is not None
            if last is not None and exposure.opened_at - last <= window:
                runs[-1].append(exposure)
            else:
                runs.append([exposure])
        for run in runs or [[]]:
            accounts = {e.account.account_id: e.account for e in [*untimed, *run]}
            if len(accounts) > 1:
                trades.append(IdenticalTrade(symbol, side, tuple(accounts.values())))
    return tuple(trades)


def _span(window: dt.timedelta) -> str:
    seconds = int(window.total_seconds())
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def scan_identical(
    exposures: Sequence[Exposure], window: dt.timedelta = IDENTICAL_WINDOW
) -> tuple[Finding, ...]:
    """Accounts whose open positions make one trade that goes past the firm's identical-trading
    cap or its copy-capital cap, each finding naming the trade."""
    found: dict[tuple[str, str, tuple[str, ...]], Finding] = {}
    for trade in identical_trades(exposures, window):
        ids = ", ".join(a.account_id for a in trade.accounts)
        what = f"{trade.side.value} {trade.symbol} opened within {_span(window)} on {ids}"
        for finding in (*identical_findings(trade.accounts), *copy_cap_findings(trade.accounts)):
            named = replace(finding, detail=f"{what}: {finding.detail}")
            found.setdefault((finding.code, finding.account_id, finding.others), named)
    return tuple(found.values())
