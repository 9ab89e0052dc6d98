"""The rule set of one account: a plan resolved for one phase and one account size.

Resolution applies the phase's overrides, keeps only the rules that apply in the phase,
picks the daily reset clock, and checks that every amount is known for the size, so that
the floor and limit math never meets an unresolvable amount.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from firms.clock import WallClock
from firms.errors import UnknownSize
from firms.model import (
    Amount,
    ConsistencyRule,
    CrossAccountRules,
    DailyLossRule,
    Firm,
    FloatingLossRule,
    Limits,
    MaxLossRule,
    NewsRule,
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

    @property
    def daily_reset(self) -> WallClock:
        """The clock the daily-loss floor resets on."""
        return self.daily_loss.reset or self.reset

    @property
    def flat_before_reset(self) -> bool:
        """True when the plan's sessions make every position close before the daily reset
        (a flat-by time, or no overnight holding), so none is held into the next day."""
        return any(s.flat_by is not None or not s.overnight_holding for s in self.sessions)

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
        }
        return {
            name: (block.source, block.read_on, block.confidence.value)
            for name, block in blocks.items()
            if block is not None
        }


def _check_amount(amount: Amount | None, size: Decimal, where: str) -> None:
    if amount is None:
        return
    try:
        amount.resolve(size)
    except UnknownSize as exc:
        raise UnknownSize(f"{where}: {exc}") from None


def resolve(firm: Firm, plan: Plan, phase_id: str, size: Decimal) -> RuleSet:
    """Resolve ``plan`` of ``firm`` for one phase and account size."""
    phase = plan.phase(phase_id)
    override = plan.overrides.get(phase.id)
    daily = (override and override.daily_loss) or plan.daily_loss
    max_loss = (override and override.max_loss) or plan.max_loss
    floating = (override and override.floating_loss) or plan.floating_loss
    limits = (override and override.limits) or plan.limits
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
    )
