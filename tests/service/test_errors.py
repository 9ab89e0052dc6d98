"""Errors found before storage: times UTC cannot hold are refused and store nothing."""

from __future__ import annotations

import pytest

from aria.service import accounts as account_service
from aria.service.commands import RecordTrades
from aria.service.context import Context
from tests.builders import TRADE, open_account


def test_times_utc_cannot_hold_are_refused_before_storage(ctx: Context) -> None:
    open_account(ctx, "a")
    for opened, closed in (
        ("0001-01-01T00:00:00+14:00", "2026-06-01T09:00:00Z"),
        ("2026-06-01T09:00:00Z", "9999-12-31T23:59:59-14:00"),
    ):
        with pytest.raises(ValueError, match="once converted to UTC"):
            RecordTrades.model_validate(
                {"trades": [{**TRADE, "opened_at": opened, "closed_at": closed}]}
            )
    assert (
        account_service.record_trades(ctx, "a", RecordTrades.model_validate({"trades": [TRADE]}))
        == 1
    )
