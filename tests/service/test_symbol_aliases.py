"""Symbols from outside: the broker's names size, value and match ARIA's instruments."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.model import Position
from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import audit as audit_service
from aria.service import sizing as sizing_service
from aria.service.commands import RecordTrades, Signal, UpdateAccount
from aria.service.context import Context
from aria.service.errors import InvalidInput
from firms.catalog import load_catalog
from tests.builders import TRADE, ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.fakes import FakeStore

D = Decimal


@pytest.fixture
def clock() -> SettableClock:
    """The afternoon of 2 June (markets open)."""
    return SettableClock("2026-06-02T14:00:00Z")


def _open(ctx: Context, *ids: str) -> None:
    for account_id in ids:
        open_account(ctx, account_id)
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 13, 58))


def _alias(ctx: Context, account_id: str, aliases: dict[str, str]) -> None:
    account_service.update_account(
        ctx, account_id, UpdateAccount(symbol_aliases=aliases, reason="broker names")
    )


def test_a_broker_suffix_sizes_aria_s_instrument_and_the_request_keeps_what_was_sent(
    ctx: Context, store: FakeStore
) -> None:
    _open(ctx, "ftmo-1")
    plain = ask(ctx, "plain", ["ftmo-1"]).decisions[0].decision
    sizing_service.cancel(ctx, ask(ctx, "plain-2", ["ftmo-1"]).decisions[0].decision_id)
    suffixed = ask(ctx, "suffixed", ["ftmo-1"], symbol="GBPUSD.r").decisions[0].decision
    assert suffixed.symbol == "GBPUSD"
    assert suffixed.approved
    assert suffixed.lots == plain.lots
    with ctx.unit() as uow:
        assert uow.sizing.for_request("suffixed")[0].decision.symbol == "GBPUSD"
    assert store.tables.requests[("", "suffixed")]["request"]["symbol"] == "GBPUSD.R"


def test_an_account_alias_names_the_instrument_and_is_an_audited_change(ctx: Context) -> None:
    _open(ctx, "ftmo-1")
    _alias(ctx, "ftmo-1", {"cable.x": "GBPUSD"})
    assert account_service.get_account(ctx, "ftmo-1").symbol_aliases == {"CABLE.X": "GBPUSD"}
    decision = ask(ctx, "cable", ["ftmo-1"], symbol="CABLE.X").decisions[0].decision
    assert decision.symbol == "GBPUSD"
    events = audit_service.query_events(ctx, EventFilter(kind="symbol_aliases_changed")).items
    assert [(e.detail["before"], e.detail["after"]) for e in events] == [
        ({}, {"CABLE.X": "GBPUSD"})
    ]
    _alias(ctx, "ftmo-1", {})
    assert account_service.get_account(ctx, "ftmo-1").symbol_aliases == {}
    with pytest.raises(InvalidInput, match=r"CABLE\.X"):
        ask(ctx, "cable-2", ["ftmo-1"], symbol="CABLE.X")


def test_an_alias_to_an_unknown_instrument_is_refused(ctx: Context) -> None:
    _open(ctx, "ftmo-1")
    with pytest.raises(InvalidInput, match=r"US30\.CASH=DOW"):
        _alias(ctx, "ftmo-1", {"US30.cash": "DOW"})
    assert account_service.get_account(ctx, "ftmo-1").symbol_aliases == {}


def test_an_unknown_symbol_is_the_clear_error_naming_the_symbol_as_sent(ctx: Context) -> None:
    _open(ctx, "ftmo-1")
    with pytest.raises(InvalidInput, match=r"unknown instrument 'FOO\.R'"):
        ask(ctx, "foo", ["ftmo-1"], symbol="foo.r")


def test_one_symbol_meaning_two_instruments_in_a_fan_out_is_refused(ctx: Context) -> None:
    _open(ctx, "ftmo-1", "ftmo-2")
    _alias(ctx, "ftmo-2", {"GBPUSD.R": "EURUSD"})
    with pytest.raises(InvalidInput, match="GBPUSD for ftmo-1, EURUSD for ftmo-2"):
        ask(ctx, "mixed", ["ftmo-1", "ftmo-2"], symbol="GBPUSD.r")


def test_a_preview_resolves_as_sizing_does(ctx: Context) -> None:
    _open(ctx, "ftmo-1")
    signal = {"accounts": ["ftmo-1"], "side": "long", "entry": "1.27", "stop": "1.26"}
    _, aria = sizing_service.preview(ctx, Signal.model_validate({**signal, "symbol": "GBPUSD"}))
    _, broker = sizing_service.preview(ctx, Signal.model_validate({**signal, "symbol": "GBPUSDm"}))
    assert broker == aria
    assert broker[0].status == "approved"


def _position(**extra: Any) -> dict[str, Any]:
    return {
        "symbol": "GBPUSD",
        "side": "long",
        "lots": "1",
        "entry": "1.27",
        "stop": "1.26",
    } | extra


def test_pushed_positions_and_trades_are_stored_under_aria_s_symbols(ctx: Context) -> None:
    _open(ctx, "ftmo-1")
    _alias(ctx, "ftmo-1", {"CABLE": "GBPUSD"})
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 13, 59), [_position(symbol="CABLE")])
    risk = account_service.account_risk(ctx, "ftmo-1")
    assert risk.state is not None
    assert [p.symbol for p in risk.state.positions] == ["GBPUSD"]
    assert risk.headroom is not None
    assert risk.headroom.open_risk > 0
    trade = {**TRADE, "symbol": "EURUSD.raw"}
    account_service.record_trades(ctx, "ftmo-1", RecordTrades.model_validate({"trades": [trade]}))
    with ctx.unit() as uow:
        assert [t.symbol for t in uow.accounts.recent_trades(["ftmo-1"], 5)["ftmo-1"]] == ["EURUSD"]


def test_a_position_of_an_unknown_symbol_is_still_accepted_as_before(ctx: Context) -> None:
    _open(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 13, 59), [_position(symbol="WHEAT")])
    risk = account_service.account_risk(ctx, "ftmo-1")
    assert risk.state is not None
    assert [p.symbol for p in risk.state.positions] == ["WHEAT"]


MT5 = {
    "ticket": 501,
    "symbol": "GBPUSD.r",
    "type": 0,
    "volume": 1.0,
    "price_open": 1.27,
    "sl": 1.26,
    "tp": 1.29,
    "time": 1780405200,  # 2026-06-02 13:00 UTC
    "comment": "aria:dec-1",
    "magic": 7,
    "profit": 12.5,
    "swap": 0.0,
}
ARIA = {
    "id": "501",
    "symbol": "GBPUSD",
    "side": "long",
    "lots": "1.0",
    "entry": "1.27",
    "stop": "1.26",
    "take_profit": "1.29",
    "opened_at": "2026-06-02T13:00:00Z",
    "decision_id": "dec-1",
}


def _pushed(ctx: Context, account_id: str, position: dict[str, Any]) -> account_service.RiskView:
    open_account(ctx, account_id)
    push(ctx, account_id, 100_000, 99_990, utc(2026, 6, 2, 13, 59), [position])
    return account_service.account_risk(ctx, account_id)


def test_an_mt5_position_is_stored_and_valued_exactly_as_aria_s_shape(ctx: Context) -> None:
    mt5, aria = _pushed(ctx, "mt5", MT5), _pushed(ctx, "aria", ARIA)
    assert mt5.state is not None
    assert aria.state is not None
    assert mt5.state.positions == aria.state.positions
    assert mt5.floors == aria.floors
    assert mt5.headroom == aria.headroom


@pytest.mark.parametrize("kind", [1, "1", "POSITION_TYPE_SELL", "sell", "Sell"])
def test_an_mt5_sell_is_a_short(kind: object) -> None:
    sold = Position.model_validate(MT5 | {"type": kind, "tp": 1.25, "sl": 1.28})
    assert sold.side == "short"


def test_an_mt5_stop_of_zero_is_no_stop_and_so_no_headroom(ctx: Context) -> None:
    found = _pushed(ctx, "mt5", MT5 | {"sl": 0, "tp": 0})
    assert found.state is not None
    assert found.state.positions[0].stop is None
    assert found.state.positions[0].take_profit is None
    assert found.headroom is not None
    assert found.headroom.available == 0


@pytest.mark.parametrize("kind", [2, "POSITION_TYPE_HOLD", True, None, "", 0.5])
def test_a_bad_mt5_type_is_refused_with_the_values_it_may_take(kind: object) -> None:
    with pytest.raises(ValueError, match=r"0 \(buy\) or 1 \(sell\)"):
        Position.model_validate(MT5 | {"type": kind})


def test_an_unknown_mt5_field_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="volume_initial"):
        Position.model_validate(MT5 | {"volume_initial": 1})


FIRM_ALIASES = """id = "ftmo"
symbol_aliases = { "CABLE.FT" = "GBPUSD", "SHARED" = "EURUSD" }
"""


def test_the_firm_s_aliases_apply_and_the_account_s_win(ctx: Context, tmp_path: Path) -> None:
    rules = tmp_path / "ftmo-aliases.toml"
    rules.write_text(FIRM_ALIASES, encoding="utf-8")
    firm_ctx = dataclasses.replace(ctx, catalog=load_catalog([rules]))
    _open(firm_ctx, "ftmo-1")
    by_firm = ask(firm_ctx, "firm", ["ftmo-1"], symbol="cable.ft").decisions[0].decision
    assert by_firm.symbol == "GBPUSD"
    _alias(firm_ctx, "ftmo-1", {"SHARED": "GBPUSD"})
    by_account = ask(firm_ctx, "acct", ["ftmo-1"], symbol="SHARED").decisions[0].decision
    assert by_account.symbol == "GBPUSD"
    with pytest.raises(InvalidInput, match="CABLE"):
        ask(ctx, "no-firm-file", ["ftmo-1"], symbol="cable.ft")  # the built-in catalog has none


def test_an_account_may_be_opened_with_its_aliases(ctx: Context) -> None:
    open_account(ctx, "ftmo-1", symbol_aliases={"cable.z": "GBPUSD"})
    assert account_service.get_account(ctx, "ftmo-1").symbol_aliases == {"CABLE.Z": "GBPUSD"}
    opened = audit_service.query_events(ctx, EventFilter(kind="account_opened")).items
    assert opened[0].detail["symbol_aliases"] == {"CABLE.Z": "GBPUSD"}
    with pytest.raises(InvalidInput, match="DOW"):
        open_account(ctx, "ftmo-2", symbol_aliases={"US30.cash": "DOW"})
