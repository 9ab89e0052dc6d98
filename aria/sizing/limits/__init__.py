"""Stage 5 of the pipeline: every limit as the most lots it allows, and what it rejects.

Limits are applied after everything else, so nothing before can break one. Each limit
either clips the size (its ``max_lots``) or, when it leaves no room at all, rejects with its
code. ``LIMITS`` is the one table of them, in the order a decision lists them: the
instrument's maximum, the firm's limits (``firm.py``, then the best-day cap of
``consistency.py``), the profile's and margin (``profile.py``), then the floors
(``floors.py``). The scalar pipeline and the fan-out both iterate it.
"""

from __future__ import annotations

from aria.sizing.limits.base import AccountView, Bound, Limit, LimitContext
from aria.sizing.limits.consistency import CONSISTENCY
from aria.sizing.limits.firm import FIRM
from aria.sizing.limits.floors import (
    CARRIED,
    FLOORS,
    HEADROOM_CODES,
    HEADROOM_FLOORS,
    Carried,
    carried,
    swing_budgets,
)
from aria.sizing.limits.profile import PROFILE, InstrumentMaxLot

# Firm limits before the profile's: a decision's list (and which of two equal limits binds)
# follows this order.
LIMITS: tuple[Limit, ...] = (InstrumentMaxLot(), *FIRM, *CONSISTENCY, *PROFILE, *FLOORS)


def bounds(ctx: LimitContext) -> list[Bound]:
    """Every limit for this trade, in the table's order."""
    return [bound for limit in LIMITS for bound in limit.bounds(ctx)]


__all__ = [
    "CARRIED",
    "HEADROOM_CODES",
    "HEADROOM_FLOORS",
    "LIMITS",
    "AccountView",
    "Bound",
    "Carried",
    "Limit",
    "LimitContext",
    "bounds",
    "carried",
    "swing_budgets",
]
