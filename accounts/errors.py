"""Errors of the ``accounts`` package.

The tree, by what the caller should do::

    AccountsError                 base; never raised itself
    ├── InvalidAmount (ValueError)     a number that is not a finite decimal of the right sign:
    │                                   fix the input
    ├── UnknownCurrency (ValueError)    a currency code ARIA does not know: fix the input
    └── InvalidState (ValueError)       an account state that contradicts itself or the
                                        account (a stale as-of time, a position without
                                        lots): fix the input

Business outcomes (a trade that must not be placed) are never errors; they are values
returned by the sizing pipeline.
"""

from __future__ import annotations


class AccountsError(Exception):
    """Base of every error raised by ``accounts``."""


class InvalidAmount(AccountsError, ValueError):
    """A money amount, price or size that is not a usable finite number."""


class UnknownCurrency(AccountsError, ValueError):
    """A currency code that is not in ARIA's currency table."""


class InvalidState(AccountsError, ValueError):
    """An account state that cannot be true (or cannot follow the previous one)."""
