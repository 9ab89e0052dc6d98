"""Broker symbols resolve to ARIA's instruments: aliases first, then the broker's spellings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aria.sizing.instruments import load_instruments
from aria.sizing.symbols import INDEX_NAMES, normalise, resolve_symbol

KNOWN = load_instruments()
ARIA = sorted(KNOWN.instruments)


@pytest.mark.parametrize(
    ("sent", "meant"),
    [
        ("EURUSD.r", "EURUSD"),
        ("EURUSDm", "EURUSD"),
        ("eurusd.raw", "EURUSD"),
        ("EURUSD.ecn", "EURUSD"),
        ("EURUSD-ECN", "EURUSD"),
        ("EUR/USD", "EURUSD"),
        ("EUR_USD", "EURUSD"),
        ("GBPUSD.a", "GBPUSD"),
        ("XAUUSD.pro", "XAUUSD"),
        ("GOLD", "XAUUSD"),
        ("US30.cash", "US30"),
        ("DJ30", "US30"),
        ("WS30", "US30"),
        ("GER40.cash", "GER40"),
        ("DE40", "GER40"),
        ("GER30", "GER40"),
        ("NAS100", "US100"),
        ("USTEC", "US100"),
        ("NDX100.cash", "US100"),
        ("SPX500", "US500"),
        ("US500.cash", "US500"),
        ("UK100.cash", "UK100"),
        ("US30", "US30"),
        ("US30m", "US30"),
        ("USTECm", "US100"),
        ("XAUUSDm", "XAUUSD"),
    ],
)
def test_a_broker_spelling_names_aria_s_instrument(sent: str, meant: str) -> None:
    assert resolve_symbol(sent, KNOWN) == meant


@pytest.mark.parametrize(
    "sent", ["FOOBAR", "EURUSDX", "US31.cash", "M", "XAU", ".cash", "MNQM", "ESM", "GCM"]
)
def test_an_unknown_symbol_stays_unknown(sent: str) -> None:
    assert resolve_symbol(sent, KNOWN) is None


def test_an_index_name_maps_only_to_an_instrument_aria_has() -> None:
    assert normalise("NAS100", {"EURUSD"}) is None
    assert set(INDEX_NAMES.values()) <= set(ARIA)  # every target is in the shipped table


def test_the_account_s_alias_wins_over_the_firm_s_and_the_spelling() -> None:
    firm = {"US30.CASH": "US100"}
    assert resolve_symbol("US30.cash", KNOWN, None, firm) == "US100"
    assert resolve_symbol("us30.cash", KNOWN, {"US30.CASH": "GER40"}, firm) == "GER40"
    assert resolve_symbol("US30.cash", KNOWN, {"OTHER": "GER40"}, firm) == "US100"
    # Aliases given in another case match too (a mapping built by hand, not by the account).
    assert resolve_symbol("US30.cash", KNOWN, {"us30.cash": "ger40"}) == "GER40"


broker = st.from_regex(r"[A-Z][A-Z0-9.]{1,10}", fullmatch=True).filter(lambda s: s not in KNOWN)


@given(st.sampled_from(ARIA))
def test_resolving_an_aria_symbol_gives_itself(symbol: str) -> None:
    assert resolve_symbol(symbol, KNOWN) == symbol
    assert resolve_symbol(symbol.lower(), KNOWN) == symbol


@given(
    sent=st.one_of(st.sampled_from(ARIA), broker, st.sampled_from(sorted(INDEX_NAMES))),
    account=st.dictionaries(broker, st.sampled_from(ARIA), max_size=4),
    firm=st.dictionaries(broker, st.sampled_from(ARIA), max_size=4),
)
def test_resolution_is_idempotent(sent: str, account: dict[str, str], firm: dict[str, str]) -> None:
    found = resolve_symbol(sent, KNOWN, account, firm)
    if found is not None:
        assert found in KNOWN
        assert resolve_symbol(found, KNOWN, account, firm) == found


@given(
    sent=broker,
    target=st.sampled_from(ARIA),
    firm=st.dictionaries(broker, st.sampled_from(ARIA), max_size=4),
)
def test_an_account_alias_always_wins(sent: str, target: str, firm: dict[str, str]) -> None:
    firm = {**firm, sent: next(s for s in ARIA if s != target)}
    assert resolve_symbol(sent, KNOWN, {sent: target}, firm) == target
    assert resolve_symbol(sent.lower(), KNOWN, {sent: target}, firm) == target
