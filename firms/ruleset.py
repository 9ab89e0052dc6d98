"""The rule set of one account: a plan resolved for one phase and one account size.

Resolution applies the phase's overrides, keeps only the rules that apply in the phase,
picks the daily reset clock, and checks that every amount is known for the size, so that
the floor and limit math never meets an unresolvable amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from firms.clock import WallClock
from firms.errors import InvalidOption, UnknownSize
from firms.model import (
    Amount,
    CashFlowRules,
    ConsistencyRule,
    CrossAccountRules,
    DailyLossRule,
    Firm,
    FloatingLossRule,
    InstrumentRules,
    Limits,
    MaxLossRule,
    NewsRule,
    OptionTarget,
    Phase,
    PhaseObjective,
    Plan,
    SessionRules,
    TradingDayRule,
    applies_to,
)


class RuleSet(BaseModel):
    """Everything a firm demands of one account, with provenance on each block."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    firm: str
    firm_name: str
    plan: str
    plan_name: str
    rulebook_version: str
    phase: Phase
    size: Decimal
    currency: str
    reset: WallClock
    daily_loss: DailyLossRule
    max_loss: MaxLossRule
    floating_loss: FloatingLossRule | None = None
    limits: Limits | None = None
    cross_account: CrossAccountRules | None = None
    objective: PhaseObjective | None = None
    target_on: Literal["closed_balance_flat", "balance", "equity"] | None = None
    trading_day: TradingDayRule | None = None
    consistency: tuple[ConsistencyRule, ...] = ()
    news: tuple[NewsRule, ...] = ()
    sessions: tuple[SessionRules, ...] = ()
    instruments: InstrumentRules | None = None
    cash_flows: CashFlowRules | None = None
    options: dict[str, Decimal] = Field(
        default_factory=dict, description="the plan's checkout options as this account chose"
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # ``cash_flows`` came after decisions were recorded with their rules: left out while
        # unset, so those records keep their hash.
        data: dict[str, Any] = handler(self)
        if data.get("cash_flows", 0) is None:
            data.pop("cash_flows")
        return data

    @property
    def start(self) -> Decimal:
        """The balance the account starts at: its size, unless the plan says otherwise."""
        if self.cash_flows is not None and self.cash_flows.starting_balance is not None:
            return self.cash_flows.starting_balance
        return self.size

    @property
    def capital_offset(self) -> Decimal:
        """What to add to a balance or equity to express it as capital: the size less the
        starting balance (0, unless the balance starts below the size, as a Topstep XFA's
        does at 0: its balance is the P&L on a capital of its size)."""
        return self.size - self.start

    @property
    def daily_reset(self) -> WallClock:
        """The clock the daily-loss floor resets on."""
        return self.daily_loss.reset or self.reset

    @property
    def flat_before_reset(self) -> bool:
        """True when the plan's sessions make every position close before the daily reset
        (no overnight holding, or a flat-by time in the hours before it), so none is held
        into the next day."""
        reset = self.daily_reset
        for session in self.sessions:
            if not session.overnight_holding:
                return True
            if session.flat_by is not None and _hours_before(session.flat_by, reset) <= 12:
                return True
        return False

    @property
    def label(self) -> str:
        """E.g. ``ftmo/2-step@2024-11 challenge 100,000``."""
        return f"{self.firm}/{self.plan}@{self.rulebook_version} {self.phase.id} {self.size:,.0f}"

    def target_amount(self) -> Decimal | None:
        """The phase's profit target in the account currency, if it has one."""
        if self.objective is None or self.objective.target is None:
            return None
        return self.objective.target.resolve(self.size)

    def contract_allowance(self, end_of_day_profit: Decimal) -> int | None:
        """Contracts allowed by the scaling plan at this end-of-day profit, if the plan scales."""
        if self.limits is None:
            return None
        steps = self.limits.contract_scaling.get(int(self.size))
        if not steps:
            return None
        allowed = [s.max_contracts for s in steps if s.from_profit <= end_of_day_profit]
        return allowed[-1] if allowed else steps[0].max_contracts

    def provenance(self) -> dict[str, tuple[list[str], dt.date, str]]:
        """Block name → (sources, date read, confidence), for reports and audits."""
        blocks = {
            "daily_loss": self.daily_loss,
            "max_loss": self.max_loss,
            "floating_loss": self.floating_loss,
            "limits": self.limits,
            "cross_account": self.cross_account,
            "instruments": self.instruments,
            "cash_flows": self.cash_flows,
        }
        return {
            name: (block.source, block.read_on, block.confidence.value)
            for name, block in blocks.items()
            if block is not None
        }


_REFERENCE_DAY = dt.date(2026, 1, 14)  # a fixed winter day: no clock is read


def _hours_before(earlier: WallClock, later: WallClock) -> float:
    """Hours from ``earlier`` to the next ``later`` on a day (across zones)."""
    first = dt.datetime.combine(_REFERENCE_DAY, earlier.time, tzinfo=earlier.tz)
    second = dt.datetime.combine(_REFERENCE_DAY, later.time, tzinfo=later.tz)
    return ((second - first).total_seconds() / 3600) % 24


def _check_amount(amount: Amount | None, size: Decimal, where: str) -> None:
    if amount is None:
        return
    try:
        amount.resolve(size)
    except UnknownSize as exc:
        raise UnknownSize(f"{where}: {exc}") from None


def chosen_options(plan: Plan, options: Mapping[str, Decimal] | None) -> dict[str, Decimal]:
    """Every option of ``plan``: the account's choice, else the firm's default.

    Raises :class:`InvalidOption` for an option the plan does not declare or a value that is
    not one of its choices.
    """
    given = dict(options or {})
    unknown = sorted(set(given) - set(plan.options))
    if unknown:
        known = ", ".join(sorted(plan.options)) or "none"
        raise InvalidOption(
            f"plan {plan.id!r} has no option {', '.join(map(repr, unknown))}; options: {known}"
        )
    chosen: dict[str, Decimal] = {}
    for name, option in sorted(plan.options.items()):
        value = given.get(name, option.default)
        if value not in option.choices:
            choices = ", ".join(f"{c.normalize():f}" for c in option.choices)
            raise InvalidOption(
                f"option {name!r} of plan {plan.id!r} is {value}; choose one of {choices}"
            )
        # The catalog's own form of the value, so 4 and 4.0 record alike.
        chosen[name] = next(c for c in option.choices if c == value)
    return chosen


def resolve(
    firm: Firm,
    plan: Plan,
    phase_id: str,
    size: Decimal,
    options: Mapping[str, Decimal] | None = None,
) -> RuleSet:
    """Resolve ``plan`` of ``firm`` for one phase and account size, with the account's
    checkout ``options`` (see :func:`chosen_options`)."""
    phase = plan.phase(phase_id)
    override = plan.overrides.get(phase.id)
    daily = (override and override.daily_loss) or plan.daily_loss
    max_loss = (override and override.max_loss) or plan.max_loss
    chosen = chosen_options(plan, options)
    for name, value in chosen.items():
        target = plan.options[name].sets
        if target is OptionTarget.DAILY_LOSS_PCT and daily.amount is not None:
            daily = daily.model_copy(update={"amount": Amount(pct=value)})
        elif target is OptionTarget.MAX_LOSS_PCT:
            max_loss = max_loss.model_copy(update={"amount": Amount(pct=value)})
    floating = (override and override.floating_loss) or plan.floating_loss
    limits = (override and override.limits) or plan.limits
    cash_flows = (override and override.cash_flows) or plan.cash_flows
    objective = plan.objectives.phases.get(phase.id) if plan.objectives else None

    where = f"{firm.id}/{plan.id}"
    _check_amount(daily.amount, size, f"{where} daily_loss")
    _check_amount(max_loss.amount, size, f"{where} max_loss")
    _check_amount(floating.amount if floating else None, size, f"{where} floating_loss")
    if limits is not None:
        for name in ("max_total_lots", "max_contracts", "max_risk_per_trade", "max_open_risk"):
            _check_amount(getattr(limits, name), size, f"{where} limits.{name}")
    if objective is not None:
        _check_amount(objective.target, size, f"{where} objectives.{phase.id}.target")
    if cash_flows is not None:
        _check_amount(cash_flows.payout_buffer, size, f"{where} cash_flows.payout_buffer")
        for number, cap in enumerate(cash_flows.payout_caps, 1):
            _check_amount(cap, size, f"{where} cash_flows.payout_caps (payout {number})")

    return RuleSet(
        firm=firm.id,
        firm_name=firm.name,
        plan=plan.id,
        plan_name=plan.name,
        rulebook_version=plan.rulebook_version,
        phase=phase,
        size=size,
        currency=plan.currency,
        reset=plan.reset or firm.reset,
        daily_loss=daily,
        max_loss=max_loss,
        floating_loss=floating,
        limits=limits,
        cross_account=plan.cross_account or firm.cross_account,
        objective=objective,
        target_on=plan.objectives.target_on if plan.objectives else None,
        trading_day=plan.objectives.trading_day if plan.objectives else None,
        consistency=tuple(r for r in plan.consistency if applies_to(r.phases, phase)),
        news=tuple(r for r in plan.news if applies_to(r.phases, phase)),
        sessions=tuple(r for r in plan.sessions if applies_to(r.phases, phase)),
        instruments=plan.instruments or firm.instruments,
        cash_flows=cash_flows,
        options=chosen,
    )
