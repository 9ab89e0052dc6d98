"""Accounts: the lowest, pure layer of ARIA — money, account state, peaks and performance."""

from accounts.errors import AccountsError, InvalidAmount, InvalidState, UnknownCurrency
from accounts.model import (
    Account,
    AccountState,
    DayStart,
    HaltKind,
    Position,
    Side,
    Trade,
    TradingState,
    TradingStatus,
)
from accounts.peaks import Drawdown, Peaks
from accounts.performance import PerformanceStats, performance
from accounts.personality import Appetite, Personality, PersonalitySource

__all__ = [
    "Account",
    "AccountState",
    "AccountsError",
    "Appetite",
    "DayStart",
    "Drawdown",
    "HaltKind",
    "InvalidAmount",
    "InvalidState",
    "Peaks",
    "PerformanceStats",
    "Personality",
    "PersonalitySource",
    "Position",
    "Side",
    "Trade",
    "TradingState",
    "TradingStatus",
    "UnknownCurrency",
    "performance",
]

# Marks this package as ARIA's own (PyPI has an unrelated ``accounts``); tests check it.
ARIA_PACKAGE = "accounts"
