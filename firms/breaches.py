"""Breach detection: equity touching a floor, and what that does to the account.

Touching counts: equity *at* a floor is already a breach, as the firms word it ("must not
drop to"). A hard breach fails the account for good (only an operator can re-enable it);
a soft breach halts it until the daily reset, and the halt then clears by itself.
These are the firm's verdicts on the broker's numbers; ARIA's own, debounced halts are in
:mod:`firms.debounce`, and :mod:`firms.lifecycle` applies both on every state. A firm that
escalates (FundedNext) also counts violations of its open-risk cap (:func:`risk_check`): the
account keeps trading, and after enough of them the firm holds it to a lower cap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from accounts.model import AccountState, HaltKind, TradingState, TradingStatus
from firms.floors import Floors
from firms.model import BreachKind
from firms.ruleset import RuleSet


class BreachType(StrEnum):
    """Which floor was touched."""

    DAILY_LOSS = "daily_loss"
    MAX_LOSS = "max_loss"
    FLOATING_LOSS = "floating_loss"


@dataclass(frozen=True, slots=True)
class Breach:
    """A floor touched by the account's equity (or balance, for balance-checked rules)."""

    type: BreachType
    severity: BreachKind
    code: str  # the mechanic, e.g. D1 or M3
    floor: Decimal
    value: Decimal
    at: dt.datetime

    def describe(self) -> str:
        """A sentence a trader understands."""
        what = self.type.value.replace("_", "-")
        return (
            f"{self.severity.value} {what} breach ({self.code}): {self.value:,.2f}"
            f" at or below the floor {self.floor:,.2f}"
        )


def detect(rules: RuleSet, floors: Floors, state: AccountState) -> tuple[Breach, ...]:
    """Every floor that ``state`` touches, daily first."""
    found: list[Breach] = []
    if floors.daily is not None:
        value = state.balance if rules.daily_loss.checked_on == "balance" else state.equity
        if value <= floors.daily:
            found.append(
                Breach(
                    BreachType.DAILY_LOSS,
                    rules.daily_loss.breach,
                    rules.daily_loss.code,
                    floors.daily,
                    value,
                    state.as_of,
                )
            )
    if state.equity <= floors.max_loss:
        found.append(
            Breach(
                BreachType.MAX_LOSS,
                rules.max_loss.breach,
                rules.max_loss.code,
                floors.max_loss,
                state.equity,
                state.as_of,
            )
        )
    if (
        floors.floating is not None
        and rules.floating_loss is not None
        and state.equity <= floors.floating
    ):
        found.append(
            Breach(
                BreachType.FLOATING_LOSS,
                rules.floating_loss.breach,
                rules.floating_loss.code,
                floors.floating,
                state.equity,
                state.as_of,
            )
        )
    return tuple(found)


def apply(
    trading: TradingState, breaches: tuple[Breach, ...], rules: RuleSet, now: dt.datetime
) -> TradingState:
    """The trading state after ``breaches``: a failed or closed account stays so, and an
    archived one archived (it no longer trades; unarchiving it judges its state again)."""
    if trading.halt in (HaltKind.FAILED, HaltKind.CLOSED, HaltKind.ARCHIVED) or not breaches:
        return trading
    hard = [b for b in breaches if b.severity is BreachKind.HARD]
    if hard:
        return TradingState(
            status=TradingStatus.HALTED,
            halt=HaltKind.FAILED,
            reason="; ".join(b.describe() for b in hard),
            since=now,
        )
    if trading.halt is HaltKind.OPERATOR:
        return trading
    until = rules.daily_reset.next(now)
    if trading.halt is HaltKind.DAILY and trading.until is not None and trading.until >= until:
        return trading
    return TradingState(
        status=TradingStatus.HALTED,
        halt=HaltKind.DAILY,
        reason="; ".join(b.describe() for b in breaches) + " — locked until the next reset",
        since=now,
        until=until,
    )


@dataclass(frozen=True, slots=True)
class RiskViolation:
    """A state whose open risk to the stops went over the firm's open-risk cap."""

    cap: Decimal
    risk: Decimal
    count: int  # the account's violations, this one included
    escalated_to: Decimal | None  # the lower cap this violation moves the account to

    def describe(self) -> str:
        """A sentence a trader understands."""
        text = (
            f"open risk to the stops {self.risk:,.2f} is over the firm's cap {self.cap:,.2f}"
            f" (violation {self.count})"
        )
        if self.escalated_to is not None:
            text += f": the firm now holds the account to {self.escalated_to:,.2f}"
        return text


@dataclass(frozen=True, slots=True)
class RiskCheck:
    """The account's open-risk violations after a state, and the new one if it made one."""

    violations: int
    over: bool
    violation: RiskViolation | None = None


def risk_check(
    rules: RuleSet, violations: int, over: bool, open_risk: Decimal, balance: Decimal
) -> RiskCheck:
    """Judge a state's open risk to the stops against the open-risk cap in force.

    Only plans whose firm escalates count violations. One that began in an earlier state and
    has not ended is the same violation: it counts when the risk goes over the cap, and ends
    when a state is back within it. Over is strictly above: risk equal to the cap keeps to it.
    """
    limits = rules.limits
    if limits is None or limits.risk_escalation is None:
        return RiskCheck(violations, over)
    cap = limits.open_risk_cap(rules.size, balance, violations)
    assert cap is not None  # an escalation needs a max_open_risk (the model's validator)
    if open_risk <= cap:
        return RiskCheck(violations, False)
    if over:
        return RiskCheck(violations, True)
    count = violations + 1
    after = limits.open_risk_cap(rules.size, balance, count)
    escalated = after if after is not None and after < cap else None
    return RiskCheck(count, True, RiskViolation(cap, open_risk, count, escalated))
