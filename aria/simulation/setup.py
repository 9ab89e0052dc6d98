"""What a simulation runs: which firm plans, how many accounts, which policies, which signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from aria.sizing.profiles import preset_names

BASELINE = "baseline"
ARIA = "aria"


@dataclass(frozen=True)
class PlanSpec:
    """A firm plan to simulate: its phase and size, and the symbols its accounts trade."""

    firm: str
    plan: str
    phase: str
    size: Decimal
    symbols: tuple[str, ...]
    rulebook_version: str | None = None

    @property
    def key(self) -> str:
        """``firm/plan`` — how results name it."""
        return f"{self.firm}/{self.plan}"


FX = ("EURUSD", "GBPUSD", "NZDUSD", "EURGBP", "XAUUSD")
FUTURES = ("MES", "ES")  # proxied by SPY × 10 in the shipped sample (see aria simulate --help)

DEFAULT_PLANS = (
    PlanSpec("ftmo", "2-step", "challenge", Decimal(100_000), FX),
    PlanSpec("ftmo", "1-step", "challenge", Decimal(100_000), FX),
    PlanSpec("fundingpips", "2-step", "phase-1", Decimal(100_000), FX),
    PlanSpec("topstep", "trading-combine", "combine", Decimal(50_000), FUTURES),
    PlanSpec("apex", "evaluation", "evaluation", Decimal(50_000), FUTURES, "legacy"),
)

# The intraday replay's plans, on the shipped minute bars: FTMO's funded Standard account judges
# the weekend close and the news windows; the futures plans their flat-by times and overnight.
MINUTE_FX = ("EURUSD", "XAUUSD", "GER40")
MINUTE_PLANS = (
    PlanSpec("ftmo", "2-step", "funded", Decimal(100_000), MINUTE_FX),
    PlanSpec("ftmo", "1-step", "challenge", Decimal(100_000), MINUTE_FX),
    PlanSpec("topstep", "trading-combine", "combine", Decimal(50_000), FUTURES),
    PlanSpec("apex", "evaluation", "evaluation", Decimal(50_000), FUTURES, "legacy"),
)


def default_policies() -> tuple[str, ...]:
    """ARIA with its default profile, the naive baseline, then every other seed preset."""
    return (ARIA, BASELINE, *(p for p in preset_names() if p != ARIA))


@dataclass(frozen=True)
class SimConfig:
    """How to simulate.

    Each account gets a signal on a day with probability ``signal_rate``: a random symbol of
    its plan and a random side, entered at the day's open with the stop ``atr_stop`` ATRs
    away and the target ``reward`` times the stop distance beyond the entry. Every policy
    sees the same signals and the same prices. With ``payout_every``, a flat account in
    profit is paid ``payout_share`` of its profit every that many trading days, through the
    firm's cash-flow rule (a payout it refuses is skipped).
    """

    plans: tuple[PlanSpec, ...] = DEFAULT_PLANS
    policies: tuple[str, ...] = field(default_factory=default_policies)
    accounts: int = 10
    seed: int = 7
    gaps: bool = True  # a gap through a stop fills at the open; off: at the stop
    signal_rate: float = 0.35
    atr_stop: Decimal = Decimal(2)
    reward: Decimal = Decimal(2)
    baseline_risk: Decimal = Decimal("0.01")
    payout_every: int | None = None  # trading days between payouts (None: no payouts)
    payout_share: Decimal = Decimal("0.5")  # of the profit above the starting balance

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise ValueError("at least one account per plan")
        if not 0 < self.signal_rate <= 1:
            raise ValueError("the signal rate is a probability per day, above 0 and at most 1")
        if self.atr_stop <= 0 or self.reward <= 0 or self.baseline_risk <= 0:
            raise ValueError("stop distance, reward and baseline risk must be positive")
        if self.payout_every is not None and self.payout_every < 1:
            raise ValueError("payouts come every one or more trading days")
        if not 0 < self.payout_share <= 1:
            raise ValueError("the payout share is of the profit, above 0 and at most 1")
        if not self.plans or not self.policies:
            raise ValueError("name at least one plan and one policy")
