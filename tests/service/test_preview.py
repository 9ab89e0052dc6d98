"""A preview answers what sizing would, account by account, and records nothing."""

from __future__ import annotations

from typing import Any

import pytest

from aria.service import sizing as sizing_service
from aria.service.commands import Signal
from aria.service.context import Context
from aria.service.errors import NotFound
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.fakes import FakeStore

POSITION = {"symbol": "GBPUSD", "side": "long", "lots": 1, "entry": "1.27", "stop": "1.26"}


def _family(ctx: Context) -> list[str]:
    """Three FTMO accounts (one long GBPUSD, one near its daily floor), one at FundedNext,
    one of another trader, and a stale one."""
    open_account(ctx, "a")
    open_account(ctx, "b")
    open_account(ctx, "near")
    open_account(ctx, "c", firm="fundednext", plan="stellar-2-step", phase="phase-1")
    open_account(ctx, "bob-1", owner="bob")
    open_account(ctx, "stale")
    at = utc(2026, 6, 2, 8, 59)
    push(ctx, "a", 100_000, 100_000, at, positions=[POSITION])
    push(ctx, "b", 101_000, 101_500, at)
    push(ctx, "near", 100_000, 95_400, at)
    push(ctx, "c", 100_000, 100_000, at)
    push(ctx, "bob-1", 100_000, 100_000, at)
    push(ctx, "stale", 100_000, 100_000, utc(2026, 6, 2, 7, 0))
    return ["a", "b", "near", "c", "bob-1", "stale"]


def _signal(accounts: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "accounts": accounts,
        "symbol": "GBPUSD",
        "side": "short",
        "entry": "1.2700",
        "stop": "1.2800",
        **overrides,
    }


def _counts(store: FakeStore) -> tuple[int, ...]:
    return tuple(
        store.count(table) for table in ("decisions", "reservations", "events", "requests")
    )


@pytest.mark.parametrize("side", ["long", "short"])
def test_a_preview_answers_what_sizing_then_does(ctx: Context, side: str) -> None:
    accounts = _family(ctx)
    stop = "1.2600" if side == "long" else "1.2800"
    signal = _signal(accounts, side=side, stop=stop)
    _, rows = sizing_service.preview(ctx, Signal.model_validate(signal))
    sized = ask(ctx, f"after-{side}", accounts, side=side, stop=stop)
    assert [row.account_id for row in rows] == sorted(accounts)
    answered = {d.decision.account_id: d.decision for d in sized.decisions}
    for row in rows:
        decision = answered[row.account_id]
        assert (row.status, row.lots, list(row.reject_codes), row.binding) == (
            decision.status,
            decision.lots,
            decision.reject_codes,
            decision.binding,
        ), row.account_id
    assert any(row.status == "approved" for row in rows)
    assert any(row.status == "rejected" for row in rows)


def test_a_preview_reserves_and_records_nothing(
    ctx: Context, store: FakeStore, clock: SettableClock
) -> None:
    accounts = _family(ctx)
    before = _counts(store)
    # The reset at midnight Prague has not been rolled for these accounts yet; a preview
    # rolls them in memory only.
    clock.move_to("2026-06-02 22:30:00")
    sizing_service.preview(ctx, Signal.model_validate(_signal(accounts)))
    assert _counts(store) == before


def test_a_preview_names_unknown_accounts_and_keeps_to_the_keys_owner(ctx: Context) -> None:
    accounts = _family(ctx)
    with pytest.raises(NotFound, match="ghost"):
        sizing_service.preview(ctx, Signal.model_validate(_signal([*accounts, "ghost"])))
    # Another owner's account is as unknown to the key as a missing one.
    with pytest.raises(NotFound, match=r"^unknown account: bob-1$"):
        sizing_service.preview(ctx, Signal.model_validate(_signal(accounts)), allowed_owner="alice")
