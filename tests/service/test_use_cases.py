"""The scenarios the databases' smoke tests run, on the in-memory store: the fakes answer as
storage does (``tests/integration/test_service_smoke.py``)."""

from __future__ import annotations

from aria.service.context import Context
from tests.clocks import SettableClock
from tests.integration.test_service_smoke import (
    account_lifecycle,
    accounts_sizing_and_audit,
    market_jobs_and_keys,
)


def test_accounts_sizing_and_audit_as_on_the_databases(ctx: Context, clock: SettableClock) -> None:
    accounts_sizing_and_audit(ctx, clock)


def test_market_jobs_and_keys_as_on_the_databases(ctx: Context, clock: SettableClock) -> None:
    market_jobs_and_keys(ctx, clock)


def test_account_lifecycle_as_on_the_databases(ctx: Context, clock: SettableClock) -> None:
    account_lifecycle(ctx, clock)
