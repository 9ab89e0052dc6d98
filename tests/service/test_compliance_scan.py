"""The compliance scan over stored accounts: households, and open positions that make one
trade past the identical-trading or the copy-capital cap."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aria.audit.filters import EventFilter
from aria.audit.records import StoredEvent
from aria.service import accounts as account_service
from aria.service import maintenance
from aria.service.commands import UpdateAccount
from aria.service.context import Context
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock


def _findings(ctx: Context) -> list[StoredEvent]:
    with ctx.unit() as uow:
        events = uow.audit.events(EventFilter(kind="compliance_finding"), None, 100)
    return sorted(events, key=lambda e: (e.at, e.account_id))


def _long_eurusd(opened: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "symbol": "EURUSD",
            "side": "long",
            "lots": 1,
            "entry": "1.1",
            "stop": "1.09",
            "opened_at": opened.isoformat(),
        }
    ]


def test_a_household_of_two_owners_past_tradeifys_five_funded_accounts_is_found(
    ctx: Context, clock: SettableClock
) -> None:
    # Alice and Bob, one household, 3 funded Tradeify accounts each: 6 > 5 per household.
    # Accounts are counted in id order: b2 is the sixth.
    for owner in ("a", "b"):
        for index in range(3):
            open_account(
                ctx,
                f"{owner}{index}",
                owner="alice" if owner == "a" else "bob",
                household="home",
                firm="tradeify",
                plan="growth",
                phase="funded",
                size=50_000,
            )
    assert account_service.get_account(ctx, "b2").household == "home"
    assert maintenance.compliance_scan(ctx).done == 1
    (event,) = _findings(ctx)
    assert event.account_id == "b2"
    assert event.detail == {
        "code": "account_cap",
        "others": ["a0", "a1", "a2", "b0", "b1"],
        "firm": "tradeify",
    }
    assert event.reason == (
        "household 'home' would hold 6 funded accounts at tradeify, which allows 5 per household"
    )
    # Bob leaves the household: each owner holds 3, and the next day's scan finds nothing.
    for index in range(3):
        account_service.update_account(
            ctx, f"b{index}", UpdateAccount(household=None, reason="moved out")
        )
    with ctx.unit() as uow:
        changed = uow.audit.events(EventFilter(account="b0", kind="household_changed"), None, 5)
    assert [(e.detail["before"], e.detail["after"], e.reason) for e in changed] == [
        ("home", None, "moved out")
    ]
    clock.move_to("2026-06-03 09:00:00")
    assert maintenance.compliance_scan(ctx).done == 0


def test_six_the5ers_accounts_holding_one_trade_past_500k_are_found(
    ctx: Context, clock: SettableClock
) -> None:
    # Six 100,000 funded accounts long EURUSD, opened 2 minutes apart from 08:40 (each within
    # 5 minutes of the one before): one trade of 600,000 > 500,000; t5, opened last, is found.
    for index in range(6):
        open_account(
            ctx, f"t{index}", firm="the5ers", plan="high-stakes", phase="funded", size=100_000
        )
        opened = utc(2026, 6, 2, 8, 40) + dt.timedelta(minutes=2 * index)
        push(ctx, f"t{index}", 100_000, 100_000, utc(2026, 6, 2, 8, 59), _long_eurusd(opened))
    assert maintenance.compliance_scan(ctx).done == 1
    (event,) = _findings(ctx)
    assert event.account_id == "t5"
    assert event.detail == {
        "code": "identical_trading_cap",
        "others": ["t0", "t1", "t2", "t3", "t4"],
        "firm": "the5ers",
    }
    assert event.reason == (
        "long EURUSD opened within 5 minutes on t0, t1, t2, t3, t4, t5: alice's accounts at"
        " the5ers taking this same trade would count 600,000.00 USD with t5 (after t0, t1, t2,"
        " t3, t4), above the5ers's identical-trading cap of 500,000 USD"
    )
    assert maintenance.compliance_scan(ctx).done == 0  # once a day


def test_fundednext_challenges_holding_one_trade_past_300k_copied_are_found(
    ctx: Context,
) -> None:
    # Challenges of 100,000, 100,000, 100,000 and 50,000 opened a minute apart: copying covers
    # 350,000 > 300,000 with the fourth (the copy source, c0, counted).
    for index, size in enumerate([100_000, 100_000, 100_000, 50_000]):
        open_account(
            ctx, f"c{index}", firm="fundednext", plan="stellar-2-step", phase="phase-1", size=size
        )
        opened = utc(2026, 6, 2, 8, 50) + dt.timedelta(minutes=index)
        push(ctx, f"c{index}", size, size, utc(2026, 6, 2, 8, 59), _long_eurusd(opened))
    assert maintenance.compliance_scan(ctx).done == 1
    (event,) = _findings(ctx)
    assert (event.account_id, event.detail["code"]) == ("c3", "copy_forbidden")
    assert event.reason.endswith(
        "copying c0 to c3 would have copied trades cover 350,000.00 USD of alice's accounts at"
        " fundednext (with c0, c1, c2), above fundednext's copy-capital cap of 300,000 USD"
    )


def test_opening_an_account_past_the_household_cap_is_allowed_with_a_warning(
    ctx: Context,
) -> None:
    # Alice holds 5 funded Tradeify accounts in household 'home' (the cap, 5): each opens
    # without a warning. Bob's first in 'home' is the sixth of the household: warned, opened.
    def tradeify(account_id: str, owner: str, household: str | None) -> tuple[str, ...]:
        open_account(
            ctx,
            account_id,
            owner=owner,
            household=household,
            firm="tradeify",
            plan="growth",
            phase="funded",
            size=50_000,
        )
        return account_service.account_cap_warnings(ctx, account_id)

    assert [tradeify(f"a{i}", "alice", "home") for i in range(5)] == [()] * 5
    assert tradeify("z-bob", "bob", "home") == (
        "household 'home' would hold 6 funded accounts at tradeify, which allows 5 per household",
    )
    assert account_service.get_account(ctx, "z-bob").household == "home"
    # Carol, in no household, counts alone; an evaluation is not capped at all.
    assert tradeify("carol", "carol", None) == ()
    open_account(ctx, "eval", firm="tradeify", plan="growth", phase="challenge", size=50_000)
    assert account_service.account_cap_warnings(ctx, "eval") == ()


def test_a_tradeify_account_holding_es_and_mes_is_found(ctx: Context) -> None:
    # ES and its micro MES held at once in one Tradeify account; MES with MNQ (another
    # product) is no finding, nor ES with MES at Apex, which allows the mix.
    def contract(symbol: str) -> dict[str, Any]:
        return {"symbol": symbol, "side": "long", "lots": 1, "entry": "5400", "stop": "5390"}

    for account_id, firm, plan, phase, symbols in (
        ("mix", "tradeify", "growth", "challenge", ["ES", "MES"]),
        ("apart", "tradeify", "growth", "challenge", ["MNQ", "MES"]),
        ("apex", "apex", "eod-trail", "evaluation", ["ES", "MES"]),
    ):
        open_account(ctx, account_id, firm=firm, plan=plan, phase=phase, size=50_000)
        positions = [contract(symbol) for symbol in symbols]
        push(ctx, account_id, 50_000, 50_000, utc(2026, 6, 2, 8, 59), positions)
    assert maintenance.compliance_scan(ctx).done == 1
    (event,) = _findings(ctx)
    assert (event.account_id, event.detail["code"]) == ("mix", "mini_micro_mix")
    assert event.reason == (
        "mix holds ES and MES, the full-size and micro contracts of ES, which tradeify forbids"
        " together in one account"
    )
