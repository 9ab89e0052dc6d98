"""What a simulation found, per policy and firm plan."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aria.simulation.timerules import TimeBreach

TIME_BREACH_KINDS = tuple(kind.value for kind in TimeBreach)


@dataclass
class PlanOutcome:
    """One policy on one firm plan, over all its accounts.

    ``breaches_daily`` and ``breaches_max_loss`` count accounts (an account that breaches
    its daily limit softly, then its maximum loss, counts in both); ``gap_breaches`` counts
    the breached accounts that would not have breached had every stop filled at its price.
    ``time_breaches`` counts the accounts that broke a time rule, by its kind (``flat_by``,
    ``weekend``, ``overnight``, ``news``); they count in ``breached`` too.
    """

    accounts: int = 0
    breached: int = 0  # accounts with any breach, of a loss floor or a time rule
    breaches_daily: int = 0
    breaches_max_loss: int = 0
    gap_breaches: int = 0
    time_breaches: Counter[str] = field(default_factory=Counter)
    passed: int = 0
    trades: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    final_balances: list[float] = field(default_factory=list)
    payouts: int = 0
    paid_out: Decimal = Decimal(0)  # never counted in the final balances' profit

    def as_dict(self) -> dict[str, Any]:
        """The outcome as JSON (the payouts only when a run paid any)."""
        paid = {"payouts": self.payouts, "paid_out": str(self.paid_out)} if self.payouts else {}
        return {
            "accounts": self.accounts,
            "breached": self.breached,
            "breaches_daily": self.breaches_daily,
            "breaches_max_loss": self.breaches_max_loss,
            "gap_breaches": self.gap_breaches,
            "time_breaches": {kind: self.time_breaches[kind] for kind in TIME_BREACH_KINDS},
            "passed": self.passed,
            "trades": self.trades,
            "rejects": dict(sorted(self.rejects.items())),
        } | paid


@dataclass
class SimulationResult:
    """Outcomes keyed by policy, then by firm plan (``firm/plan``)."""

    outcomes: dict[str, dict[str, PlanOutcome]] = field(default_factory=dict)
    days: int = 0

    def outcome(self, policy: str, plan: str) -> PlanOutcome:
        """The outcome of ``policy`` on ``plan`` (created empty when first asked)."""
        return self.outcomes.setdefault(policy, {}).setdefault(plan, PlanOutcome())

    def as_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{policy: {plan: outcome}}`` as JSON."""
        return {
            policy: {plan: outcome.as_dict() for plan, outcome in plans.items()}
            for policy, plans in self.outcomes.items()
        }

    def time_breached(self, policy: str) -> int:
        """Accounts of ``policy`` that broke a time rule, over every plan."""
        return sum(o.time_breaches.total() for o in self.outcomes.get(policy, {}).values())

    def breached(self, policy: str) -> int:
        """Accounts of ``policy`` that breached a rule, over every plan."""
        return sum(o.breached for o in self.outcomes.get(policy, {}).values())
