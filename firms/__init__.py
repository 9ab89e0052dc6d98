"""Firms: prop-firm rule sets as data, the pure math of floors, headroom and breaches, and the
account lifecycle built on them."""

from firms.breaches import Breach, BreachType, apply, detect
from firms.catalog import Catalog, load_catalog
from firms.clock import WallClock
from firms.cross_account import (
    AccountRef,
    Exposure,
    Finding,
    account_count_findings,
    allocation_findings,
    copy_findings,
    copy_permission,
    hedge_conflicts,
    scan_hedges,
)
from firms.daily import DailyStatus, DayRoll, daily_status, roll_day
from firms.debounce import Debounce, OwnSwitch, own_reducing
from firms.errors import (
    FirmsError,
    InvalidOption,
    RuleFileError,
    UnknownFirm,
    UnknownPhase,
    UnknownPlan,
    UnknownSize,
)
from firms.floors import Floors, daily_floor, floors, max_loss_floor
from firms.headroom import Headroom, OpenRisk, Reservation, headroom
from firms.lifecycle import (
    Halted,
    Judgement,
    Pushed,
    Rolled,
    Verdict,
    judge,
    observe,
    push,
    recheck,
    roll_forward,
    verdict,
)
from firms.model import BreachKind, Firm, Plan
from firms.progress import ConsistencyProgress, consistency, daily_pnl, trading_days
from firms.ruleset import RuleSet, resolve

__all__ = [
    "AccountRef",
    "Breach",
    "BreachKind",
    "BreachType",
    "Catalog",
    "ConsistencyProgress",
    "DailyStatus",
    "DayRoll",
    "Debounce",
    "Exposure",
    "Finding",
    "Firm",
    "FirmsError",
    "Floors",
    "Halted",
    "Headroom",
    "InvalidOption",
    "Judgement",
    "OpenRisk",
    "OwnSwitch",
    "Plan",
    "Pushed",
    "Reservation",
    "Rolled",
    "RuleFileError",
    "RuleSet",
    "UnknownFirm",
    "UnknownPhase",
    "UnknownPlan",
    "UnknownSize",
    "Verdict",
    "WallClock",
    "account_count_findings",
    "allocation_findings",
    "apply",
    "consistency",
    "copy_findings",
    "copy_permission",
    "daily_floor",
    "daily_pnl",
    "daily_status",
    "detect",
    "floors",
    "headroom",
    "hedge_conflicts",
    "judge",
    "load_catalog",
    "max_loss_floor",
    "observe",
    "own_reducing",
    "push",
    "recheck",
    "resolve",
    "roll_day",
    "roll_forward",
    "scan_hedges",
    "trading_days",
    "verdict",
]

# Marks this package as ARIA's own (PyPI has an unrelated ``firms``); tests check it.
ARIA_PACKAGE = "firms"
